#!/usr/bin/env python3
"""Whole training runs of libmlp against PyTorch, in both precisions.

Usage: torch_trajectories.py LIBMLP.so

For every hidden activation (sigmoid, tanh, ReLU, identity), every output
and loss (identity + MSE, softmax + cross-entropy, sigmoid + binary
cross-entropy) and every optimizer (SGD, SGD with momentum 0.9, Adam),
each without and with weight decay 1e-2, a 3-6-5-4 network is created by
libmlp (mlp_create / mlpf_create through ctypes), its parameters are
copied into torch tensors, and both train for 20 epochs on the same 37
samples: batches of 8 in order (the last one 5 rows) and then one
single-sample step, 120 steps in all, each an mlp_train_batch on one side
and autograd + torch.optim on the other (nn.functional's losses,
torch.optim.SGD / Adam with weight_decay on the weights only, as mlp.h
says libmlp decays them). After every step the cost, and after every
epoch the parameters, are compared, relative to the largest parameter
(or to max(1, cost)).

Tolerances. Double: 1e-12 (observed ~1e-15: each step adds a few
roundings of u = 1.1e-16, and 120 steps of them stay far below). Float
(torch float32 against mlpf_): 4e-6 = 6 sqrt(120) u with u = 6e-8, the
random walk of 120 steps' roundings with a margin of 6 (observed ~3e-7).
A wrong rule (decay on the biases, another momentum or bias-correction
convention, a loss off by a factor) moves the parameters by O(lr) = 1e-3
within a few steps, far beyond either. (A rounding repeated the same way
at every step needs longer runs to stand out: tests/test_precision.c runs
4000 steps of float against double for that.)

Exit status 0 when every run is within its tolerance, 1 otherwise (each
failure printed).
"""
import ctypes as C
import itertools
import sys

import numpy as np
import torch

SIGMOID, TANH, RELU, IDENTITY, SOFTMAX = range(5)
MSE, CROSS_ENTROPY = 0, 1
SIZES = [3, 6, 5, 4]
N, BATCH, EPOCHS = 37, 8, 20


class Family:
    """The mlp_ (double) or mlpf_ (float) functions of the library."""

    def __init__(self, lib, single):
        self.lib, self.single = lib, single
        self.prefix = "mlpf_" if single else "mlp_"
        self.ctype = C.c_float if single else C.c_double
        self.np = np.float32 if single else np.float64
        self.torch = torch.float32 if single else torch.float64

    def fn(self, name, restype=C.c_int):
        f = getattr(self.lib, self.prefix + name)
        f.restype = restype
        return f

    def ptr(self, a):
        return a.ctypes.data_as(C.POINTER(self.ctype))

    def create(self, acts, loss, seed):
        net = C.c_void_p()
        sizes = (C.c_size_t * len(SIZES))(*SIZES)
        cacts = (C.c_int * len(acts))(*acts)
        status = self.fn("create")(C.byref(net), C.c_size_t(len(acts)), sizes,
                                   cacts, C.c_int(loss), C.c_uint64(seed))
        assert status == 0, status
        return net

    def params(self, net):
        n = self.fn("n_params", C.c_size_t)(net)
        p = self.fn("params", C.POINTER(self.ctype))(net)
        return np.ctypeslib.as_array(p, shape=(n,))

    def train(self, net, X, T):
        X = np.ascontiguousarray(X, self.np)
        T = np.ascontiguousarray(T, self.np)
        cost = self.ctype()
        status = self.fn("train_batch")(net, C.c_size_t(X.shape[0]),
                                        self.ptr(X), self.ptr(T),
                                        C.byref(cost))
        assert status == 0, status
        return cost.value


def data(rng, output):
    X = rng.normal(size=(N, SIZES[0]))
    if output == "mse":
        T = rng.normal(size=(N, SIZES[-1]))
    elif output == "ce":
        T = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], N)]
    else:
        T = (rng.random((N, SIZES[-1])) < 0.5).astype(float)
    return X, T


def torch_layers(P, dtype):
    layers, k = [], 0
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        W = torch.tensor(P[k:k + n_in * n_out].reshape(n_out, n_in),
                         dtype=dtype, requires_grad=True)
        k += n_in * n_out
        b = torch.tensor(P[k:k + n_out], dtype=dtype, requires_grad=True)
        k += n_out
        layers.append((W, b))
    return layers


