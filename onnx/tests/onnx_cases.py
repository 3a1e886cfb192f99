#!/usr/bin/env python3
"""Fixtures and checks for libmlp_onnx, run by onnx/tests/test_onnx.c.

  onnx_cases.py make DIR    writes ONNX models made by torch.onnx.export
                            (and a few written with onnx.helper), inputs and
                            PyTorch's outputs, and DIR/cases.txt listing them
  onnx_cases.py check DIR   checks the models libmlp exported into DIR
                            (listed in DIR/exported.txt) with onnx.checker
                            and a small numpy evaluator, against the
                            predictions libmlp wrote beside them

Arrays are raw little-endian float64, row-major [batch, features].
NAME.bf holds, for each output, a bound on how far a float32 evaluation of
NAME.onnx can be from the exact one (float_error below): the tolerance of
the mlpf_ (single-precision) imports and exports.

cases.txt, one case a line:
  ok NAME LOSS TOL        NAME.onnx imports; predictions on NAME.x match
                          NAME.y (PyTorch in the model's own precision)
                          within TOL and NAME.y64 (PyTorch in float64 on
                          the same weights) within 1e-12
  refuse NAME LOSS STATUS TEXT
                          importing NAME.onnx gives STATUS (FORMAT or ARG)
                          with a reason that contains TEXT
LOSS is mse or ce. Tolerances compare |got - want| <= TOL * max(|want|, 1).
"""
import io
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def export(model, x, path, opset, dynamic, **kw):
    import torch
    axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None
    f = io.BytesIO()
    torch.onnx.export(model, x, f, opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes=axes, **kw)
    with open(path, "wb") as out:
        out.write(f.getvalue())


def save(path, a):
    np.ascontiguousarray(a, dtype="<f8").tofile(path)


# --- the import matrix, written by torch.onnx.export ---------------------

def architectures(nn, bias):
    """name -> (layers after an optional Flatten, loss)."""
    return {
        "relu_softmax": ([nn.Linear(5, 8, bias=bias), nn.ReLU(),
                          nn.Linear(8, 3, bias=bias), nn.Softmax(dim=1)], "ce"),
        "tanh_sigmoid_id": ([nn.Linear(5, 8, bias=bias), nn.Tanh(),
                             nn.Linear(8, 6, bias=bias), nn.Sigmoid(),
                             nn.Linear(6, 2, bias=bias)], "mse"),
        "identity_sigmoid": ([nn.Linear(5, 4, bias=bias), nn.Identity(),
                              nn.Linear(4, 3, bias=bias), nn.Sigmoid()], "ce"),
        "sigmoid_softmax_last": ([nn.Linear(5, 7, bias=bias), nn.Sigmoid(),
                                  nn.Linear(7, 4, bias=bias), nn.Softmax(dim=-1)], "ce"),
        "single": ([nn.Linear(5, 3, bias=bias)], "mse"),
        "relu_relu": ([nn.Linear(5, 6, bias=bias), nn.ReLU(),
                       nn.Linear(6, 6, bias=bias), nn.ReLU(),
                       nn.Linear(6, 1, bias=bias), nn.Identity()], "mse"),
    }


def torch_cases(d, lines):
    import torch
    from torch import nn
    k = 0
    for bias in (True, False):
        for arch in architectures(nn, bias):
            for dtype in (torch.float32, torch.float64):
                for dynamic in (True, False):
                    for flatten in (False, True):
                        torch.manual_seed(k)
                        layers, loss = architectures(nn, bias)[arch]
                        head = [nn.Flatten()] if flatten else []
                        model = nn.Sequential(*head, *layers).to(dtype).eval()
                        shape = (7, 5, 1) if flatten else (7, 5)
                        x = torch.randn(*shape, dtype=torch.float64) * 2
                        opset = 7 + k % 11
                        kw = {}
                        # Without constant folding a bias-less Linear is a
                        # Transpose node of the weight, then MatMul.
                        if not bias and k % 3 == 0:
                            kw["do_constant_folding"] = False
                        if k % 4 == 1:
                            kw["keep_initializers_as_inputs"] = True
                        name = "%s_%s_%s_%s_%s_op%d" % (
                            arch, "bias" if bias else "nobias",
                            "f32" if dtype == torch.float32 else "f64",
                            "dyn" if dynamic else "fixed",
                            "flat" if flatten else "2d", opset)
                        write_case(d, lines, name, model, x, dtype, opset,
                                   dynamic, loss, kw)
                        k += 1
    # nn.Linear on [batch, seq, features]: MatMul + Add, every leading axis
    # a batch axis.
    for dtype in (torch.float32, torch.float64):
        torch.manual_seed(100)
        model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3),
                              nn.Softmax(dim=-1)).to(dtype).eval()
        x = torch.randn(6, 2, 5, dtype=torch.float64)
        write_case(d, lines, "rank3_matmul_add_" + str(dtype)[-7:], model, x,
                   dtype, 17, True, "ce", {})
    normalised_cases(d, lines)
    return k


