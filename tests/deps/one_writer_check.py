#!/usr/bin/env python3
"""One writer (docs/design.md "One writer", issue 13): only the resolver writes canonical state.

Every service but the resolver (services/ingest, outbound, connector, syncload, common) may
read canonical records and the resolution log, never write them: no PgHubTransaction write
(WritePlan, MarkConflictResolved), no PgOperatorWrites, and no SQL that inserts, updates or
deletes canonical_record, resolution_log or conflict_log. Exits 1 naming each offence.
Usage: one_writer_check.py ROOT
"""
import pathlib
import re
import sys

FORBIDDEN = re.compile(
    r"\bWritePlan\s*\(|\bMarkConflictResolved\s*\(|\bPgOperatorWrites\b|"
    r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(canonical_record|resolution_log|conflict_log)\b",
    re.IGNORECASE)

root = pathlib.Path(sys.argv[1])
failures = []
for service in ("ingest", "outbound", "connector", "syncload", "common"):
    for path in sorted((root / "services" / service).rglob("*")):
        if path.suffix not in (".cpp", ".hpp") or path.name.endswith(("_test.cpp", "_pgtest.cpp")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if FORBIDDEN.search(line) and not line.lstrip().startswith("//"):
                failures.append(f"{path.relative_to(root)}:{number}: writes canonical state: "
                                f"{line.strip()}")
for failure in failures:
    print(failure)
print(f"one writer: {len(failures)} offence(s)")
sys.exit(1 if failures else 0)
