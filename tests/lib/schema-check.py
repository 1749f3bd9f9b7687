#!/usr/bin/python3
# Validate YAML files against a JSON Schema (draft-07) with Debian's python3-jsonschema and
# python3-yaml: an implementation independent of ours. Prints "FILE: ok" or
# "FILE: invalid: REASON" per file; exits 0 when every file is valid, 1 otherwise.
#   tests/lib/schema-check.py SCHEMA FILE...
import json
import sys

import jsonschema
import yaml


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        try:
            with open(path) as f:
                doc = yaml.safe_load(f)
            error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
            if error is None:
                print(f"{path}: ok")
                continue
            where = "/".join(str(p) for p in error.absolute_path)
            reason = f"{where or '(root)'}: {error.message}"
        except yaml.YAMLError as e:
            reason = f"YAML: {e}".replace("\n", " ")
        print(f"{path}: invalid: {reason[:300]}")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