def normalised_cases(d, lines):
    """Input normalisation written in forward() with tensors that are not
    buffers (plain attributes) or with Python numbers: torch writes them
    as Constant nodes, not initializers. The numbers are exact in float32,
    so the float64 evaluation of the same model (y64) uses the very values
    the file holds."""
    import torch
    from torch import nn

    class Normalised(nn.Module):
        def __init__(self, mean, std, body):
            super().__init__()
            self.mean, self.std, self.body = mean, std, body

        def forward(self, x):
            return self.body((x - self.mean) / self.std)

    for k, dtype in enumerate((torch.float32, torch.float64)):
        for style in ("attribute", "scalar"):
            torch.manual_seed(200 + k)
            body = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3),
                                 nn.Softmax(dim=1)).to(dtype).eval()
            if style == "attribute":
                mean = torch.tensor([1.5, -2.0, 0.25, 3.0, -0.75], dtype=dtype)
                std = torch.tensor([0.5, 2.0, 1.25, 4.0, 0.125], dtype=dtype)
            else:
                mean, std = 0.5, 2.0
            x = torch.randn(7, 5, dtype=torch.float64) * 3 + 1
            name = "normalised_%s_%s" % (style, str(dtype)[-7:])
            write_case(d, lines, name, Normalised(mean, std, body).eval(), x,
                       dtype, 13 + 4 * k, True, "ce", {})


def write_case(d, lines, name, model, x, dtype, opset, dynamic, loss, kw):
    import torch
    export(model, x.to(dtype), os.path.join(d, name + ".onnx"), opset, dynamic, **kw)
    with torch.no_grad():
        y = model(x.to(dtype)).double().numpy()
        y64 = model.double()(x).numpy()
    save(os.path.join(d, name + ".x"), x.numpy())
    save(os.path.join(d, name + ".y"), y)
    save(os.path.join(d, name + ".y64"), y64)
    import onnx
    m = onnx.load(os.path.join(d, name + ".onnx"))
    save(os.path.join(d, name + ".bf"), float_error(m, x.numpy()))
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    lines.append("ok %s %s %g" % (name, loss, tol))


# --- patterns torch does not write, built with onnx.helper ----------------

