#!/usr/bin/env python3
"""Add the `cfg` (W/A/ws/as) and `v` columns to an LLM sweep CSV written
before llm_sweep.c emitted them, with the same rules as row_cfg() there:
int (symmetric) elements only; per-channel/per-tensor -> "-", two-level
sM per-vector -> M; float per-vector scales, fp32 tensors, int-f/uint
elements, a classifier in another format, or differing V -> empty cfg.
    add_cfg.py IN.csv OUT.csv"""
import csv, re, sys


def side(spec):
    m = re.fullmatch(r"int(\d+):(pc|pt|v(\d+)):([^:@]+)(@pt)?(:.*)?", spec)
    if not m:
        return None
    bits, gran, v, scale = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    if gran in ("pc", "pt"):
        return bits, "-", 0
    s = re.fullmatch(r"s(\d+)[rc]?", scale)
    return (bits, s.group(1), int(v)) if s else None


def cfg(row):
    if row["w_cls"] != row["w"]:
        return "", ""
    w, a = side(row["w"]), side(row["a"])
    if not w or not a or (w[2] and a[2] and w[2] != a[2]):
        return "", ""
    v = w[2] or a[2]
    return f"{w[0]}/{a[0]}/{w[1]}/{a[1]}", str(v) if v else ""


rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    keys = [k for k in rows[0] if k not in ("cfg", "v")]
    out.writerow(keys + ["cfg", "v"])
    for r in rows:
        out.writerow([r[k] for k in keys] + list(cfg(r)))
