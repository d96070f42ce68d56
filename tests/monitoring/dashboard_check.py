#!/usr/bin/env python3
"""Checks deploy/grafana and deploy/prometheus/alerts.yml against the metrics synchub exports.

  dashboard_check.py ROOT                      metric names declared in services/ (the C++ sources)
  dashboard_check.py ROOT --live FILE...       metric names in /metrics answers (text format)

Structure: the dashboard has panels with unique ids, gridPos inside 24 columns and not
overlapping, every panel and target naming the provisioned data source's uid, every target a
PromQL expression with a unique refId. Alert rules: each has for:, a severity, a summary and a
description pointing at docs/operations.md, and alerts_test.yml has a case where it fires and
one where it stays quiet. Names: every metric a query or rule names is
exported (histograms count with _bucket, _sum, _count). Exits 1 listing what is wrong.
"""
import json
import pathlib
import re
import sys

import yaml

KEYWORDS = {"by", "without", "and", "or", "unless", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan"}
SYNTHETIC = {"up"}  # written by Prometheus for each target, not by a service


def metric_names(expr):
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    text = re.sub(r"\{[^}]*\}", "", text)                    # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                   # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        rest = text[match.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue  # a function or an operator
        if re.match(r"^\d", word):
            continue
        names.add(word)
    return names


def declared_names(root):
    """Metric names the C++ sources register with prometheus-cpp, with histogram suffixes."""
    names = set()
    pattern = re.compile(r"Build(Counter|Gauge|Histogram|Summary)\(\)\s*\.Name\(\s*\"([a-z0-9_]+)\"")
    for path in (root / "services").rglob("*.cpp"):
        for kind, name in pattern.findall(path.read_text()):
            names.add(name)
            if kind in ("Histogram", "Summary"):
                names.update({name + "_sum", name + "_count"})
            if kind == "Histogram":
                names.add(name + "_bucket")
    return names


def live_names(files):
    """Names in /metrics answers: samples, and families declared by a # TYPE line (a labelled
    family with no sample yet, such as dead letters by reason before the first one)."""
    names = set()
    for path in files:
        for line in pathlib.Path(path).read_text().splitlines():
            declared = re.match(r"# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)", line)
            if declared:
                name, kind = declared.groups()
                names.add(name)
                if kind in ("histogram", "summary"):
                    names.update({name + "_sum", name + "_count"})
                if kind == "histogram":
                    names.add(name + "_bucket")
            elif line.strip() and not line.startswith("#"):
                names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return names


def check_dashboard(dashboard, datasource_uid, errors):
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in dashboard:
            errors.append(f"dashboard: no {key}")
    exprs = []
    ids = set()
    boxes = []
    panels = dashboard.get("panels", [])
    if len(panels) < 10:
        errors.append(f"dashboard: only {len(panels)} panels")
    for panel in panels:
        name = f"panel {panel.get('id')} ({panel.get('title')})"
        if not isinstance(panel.get("id"), int) or panel["id"] in ids:
            errors.append(f"{name}: id missing or not unique")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
            errors.append(f"{name}: gridPos needs integer h, w, x, y")
            continue
        if grid["w"] <= 0 or grid["h"] <= 0 or grid["x"] < 0 or grid["x"] + grid["w"] > 24:
            errors.append(f"{name}: gridPos {grid} outside the 24 columns")
        for other_name, other in boxes:
            if (grid["x"] < other["x"] + other["w"] and other["x"] < grid["x"] + grid["w"] and
                    grid["y"] < other["y"] + other["h"] and other["y"] < grid["y"] + grid["h"]):
                errors.append(f"{name}: overlaps {other_name}")
        boxes.append((name, grid))
        if panel.get("type") == "row":
            continue
        if not panel.get("title"):
            errors.append(f"{name}: no title")
        if panel.get("datasource", {}).get("uid") != datasource_uid:
            errors.append(f"{name}: datasource uid is not {datasource_uid}")
        targets = panel.get("targets", [])
        if not targets:
            errors.append(f"{name}: no targets")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids) or None in ref_ids:
            errors.append(f"{name}: refIds missing or repeated")
        for target in targets:
            if target.get("datasource", {}).get("uid") != datasource_uid:
                errors.append(f"{name} {target.get('refId')}: datasource uid is not {datasource_uid}")
            if not target.get("expr", "").strip():
                errors.append(f"{name} {target.get('refId')}: no expr")
            exprs.append((name, target.get("expr", "")))
    return exprs


def check_alerts(rules, errors):
    exprs = []
    alerts = [r for g in rules.get("groups", []) for r in g.get("rules", []) if "alert" in r]
    if not alerts:
        errors.append("alerts.yml: no alert rules")
    for rule in alerts:
        name = f"alert {rule['alert']}"
        if "for" not in rule:
            errors.append(f"{name}: no for:")
        if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            errors.append(f"{name}: severity must be critical, warning or info")
        annotations = rule.get("annotations", {})
        if not annotations.get("summary"):
            errors.append(f"{name}: no summary")
        if "docs/operations.md" not in annotations.get("description", ""):
            errors.append(f"{name}: the description does not point at docs/operations.md")
        exprs.append((name, rule.get("expr", "")))
    return exprs


def check_alert_tests(rules, tests, errors):
    """Every alert has a promtool unit test where it fires and one where it stays quiet."""
    fired, quiet = set(), set()
    for test in tests.get("tests", []):
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else quiet).add(case.get("alertname"))
    for rule in (r for g in rules.get("groups", []) for r in g.get("rules", []) if "alert" in r):
        if rule["alert"] not in fired:
            errors.append(f"alerts_test.yml: no case where {rule['alert']} fires")
        if rule["alert"] not in quiet:
            errors.append(f"alerts_test.yml: no case where {rule['alert']} stays quiet")


def main(argv):
    root = pathlib.Path(argv[1])
    live = argv[2:] and argv[2] == "--live"
    exported = live_names(argv[3:]) if live else declared_names(root)
    errors = []
    if not exported:
        errors.append("no exported metric names found")
    sources = yaml.safe_load((root / "deploy/grafana/provisioning/datasources/prometheus.yaml").read_text())
    uids = [d.get("uid") for d in sources.get("datasources", [])]
    if len(uids) != 1 or not uids[0]:
        errors.append("provisioning/datasources: exactly one data source with a uid expected")
    dashboard = json.loads((root / "deploy/grafana/dashboards/synchub.json").read_text())
    exprs = check_dashboard(dashboard, uids[0] if uids else None, errors)
    rules = yaml.safe_load((root / "deploy/prometheus/alerts.yml").read_text())
    exprs += check_alerts(rules, errors)
    check_alert_tests(rules, yaml.safe_load((root / "deploy/prometheus/alerts_test.yml").read_text()),
                      errors)
    used = set()
    for where, expr in exprs:
        names = metric_names(expr)
        if not names:
            errors.append(f"{where}: names no metric: {expr}")
        for metric in sorted(names - exported - SYNTHETIC):
            errors.append(f"{where}: {metric} is not exported ({'live /metrics' if live else 'services/'})")
        used |= names
    for error in errors:
        print("FAILED ", error)
    print(f"{len(exprs)} queries and rules, {len(used)} metric names, "
          f"{len(exported)} exported names ({'live' if live else 'declared'}): "
          f"{'ok' if not errors else str(len(errors)) + ' problem(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