def helper_graph(nodes, inits, n_in, n_out, elem=None, opset=17, in_shape=None):
    import onnx
    from onnx import helper, TensorProto
    elem = elem or TensorProto.DOUBLE
    inp = helper.make_tensor_value_info("input", elem, in_shape or ["batch", n_in])
    out = helper.make_tensor_value_info("output", elem, ["batch", n_out])
    g = helper.make_graph(nodes, "g", [inp], [out], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def tensor(name, a, raw=True):
    from onnx import numpy_helper, helper, TensorProto
    if raw:
        return numpy_helper.from_array(np.asarray(a), name)
    a = np.asarray(a)
    t = TensorProto.DOUBLE if a.dtype == np.float64 else TensorProto.FLOAT
    return helper.make_tensor(name, t, a.shape, a.ravel().tolist(), raw=False)


def helper_cases(d, lines):
    """Gemm with every alpha/beta/transB, typed fields, Add(bias, x), Gemm
    without C then Add, Transpose with perm, scaling nodes; each checked
    against the numpy evaluator (independent of torch and of libmlp)."""
    from onnx import helper, TensorProto
    rng = np.random.default_rng(7)
    W1 = rng.normal(size=(4, 5))
    b1 = rng.normal(size=4)
    W2 = rng.normal(size=(3, 4))
    b2 = rng.normal(size=(1, 3))
    G = helper.make_node
    cases = {
        "gemm_alpha_beta_transB0": (
            [G("Gemm", ["input", "W1T", "b1"], ["h"], alpha=0.5, beta=2.0, transB=0),
             G("Relu", ["h"], ["r"]),
             G("Gemm", ["r", "W2", "b2"], ["output"], alpha=1.5, beta=0.25, transB=1)],
            [tensor("W1T", W1.T.copy()), tensor("b1", b1), tensor("W2", W2),
             tensor("b2", b2)], 3),
        "typed_fields_f64": (
            [G("Gemm", ["input", "W1", "b1"], ["h"], transB=1), G("Tanh", ["h"], ["t"]),
             G("Gemm", ["t", "W2", "b2"], ["output"], transB=1)],
            [tensor("W1", W1, raw=False), tensor("b1", b1, raw=False),
             tensor("W2", W2, raw=False), tensor("b2", b2, raw=False)], 3),
        "add_bias_first_transpose_perm": (
            [G("Transpose", ["W1"], ["W1T"], perm=[1, 0]),
             G("MatMul", ["input", "W1T"], ["m"]), G("Add", ["b1", "m"], ["h"]),
             G("Identity", ["h"], ["i"]), G("Sigmoid", ["i"], ["s"]),
             G("Gemm", ["s", "W2"], ["g"], transB=1), G("Add", ["g", "b2"], ["output"])],
            [tensor("W1", W1), tensor("b1", b1), tensor("W2", W2), tensor("b2", b2)], 3),
        "scaling_nodes": (
            [G("Sub", ["input", "mu"], ["c"]), G("Div", ["c", "sd"], ["z"]),
             G("Gemm", ["z", "W1", "b1"], ["h"], transB=1), G("Relu", ["h"], ["r"]),
             G("Gemm", ["r", "W2", "b2"], ["o"], transB=1),
             G("Mul", ["o", "osd"], ["p"]), G("Add", ["omu", "p"], ["output"])],
            [tensor("mu", rng.normal(size=5)), tensor("sd", rng.uniform(0.5, 2, size=5)),
             tensor("W1", W1), tensor("b1", b1), tensor("W2", W2), tensor("b2", b2),
             tensor("osd", rng.uniform(0.5, 2, size=3)), tensor("omu", rng.normal(size=3))],
            3),
    }
    # Weights in Constant nodes, directly (transB = 0), through a Transpose
    # and in typed fields, as onnx.helper users may write them.
    cases["constant_weights"] = (
        [G("Constant", [], ["W1T"], value=tensor("", W1.T.copy())),
         G("Constant", [], ["b1"], value=tensor("", b1, raw=False)),
         G("Gemm", ["input", "W1T", "b1"], ["h"]), G("Tanh", ["h"], ["t"]),
         G("Constant", [], ["W2"], value=tensor("", W2)), G("Transpose", ["W2"], ["W2T"]),
         G("MatMul", ["t", "W2T"], ["m"]),
         G("Constant", [], ["b2"], value=tensor("", b2)), G("Add", ["m", "b2"], ["output"])],
        [], 3)
    # The importer follows the data, not the order of the node list: the
    # same graph with its nodes listed output first (which onnx.checker
    # would refuse) imports to the same network.
    cases["nodes_listed_output_first"] = cases["scaling_nodes"]
    for name, (nodes, inits, n_out) in cases.items():
        m = helper_graph(nodes, inits, 5, n_out)
        x = rng.normal(size=(6, 5))
        y = evaluate(m, x)
        save(os.path.join(d, name + ".bf"), float_error(m, x))
        if name == "nodes_listed_output_first":
            m = helper_graph(nodes[::-1], inits, 5, n_out)
        with open(os.path.join(d, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
        save(os.path.join(d, name + ".x"), x)
        save(os.path.join(d, name + ".y"), y)
        save(os.path.join(d, name + ".y64"), y)
        lines.append("ok %s mse 1e-12" % name)


# --- refused models --------------------------------------------------------

def refused_cases(d, lines):
    import torch
    import onnx
    from torch import nn
    from onnx import helper, TensorProto

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)

        def forward(self, x):
            return x + torch.relu(self.a(x))

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)

        def forward(self, x, y):
            return self.a(x) + y

    class TwoOutputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)

        def forward(self, x):
            h = self.a(x)
            return h, torch.sigmoid(h)

    x = torch.randn(3, 4)
    torch_refused = [
        ("conv", nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(4, 2)),
         torch.randn(3, 1, 4), "mse", "FORMAT", "(Conv): this operator is not imported"),
        ("leaky_relu", nn.Sequential(nn.Linear(4, 3), nn.LeakyReLU()), x, "mse",
         "FORMAT", "(LeakyRelu): this operator is not imported"),
        ("batchnorm", nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).eval(), x,
         "mse", "FORMAT", "(BatchNormalization): this operator is not imported"),
        ("softmax_dim0", nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=0)), x, "ce",
         "FORMAT", "axis = 0"),
        ("residual_branch", Residual(), x, "mse", "FORMAT", "(a branch, into Gemm and Add)"),
        # Activations torch writes as several nodes show as branches into
        # them, which the reason names.
        ("gelu", nn.Sequential(nn.Linear(4, 3), nn.GELU()), x, "mse", "FORMAT",
         "value '/0/Gemm_output_0' feeds more than one place (a branch, into Div and Mul)"),
        ("silu", nn.Sequential(nn.Linear(4, 3), nn.SiLU()), x, "mse", "FORMAT",
         "(a branch, into Sigmoid and Mul)"),
        ("flatten_start_dim2", nn.Sequential(nn.Flatten(start_dim=2), nn.Linear(4, 2)),
         torch.randn(3, 2, 2, 2), "mse", "FORMAT",
         "value 'input' feeds more than one place (a branch, into Shape and Reshape)"),
        ("two_inputs", TwoInputs(), (x, torch.randn(3, 3)), "mse", "FORMAT",
         "the graph has 2 inputs"),
        ("two_outputs", TwoOutputs(), x, "mse", "FORMAT", "the graph has 2 outputs"),
        ("softmax_in_middle", nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1),
                                            nn.Linear(3, 2)), x, "mse", "FORMAT",
         "a layer after a Softmax"),
        ("activation_first", nn.Sequential(nn.ReLU(), nn.Linear(4, 3)), x, "mse",
         "FORMAT", "an activation before the first Gemm or MatMul"),
        ("two_activations", nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sigmoid()),
         x, "mse", "FORMAT", "a second activation on the same layer"),
        ("rank1_input", nn.Sequential(nn.Linear(4, 3)), torch.randn(4), "mse",
         "FORMAT", "has rank 1"),
        ("flatten_after_layer", nn.Sequential(nn.Linear(4, 3), nn.Flatten()),
         torch.randn(2, 5, 4), "mse", "FORMAT", "a Flatten after the first layer"),
        ("weights_as_inputs", nn.Sequential(nn.Linear(4, 3)), x, "mse", "FORMAT",
         "the graph has 3 inputs"),
        ("softmax_with_mse", nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), x,
         "mse", "ARG", "a Softmax output needs the cross-entropy loss"),
        ("identity_with_ce", nn.Sequential(nn.Linear(4, 3)), x, "ce", "ARG",
         "cross-entropy needs a Softmax or Sigmoid output"),
    ]
    # A model exported in training mode keeps its Dropout (two outputs).
    torch_refused.append(
        ("dropout_training", nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.2)).train(), x,
         "mse", "FORMAT", "(Dropout): this operator is not imported"))
    for name, model, inp, loss, status, text in torch_refused:
        kw = {"export_params": False} if name == "weights_as_inputs" else {}
        if name == "dropout_training":
            kw = {"training": torch.onnx.TrainingMode.TRAINING,
                  "do_constant_folding": False}
        f = io.BytesIO()
        names = ["input", "input2"] if name == "two_inputs" else ["input"]
        outs = ["output", "output2"] if name == "two_outputs" else ["output"]
        torch.onnx.export(model, inp, f, opset_version=15, input_names=names,
                          output_names=outs, **kw)
        with open(os.path.join(d, name + ".onnx"), "wb") as out:
            out.write(f.getvalue())
        lines.append("refuse %s %s %s %s" % (name, loss, status, text))

    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 4))
    G = helper.make_node
    bad_weight = W.copy()
    bad_weight[1, 2] = np.nan
    half = helper.make_tensor("W", TensorProto.FLOAT16, [3, 4],
                              np.zeros(12, np.float16).view(np.uint16).tolist())
    external = tensor("W", W)
    external.data_location = TensorProto.EXTERNAL
    external.raw_data = b""
    ext = external.external_data.add()
    ext.key, ext.value = "location", "weights.bin"
    short = tensor("W", W)
    short.raw_data = short.raw_data[:-8]
    gemm = [G("Gemm", ["input", "W"], ["output"], transB=1)]
    no_default_opset = helper_graph(gemm, [tensor("W", W)], 4, 3)
    del no_default_opset.opset_import[:]
    no_default_opset.opset_import.append(helper.make_opsetid("com.example", 1))
    handmade = [
        ("not_protobuf", None, "mse", "FORMAT", "not an ONNX model"),
        ("nan_weight", helper_graph(gemm, [tensor("W", bad_weight)], 4, 3), "mse",
         "FORMAT", "tensor 'W' has a value that is not finite"),
        ("float16_weight", helper_graph(gemm, [half], 4, 3), "mse", "FORMAT",
         "tensor 'W' has element type 10"),
        ("external_data", helper_graph(gemm, [external], 4, 3), "mse", "FORMAT",
         "tensor 'W' keeps its data in an external file"),
        ("short_raw_data", helper_graph(gemm, [short], 4, 3), "mse", "FORMAT",
         "tensor 'W' holds 11 values where its dims say 12"),
        ("shapes_do_not_chain", helper_graph(
            [G("Gemm", ["input", "W"], ["h"], transB=1),
             G("Gemm", ["h", "V"], ["output"], transB=1)],
            [tensor("W", W), tensor("V", rng.normal(size=(2, 5)))], 4, 2), "mse",
         "FORMAT", "takes 5 features but receives 3"),
        ("input_width_mismatch", helper_graph(gemm, [tensor("W", W)], 6, 3), "mse",
         "FORMAT", "takes 4 features but receives 6"),
        ("transA", helper_graph([G("Gemm", ["input", "W"], ["output"], transA=1)],
                                [tensor("W", W)], 4, 3), "mse", "FORMAT",
         "transA = 1"),
        ("data_second", helper_graph([G("MatMul", ["W", "input"], ["output"])],
                                     [tensor("W", W)], 4, 3), "mse", "FORMAT",
         "the data must be the first input"),
        ("opset_6", helper_graph(gemm, [tensor("W", W)], 4, 3, opset=6), "mse",
         "FORMAT", "opset 6"),
        ("no_default_opset", no_default_opset, "mse", "FORMAT",
         "imports no opset of the default ONNX domain"),
        ("other_domain", helper_graph(
            [G("Gemm", ["input", "W"], ["output"], transB=1, domain="com.example")],
            [tensor("W", W)], 4, 3), "mse", "FORMAT", "another domain"),
        ("unknown_attribute", helper_graph(
            [G("Gemm", ["input", "W"], ["output"], transB=1, gamma=2.0)],
            [tensor("W", W)], 4, 3), "mse", "FORMAT", "attribute 'gamma'"),
        ("dead_node", helper_graph(
            gemm + [G("Relu", ["W"], ["unused"])], [tensor("W", W)], 4, 3), "mse",
         "FORMAT", "(Relu): not on the path from the input to the output"),
        ("weight_from_relu", helper_graph(
            [G("Relu", ["W"], ["R"]), G("Gemm", ["input", "R"], ["output"], transB=1)],
            [tensor("W", W)], 4, 3), "mse",
         "FORMAT", "computes a weight from the data or with an operator"),
        ("unused_node", helper_graph(
            gemm + [G("Transpose", ["W"], ["unused"])], [tensor("W", W)], 4, 3),
         "mse", "FORMAT", "not on the path from the input to the output"),
        ("negative_scale", helper_graph(
            [G("Div", ["input", "s"], ["z"]), G("Gemm", ["z", "W"], ["output"], transB=1)],
            [tensor("s", -np.ones(4)), tensor("W", W)], 4, 3), "mse", "FORMAT",
         "a scaling divides or multiplies by values > 0"),
        ("no_layer", helper_graph([G("Relu", ["input"], ["output"])], [], 4, 4),
         "mse", "FORMAT", "an activation before the first Gemm or MatMul"),
        ("scaling_then_flatten", helper_graph(
            [G("Sub", ["input", "m"], ["c"]), G("Flatten", ["c"], ["f"]),
             G("Gemm", ["f", "W"], ["output"], transB=1)],
            [tensor("m", np.ones(2)), tensor("W", W)], 4, 3, in_shape=["batch", 2, 2]),
         "mse", "FORMAT", "a Flatten after the input scaling"),
        ("mul_in_middle", helper_graph(
            [G("Gemm", ["input", "W"], ["h"], transB=1), G("Mul", ["h", "s"], ["m"]),
             G("Gemm", ["m", "V"], ["output"], transB=1)],
            [tensor("W", W), tensor("s", np.ones(3)), tensor("V", np.ones((2, 3)))],
            4, 2), "mse", "FORMAT", "a layer after the output scaling"),
    ]
    # Bombs: small files whose import would cost far more than their size.
    # One 64 x 64 weight (32 KiB) shared by 200 layers would be decoded 200
    # times (6.4 MiB, over 16 times the file's 37 KiB plus 1 MiB); one
    # weight behind a chain of 100 Identity nodes shared by 100 layers
    # would take 10,000 steps to reach (the bound: twice the 200 nodes).
    S = rng.normal(size=(64, 64)) / 64
    shared = [G("Gemm", ["input" if i == 0 else "h%d" % i, "S"],
                ["output" if i == 199 else "h%d" % (i + 1)], transB=1)
              for i in range(200)]
    chain = [G("Identity", ["c%d" % i], ["c%d" % (i + 1)]) for i in range(100)]
    chained = [G("Gemm", ["input" if i == 0 else "h%d" % i, "c100"],
                 ["output" if i == 99 else "h%d" % (i + 1)]) for i in range(100)]
    scale_by = [G("Div", ["input", "c"], ["z"]), G("Gemm", ["z", "W"], ["output"], transB=1)]
    nan_constant = G("Constant", [], ["c"], value=tensor("", np.array([2.0, np.nan, 1, 1])))
    both = tensor("W", W)
    both.double_data.extend([1.0] * 12)
    cycle = [G("Transpose", ["t2"], ["t1"]), G("Transpose", ["t1"], ["t2"]),
             G("Gemm", ["input", "t1"], ["output"], transB=1)]
    handmade += [
        # Hostile graphs: a name given to two initializers (which value
        # would be meant?), a declared output width the weights do not
        # have, a weight defined by a cycle, data in two places at once, an
        # output no node writes.
        ("duplicate_initializer", helper_graph(gemm, [tensor("W", W), tensor("W", 2 * W)],
                                               4, 3), "mse", "FORMAT",
         "value 'W' is defined twice"),
        ("output_width_declared", helper_graph(gemm, [tensor("W", W)], 4, 5), "mse",
         "FORMAT", "the output is declared with a shape other than [batch, 3]"),
        ("weight_cycle", helper_graph(cycle, [], 4, 3), "mse", "FORMAT",
         "is defined by a cycle of nodes"),
        ("raw_and_typed_data", helper_graph(gemm, [both], 4, 3), "mse", "FORMAT",
         "tensor 'W' has both raw_data and typed data"),
        ("output_not_written", helper_graph(
            [G("Gemm", ["input", "W"], ["h"], transB=1), G("Relu", ["h"], ["r"])],
            [tensor("W", W)], 4, 3), "mse", "FORMAT",
         "value 'r' leads nowhere: no node uses it and it is not the output"),
        ("constant_value_float", helper_graph(
            [G("Constant", [], ["c"], value_float=2.0)] + scale_by, [tensor("W", W)], 4, 3),
         "mse", "FORMAT", "node #0 (Constant): attribute 'value_float' is not imported"),
        ("constant_nan", helper_graph([nan_constant] + scale_by, [tensor("W", W)], 4, 3),
         "mse", "FORMAT", "tensor 'c' has a value that is not finite"),
        ("negative_input_dim", helper_graph(gemm, [tensor("W", W)], 4, 3,
                                            in_shape=["batch", -4]), "mse",
         "FORMAT", "input 'input' declares a dimension of -4"),
        # 2^32 * 2^32 * 4 features after the Flatten: the product overflows.
        ("flatten_overflow", helper_graph(
            [G("Flatten", ["input"], ["f"]), G("Gemm", ["f", "W"], ["output"], transB=1)],
            [tensor("W", W)], 4, 3, in_shape=["batch", 1 << 32, 1 << 32, 4]), "mse",
         "FORMAT", "declares a dimension of 4294967296 (or more features"),
        ("shared_weight_bomb", helper_graph(shared, [tensor("S", S)], 64, 64),
         "mse", "FORMAT", "the weights take more memory as doubles than 16 times"),
        ("identity_chain_bomb", helper_graph(
            chain + chained, [tensor("c0", np.full((1, 1), 0.5))], 1, 1), "mse",
         "FORMAT", "more Identity and Transpose steps in all than twice the node"),
    ]
    for name, model, loss, status, text in handmade:
        data = b"\x0a\xff\xff\xff" if model is None else model.SerializeToString()
        with open(os.path.join(d, name + ".onnx"), "wb") as out:
            out.write(data)
        lines.append("refuse %s %s %s %s" % (name, loss, status, text))


