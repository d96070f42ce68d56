#!/usr/bin/env python3
"""The shape rule (STYLE.md, docs/design.md): the pure cores link nothing that does I/O.

Reads every CMakeLists.txt under services/ and checks what each core library links, directly
and through the project's own libraries it links. Exits 1 naming the offending link.
Usage: core_dependencies_check.py ROOT
"""
import pathlib
import re
import sys

# The pure cores: no I/O, no logging, no clock reads.
CORES = {"synchub_core", "synchub_ladder", "synchub_connector_core"}
# What they may link: each other and header-only / pure libraries.
ALLOWED = CORES | {"nlohmann_json::nlohmann_json"}
# Link keywords that are not targets.
KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE"}

root = pathlib.Path(sys.argv[1])
links = {}
for cmake in (root / "services").rglob("CMakeLists.txt"):
    text = re.sub(r"#.*", "", cmake.read_text())
    for target, body in re.findall(r"target_link_libraries\(\s*(\S+)\s+([^)]*)\)", text):
        links.setdefault(target, set()).update(w for w in body.split() if w not in KEYWORDS)

failures = []
for core in sorted(CORES):
    if core not in links and core != "synchub_connector_core":
        failures.append(f"{core}: no target_link_libraries found (renamed?)")
    seen, stack = set(), [core]
    while stack:
        target = stack.pop()
        for dep in links.get(target, ()):
            if dep not in ALLOWED:
                failures.append(f"{core} links {dep} (through {target}): a pure core does no I/O")
            elif dep not in seen:
                seen.add(dep)
                stack.append(dep)
for failure in failures:
    print(failure)
print("1 passed, 0 failed" if not failures else f"0 passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
