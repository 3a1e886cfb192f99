#!/usr/bin/env python3
"""linear_r2.py TRAIN.csv TEST.csv - the test R^2 of an ordinary least-squares
linear regression (with intercept) of the last column on the others, fitted
on TRAIN and scored on TEST; both files have a header line. Plain Python
(no NumPy), so the CLI test needs nothing more: the normal equations of
the standardised columns, solved by Gaussian elimination with partial
pivoting (13 unknowns: well within double precision once standardised).
Prints the R^2 and the RMSE."""
import csv
import math
import sys


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return [[float(v) for v in r] for r in rows[1:] if r]


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(m[i][k]))
        m[k], m[p] = m[p], m[k]
        for i in range(k + 1, n):
            f = m[i][k] / m[k][k]
            for j in range(k, n + 1):
                m[i][j] -= f * m[k][j]
    x = [0.0] * n
    for k in reversed(range(n)):
        x[k] = (m[k][n] - sum(m[k][j] * x[j] for j in range(k + 1, n))) / m[k][k]
    return x


def main():
    train, test = read(sys.argv[1]), read(sys.argv[2])
    d = len(train[0]) - 1
    mean = [sum(r[j] for r in train) / len(train) for j in range(d)]
    std = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in train) / len(train)) or 1.0
           for j in range(d)]
    feats = lambda r: [(r[j] - mean[j]) / std[j] for j in range(d)] + [1.0]
    A = [feats(r) for r in train]
    y = [r[d] for r in train]
    ata = [[sum(row[i] * row[j] for row in A) for j in range(d + 1)] for i in range(d + 1)]
    aty = [sum(row[i] * t for row, t in zip(A, y)) for i in range(d + 1)]
    w = solve(ata, aty)
    pred = [sum(wi * xi for wi, xi in zip(w, feats(r))) for r in test]
    truth = [r[d] for r in test]
    mu = sum(truth) / len(truth)
    sse = sum((p - t) ** 2 for p, t in zip(pred, truth))
    sst = sum((t - mu) ** 2 for t in truth)
    print(f"{1 - sse / sst:.6f} {math.sqrt(sse / len(truth)):.6f}")


main()