# --- an independent evaluator ----------------------------------------------

def evaluate(model, x):
    """Evaluates the operators this library reads and writes, in float64,
    following the ONNX operator definitions (broadcasting by numpy)."""
    from onnx import numpy_helper
    g = model.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    env[g.input[0].name] = np.asarray(x, dtype=np.float64)
    for n in g.node:
        env[n.output[0]] = evaluate_node(n, [env[i] for i in n.input if i])
    return env[g.output[0].name]


def evaluate_node(n, v):
    """One node's result from its inputs' values v, in float64."""
    a = {at.name: at for at in n.attribute}
    op = n.op_type
    if op == "Gemm":
        A = v[0].T if a.get("transA") and a["transA"].i else v[0]
        B = v[1].T if a.get("transB") and a["transB"].i else v[1]
        alpha = a["alpha"].f if "alpha" in a else 1.0
        beta = a["beta"].f if "beta" in a else 1.0
        r = alpha * (A @ B)
        if len(v) > 2:
            r = r + beta * v[2]
    elif op == "MatMul":
        r = v[0] @ v[1]
    elif op in ("Add", "Sub", "Mul", "Div"):
        r = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
             "Div": np.divide}[op](v[0], v[1])
    elif op == "Relu":
        r = np.maximum(v[0], 0)
    elif op == "Sigmoid":
        r = 1 / (1 + np.exp(-v[0]))
    elif op == "Tanh":
        r = np.tanh(v[0])
    elif op == "Softmax":
        axis = a["axis"].i if "axis" in a else -1
        e = np.exp(v[0] - v[0].max(axis=axis, keepdims=True))
        r = e / e.sum(axis=axis, keepdims=True)
    elif op == "Identity":
        r = v[0]
    elif op == "Constant":
        from onnx import numpy_helper
        r = numpy_helper.to_array(a["value"].t).astype(np.float64)
    elif op == "Flatten":
        axis = a["axis"].i if "axis" in a else 1
        r = v[0].reshape(int(np.prod(v[0].shape[:axis])), -1)
    elif op == "Transpose":
        perm = list(a["perm"].ints) if "perm" in a else None
        r = np.transpose(v[0], perm)
    else:
        raise ValueError("the evaluator does not know " + op)
    return r


