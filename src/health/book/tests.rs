//! Unit tests of the health book: pure state, no sockets, no sleeps.

use std::time::{Duration, SystemTime};

use super::*;
use crate::health::spec::{Address, CheckKind, HealthCheckSpec};

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn tcp(id: &str, healthy_threshold: u32, unhealthy_threshold: u32) -> HealthCheckSpec {
    HealthCheckSpec {
        id: id.into(),
        kind: CheckKind::Tcp {
            address: Address::parse("127.0.0.1:9").unwrap(),
        },
        interval: Duration::from_secs(10),
        timeout: Duration::from_secs(2),
        healthy_threshold,
        unhealthy_threshold,
        invert: false,
        disabled: false,
    }
}

fn calc(id: &str, children: &[&str], healthy_when: usize) -> HealthCheckSpec {
    HealthCheckSpec {
        kind: CheckKind::Calculated {
            children: children.iter().map(|c| CheckId::from(*c)).collect(),
            healthy_when,
        },
        ..tcp(id, 1, 1)
    }
}

fn obs(spec: &HealthCheckSpec, success: bool, detail: &str, at: SystemTime) -> Observation {
    Observation {
        id: spec.id.clone(),
        generation: spec.fingerprint(),
        success,
        detail: detail.into(),
        duration: Duration::from_millis(3),
        at,
    }
}

fn flip(id: &str, healthy: bool, reason: &str) -> Flip {
    Flip {
        id: id.into(),
        healthy,
        reason: reason.into(),
    }
}

fn healthy(book: &HealthBook, id: &str) -> bool {
    book.status(id).unwrap().healthy
}

#[test]
fn new_checks_start_healthy_or_inverted_unhealthy_without_flips() {
    let mut book = HealthBook::new();
    let inverted = HealthCheckSpec {
        invert: true,
        ..tcp("inv", 3, 3)
    };
    let flips = book.apply_specs(
        &[tcp("a", 3, 3), inverted, calc("c", &["a", "inv"], 2)],
        t(0),
    );
    assert_eq!(flips, []);
    assert!(healthy(&book, "a"));
    assert!(!healthy(&book, "inv"));
    assert!(!healthy(&book, "c"), "only 1 of 2 children is healthy");
    let view = book.view();
    assert_eq!(view.len(), 3);
    assert!(view.is_healthy("a") && !view.is_healthy("inv"));
    assert_eq!(view.get("a").unwrap().since, t(0));
}

#[test]
fn flips_after_the_thresholds_with_a_reason() {
    let spec = tcp("a", 2, 3);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&spec), t(0));
    assert_eq!(book.observe(obs(&spec, false, "HTTP 503", t(10))), []);
    assert_eq!(book.observe(obs(&spec, false, "HTTP 503", t(20))), []);
    assert_eq!(
        book.observe(obs(&spec, false, "HTTP 503", t(30))),
        [flip("a", false, "3 consecutive failures: HTTP 503")]
    );
    assert_eq!(book.status("a").unwrap().since, t(30));
    assert_eq!(book.observe(obs(&spec, true, "HTTP 200", t(40))), []);
    assert_eq!(
        book.observe(obs(&spec, true, "HTTP 200", t(50))),
        [flip("a", true, "2 consecutive successes: HTTP 200")]
    );
    assert_eq!(book.status("a").unwrap().since, t(50));
}

#[test]
fn ignores_unknown_ids_outdated_generations_and_unprobed_checks() {
    let spec = tcp("a", 1, 1);
    let disabled = HealthCheckSpec {
        disabled: true,
        ..tcp("off", 1, 1)
    };
    let mut book = HealthBook::new();
    book.apply_specs(
        &[spec.clone(), disabled.clone(), calc("c", &["a"], 1)],
        t(0),
    );
    let mut stale = obs(&spec, false, "refused", t(1));
    stale.generation ^= 1;
    assert_eq!(book.observe(stale), []);
    assert_eq!(book.observe(obs(&tcp("nope", 1, 1), false, "x", t(1))), []);
    assert_eq!(book.observe(obs(&disabled, false, "x", t(1))), []);
    assert!(healthy(&book, "off"));
    let c = calc("c", &["a"], 1);
    assert_eq!(book.observe(obs(&c, false, "x", t(1))), []);
    assert!(book.details().iter().all(|d| d.last_probe.is_none()));
}

