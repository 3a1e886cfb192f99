#!/usr/bin/python3
"""Summarises compare-backends' raw CSVs: medians over the repeats, each
performance goal with its target and the measured value, summary.md, and
gnuplot scripts + data.

usage: summarize.py OUTDIR
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

out = sys.argv[1]
NAN = float("nan")


def read(name, fields=None):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, fieldnames=fields))


def med(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else NAN


def collect(rows, key_fields, value_fields):
    acc = defaultdict(lambda: defaultdict(list))
    order = []
    for row in rows:
        key = tuple(row[k] for k in key_fields)
        if key not in acc:
            order.append(key)
        for v in value_fields:
            acc[key][v].append(float(row[v]))
    return order, {k: {v: med(acc[k][v]) for v in value_fields} for k in acc}


T_FIELDS = ["flops", "libmlp_ms", "roofline_ms", "naive_ms", "fann_ms"]
t_order, targets = collect(read("raw-targets.csv"),
                           ["backend", "threads", "shape", "batch"], T_FIELDS)
p_order, peer_rows = collect(read("raw-peers.csv"),
                             ["peer", "config", "threads", "shape", "batch"],
                             ["ms"])
peers = {}
for (peer, config, threads, shape, batch), v in peer_rows.items():
    if config == "sgd":
        peers.setdefault((threads, shape, batch),
                         {"torch_ms": NAN, "numpy_ms": NAN})[peer + "_ms"] = v["ms"]
torch_digits = {(k[3], k[4]): v["ms"] for k, v in peer_rows.items()
                if k[0] == "torch" and k[1] == "digits" and k[2] == "1"}
d_order, digits = collect(read("raw-digits.csv"),
                          ["backend", "threads", "shape", "batch"], T_FIELDS)
g_order, dgemm = collect(read("raw-dgemm.csv", ["label", "n", "gflops"]),
                         ["label", "n"], ["gflops"])
peak_rows = read("raw-peak.csv", ["width", "gflops"])
peak_by_width = {}
for row in peak_rows:
    peak_by_width[row["width"]] = max(peak_by_width.get(row["width"], 0.0),
                                      float(row["gflops"]))
PEAK = max(peak_by_width.values()) if peak_by_width else NAN
s_order, sweeps = collect(read("raw-sweeps.csv"),
                          ["backend", "threads", "shape", "batch"], T_FIELDS)

cases = []
for key in t_order:
    if (key[2], key[3]) not in cases:
        cases.append((key[2], key[3]))
configs = []
for key in t_order:
    if (key[0], key[1]) not in configs:
        configs.append((key[0], key[1]))


def f(x, digits=3):
    if x != x:
        return "-"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 1:
        return "%.*g" % (digits + 1, x)
    return "%.*g" % (digits, x)


def r(a, b):
    return a / b if a == a and b == b and b != 0 else NAN


def target_line(name, value, limit, higher_is_better=False):
    """One target: what it asks and what was measured, no verdict words."""
    if value != value:
        return "- %s: target %s %g; not measured" % (
            name, ">=" if higher_is_better else "<=", limit)
    return "- %s: target %s %g; measured %.3g" % (
        name, ">=" if higher_is_better else "<=", limit, value)


checks = []
lines = []
machine = os.path.join(out, "machine.txt")
if os.path.exists(machine):
    lines += ["```", open(machine).read().rstrip(), "```", ""]

ob = "openblas-pthread"
lines += [
    "## libmlp against the roofline and the peers (OpenBLAS), ms per step",
    "",
    "Medians of the repeats (each itself a median over samples). roof = the "
    "bare BLAS calls of the step; naive and FANN use no BLAS (FANN: B "
    "per-sample `fann_train` calls).",
    "",
    "| shape | B | roof 1t | libmlp 1t | /roof | roof 2t | libmlp 2t | /roof "
    "| 2t/1t | roof 2t/1t | torch 1t | torch 2t | torch/mlp 1t | torch/mlp 2t "
    "| numpy 1t | numpy/mlp | FANN | FANN/mlp | naive | naive/mlp |",
    "|" + "---|" * 20,
]
for shape, batch in cases:
    one = targets.get((ob, "1", shape, batch))
    two = targets.get((ob, "2", shape, batch))
    if not one:
        continue
    two = two or {k: NAN for k in T_FIELDS}
    p1 = peers.get(("1", shape, batch), {"torch_ms": NAN, "numpy_ms": NAN})
    p2 = peers.get(("2", shape, batch), {"torch_ms": NAN, "numpy_ms": NAN})
    m1, m2 = one["libmlp_ms"], two["libmlp_ms"]
    row = [shape, batch, f(one["roofline_ms"]), f(m1),
           f(r(m1, one["roofline_ms"])), f(two["roofline_ms"]), f(m2),
           f(r(m2, two["roofline_ms"])), f(r(m2, m1)),
           f(r(two["roofline_ms"], one["roofline_ms"])), f(p1["torch_ms"]),
           f(p2["torch_ms"]), f(r(p1["torch_ms"], m1)),
           f(r(p2["torch_ms"], m2)), f(p1["numpy_ms"]),
           f(r(p1["numpy_ms"], m1)), f(one["fann_ms"]),
           f(r(one["fann_ms"], m1)), f(one["naive_ms"]),
           f(r(one["naive_ms"], m1))]
    lines.append("| " + " | ".join(row) + " |")

    def check(name, value, limit, higher_is_better=False):
        checks.append(target_line(name, value, limit, higher_is_better))

    tag = "%s B=%s" % (shape, batch)
    if shape in ("1024-1024-1024", "2048-2048-2048"):
        check(tag + " libmlp/roof 1t", r(m1, one["roofline_ms"]), 1.05)
        check(tag + " libmlp/roof 2t", r(m2, two["roofline_ms"]), 1.05)
        check(tag + " GFLOP/s 2t (the roofline itself: %.3g)"
              % (one["flops"] / (two["roofline_ms"] * 1e6)),
              one["flops"] / (m2 * 1e6), 60, True)
    if shape in ("784-128-10", "784-512-512-10"):
        check(tag + " libmlp/roof 1t", r(m1, one["roofline_ms"]), 1.20)
        check(tag + " libmlp/roof 2t", r(m2, two["roofline_ms"]), 1.20)
        check(tag + " torch/libmlp 1t (torch/roofline: %.3g)"
              % r(p1["torch_ms"], one["roofline_ms"]),
              r(p1["torch_ms"], m1), 2.0, True)
        check(tag + " torch/libmlp 2t (torch/roofline: %.3g)"
              % r(p2["torch_ms"], two["roofline_ms"]),
              r(p2["torch_ms"], m2), 2.0, True)
    if shape == "64-32-10" and batch == "1":
        check(tag + " libmlp/roof 1t", r(m1, one["roofline_ms"]), 1.5)
        check(tag + " libmlp/roof 2t", r(m2, two["roofline_ms"]), 1.5)
        check(tag + " FANN/libmlp", r(one["fann_ms"], m1), 3.0, True)
        check(tag + " torch/libmlp 1t", r(p1["torch_ms"], m1), 50.0, True)
    if shape == "64-32-10" and batch == "64":
        check(tag + " libmlp/roof 1t", r(m1, one["roofline_ms"]), 1.2)
    check(tag + " libmlp 2t/1t (bare GEMMs: %.3g)"
          % r(two["roofline_ms"], one["roofline_ms"]), r(m2, m1), 1.0)
    if shape == "1024-1024-1024":
        check(tag + " naive/libmlp 1t", r(one["naive_ms"], m1), 15.0, True)

lines += ["", "## libmlp GFLOP/s per backend and thread count "
          "(libmlp/roofline, and fraction of the FMA peak %s GFLOP/s, in "
          "brackets)" % f(PEAK), ""]
lines.append("| shape | B | " + " | ".join("%s %st" % c for c in configs) + " |")
lines.append("|---|---|" + "---|" * len(configs))
for shape, batch in cases:
    cells = []
    for backend, threads in configs:
        t = targets.get((backend, threads, shape, batch))
        if not t:
            cells.append("-")
            continue
        rate = t["flops"] / (t["libmlp_ms"] * 1e6)
        cells.append("%s (%s; %s)" % (f(rate), f(r(t["libmlp_ms"], t["roofline_ms"])),
                                      f(r(rate, PEAK))))
    lines.append("| %s | %s | %s |" % (shape, batch, " | ".join(cells)))

mem = os.path.join(out, "memory.txt")
if os.path.exists(mem):
    text = open(mem).read().strip()
    lines += ["", "## Memory", "", "    " + text]
    try:
        ratio = float(text.rsplit("ratio", 1)[1])
        checks.append(target_line("memory 1024-1024-1024 B=256: peak RSS "
                                  "growth / minimum live data", ratio, 1.10))
    except (IndexError, ValueError):
        pass


def extra_sections():
    """The core's peak, each configuration's kernels and square dgemm, the
    digits configuration, and the big step against dgemm and the peak."""
    sec = ["", "## The core's limit and each configuration's kernels", ""]
    sec.append("FMA peak of one core (register-only loop, GFLOP/s float64): "
               + ", ".join("%s %s" % (w, f(g)) for w, g in
                           sorted(peak_by_width.items())))
    kern = os.path.join(out, "kernels.txt")
    if os.path.exists(kern):
        sec += ["", "```", open(kern).read().rstrip(), "```"]
    if dgemm:
        sec += ["", "| configuration | square dgemm n | GFLOP/s, 1 thread "
                "| fraction of the FMA peak | libmlp 1024-1024-1024 B=256, "
                "GFLOP/s | / dgemm | / FMA peak |", "|---|---|---|---|---|---|---|"]
        for label, n in g_order:
            g = dgemm[(label, n)]["gflops"]
            t = targets.get((label, "1", "1024-1024-1024", "256"))
            rate = t["flops"] / (t["libmlp_ms"] * 1e6) if t else NAN
            sec.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                label, n, f(g), f(r(g, PEAK)), f(rate), f(r(rate, g)),
                f(r(rate, PEAK))))
            if t:
                checks.append(target_line(
                    "%s 1024-1024-1024 B=256 1t GFLOP/s / its square dgemm"
                    % label, r(rate, g), 0.90, True))
                checks.append(target_line(
                    "%s 1024-1024-1024 B=256 1t GFLOP/s / FMA peak" % label,
                    r(rate, PEAK), 0.50, True))
    if digits:
        sec += ["", "## The digits configuration (64-128-10, B=32, ReLU/softmax, "
                "cross-entropy, Adam + weight decay), one thread, ms per step",
                "", "| configuration | roof | libmlp | /roof | naive | "
                "naive/libmlp | torch f64 | torch/libmlp |",
                "|---|---|---|---|---|---|---|---|"]
        naive = NAN
        for key in d_order:
            if key[2] == "64-128-10" and digits[key]["naive_ms"] == digits[key]["naive_ms"]:
                naive = digits[key]["naive_ms"]
        for key in d_order:
            label, threads, shape, batch = key
            d = digits[key]
            tm = torch_digits.get((shape, batch), NAN)
            sec.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, f(d["roofline_ms"]), f(d["libmlp_ms"]),
                f(r(d["libmlp_ms"], d["roofline_ms"])), f(naive),
                f(r(naive, d["libmlp_ms"])), f(tm), f(r(tm, d["libmlp_ms"]))))
            tag = "digits %s B=%s %s" % (shape, batch, label)
            checks.append(target_line(tag + " libmlp/roof", r(d["libmlp_ms"],
                                      d["roofline_ms"]), 1.3))
            checks.append(target_line(tag + " torch f64/libmlp (per step; an "
                                      "epoch is 45 such steps)",
                                      r(tm, d["libmlp_ms"]), 4.0, True))
            checks.append(target_line(tag + " naive/libmlp",
                                      r(naive, d["libmlp_ms"]), 6.0, True))
    return sec


lines += extra_sections()
lines += ["", "## Performance goals: target and measured value", ""] + checks

# Plots. backends.png: libmlp GFLOP/s, one cluster per shape, one bar per
# backend and thread count.
with open(os.path.join(out, "backends.dat"), "w") as d:
    d.write("case " + " ".join('"%s %st"' % c for c in configs) + "\n")
    for shape, batch in cases:
        vals = []
        for c in configs:
            t = targets.get((c[0], c[1], shape, batch))
            vals.append("%.4g" % (t["flops"] / (t["libmlp_ms"] * 1e6)) if t else "NaN")
        d.write('"%s B=%s" %s\n' % (shape, batch, " ".join(vals)))
with open(os.path.join(out, "backends.gp"), "w") as g:
    g.write("""set terminal pngcairo size 1200,600 noenhanced