U = 2.0 ** -24  # float's unit roundoff


def float_error(model, x):
    """A first-order bound, entry by entry, on how far an evaluation of the
    model in float arithmetic (inputs and weights rounded to float, every
    operation rounded) can be from its exact value on x, by the standard
    forward error analysis with u = 2^-24: each node gets a value v (in
    float64) and a bound e on its error. A rounded input or weight is off
    by u|v|; a dot product of k terms by gamma_(k+1) |A||B| (whatever the
    summation order, as in any BLAS) plus |A| e_B + e_A |B|; Add, Sub, Mul
    and Div propagate the errors of their operands plus u|result|; an
    activation passes its input's error through its Lipschitz constant
    (1 for Relu and Tanh, 1/4 for Sigmoid; Softmax moves p_i by at most
    2 p_i max e) and adds 8u|result| for the inaccuracy of expf/tanhf
    (libm's and PyTorch's are within 4 ulp). Two float evaluations of the
    same model (libmlp's mlpf_ and PyTorch's float32) are within twice the
    bound of each other."""
    from onnx import numpy_helper
    g = model.graph

    def gamma(k):
        return k * U / (1 - k * U)

    env = {}
    for t in g.initializer:
        v = numpy_helper.to_array(t).astype(np.float64)
        env[t.name] = (v, U * np.abs(v))
    x = np.asarray(x, dtype=np.float64)
    env[g.input[0].name] = (x, U * np.abs(x))
    for n in g.node:
        a = {at.name: at for at in n.attribute}
        args = [env[i] for i in n.input if i]
        r = evaluate_node(n, [v for v, _ in args])
        env[n.output[0]] = (r, node_error(n.op_type, a, args, r, gamma))
    return env[g.output[0].name][1]


