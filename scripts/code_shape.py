#!/usr/bin/env python3
"""Counts the shape of the source tree: files over 400 lines, functions over
80 lines, and `Result<_, String>` signatures, for src/ (tests excluded:
`tests.rs`, `tests/` folders and `#[cfg(test)]` modules at the end of a file).

    scripts/code_shape.py            # summary
    scripts/code_shape.py --list     # and every offender
Import cycles are checked by `cargo test --test it layering`.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src"
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def production_lines(path):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and lines[i + 1].strip().startswith("mod tests"):
            return lines[:i]
    return lines


def functions(lines):
    """(name, first line, length) of each fn with a body, by brace matching."""
    out = []
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = lines[j].split("//")[0]
            if not started and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                out.append((m.group(6), i + 1, j - i + 1))
                break
            j += 1
        i += 1
    return out


def main():
    listing = "--list" in sys.argv
    files = sorted(p for p in ROOT.rglob("*.rs") if p.name != "tests.rs" and "tests" not in p.relative_to(ROOT).parts[:-1])
    long_files, long_fns, string_results = [], [], []
    for path in files:
        rel = path.relative_to(ROOT.parent)
        lines = production_lines(path)
        if len(lines) > 400:
            long_files.append(f"{rel}: {len(lines)} lines")
        for name, line, length in functions(lines):
            if length > 80:
                long_fns.append(f"{rel}:{line}: {name} ({length} lines)")
        text = "\n".join(lines)
        for m in re.finditer(r"fn\s+(\w+)[^{;]*?->\s*Result<[^{;]*,\s*String\s*>", text):
            string_results.append(f"{rel}:{text[:m.start()].count(chr(10)) + 1}: {m.group(1)}")
    print(f"files over 400 lines: {len(long_files)}")
    print(f"functions over 80 lines: {len(long_fns)}")
    print(f"Result<_, String> signatures: {len(string_results)}")
    if listing:
        for title, rows in (("files", long_files), ("functions", long_fns), ("Result<_, String>", string_results)):
            print(f"\n{title}:")
            for row in rows:
                print(f"  {row}")


if __name__ == "__main__":
    main()