#[test]
fn inverted_checks_report_the_opposite() {
    let spec = HealthCheckSpec {
        invert: true,
        ..tcp("inv", 1, 2)
    };
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&spec), t(0));
    assert!(!healthy(&book, "inv"));
    assert_eq!(book.observe(obs(&spec, false, "refused", t(1))), []);
    assert_eq!(
        book.observe(obs(&spec, false, "refused", t(2))),
        [flip(
            "inv",
            true,
            "2 consecutive failures (inverted): refused"
        )]
    );
}

#[test]
fn calculated_parents_flip_with_their_children() {
    let (a, b) = (tcp("a", 1, 1), tcp("b", 1, 1));
    let specs = [
        a.clone(),
        b.clone(),
        calc("any", &["a", "b"], 1),
        calc("top", &["any"], 1),
    ];
    let mut book = HealthBook::new();
    book.apply_specs(&specs, t(0));
    assert_eq!(
        book.observe(obs(&a, false, "refused", t(1))),
        [flip("a", false, "1 consecutive failures: refused")]
    );
    assert_eq!(
        book.observe(obs(&b, false, "refused", t(2))),
        [
            // The cause first, then each parent after its children.
            flip("b", false, "1 consecutive failures: refused"),
            flip("any", false, "calculated: 0/2 children healthy"),
            flip("top", false, "calculated: 0/1 children healthy"),
        ]
    );
    assert_eq!(book.status("top").unwrap().since, t(2));
    let flips = book.observe(obs(&a, true, "ok", t(3)));
    let order: Vec<&str> = flips.iter().map(|f| &*f.id).collect();
    assert_eq!(order, ["a", "any", "top"]);
    assert!(healthy(&book, "top"));
}

#[test]
fn a_parent_sorting_before_its_child_still_flips_after_it() {
    let web = tcp("zz-web", 1, 1);
    let specs = [calc("aa-site", &["zz-web"], 1), web.clone()];
    let mut book = HealthBook::new();
    book.apply_specs(&specs, t(0));
    let flips = book.observe(obs(&web, false, "refused", t(1)));
    let order: Vec<&str> = flips.iter().map(|f| &*f.id).collect();
    assert_eq!(order, ["zz-web", "aa-site"]);
}

#[test]
fn unchanged_specs_keep_state_and_changed_ones_restart_counters() {
    let a = tcp("a", 2, 2);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&a), t(0));
    book.observe(obs(&a, false, "refused", t(1)));
    book.observe(obs(&a, false, "refused", t(2)));
    assert!(!healthy(&book, "a"));
    book.observe(obs(&a, true, "ok", t(3)));

    assert_eq!(book.apply_specs(std::slice::from_ref(&a), t(4)), []);
    assert_eq!(book.details()[0].consecutive_successes, 1, "state kept");

    let changed = HealthCheckSpec {
        interval: Duration::from_secs(30),
        ..a.clone()
    };
    assert_eq!(book.apply_specs(std::slice::from_ref(&changed), t(5)), []);
    assert!(!healthy(&book, "a"), "status kept");
    assert_eq!(
        book.details()[0].consecutive_successes,
        0,
        "counters restarted"
    );
    assert_eq!(
        book.observe(obs(&a, true, "ok", t(6))),
        [],
        "old generation"
    );
    assert_eq!(book.observe(obs(&changed, true, "ok", t(7))), []);
    assert_eq!(
        book.observe(obs(&changed, true, "ok", t(8))),
        [flip("a", true, "2 consecutive successes: ok")]
    );
}

#[test]
fn toggling_invert_keeps_the_effective_status() {
    let a = tcp("a", 1, 1);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&a), t(0));
    let inverted = HealthCheckSpec { invert: true, ..a };
    assert_eq!(book.apply_specs(std::slice::from_ref(&inverted), t(1)), []);
    assert!(healthy(&book, "a"));
    assert_eq!(
        book.observe(obs(&inverted, true, "ok", t(2))),
        [flip("a", false, "1 consecutive successes (inverted): ok")]
    );
}

#[test]
fn disabling_and_removing_checks() {
    let a = tcp("a", 1, 1);
    let mut book = HealthBook::new();
    book.apply_specs(&[a.clone(), calc("c", &["a"], 1)], t(0));
    book.observe(obs(&a, false, "refused", t(1)));
    assert!(!healthy(&book, "c"));

    let disabled = HealthCheckSpec {
        disabled: true,
        ..a.clone()
    };
    assert_eq!(
        book.apply_specs(&[disabled, calc("c", &["a"], 1)], t(2)),
        [
            flip("a", true, "check disabled"),
            flip("c", true, "calculated: 1/1 children healthy"),
        ]
    );

    book.apply_specs(&[a.clone(), calc("c", &["a"], 1)], t(3));
    book.observe(obs(&a, false, "refused", t(4)));
    assert!(!healthy(&book, "c"));
    // A child that no longer exists counts as healthy, as in the view.
    assert_eq!(
        book.apply_specs(&[calc("c", &["a"], 1)], t(5)),
        [flip("c", true, "calculated: 1/1 children healthy")]
    );
    assert_eq!(book.len(), 1);
    assert!(book.status("a").is_none());
}

