#!/usr/bin/python3
"""The same training step as mlp-bench in PyTorch or NumPy, float64 or
float32 (--dtype; float64 by default, mlp-bench-float's peer is float32).

One step: forward through sigmoid layers, MSE loss (mean over batch and
outputs, as libmlp), backward, plain SGD update (lr 0.01). PyTorch uses
nn.Linear + autograd + torch.optim.SGD, as a user would write it; NumPy
writes the same products by hand. With --digits, the digits demo's
configuration instead (mlp-bench --digits): ReLU hidden layers, softmax
output with cross-entropy, torch.optim.Adam (lr 3e-3, 0.9, 0.999, 1e-8)
with weight_decay 1e-4, one-hot targets (PyTorch only).

Each process times one peer: --peer torch or --peer numpy. Both in one
process would not be a fair measurement: importing and running one slows
the other (PyTorch read 1.2-9x slower beside NumPy). compare-backends runs
one process per peer, alternating them. Timing as mlp-bench: warm-up, then
samples of k steps each (k chosen so a sample lasts >= ~0.5 ms), and the
median per-step time.

usage: torch-numpy.py --peer torch|numpy [--dtype float64|float32]
                      [--threads N] [--budget MS] [--digits] [--csv FILE]
                      [--label TEXT] SHAPE:BATCH ...
Thread count: torch.set_num_threads(N); NumPy's BLAS follows
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, which the caller sets.
--dtype float32: PyTorch's parameters .float(), and for both peers the
inputs, targets and every product in float32 (the data are drawn in double
from the same generator and rounded, so both types see the same values).
--csv appends label,peer,config,threads,shape,batch,ms,dtype rows (the
dtype column last, so readers of the older 7-column files keep working);
it refuses to append to a file whose header has no dtype column.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

torch = None  # imported only by the process that times it

LR = 0.01
CSV_HEADER = "label,peer,config,threads,shape,batch,ms,dtype\n"


def parse(case):
    shape, batch = case.split(":")
    return [int(s) for s in shape.split("-")], int(batch)


def typed(module, dtype):
    """The layer's parameters in the benchmark's element type."""
    return module.float() if dtype == "float32" else module.double()


def make_torch(sizes, batch, X, T, dtype):
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [typed(torch.nn.Linear(n_in, n_out), dtype),
                   torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.MSELoss()
    x, t = torch.from_numpy(X), torch.from_numpy(T)

    def step():
        opt.zero_grad()  # 1.13's default: keep the .grad buffers
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()
    return step


def make_torch_digits(sizes, batch, X, T, dtype):
    layers = []
    pairs = list(zip(sizes, sizes[1:]))
    for i, (n_in, n_out) in enumerate(pairs):
        layers.append(typed(torch.nn.Linear(n_in, n_out), dtype))
        if i + 1 < len(pairs):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)  # softmax: inside cross_entropy
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.999),
                           eps=1e-8, weight_decay=1e-4)
    x = torch.from_numpy(X)
    labels = torch.from_numpy(T.argmax(axis=1))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
    return step


def make_numpy(sizes, batch, X, T, dtype):
    rng = np.random.default_rng(1)
    Ws = [rng.uniform(-0.05, 0.05, (n_out, n_in)).astype(dtype)
          for n_in, n_out in zip(sizes, sizes[1:])]
    bs = [np.zeros(n_out, dtype=dtype) for n_out in sizes[1:]]
    scale = np.dtype(dtype).type(2.0 / (batch * sizes[-1]))
    lr = np.dtype(dtype).type(LR)

    def step():
        acts = [X]
        for W, b in zip(Ws, bs):
            z = acts[-1] @ W.T
            z += b
            acts.append(1.0 / (1.0 + np.exp(-z)))
        a = acts[-1]
        dz = scale * (a - T) * a * (1.0 - a)
        for l in range(len(Ws) - 1, -1, -1):
            prev = acts[l]
            if l > 0:
                da = dz @ Ws[l]
            Ws[l] -= lr * (dz.T @ prev)
            bs[l] -= lr * dz.sum(axis=0)
            if l > 0:
                dz = da * prev * (1.0 - prev)
    return step


def measure(steps, budget):
    """Round-robin samples; returns the median seconds per step of each."""
    k, samples, used = {}, {}, {}
    for name, fn in steps.items():
        fn()
        t0 = time.perf_counter()
        fn()
        est = max(time.perf_counter() - t0, 1e-7)
        k[name] = 1 if est >= 5e-4 else int(5e-4 / est) + 1
        samples[name], used[name] = [], 0.0
    active = set(steps)
    while active:
        for name in list(active):
            fn = steps[name]
            t0 = time.perf_counter()
            for _ in range(k[name]):
                fn()
            dt = time.perf_counter() - t0
            samples[name].append(dt / k[name])
            used[name] += dt
            n = len(samples[name])
            if n >= 2000 or (used[name] >= budget and
                             (n >= 5 or used[name] >= 3 * budget)):
                active.discard(name)
    return {name: statistics.median(s) for name, s in samples.items()}


def open_csv(path):
    """The CSV to append to, with its header if new. A file begun by an
    older version (no dtype column) is refused rather than mixed."""
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path) as f:
            header = f.readline()
        if header != CSV_HEADER:
            sys.exit("torch-numpy.py: %s has another header (%s); want %s"
                     % (path, header.strip(), CSV_HEADER.strip()))
        return open(path, "a")
    out = open(path, "a")
    out.write(CSV_HEADER)
    return out


def main():
    global torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=["torch", "numpy"], required=True)
    ap.add_argument("--digits", action="store_true")
    ap.add_argument("--dtype", choices=["float64", "float32"],
                    default="float64")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--budget", type=float, default=1000.0)
    ap.add_argument("--csv")
    ap.add_argument("--label", default="")
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    if args.peer == "torch":
        try:
            import torch as torch_module
        except ImportError:
            print("# torch is not installed: nothing measured")
            return
        torch = torch_module
        if args.threads:
            torch.set_num_threads(args.threads)
        print("# torch %s %s (threads %d), alone in this process; ms per "
              "step, median" % (torch.__version__, args.dtype,
                                torch.get_num_threads()))
    else:
        if args.digits:
            print("# numpy: no --digits configuration; nothing measured")
            return
        print("# numpy %s %s, alone in this process; ms per step, median"
              % (np.__version__, args.dtype))
    config = "digits" if args.digits else "sgd"
    print("%-22s %5s %10s" % ("shape", "B", args.peer + "_ms"))
    out = open_csv(args.csv) if args.csv else None
    rng = np.random.default_rng(0)
    for case in args.cases:
        sizes, batch = parse(case)
        X = rng.uniform(0.0, 1.0, (batch, sizes[0])).astype(args.dtype)
        if args.digits:
            T = np.eye(sizes[-1], dtype=args.dtype)[
                rng.integers(0, sizes[-1], batch)]
            make = make_torch_digits
        else:
            T = rng.uniform(0.1, 0.9, (batch, sizes[-1])).astype(args.dtype)
            make = make_torch if args.peer == "torch" else make_numpy
        med = measure({args.peer: make(sizes, batch, X, T, args.dtype)},
                      args.budget / 1000.0)
        ms = 1e3 * med[args.peer]
        name = "-".join(map(str, sizes))
        print("%-22s %5d %10.4f" % (name, batch, ms))
        sys.stdout.flush()
        if out:
            out.write("%s,%s,%s,%d,%s,%d,%.6g,%s\n" % (
                args.label, args.peer, config, args.threads, name, batch, ms,
                args.dtype))
    if out:
        out.close()


if __name__ == "__main__":
    main()