def torch_cost(layers, acts, output, X, T):
    A = X
    for l, ((W, b), act) in enumerate(zip(layers, acts)):
        Z = A @ W.T + b
        if l == len(layers) - 1 and output != "mse":
            A = Z  # logits, for the losses below
        elif act == SIGMOID:
            A = torch.sigmoid(Z)
        elif act == TANH:
            A = torch.tanh(Z)
        elif act == RELU:
            A = torch.relu(Z)
        else:
            A = Z
    F = torch.nn.functional
    if output == "mse":
        return F.mse_loss(A, T)
    if output == "ce":
        return F.cross_entropy(A, T.argmax(1))
    # binary cross-entropy: summed over the outputs, mean over the batch
    return F.binary_cross_entropy_with_logits(A, T, reduction="sum") / A.shape[0]


def optimizers(fam, net, layers, opt, decay):
    groups = [{"params": [W for W, _ in layers], "weight_decay": decay},
              {"params": [b for _, b in layers], "weight_decay": 0.0}]
    d = C.c_double
    if opt == "sgd":
        status = fam.fn("set_sgd")(net, d(0.1), d(0.0))
        tor = torch.optim.SGD(groups, lr=0.1)
    elif opt == "momentum":
        status = fam.fn("set_sgd")(net, d(0.02), d(0.9))
        tor = torch.optim.SGD(groups, lr=0.02, momentum=0.9)
    else:
        status = fam.fn("set_adam")(net, d(0.01), d(0.9), d(0.999), d(1e-8))
        tor = torch.optim.Adam(groups, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    assert status == 0
    assert fam.fn("set_weight_decay")(net, d(decay)) == 0
    return tor


def flat(layers):
    return np.concatenate([np.concatenate([W.detach().double().numpy().ravel(),
                                           b.detach().double().numpy().ravel()])
                           for W, b in layers])


def run(fam, hidden, output, opt, decay, rng):
    out_act = {"mse": IDENTITY, "ce": SOFTMAX, "bce": SIGMOID}[output]
    acts = [hidden, hidden, out_act]
    loss = MSE if output == "mse" else CROSS_ENTROPY
    X, T = data(rng, output)
    net = fam.create(acts, loss, 7)
    layers = torch_layers(fam.params(net).astype(np.float64), fam.torch)
    tor = optimizers(fam, net, layers, opt, decay)
    Xt = torch.tensor(X, dtype=fam.torch)
    Tt = torch.tensor(T, dtype=fam.torch)
    worst_param = worst_cost = 0.0
    batches = [(i, min(i + BATCH, N)) for i in range(0, N, BATCH)]
    for epoch in range(EPOCHS):
        single = (epoch * 7) % N
        for lo, hi in batches + [(single, single + 1)]:
            # the same float data on both sides
            Xb = np.asarray(X[lo:hi], fam.np)
            Tb = np.asarray(T[lo:hi], fam.np)
            cost = fam.train(net, Xb, Tb)
            tor.zero_grad()
            c = torch_cost(layers, acts, output, Xt[lo:hi], Tt[lo:hi])
            c.backward()
            tor.step()
            ref = c.item()
            worst_cost = max(worst_cost, abs(cost - ref) / max(1.0, abs(ref)))
        mine = fam.params(net).astype(np.float64)
        theirs = flat(layers)
        worst_param = max(worst_param, np.abs(mine - theirs).max() /
                          max(1.0, np.abs(theirs).max()))
    fam.fn("free", None)(net)
    return worst_param, worst_cost


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    lib = C.CDLL(sys.argv[1])
    torch.set_num_threads(1)
    failures = 0
    for single in (False, True):
        fam = Family(lib, single)
        tol = 4e-6 if single else 1e-12
        rng = np.random.default_rng(2026)
        worst = 0.0
        for hidden, output, opt, decay in itertools.product(
                [SIGMOID, TANH, RELU, IDENTITY], ["mse", "ce", "bce"],
                ["sgd", "momentum", "adam"], [0.0, 1e-2]):
            p, c = run(fam, hidden, output, opt, decay, rng)
            worst = max(worst, p, c)
            if p > tol or c > tol:
                failures += 1
                print(f"FAIL {fam.prefix} hidden {hidden} {output} {opt} "
                      f"decay {decay}: parameters {p:.3g}, cost {c:.3g} "
                      f"(tolerance {tol:g})")
        print(f"{fam.prefix}: 72 runs of {EPOCHS * (len(range(0, N, BATCH)) + 1)}"
              f" steps, worst relative difference from torch {worst:.3g} "
              f"(tolerance {tol:g})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