def node_error(op, a, args, r, gamma):
    """The error bound of one node's result r (see float_error)."""
    v = [p[0] for p in args]
    e = [p[1] for p in args]
    if op in ("Gemm", "MatMul"):
        ta = op == "Gemm" and "transA" in a and a["transA"].i
        tb = op == "Gemm" and "transB" in a and a["transB"].i
        A, eA = (v[0].T, e[0].T) if ta else (v[0], e[0])
        B, eB = (v[1].T, e[1].T) if tb else (v[1], e[1])
        alpha = abs(a["alpha"].f) if "alpha" in a else 1.0
        beta = abs(a["beta"].f) if "beta" in a else 1.0
        k = A.shape[-1]
        # gamma(k + 3): the k products and sums, the rounding of alpha * B
        # and of beta * C (libmlp folds them into its weights), the bias.
        err = alpha * (np.abs(A) @ eB + eA @ np.abs(B) +
                       gamma(k + 3) * (np.abs(A) @ np.abs(B)))
        if len(v) > 2:
            err = err + beta * (e[2] + 2 * U * np.abs(v[2]))
        return err + U * np.abs(r)
    if op in ("Add", "Sub"):
        return e[0] + e[1] + U * np.abs(r)
    if op == "Mul":
        return np.abs(v[0]) * e[1] + e[0] * np.abs(v[1]) + U * np.abs(r)
    if op == "Div":
        # 2u: libmlp may multiply by the rounded reciprocal.
        return e[0] / np.abs(v[1]) + np.abs(r) * e[1] / np.abs(v[1]) + 2 * U * np.abs(r)
    if op in ("Relu", "Identity"):
        return e[0]
    if op == "Constant":
        return U * np.abs(r)
    if op in ("Sigmoid", "Tanh"):
        lip = 0.25 if op == "Sigmoid" else 1.0
        return lip * e[0] + 8 * U * np.abs(r)
    if op == "Softmax":
        axis = a["axis"].i if "axis" in a else -1
        width = r.shape[axis]
        return r * (2 * e[0].max(axis=axis, keepdims=True) + (width + 8) * U)
    return evaluate_node_shape(op, a, e[0])


