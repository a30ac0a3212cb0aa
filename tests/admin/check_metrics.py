#!/usr/bin/python3
"""Checks Prometheus text on stdin with the official Python client's parser, then lints what
that parser accepts but Prometheus conventions forbid. Exit 0: fine; 1: a problem (printed);
77: the parser is not installed (Debian: python3-prometheus-client)."""
import math
import re
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("python3-prometheus-client is not installed", file=sys.stderr)
    sys.exit(77)

BASE_UNITS = ("_seconds", "_bytes")
FORBIDDEN_UNITS = ("_milliseconds", "_ms", "_kilobytes", "_megabytes", "_mib", "_minutes")


def lint(text):
    problems = []
    typed = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    for family in text_string_to_metric_families(text):
        name = family.name
        full = name + "_total" if family.type == "counter" else name
        if not name.startswith("vq_"):
            problems.append(f"{name}: not under the vq_ prefix")
        if any(unit in full for unit in FORBIDDEN_UNITS):
            problems.append(f"{full}: not in base units")
        if family.type == "counter" and full not in typed:
            problems.append(f"{full}: a counter's TYPE line must name it with _total")
        if family.type == "histogram":
            problems += lint_histogram(family)
            if not name.endswith(BASE_UNITS):
                problems.append(f"{name}: a histogram names its unit (_seconds, _bytes)")
        for sample in family.samples:
            if sample.value < 0 or math.isnan(sample.value):
                problems.append(f"{sample.name}: value {sample.value}")
    return problems


def lint_histogram(family):
    problems = []
    buckets = [(float(s.labels["le"]), s.value) for s in family.samples if s.name.endswith("_bucket")]
    count = [s.value for s in family.samples if s.name.endswith("_count")]
    if not buckets or buckets[-1][0] != math.inf:
        problems.append(f"{family.name}: no +Inf bucket")
    if [b for b, _ in buckets] != sorted(b for b, _ in buckets):
        problems.append(f"{family.name}: buckets out of order")
    if any(later < earlier for (_, earlier), (_, later) in zip(buckets, buckets[1:])):
        problems.append(f"{family.name}: buckets not cumulative")
    if count and buckets and count[0] != buckets[-1][1]:
        problems.append(f"{family.name}: _count differs from the +Inf bucket")
    return problems


def main():
    text = sys.stdin.read()
    try:
        problems = lint(text)
    except Exception as error:  # the parser's own complaint
        problems = [f"parse error: {error}"]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
