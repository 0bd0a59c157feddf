"""Parses a Prometheus text exposition with prometheus_client's own parser.

Usage: parse_exposition.py EXPOSITION_FILE RESULT_FILE
Writes, as JSON, what the parser understood: one object per family with its name, type,
help text and samples (name, labels, value as repr). Any parse error ends the script with a
traceback and a non-zero exit status.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

source, result = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as handle:
    text = handle.read()

families = []
for family in text_string_to_metric_families(text):
    families.append({
        "name": family.name,
        "type": family.type,
        "documentation": family.documentation,
        "samples": [
            {"name": sample.name, "labels": sample.labels, "value": repr(float(sample.value))}
            for sample in family.samples
        ],
    })

with open(result, "w", encoding="utf-8") as handle:
    json.dump(families, handle)
print(f"parsed {len(families)} families")
