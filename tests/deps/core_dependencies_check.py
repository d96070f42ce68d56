#!/usr/bin/env python3
"""The shape rule (STYLE.md, docs/design.md): the pure cores link nothing that does I/O.

A pure core is every library built from a services/**/core/ folder (services/common/core,
resolver/core, connector/core, outbound/core, ingest/core). For each it checks
  - what it links, directly and through the project's own libraries it links: only other
    cores and pure libraries (nlohmann-json, libsodium for hashes);
  - what its files include: no libpqxx, libzmq/cppzmq, spdlog, cpp-httplib, prometheus, and
    none of the project's adapter folders (common/pg, common/zmq, common/runtime, */pg/,
    */app/).
Exits 1 naming each offence. Usage: core_dependencies_check.py ROOT
"""
import pathlib
import re
import sys

# libsodium: pure computation (hashes); no I/O is used from it.
ALLOWED_EXTERNAL = {"nlohmann_json::nlohmann_json", "PkgConfig::SODIUM"}
KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE"}
FORBIDDEN_INCLUDES = re.compile(
    r'#include\s*[<"]('
    r"pqxx|zmq|zmq_addon|spdlog/|httplib|prometheus/|"
    r"common/pg/|common/zmq/|common/runtime/|[a-z]+/pg/|[a-z]+/app/"
    r")")

root = pathlib.Path(sys.argv[1])
services = root / "services"
links, sources_of = {}, {}
for cmake in services.rglob("CMakeLists.txt"):
    text = re.sub(r"#.*", "", cmake.read_text())
    for target, body in re.findall(r"target_link_libraries\(\s*(\S+)\s+([^)]*)\)", text):
        links.setdefault(target, set()).update(w for w in body.split() if w not in KEYWORDS)
    for target, body in re.findall(r"add_library\(\s*(\S+)\s+([^)]*)\)", text):
        sources_of[target] = [cmake.parent / s for s in body.split() if s.endswith(".cpp")]

def is_core(target):
    files = sources_of.get(target, [])
    return bool(files) and all("core" in f.relative_to(services).parts for f in files)

cores = {t for t in sources_of if is_core(t)}
failures = []
for expected in ("synchub_core", "synchub_ladder", "synchub_connector_core",
                 "synchub_outbound_core", "synchub_ingest_api"):
    if expected not in cores:
        failures.append(f"{expected}: not found as a core library (renamed or moved?)")
for core in sorted(cores):
    seen, stack = set(), [core]
    while stack:
        target = stack.pop()
        for dep in links.get(target, ()):
            if dep in cores or dep in ALLOWED_EXTERNAL:
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
            else:
                failures.append(f"{core} links {dep} (through {target}): a pure core does no I/O")
    for source in sources_of[core]:
        for path in [source, source.with_suffix(".hpp")]:
            if not path.exists():
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if FORBIDDEN_INCLUDES.search(line):
                    failures.append(f"{path.relative_to(root)}:{number}: {line.strip()} "
                                    f"(in core {core})")
# Every header in a core folder, also those without a .cpp.
for header in services.rglob("core/*.hpp"):
    for number, line in enumerate(header.read_text().splitlines(), 1):
        if FORBIDDEN_INCLUDES.search(line):
            failures.append(f"{header.relative_to(root)}:{number}: {line.strip()}")
for failure in sorted(set(failures)):
    print(failure)
print(f"{len(cores)} cores checked: {', '.join(sorted(cores))}")
print("1 passed, 0 failed" if not failures else f"0 passed, {len(set(failures))} failed")
sys.exit(1 if failures else 0)
