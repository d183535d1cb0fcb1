#!/usr/bin/python3
"""Validates topology configs against configs/topology.schema.json.

Usage: check_schema.py SCHEMA --valid FILE... [--invalid FILE...]
Every --valid file must pass and every --invalid file must fail; exit 1 otherwise.
"""
import json
import sys

import jsonschema


def main(argv):
    schema = json.load(open(argv[1]))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    mode, failures, checked = None, 0, 0
    for arg in argv[2:]:
        if arg in ("--valid", "--invalid"):
            mode = arg
            continue
        errors = list(validator.iter_errors(json.load(open(arg))))
        checked += 1
        if mode == "--valid" and errors:
            failures += 1
            for e in errors:
                print(f"{arg}: /{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
        if mode == "--invalid" and not errors:
            failures += 1
            print(f"{arg}: expected schema errors, found none", file=sys.stderr)
    print(f"{checked} file(s) checked, {failures} unexpected result(s)")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
