#!/usr/bin/env python3
"""Writes valid libmlp model files, and reads them, from docs/format.md alone.

  make_corpus.py OUTDIR     write the seed corpus: corpus-NN.mlp in OUTDIR
  make_corpus.py --check F  decode F, check every rule, print its fields

It shares no code with the C library: it is both the fuzzers' seed corpus
and a test that docs/format.md is enough to write a reader and a writer in
another language (tests/format loads every file it writes and saves each
back to the same bytes).
"""
import math
import os
import random
import struct
import sys

MAGIC = b"\x89MLP\r\n\x1a\n"
VERSION = 1
SIGMOID, TANH, RELU, IDENTITY, SOFTMAX = range(5)
MSE, CROSS_ENTROPY = range(2)
SGD, ADAM = range(2)

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def n_params(sizes):
    return sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))


def encode(sizes, acts, loss, opt, lr, mom=0.0, b1=0.0, b2=0.0, eps=0.0,
           decay=0.0, t=0, params=None, state=()):
    out = bytearray(MAGIC)
    out += struct.pack("<II", VERSION, len(sizes) - 1)
    out += struct.pack("<%dQ" % len(sizes), *sizes)
    out += struct.pack("<%dI" % len(acts), *acts)
    out += struct.pack("<II", loss, opt)
    out += struct.pack("<6dQI", lr, mom, b1, b2, eps, decay, t, len(state))
    for vec in (params,) + tuple(state):
        out += struct.pack("<%dd" % len(vec), *vec)
    out += struct.pack("<I", crc32c(out))
    return bytes(out)


def decode(data):
    """Returns a dict of the fields, or raises ValueError naming the rule."""
    def need(cond, why):
        if not cond:
            raise ValueError(why)
    need(len(data) >= 12 and data[:8] == MAGIC, "not a libmlp model file")
    version, = struct.unpack_from("<I", data, 8)
    need(version == VERSION, "unknown format version %d" % version)
    need(len(data) >= 108, "truncated")
    need(crc32c(data[:-4]) == struct.unpack_from("<I", data, len(data) - 4)[0],
         "checksum mismatch")
    pos = 12
    L, = struct.unpack_from("<I", data, pos); pos += 4
    need(1 <= L <= (len(data) - pos) // 12, "bad layer count")
    sizes = list(struct.unpack_from("<%dQ" % (L + 1), data, pos)); pos += 8 * (L + 1)
    need(all(1 <= n <= 2**31 - 1 for n in sizes), "bad layer size")
    acts = list(struct.unpack_from("<%dI" % L, data, pos)); pos += 4 * L
    need(all(a <= SOFTMAX for a in acts), "bad activation")
    need(all(a != SOFTMAX for a in acts[:-1]), "softmax before the last layer")
    loss, opt = struct.unpack_from("<II", data, pos); pos += 8
    need(loss <= CROSS_ENTROPY and opt <= ADAM, "bad loss or optimizer")
    need(acts[-1] != SOFTMAX or loss == CROSS_ENTROPY, "softmax without cross-entropy")
    need(loss != CROSS_ENTROPY or acts[-1] in (SOFTMAX, SIGMOID),
         "cross-entropy without a softmax or sigmoid output")
    lr, mom, b1, b2, eps, decay, t, S = struct.unpack_from("<6dQI", data, pos); pos += 60
    need(math.isfinite(lr) and lr > 0, "bad learning rate")
    need(math.isfinite(decay) and decay >= 0, "bad weight decay")
    if opt == SGD:
        need(0 <= mom < 1 and b1 == b2 == eps == 0 and t == 0, "bad SGD fields")
        need(S == (1 if mom != 0 else 0), "bad state count")
    else:
        need(mom == 0 and 0 <= b1 < 1 and 0 <= b2 < 1, "bad Adam betas")
        need(math.isfinite(eps) and eps > 0 and S == 2, "bad Adam fields")
    P = n_params(sizes)
    need(len(data) - pos == 8 * P * (1 + S) + 4, "wrong length for the sizes")
    vecs = []
    for _ in range(1 + S):
        vecs.append(list(struct.unpack_from("<%dd" % P, data, pos))); pos += 8 * P
    need(all(math.isfinite(x) for v in vecs for x in v), "non-finite value")
    need(opt != ADAM or all(x >= 0 for x in vecs[2]), "negative second moment")
    return dict(version=version, sizes=sizes, acts=acts, loss=loss,
                optimizer=opt, learning_rate=lr, momentum=mom, beta1=b1,
                beta2=b2, epsilon=eps, weight_decay=decay, t=t, n_params=P,
                n_state=S)


# (sizes, activations, loss, optimizer settings): every activation, both
# losses, all three optimizer shapes (no state, velocity, Adam moments).
CONFIGS = [
    ([2, 3, 1], [SIGMOID, SIGMOID], MSE, dict(opt=SGD, lr=0.01)),
    ([3, 4, 2], [TANH, IDENTITY], MSE, dict(opt=SGD, lr=0.1, mom=0.9)),
    ([4, 5, 5, 3], [RELU, TANH, SOFTMAX], CROSS_ENTROPY,
     dict(opt=ADAM, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, t=17, decay=1e-4)),
    ([1, 1], [IDENTITY], MSE, dict(opt=SGD, lr=0.5)),
    ([5, 2], [SIGMOID], CROSS_ENTROPY, dict(opt=SGD, lr=0.05, mom=0.5)),
    ([2, 8, 8, 8, 2], [RELU, RELU, SIGMOID, SOFTMAX], CROSS_ENTROPY,
     dict(opt=ADAM, lr=0.01, b1=0.0, b2=0.5, eps=1e-6, t=1)),
    ([3, 2, 3], [IDENTITY, RELU], MSE, dict(opt=SGD, lr=2.0, decay=0.5)),
    ([6, 3, 6], [TANH, SIGMOID], CROSS_ENTROPY, dict(opt=SGD, lr=1e-4)),
]


def values(rng, n, nonneg=False):
    # Mostly ordinary weights, with the bit patterns a sloppy writer would
    # change: -0.0, subnormals, huge finite values.
    special = [-0.0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 1e-300]
    out = []
    for i in range(n):
        x = special[i % len(special)] if rng.random() < 0.1 else rng.uniform(-2, 2)
        out.append(abs(x) if nonneg else x)
    return out


def corpus():
    rng = random.Random(20261128)
    for sizes, acts, loss, o in CONFIGS:
        P = n_params(sizes)
        S = 2 if o["opt"] == ADAM else (1 if o.get("mom", 0) else 0)
        state = tuple(values(rng, P, nonneg=(s == 1)) for s in range(S))
        yield encode(sizes, acts, loss, o["opt"], o["lr"], o.get("mom", 0.0),
                     o.get("b1", 0.0), o.get("b2", 0.0), o.get("eps", 0.0),
                     o.get("decay", 0.0), o.get("t", 0), values(rng, P), state)


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2], "rb") as f:
            try:
                fields = decode(f.read())
            except (ValueError, struct.error) as e:
                print("%s: invalid: %s" % (argv[2], e))
                return 1
        for k, v in fields.items():
            print("%s: %s" % (k, v))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    for i, data in enumerate(corpus()):
        decode(data)  # the writer obeys the reader's rules
        with open(os.path.join(argv[1], "corpus-%02d.mlp" % i), "wb") as f:
            f.write(data)
    print("wrote %d model files to %s" % (len(CONFIGS), argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