#[test]
fn overrides_hold_and_release_the_status() {
    let a = tcp("a", 1, 1);
    let mut book = HealthBook::new();
    book.apply_specs(&[a.clone(), calc("c", &["a"], 1)], t(0));
    let down = Override::new(false, None, t(1));
    assert_eq!(
        book.set_override("a", Some(down.clone()), t(1)),
        Ok(vec![
            flip("a", false, "override: unhealthy"),
            flip("c", false, "calculated: 0/1 children healthy"),
        ])
    );
    assert_eq!(book.observe(obs(&a, true, "ok", t(2))), [], "held");
    assert_eq!(book.details()[0].overridden, Some(down));
    book.observe(obs(&a, false, "refused", t(3)));
    assert_eq!(
        book.set_override("a", None, t(4)),
        Ok(vec![]),
        "probes agree"
    );
    assert!(!healthy(&book, "a"));
    assert_eq!(
        book.set_override("nope", None, t(5)),
        Err(UnknownCheck("nope".into()))
    );
    assert_eq!(
        UnknownCheck("nope".into()).to_string(),
        "unknown health check `nope`"
    );
}

#[test]
fn overrides_expire() {
    let a = tcp("a", 1, 1);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&a), t(0));
    let up_until = |s| Override::new(false, Some(t(s)), t(0));
    assert_eq!(
        book.set_override("a", Some(up_until(0)), t(0)),
        Ok(vec![]),
        "already over"
    );
    assert_eq!(book.next_override_expiry(), None);
    book.set_override("a", Some(up_until(60)), t(1)).unwrap();
    assert_eq!(book.next_override_expiry(), Some(t(60)));
    assert_eq!(book.expire_overrides(t(59)), []);
    assert_eq!(
        book.expire_overrides(t(60)),
        [flip("a", true, "override expired")]
    );
    assert_eq!(book.next_override_expiry(), None);
    assert_eq!(book.status("a").unwrap().since, t(60));
}

#[test]
fn overrides_survive_spec_changes() {
    let a = tcp("a", 1, 1);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&a), t(0));
    let hold = Override::new(false, None, t(1));
    book.set_override("a", Some(hold), t(1)).unwrap();
    let changed = HealthCheckSpec {
        healthy_threshold: 2,
        ..a
    };
    assert_eq!(book.apply_specs(&[changed], t(2)), []);
    assert!(!healthy(&book, "a"));
}

#[test]
fn details_show_the_last_probe_and_counters() {
    let a = tcp("a", 3, 3);
    let mut book = HealthBook::new();
    book.apply_specs(std::slice::from_ref(&a), t(0));
    book.observe(obs(&a, false, "connect: refused", t(7)));
    let details = book.details();
    assert_eq!(
        details,
        [CheckDetail {
            id: "a".into(),
            kind: "tcp",
            healthy: true,
            since: t(0),
            last_probe: Some(ProbeRecord {
                success: false,
                detail: "connect: refused".into(),
                duration: Duration::from_millis(3),
                at: t(7),
            }),
            overridden: None,
            local_healthy: true,
            verdict: None,
            consecutive_successes: 0,
            consecutive_failures: 1,
            invert: false,
            disabled: false,
            spec: a.clone(),
        }]
    );
}

#[test]
fn a_cycle_of_calculated_checks_terminates() {
    let mut book = HealthBook::new();
    book.apply_specs(&[calc("x", &["y"], 1), calc("y", &["x"], 1)], t(0));
    assert_eq!(book.len(), 2);
    book.set_override("x", Some(Override::new(false, None, t(1))), t(1))
        .unwrap();
    assert!(!healthy(&book, "y"));
}

#[test]
fn the_first_of_repeated_ids_wins() {
    let mut book = HealthBook::new();
    let inverted = HealthCheckSpec {
        invert: true,
        ..tcp("a", 1, 1)
    };
    book.apply_specs(&[tcp("a", 1, 1), inverted], t(0));
    assert!(healthy(&book, "a"));
}
