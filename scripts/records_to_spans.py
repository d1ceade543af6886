#!/usr/bin/env python3
"""Turn nedra's JSONL records into the span format of ../shared/eval/score.py.

    nedra extract GOLD.jsonl | scripts/records_to_spans.py GOLD.jsonl > spans.jsonl

money amounts -> MONEY, other amounts -> QUANTITY, percentages -> PERCENT; byte offsets
become code point offsets into the gold document's text.
"""
import json, sys
from collections import defaultdict

texts = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        d = json.loads(line)
        texts[d["id"]] = d["text"].encode("utf-8")
spans = defaultdict(list)
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] not in ("amount", "percentage") or r["doc"] not in texts:
        continue
    label = "PERCENT" if r["type"] == "percentage" else ("MONEY" if r.get("kind") == "money" else "QUANTITY")
    b = texts[r["doc"]]
    spans[r["doc"]].append({"start": len(b[: r["start"]].decode("utf-8")), "end": len(b[: r["end"]].decode("utf-8")), "label": label})
for doc in texts:
    print(json.dumps({"id": doc, "spans": spans.get(doc, [])}, ensure_ascii=False))
