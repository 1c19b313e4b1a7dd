"""pyyaml-written documents and what pyyaml reads back, for the YAML reader's differential test
(tests/models/test_yaml.cpp, Yaml.MatchesPyyamlOnItsOwnOutput).

    /usr/bin/python3 tests/parity/make_yaml_cases.py      # writes tests/data/yaml/pyyaml_cases.jsonl

Random nested configs (maps, lists, ints, floats, booleans, null, strings with quotes, colons,
hashes, escapes, indicators, long and multi-line text) dumped with yaml.dump at two line widths
(the default 80 and 20, which folds every long scalar), one JSON line per document:
{"yaml": text, "value": what yaml.safe_load gives, infinities as the strings "inf"/"-inf"}.
Seeded: reproducible bit for bit for a given pyyaml (6.0 here).
"""
import json
import math
import os
import random

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "yaml", "pyyaml_cases.jsonl")
WORDS = ["a", "b-c", "x y", "it's", 'say "hi"', "tab\there", "#hash", "a #b", "k: v", "- dash", "007bbfb7", "1e5",
         "1.5e5", "0x10", "yes", "null", "~", "", " lead", "trail ", "\u00e9 \u00fc", "multi\nline", "back\\slash",
         "@at", "%pc", "[x]", "{y}", "*star", "&amp", "!bang", "|pipe", ">gt", "a: ", "long " * 30, "x - y " * 20,
         "1.5", ".inf", "12:30", "True", "on", "a\x01b", "ctrl\x7f", "\t"]


def value(rng, depth):
    r = rng.random()
    if depth > 3 or r < 0.5:
        c = rng.random()
        if c < 0.15:
            return rng.randint(-10**12, 10**12)
        if c < 0.3:
            return rng.choice([0.1, 1e-5, 2.5e-3, 1e20, -0.0, 3.0, float("inf"), -float("inf"), 1 / 3, 4.0])
        if c < 0.35:
            return rng.choice([True, False, None])
        if rng.random() < 0.7:
            return rng.choice(WORDS)
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
    if r < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["H_cycles", "arch", "name", "x y", "k-1", "q'k", "data_path"]
    return {rng.choice(keys) + str(i): value(rng, depth + 1) for i in range(rng.randint(0, 5))}


def plain(v):
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v


def main() -> None:
    rng = random.Random(23)
    with open(OUT, "w") as f:
        for _ in range(100):
            doc = {"arch": value(rng, 0), "other": value(rng, 0), "z": value(rng, 1)}
            for width in (80, 20):
                text = yaml.dump(doc, width=width, allow_unicode=rng.random() < 0.5)
                f.write(json.dumps({"yaml": text, "value": plain(yaml.safe_load(text))}) + "\n")


if __name__ == "__main__":
    main()
