//! `alwayson check` over the fixture corpus: every invalid zone gets exactly
//! its expected `file:line:col` diagnostics and exit code 2; the sample
//! zones pass.

use std::path::Path;
use std::process::Command;

fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_alwayson"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run alwayson check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_invalid_fixture_gets_its_expected_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 15,
        "the corpus shrank: {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let relative = format!(
            "tests/fixtures/invalid/{}",
            fixture.file_name().unwrap().to_string_lossy()
        );
        let expected =
            std::fs::read_to_string(fixture.with_extension("expected")).expect("expected file");
        let (code, _, stderr) = check(&[&relative]);
        if code != 2 || stderr != expected {
            failures.push(format!(
                "{relative}: exit {code}\n--- got\n{stderr}--- expected\n{expected}"
            ));
        }
        for line in expected.lines() {
            assert!(
                line.starts_with(&format!("{relative}:"))
                    && line
                        .split(':')
                        .nth(1)
                        .is_some_and(|l| l.parse::<u32>().is_ok()),
                "{line} is not file:line:col: message"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_sample_zones_are_valid() {
    let (code, stdout, stderr) = check(&["--config", "alwayson.toml"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.starts_with("ok:"), "{stdout}");
}

#[test]
fn check_reports_problems_of_several_files_at_once() {
    let (code, _, stderr) = check(&[
        "tests/fixtures/invalid/bad-rdata.toml",
        "tests/fixtures/invalid/bad-name.toml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad-rdata.toml:8:11:"), "{stderr}");
    assert!(stderr.contains("bad-name.toml:6:8:"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_a_usage_error() {
    let (code, _, stderr) = check(&["--config", "no-such-file.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no-such-file.toml:1:1: cannot read file"),
        "{stderr}"
    );
}
