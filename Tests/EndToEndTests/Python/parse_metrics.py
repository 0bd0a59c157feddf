"""Parses a /metrics body from stdin with the Prometheus client's own parser and prints
one line per family: `name type samples`. Exit 1 when the text does not parse."""
import sys
from prometheus_client.parser import text_string_to_metric_families

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        print(family.name, family.type, len(family.samples))
except Exception as error:  # the parser raises ValueError and friends
    print("unparseable:", error)
    sys.exit(1)