set output 'backends.png'
set title 'libmlp training step, float64: GFLOP/s (6*B*sum n_in*n_out / time) per backend and thread count'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'GFLOP/s'
set logscale y
set yrange [0.01:*]
set xtics rotate by -20
set key outside right top
plot for [i=2:%d] 'backends.dat' using i:xtic(1) title columnheader(i)
""" % (len(configs) + 1))

for sweep, xlabel, pick in (("width", "width n (n-n-n, B=256)",
                             lambda s, b: int(s.split("-")[0])),
                            ("batch", "batch B (784-512-512-10)",
                             lambda s, b: int(b))):
    rows = []
    for key in s_order:
        backend, threads, shape, batch = key
        is_width = batch == "256" and len(set(shape.split("-"))) == 1
        is_batch = shape == "784-512-512-10"
        if (sweep == "width") != is_width or (sweep == "batch" and not is_batch):
            continue
        t = sweeps[key]
        rows.append((threads, pick(shape, batch), t["flops"] / (t["libmlp_ms"] * 1e6),
                     t["flops"] / (t["roofline_ms"] * 1e6)))
    if not rows:
        continue
    with open(os.path.join(out, sweep + ".dat"), "w") as d:
        for threads in ("1", "2"):
            d.write("# threads %s: x libmlp_gflops roofline_gflops\n" % threads)
            for row in sorted(x for x in rows if x[0] == threads):
                d.write("%d %.4g %.4g\n" % row[1:])
            d.write("\n\n")
    with open(os.path.join(out, sweep + ".gp"), "w") as g:
        g.write("""set terminal pngcairo size 900,550 noenhanced
set output '%s.png'
set title 'libmlp vs the GEMM roofline on OpenBLAS, float64'
set xlabel '%s'
set ylabel 'GFLOP/s'
set logscale x 2
set key bottom right
set grid
plot 'NAME.dat' index 0 using 1:2 with linespoints title 'libmlp 1 thread', \\
     'NAME.dat' index 0 using 1:3 with lines dashtype 2 title 'roofline 1 thread', \\
     'NAME.dat' index 1 using 1:2 with linespoints title 'libmlp 2 threads', \\
     'NAME.dat' index 1 using 1:3 with lines dashtype 2 title 'roofline 2 threads'
""".replace("NAME", sweep) % (sweep, xlabel))

with open(os.path.join(out, "summary.md"), "w") as s:
    s.write("\n".join(lines) + "\n")
print("\n".join(lines))
