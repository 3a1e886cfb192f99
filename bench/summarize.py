#!/usr/bin/python3
"""Summarises compare-backends' raw CSVs: medians over the repeats, each
performance goal with its target and the measured value, summary.md, and
gnuplot scripts + data. float64 (mlp-bench, raw-targets.csv) and, when
compare-backends ran its float32 round, float32 (mlp-bench-float,
raw-targets-float.csv, raw-sgemm.csv, the float32 peer rows), each rate
against the FMA peak of its own element type.

Older raw files still read: peer rows without a dtype column and peak rows
without a type column are float64.

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
        for v in value_fields:  # a column older files lack reads as NaN
            acc[key][v].append(float(row.get(v) or "nan"))
    return order, {k: {v: med(acc[k][v]) for v in value_fields} for k in acc}


def with_dtype(rows, field, default="float64"):
    """Rows with `field` set: files from before float32 lack the column."""
    for row in rows:
        row[field] = row.get(field) or default
    return rows


T_FIELDS = ["flops", "libmlp_ms", "roofline_ms", "naive_ms", "fann_ms",
            "floor_ms"]
t_order, targets = collect(read("raw-targets.csv"),
                           ["backend", "threads", "shape", "batch"], T_FIELDS)
p_order, peer_rows = collect(with_dtype(read("raw-peers.csv"), "dtype"),
                             ["peer", "config", "threads", "shape", "batch",
                              "dtype"], ["ms"])


def peer_table(dtype):
    """(threads, shape, batch) -> torch_ms, numpy_ms of one element type."""
    table = {}
    for (peer, config, threads, shape, batch, dt), v in peer_rows.items():
        if config == "sgd" and dt == dtype:
            table.setdefault((threads, shape, batch),
                             {"torch_ms": NAN, "numpy_ms": NAN})[peer + "_ms"] = v["ms"]
    return table


def torch_digits_of(dtype):
    return {(k[3], k[4]): v["ms"] for k, v in peer_rows.items()
            if k[0] == "torch" and k[1] == "digits" and k[2] == "1"
            and k[5] == dtype}


peers = peer_table("float64")
torch_digits = torch_digits_of("float64")
d_order, digits = collect(read("raw-digits.csv"),
                          ["backend", "threads", "shape", "batch"], T_FIELDS)
g_order, dgemm = collect(read("raw-dgemm.csv", ["label", "n", "gflops"]),
                         ["label", "n"], ["gflops"])
peak_rows = with_dtype(read("raw-peak.csv", ["width", "gflops", "dtype"]),
                       "dtype")
peak_by_width = {}  # float64
peak_by_width_f32 = {}
for row in peak_rows:
    into = peak_by_width_f32 if row["dtype"] == "float32" else peak_by_width
    into[row["width"]] = max(into.get(row["width"], 0.0), float(row["gflops"]))
PEAK = max(peak_by_width.values()) if peak_by_width else NAN
PEAK_F32 = max(peak_by_width_f32.values()) if peak_by_width_f32 else NAN
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


def rate_table(configs, cases, rows, peak):
    """libmlp's GFLOP/s per configuration (columns) and case (rows), with
    libmlp/roofline and the fraction of the FMA peak in brackets."""
    table = ["| shape | B | " + " | ".join("%s %st" % c for c in configs) + " |",
             "|---|---|" + "---|" * len(configs)]
    for shape, batch in cases:
        cells = []
        for backend, threads in configs:
            t = rows.get((backend, threads, shape, batch))
            if not t:
                cells.append("-")
                continue
            rate = t["flops"] / (t["libmlp_ms"] * 1e6)
            cells.append("%s (%s; %s)" % (
                f(rate), f(r(t["libmlp_ms"], t["roofline_ms"])),
                f(r(rate, peak))))
        table.append("| %s | %s | %s |" % (shape, batch, " | ".join(cells)))
    return table


def target_line(name, value, limit, higher_is_better=False):
    """One target: what it asks and what was measured, no verdict words."""
    if value != value:
        return "- %s: target %s %g; not measured" % (
            name, ">=" if higher_is_better else "<=", limit)
    return "- %s: target %s %g; measured %.3g" % (
        name, ">=" if higher_is_better else "<=", limit, value)


checks = []
checks_f32 = []
lines = []
machine = os.path.join(out, "machine.txt")
if os.path.exists(machine):
    lines += ["```", open(machine).read().rstrip(), "```", ""]

ob = "openblas-pthread"
lines += [
    "## libmlp against the roofline and the peers (OpenBLAS), float64, ms "
    "per step",
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
        check(tag + " libmlp/roof 1t (the divider's floor/roof: %s)"
              % f(r(one["floor_ms"], one["roofline_ms"])),
              r(m1, one["roofline_ms"]), 1.2)
    check(tag + " libmlp 2t/1t (bare GEMMs: %.3g)"
          % r(two["roofline_ms"], one["roofline_ms"]), r(m2, m1), 1.0)
    if shape == "1024-1024-1024":
        check(tag + " naive/libmlp 1t", r(one["naive_ms"], m1), 15.0, True)

lines += ["", "## libmlp GFLOP/s per backend and thread count "
          "(libmlp/roofline, and fraction of the FMA peak %s GFLOP/s, in "
          "brackets)" % f(PEAK), ""]
lines += rate_table(configs, cases, targets, PEAK)

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
    if peak_by_width_f32:
        sec.append("")
        sec.append("The same loop in float32 (twice the lanes): "
                   + ", ".join("%s %s" % (w, f(g)) for w, g in
                               sorted(peak_by_width_f32.items())))
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
            checks.append(target_line(
                tag + " libmlp/roof (the divider's floor/roof: %s)"
                % f(r(d["floor_ms"], d["roofline_ms"])),
                r(d["libmlp_ms"], d["roofline_ms"]), 1.3))
            checks.append(target_line(tag + " torch f64/libmlp (per step; an "
                                      "epoch is 45 such steps)",
                                      r(tm, d["libmlp_ms"]), 4.0, True))
            checks.append(target_line(tag + " naive/libmlp",
                                      r(naive, d["libmlp_ms"]), 6.0, True))
    return sec


f_order, targets_f = collect(read("raw-targets-float.csv"),
                             ["backend", "threads", "shape", "batch"], T_FIELDS)
fd_order, digits_f = collect(read("raw-digits-float.csv"),
                             ["backend", "threads", "shape", "batch"], T_FIELDS)
sg_order, sgemm = collect(read("raw-sgemm.csv", ["label", "n", "gflops"]),
                          ["label", "n"], ["gflops"])
peers_f32 = peer_table("float32")
torch_digits_f32 = torch_digits_of("float32")
# The float32 peer targets: at least as fast as PyTorch float32 at every
# shape, twice as fast at 784-128-10 B=32 and every smaller step.
SMALL_FLOPS = 6.0 * 32 * (784 * 128 + 128 * 10)


def machine_and_kernels(label):
    """The CPU line of machine.txt and the kernels line of a configuration
    in kernels.txt, as compare-backends wrote them."""
    cpu = kern = "?"
    path = os.path.join(out, "machine.txt")
    if os.path.exists(path):
        for line in open(path):
            if line.startswith("# machine: "):
                cpu = line[len("# machine: "):].strip()
    path = os.path.join(out, "kernels.txt")
    if os.path.exists(path):
        for line in open(path):
            if line.startswith(label + ": "):
                kern = line[len(label) + 2:].strip()
                kern = kern.replace("as configured: ", "", 1)
    return cpu, kern


def float_main_table():
    """The float32 table: libmlp, the sgemm roofline, PyTorch float32 and
    float64 libmlp per shape on OpenBLAS, with the targets checked."""
    cpu, kern = machine_and_kernels(ob)
    sec = ["", "## float32: libmlp (mlpf_) against the sgemm roofline, "
           "PyTorch float32 and float64 libmlp (OpenBLAS), ms per step", "",
           "CPU: %s. BLAS (%s): %s. Medians of the repeats; PyTorch and "
           "NumPy each alone in a process of their own; float rates as a "
           "fraction of the float32 FMA peak (%s GFLOP/s)."
           % (cpu, ob, kern, f(PEAK_F32)), "",
           "| shape | B | libmlp f32 | sgemm roofline | libmlp/roofline "
           "| PyTorch f32 | PyTorch/libmlp | libmlp f64 | f64/f32 |",
           "|" + "---|" * 9]
    more = ["", "The same float32 runs: rates, NumPy float32, two threads.", "",
            "| shape | B | GFLOP/s f32 1t | /f32 peak | numpy f32 1t "
            "| numpy/libmlp | sgemm roof 2t | libmlp f32 2t | /roof 2t "
            "| torch f32 2t | torch/libmlp 2t |", "|" + "---|" * 11]
    cases_f = []
    for key in f_order:
        if (key[2], key[3]) not in cases_f:
            cases_f.append((key[2], key[3]))
    for shape, batch in cases_f:
        t = targets_f.get((ob, "1", shape, batch))
        if not t:
            continue
        t2 = targets_f.get((ob, "2", shape, batch), {k: NAN for k in T_FIELDS})
        d = targets.get((ob, "1", shape, batch), {k: NAN for k in T_FIELDS})
        none = {"torch_ms": NAN, "numpy_ms": NAN}
        p1 = peers_f32.get(("1", shape, batch), none)
        p2 = peers_f32.get(("2", shape, batch), none)
        m, roof = t["libmlp_ms"], t["roofline_ms"]
        rate = t["flops"] / (m * 1e6)
        sec.append("| " + " | ".join([
            shape, batch, f(m), f(roof), f(r(m, roof)), f(p1["torch_ms"]),
            f(r(p1["torch_ms"], m)), f(d["libmlp_ms"]),
            f(r(d["libmlp_ms"], m))]) + " |")
        m2 = t2["libmlp_ms"]
        more.append("| " + " | ".join([
            shape, batch, f(rate), f(r(rate, PEAK_F32)), f(p1["numpy_ms"]),
            f(r(p1["numpy_ms"], m)), f(t2["roofline_ms"]), f(m2),
            f(r(m2, t2["roofline_ms"])), f(p2["torch_ms"]),
            f(r(p2["torch_ms"], m2))]) + " |")
        tag = "float32 %s B=%s" % (shape, batch)
        if (shape, batch) == ("1024-1024-1024", "256"):
            checks_f32.append(target_line(tag + " libmlp/sgemm roofline",
                                          r(m, roof), 1.05))
        if (shape, batch) == ("784-128-10", "32"):
            checks_f32.append(target_line(tag + " libmlp/sgemm roofline",
                                          r(m, roof), 1.20))
        checks_f32.append(target_line(tag + " torch f32/libmlp",
                                      r(p1["torch_ms"], m), 1.0, True))
        if t["flops"] <= SMALL_FLOPS:
            checks_f32.append(target_line(
                tag + " torch f32/libmlp (784-128-10 B=32 and smaller)",
                r(p1["torch_ms"], m), 2.0, True))
    return sec + more, cases_f


def float_sections():
    """float32: the main table, GFLOP/s per configuration, each
    configuration's square sgemm, and the digits configuration."""
    if not targets_f:
        return []
    sec, cases_f = float_main_table()
    configs_f = []
    for key in f_order:
        if (key[0], key[1]) not in configs_f:
            configs_f.append((key[0], key[1]))
    sec += ["", "## float32: libmlp GFLOP/s per configuration and thread count "
            "(libmlp/sgemm roofline, and fraction of the float32 FMA peak %s "
            "GFLOP/s, in brackets)" % f(PEAK_F32), ""]
    sec += rate_table(configs_f, cases_f, targets_f, PEAK_F32)
    if sgemm:
        sec += ["", "| configuration | square sgemm n | GFLOP/s, 1 thread "
                "| fraction of the float32 FMA peak | libmlp f32 "
                "1024-1024-1024 B=256, GFLOP/s | / sgemm | / float32 peak |",
                "|---|---|---|---|---|---|---|"]
        for label, n in sg_order:
            g = sgemm[(label, n)]["gflops"]
            t = targets_f.get((label, "1", "1024-1024-1024", "256"))
            rate = t["flops"] / (t["libmlp_ms"] * 1e6) if t else NAN
            sec.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                label, n, f(g), f(r(g, PEAK_F32)), f(rate), f(r(rate, g)),
                f(r(rate, PEAK_F32))))
    if digits_f:
        sec += ["", "## float32: the digits configuration (64-128-10, B=32, "
                "ReLU/softmax, cross-entropy, Adam + weight decay), one "
                "thread, ms per step", "",
                "| configuration | sgemm roof | libmlp f32 | /roof | naive f32 "
                "| naive/libmlp | torch f32 | torch/libmlp | libmlp f64 "
                "| f64/f32 |", "|---|---|---|---|---|---|---|---|---|---|"]
        for key in fd_order:
            d = digits_f[key]
            m = d["libmlp_ms"]
            tm = torch_digits_f32.get((key[2], key[3]), NAN)
            dbl = digits.get(key, {"libmlp_ms": NAN})["libmlp_ms"]
            sec.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                key[0], f(d["roofline_ms"]), f(m), f(r(m, d["roofline_ms"])),
                f(d["naive_ms"]), f(r(d["naive_ms"], m)), f(tm), f(r(tm, m)),
                f(dbl), f(r(dbl, m))))
    return sec


lines += extra_sections()
lines += float_sections()
lines += ["", "## Performance goals: target and measured value", ""] + checks
if checks_f32:
    lines += ["", "## float32 goals: target and measured value (one thread, "
              "OpenBLAS)", ""] + checks_f32

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
