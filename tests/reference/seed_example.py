#!/usr/bin/env python3
"""Hand derivation of the seed example used by tests/test_seed_example.c.

A 2-3-2 sigmoid network with an MSE cost and one sample (B = 1), every
weight, bias, input and target a short binary fraction (exact in double).
Computed with Python's decimal module at 50 digits, independently of libmlp
and of tests/reference/naive.c. Prints every intermediate quantity to 17
significant digits: the numbers written into test_seed_example.c.

It also computes the seed's literal equations: §2 with the sum over the
outputs, §5 summing dZ^(2) over the outputs, §9 summing dZ^(1) over
i = 1..N_in, to show that they give different numbers.
"""
from decimal import Decimal as D, getcontext

getcontext().prec = 50

x = [D("0.75"), D("-0.5")]
y = [D("1"), D("0")]
W1 = [[D("0.5"), D("-0.25")], [D("0.75"), D("0.125")], [D("-0.5"), D("1")]]
b1 = [D("0.125"), D("-0.375"), D("0.25")]
W2 = [[D("1"), D("-0.5"), D("0.25")], [D("-0.75"), D("0.5"), D("1.5")]]
b2 = [D("0.0625"), D("-0.125")]
N_in, N_out = 2, 2


def sig(z):
    return 1 / (1 + (-z).exp())


def show(name, v):
    if isinstance(v[0], list):
        for i, row in enumerate(v):
            print(f"{name}[{i}] = " + ", ".join(f"{e:.17g}" for e in row))
    else:
        print(f"{name} = " + ", ".join(f"{e:.17g}" for e in v))


# forward
z1 = [sum(W1[i][j] * x[j] for j in range(2)) + b1[i] for i in range(3)]
a1 = [sig(z) for z in z1]
z2 = [sum(W2[i][j] * a1[j] for j in range(3)) + b2[i] for i in range(2)]
a2 = [sig(z) for z in z2]
C = sum((a2[i] - y[i]) ** 2 for i in range(2)) / N_out
for n, v in [("z1", z1), ("a1", a1), ("z2", z2), ("a2", a2)]:
    show(n, v)
print(f"C = {C:.17g}")

# backward, as docs/derivation.md (B = 1)
dA2 = [2 / D(N_out) * (a2[i] - y[i]) for i in range(2)]             # §2
dZ2 = [dA2[i] * a2[i] * (1 - a2[i]) for i in range(2)]              # §3
dW2 = [[dZ2[i] * a1[j] for j in range(3)] for i in range(2)]        # §4
db2 = dZ2[:]                                                         # §5
dA1 = [sum(W2[i][j] * dZ2[i] for i in range(2)) for j in range(3)]  # §6
dZ1 = [dA1[j] * a1[j] * (1 - a1[j]) for j in range(3)]              # §7
dW1 = [[dZ1[i] * x[j] for j in range(2)] for i in range(3)]         # §8
db1 = dZ1[:]                                                         # §9
print("--- corrected")
for n, v in [("dA2", dA2), ("dZ2", dZ2), ("dW2", dW2), ("db2", db2),
             ("dA1", dA1), ("dZ1", dZ1), ("dW1", dW1), ("db1", db1)]:
    show(n, v)

# the seed, literally
s = 2 / D(N_out) * sum(a2[i] - y[i] for i in range(2))
lA2 = [s, s]                                                         # §2
lZ2 = [lA2[i] * a2[i] * (1 - a2[i]) for i in range(2)]               # §3
lW2 = [[lZ2[i] * a1[j] for j in range(3)] for i in range(2)]         # §4
lb2 = [sum(lZ2)] * 2                                                 # §5
lA1 = [sum(W2[i][j] * lZ2[i] for i in range(2)) for j in range(3)]   # §6
lZ1 = [lA1[j] * a1[j] * (1 - a1[j]) for j in range(3)]               # §7
lW1 = [[lZ1[i] * x[j] for j in range(2)] for i in range(3)]          # §8
lb1 = [sum(lZ1[:N_in])] * 3                                          # §9
print("--- seed, literally")
for n, v in [("dA2", lA2), ("dZ2", lZ2), ("dW2", lW2), ("db2", lb2),
             ("dA1", lA1), ("dZ1", lZ1), ("dW1", lW1), ("db1", lb1)]:
    show(n, v)
