#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Validates outbox record files (or bare JSON files) against docs/record-schema.json.

Uses the jsonschema package when it is installed, and always a small built-in validator that
covers the keywords the schema uses, so the check runs on a bare Debian python3 too.
  check_schema.py SCHEMA FILE...     exit 0 if all valid; prints each problem otherwise
"""
import json
import re
import sys


def load_record(path):
    with open(path) as f:
        text = f.read()
    if text.startswith("AIFR1 "):  # outbox frame: header line, JSON, newline
        text = text.split("\n", 1)[1]
    return json.loads(text)


def check(schema, node, value, where, errors, root):
    if "$ref" in node:
        node = root["$defs"][node["$ref"].split("/")[-1]]
    types = {"object": dict, "string": str, "array": list}
    t = node.get("type")
    if t == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        errors.append("%s: not an integer" % where)
        return
    if t == "number" and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        errors.append("%s: not a number" % where)
        return
    if t in types and not isinstance(value, types[t]):
        errors.append("%s: not a %s" % (where, t))
        return
    if "const" in node and value != node["const"]:
        errors.append("%s: must be %r" % (where, node["const"]))
    if "enum" in node and value not in node["enum"]:
        errors.append("%s: %r not in %r" % (where, value, node["enum"]))
    if "pattern" in node and not re.search(node["pattern"], value):
        errors.append("%s: %r does not match %s" % (where, value, node["pattern"]))
    if "minLength" in node and len(value) < node["minLength"]:
        errors.append("%s: too short" % where)
    if "minimum" in node and value < node["minimum"]:
        errors.append("%s: %r below %r" % (where, value, node["minimum"]))
    if isinstance(value, dict):
        for k in node.get("required", []):
            if k not in value:
                errors.append("%s: missing %s" % (where, k))
        props = node.get("properties", {})
        for k, v in value.items():
            if k in props:
                check(schema, props[k], v, where + "." + k, errors, root)
            elif node.get("additionalProperties") is False:
                errors.append("%s: unexpected key %s" % (where, k))
    for sub in node.get("allOf", []):
        probe = []
        check(schema, sub["if"], value, where, probe, root)
        if not probe:
            check(schema, sub["then"], value, where, errors, root)


def main():
    schema = json.load(open(sys.argv[1]))
    try:
        import jsonschema
        validator = jsonschema.Draft202012Validator(schema)
    except ImportError:
        validator = None
    bad = 0
    for path in sys.argv[2:]:
        rec = load_record(path)
        errors = []
        check(schema, schema, rec, "record", errors, schema)
        if validator:
            errors += ["jsonschema: " + e.message for e in validator.iter_errors(rec)]
        for e in errors:
            print("%s: %s" % (path, e))
        bad += bool(errors)
    print("%d record(s) checked against %s, %d invalid%s" % (len(sys.argv) - 2, sys.argv[1], bad,
                                                             "" if validator else " (built-in checks only)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
