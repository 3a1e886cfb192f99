#!/usr/bin/env python3
"""Writes valid libmlp model files, and reads them, from docs/format.md alone.

  make_corpus.py OUTDIR     write the seed corpus into OUTDIR: corpus-NN.mlp
                            (format version 2, float64), and for some
                            models corpus-v1-NN.mlp (version 1) and
                            corpus-f32-NN.mlp (float32 elements)
  make_corpus.py --check F  decode F, check every rule, print its fields

It shares no code with the C library: it is both the fuzzers' seed corpus
and a test that docs/format.md is enough to write a reader and a writer in
another language (tests/test_codec.c loads every file it writes and saves each
back to the bytes of its version 2, float64 twin corpus-NN.mlp).
"""
import math
import os
import random
import struct
import sys

MAGIC = b"\x89MLP\r\n\x1a\n"
VERSION = 2          # written by default; version 1 files are read too
F64, F32 = range(2)  # element types (version 2)
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
           decay=0.0, t=0, params=None, state=(), scaling=None, version=2,
           elem=F64):
    """scaling: in_mean + in_std + out_mean + out_std (2 (n0 + nL) values),
    None for no scaling; version 1 files cannot hold one."""
    n0, nL = sizes[0], sizes[-1]
    if scaling is None:
        scaling = [0.0] * n0 + [1.0] * n0 + [0.0] * nL + [1.0] * nL
    out = bytearray(MAGIC)
    out += struct.pack("<I", version)
    if version >= 2:
        out += struct.pack("<I", elem)
    out += struct.pack("<I", len(sizes) - 1)
    out += struct.pack("<%dQ" % len(sizes), *sizes)
    out += struct.pack("<%dI" % len(acts), *acts)
    out += struct.pack("<II", loss, opt)
    out += struct.pack("<6dQI", lr, mom, b1, b2, eps, decay, t, len(state))
    code = "d" if elem == F64 else "f"
    vectors = ((scaling,) if version >= 2 else ()) + (params,) + tuple(state)
    for vec in vectors:
        out += struct.pack("<%d%s" % (len(vec), code), *vec)
    out += struct.pack("<I", crc32c(out))
    return bytes(out)


def decode(data):
    """Returns a dict of the fields, or raises ValueError naming the rule."""
    def need(cond, why):
        if not cond:
            raise ValueError(why)
    need(len(data) >= 12 and data[:8] == MAGIC, "not a libmlp model file")
    version, = struct.unpack_from("<I", data, 8)
    need(1 <= version <= VERSION, "unknown format version %d" % version)
    need(len(data) >= 108, "truncated")
    need(crc32c(data[:-4]) == struct.unpack_from("<I", data, len(data) - 4)[0],
         "checksum mismatch")
    pos = 12
    elem = F64
    if version >= 2:
        elem, = struct.unpack_from("<I", data, pos); pos += 4
        need(elem in (F64, F32), "unknown element type %d" % elem)
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
        need(t < 2**64 - 1, "Adam step count that cannot be incremented")
    P = n_params(sizes)
    n0, nL = sizes[0], sizes[-1]
    n_scaling = 2 * (n0 + nL) if version >= 2 else 0
    esize, code = (8, "d") if elem == F64 else (4, "f")
    need(len(data) - pos == esize * (n_scaling + P * (1 + S)) + 4,
         "wrong length for the sizes")
    scaling = list(struct.unpack_from("<%d%s" % (n_scaling, code), data, pos))
    pos += esize * n_scaling
    vecs = []
    for _ in range(1 + S):
        vecs.append(list(struct.unpack_from("<%d%s" % (P, code), data, pos)))
        pos += esize * P
    need(all(math.isfinite(x) for x in scaling), "non-finite scaling")
    stds = scaling[n0:2 * n0] + scaling[2 * n0 + nL:]
    need(all(s > 0 for s in stds), "a scaling std <= 0")
    need(all(math.isfinite(x) for v in vecs for x in v), "non-finite value")
    need(opt != ADAM or all(x >= 0 for x in vecs[2]), "negative second moment")
    return dict(version=version, element_type="f64" if elem == F64 else "f32",
                sizes=sizes, acts=acts, loss=loss,
                optimizer=opt, learning_rate=lr, momentum=mom, beta1=b1,
                beta2=b2, epsilon=eps, weight_decay=decay, t=t, n_params=P,
                n_state=S, scaling=scaling)


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


# Configurations written also as version 1 files (no scaling: version 1
# cannot hold one) and as float32 files. Each such file must load into the
# same network as corpus-NN.mlp and save back to exactly its bytes.
SCALED = {1, 3, 6}
F32_CONFIGS = {2, 3, 6}


def values(rng, n, nonneg=False, f32=False):
    # Mostly ordinary weights, with the bit patterns a sloppy writer would
    # change: -0.0, subnormals, huge finite values (of float32's range for
    # float32 files, whose values are rounded to float32 here).
    if f32:
        special = [-0.0, 1e-45, -1.1754943508222875e-38, 3.4028234663852886e38, 1e-30]
    else:
        special = [-0.0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 1e-300]
    out = []
    for i in range(n):
        x = special[i % len(special)] if rng.random() < 0.1 else rng.uniform(-2, 2)
        out.append(abs(x) if nonneg else x)
    if f32:
        out = list(struct.unpack("<%df" % n, struct.pack("<%df" % n, *out)))
    return out


def scaling_for(rng, sizes, acts, f32):
    n0, nL = sizes[0], sizes[-1]
    means = values(rng, n0, f32=f32)
    stds = [abs(x) + 0.25 for x in values(rng, n0, f32=f32)]
    out_mean, out_std = [0.0] * nL, [1.0] * nL
    if acts[-1] == IDENTITY:  # output scaling only for regression
        out_mean = [rng.uniform(-100, 100) for _ in range(nL)]
        out_std = [rng.uniform(0.5, 80) for _ in range(nL)]
    scaling = means + stds + out_mean + out_std
    if f32:
        k = len(scaling)
        scaling = list(struct.unpack("<%df" % k, struct.pack("<%df" % k, *scaling)))
    return scaling


def corpus():
    """Yields (name, bytes): corpus-NN.mlp (version 2, f64) for every
    configuration, corpus-v1-NN.mlp and corpus-f32-NN.mlp for some."""
    rng = random.Random(20261128)
    for i, (sizes, acts, loss, o) in enumerate(CONFIGS):
        f32 = i in F32_CONFIGS
        P = n_params(sizes)
        S = 2 if o["opt"] == ADAM else (1 if o.get("mom", 0) else 0)
        state = tuple(values(rng, P, nonneg=(s == 1), f32=f32) for s in range(S))
        params = values(rng, P, f32=f32)
        scaling = scaling_for(rng, sizes, acts, f32) if i in SCALED else None
        args = (sizes, acts, loss, o["opt"], o["lr"], o.get("mom", 0.0),
                o.get("b1", 0.0), o.get("b2", 0.0), o.get("eps", 0.0),
                o.get("decay", 0.0), o.get("t", 0), params, state, scaling)
        yield "corpus-%02d.mlp" % i, encode(*args)
        if scaling is None:
            yield "corpus-v1-%02d.mlp" % i, encode(*args, version=1)
        if f32:
            yield "corpus-f32-%02d.mlp" % i, encode(*args, elem=F32)


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
    n = 0
    for name, data in corpus():
        decode(data)  # the writer obeys the reader's rules
        with open(os.path.join(argv[1], name), "wb") as f:
            f.write(data)
        n += 1
    print("wrote %d model files to %s" % (n, argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