def evaluate_node_shape(op, a, e):
    """Flatten and Transpose move the errors with the values."""
    if op == "Flatten":
        axis = a["axis"].i if "axis" in a else 1
        return e.reshape(int(np.prod(e.shape[:axis])), -1)
    if op == "Transpose":
        return np.transpose(e, list(a["perm"].ints) if "perm" in a else None)
    raise ValueError("float_error does not know " + op)


def close(got, want, tol):
    return np.all(np.abs(got - want) <= tol * np.maximum(np.abs(want), 1.0))


def check(d):
    """Every model libmlp exported: onnx.checker (with shape inference), the
    interface the header promises, and the numpy evaluation against the
    predictions libmlp wrote. A line "NAME" of exported.txt is a DOUBLE
    model from mlp_onnx_export: within 1e-12 of mlp_predict (both in
    float64; only the order of the sums differs). A line "NAME float" is a
    FLOAT model from mlpf_onnx_export: within float_error's bound of
    mlpf_predict (the numpy evaluation is exact to first order, mlpf_predict
    is a float evaluation)."""
    import onnx
    failures, worst = 0, 0.0
    lines = [l.split() for l in open(os.path.join(d, "exported.txt")) if l.strip()]
    for fields in lines:
        name, single = fields[0], fields[1:] == ["float"]
        m = onnx.load(os.path.join(d, name + ".onnx"))
        try:
            x, want = check_interface(m, d, name, single)
            got = evaluate(m, x).ravel()
            assert got.shape == want.shape, "shape"
            if single:
                bound = float_error(m, x).ravel()
                ratio = np.max(np.abs(got - want) / bound)
                worst = max(worst, ratio)
                assert ratio <= 1, "max difference / bound %g" % ratio
            else:
                assert close(got, want, 1e-12), \
                    "max difference %g" % np.max(np.abs(got - want))
            print("ok  %s: checker passes, %d nodes, numpy agrees"
                  % (name, len(m.graph.node)))
        except Exception as e:  # report every model, then fail
            failures += 1
            print("FAIL %s: %s" % (name, e))
    print("%d exported models checked, %d failures" % (len(lines), failures))
    if worst:
        print("float models: largest difference %.3g of float_error's bound" % worst)
    return 1 if failures or not lines else 0


