"""Parses OpenMetrics text from stdin as Prometheus' own client library does; prints the
samples as JSON: [{"name", "labels", "value"}]."""

import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

samples = [
    {"name": s.name, "labels": s.labels, "value": s.value}
    for family in text_string_to_metric_families(sys.stdin.read())
    for s in family.samples
]
print(json.dumps(samples))