def check_interface(m, d, name, single):
    """onnx.checker and the promised input, output and element type; the
    inputs and libmlp's predictions written beside the model."""
    import onnx
    from onnx import TensorProto
    elem = TensorProto.FLOAT if single else TensorProto.DOUBLE
    onnx.checker.check_model(m, full_check=True)
    opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    assert opset and 13 <= opset[0] <= 17, "opset %s" % opset
    g = m.graph
    assert [i.name for i in g.input] == ["input"], "inputs"
    assert [o.name for o in g.output] == ["output"], "outputs"
    for vi in (g.input[0], g.output[0]):
        t = vi.type.tensor_type
        assert t.elem_type == elem, "element type"
        dims = t.shape.dim
        assert len(dims) == 2 and dims[0].dim_param and dims[1].dim_value > 0
    for t in g.initializer:
        assert t.data_type == elem, "initializer type"
    n_in = g.input[0].type.tensor_type.shape.dim[1].dim_value
    x = np.fromfile(os.path.join(d, name + ".x"), "<f8").reshape(-1, n_in)
    return x, np.fromfile(os.path.join(d, name + ".y"), "<f8")


def make(d):
    os.makedirs(d, exist_ok=True)
    lines = []
    n = torch_cases(d, lines)
    helper_cases(d, lines)
    refused_cases(d, lines)
    with open(os.path.join(d, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d torch.onnx.export cases, %d lines in cases.txt" % (n, len(lines)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit(__doc__)
    sys.exit(make(sys.argv[2]) if sys.argv[1] == "make" else check(sys.argv[2]))
