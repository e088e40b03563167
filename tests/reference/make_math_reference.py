#!/usr/bin/python3
"""Asks PyTorch 1.13 what the elementwise math ops of include/eigentorch/ops/math.hpp compute (clamp,
square, rsqrt, reciprocal, erfinv, sin, cos, log1p, expm1, log2, floor, ceil, round, sign, maximum, minimum)
and writes math_cases.hpp as exact hex floats, for tests/ops/math_test.cpp.

Every case, in float and in double: the inputs, the forward value, the grad_fn name, and each input's
gradient for a fixed upstream gradient. The inputs hold the edges: ties at the clamp bounds and
between maximum's operands, signed zeros, halves for round, infinities and nan. Also PyTorch's
messages for misuse.

Run from anywhere: /usr/bin/python3 tests/reference/make_math_reference.py
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "math_cases.hpp")
NAN, INF = float("nan"), float("inf")

torch.set_num_threads(1)

# op key (the C++ table's) -> how PyTorch computes it
OPS = {
    "clamp": lambda x: torch.clamp(x, -0.5, 1.0),
    "clamp_only_min": lambda x: torch.clamp(x, min=-0.5),
    "clamp_only_max": lambda x: torch.clamp(x, max=1.0),
    "clamp_reversed": lambda x: torch.clamp(x, 1.0, -0.5),  # min > max: every element is max
    "clamp_nan_min": lambda x: torch.clamp(x, NAN, 1.0),  # a nan bound with both: all nan
    "clamp_only_nan_min": lambda x: torch.clamp(x, min=NAN),  # one nan bound: x unchanged
    "clamp_min": lambda x: torch.clamp_min(x, -0.5),
    "clamp_max": lambda x: torch.clamp_max(x, 1.0),
    "clamp_min_nan": lambda x: torch.clamp_min(x, NAN),
    "clamp_max_nan": lambda x: torch.clamp_max(x, NAN),
    "square": torch.square,
    "rsqrt": torch.rsqrt,
    "reciprocal": torch.reciprocal,
    "erfinv": torch.erfinv,
    "sin": torch.sin,
    "cos": torch.cos,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "log2": torch.log2,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,
    "sign": torch.sign,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}

CLAMP_X = [-3.0, -0.5, -0.25, -0.0, 0.0, 0.3, 1.0, 1.5, NAN, INF, -INF]
ROUNDING_X = [-2.5, -1.5, -0.5, -0.49, -0.0, 0.0, 0.5, 1.5, 2.5, 3.7, -3.7, 0.49999997, 8388609.0, NAN, INF]
# NOTE: fewer than 8 elements: PyTorch's scalar loop, which keeps the first operand on a tie of zeros
# (maximum(0., -0.) = 0.); its vector loop (whole blocks of 16 floats or 8 doubles) keeps the second.
TIES_A = [1.0, 2.0, 3.0, NAN, 0.0, -0.0, 5.0]
TIES_B = [1.0, 1.0, 4.0, 1.0, -0.0, 0.0, NAN]

# (label, op key, [inputs: a list of values, or ("randn", shape)])
CASES = [(k, k, [CLAMP_X]) for k in OPS if k.startswith("clamp")] + [
    ("clamp 2-d", "clamp", [("randn", (3, 4))]),
    ("square", "square", [[-3.0, -1.5, -0.0, 0.0, 0.7, 2.0, 1e20, NAN, INF, -INF]]),
    ("rsqrt", "rsqrt", [[0.0, -0.0, 0.25, 1.0, 2.0, 1e4, 3e-7, -1.0, INF, NAN]]),
    ("reciprocal", "reciprocal", [[-2.0, -0.0, 0.0, 0.1, 3.0, 1e-30, INF, -INF, NAN]]),
    ("sin", "sin", [[-3.2, -1.0, -0.0, 0.0, 0.5, 1.5707963267948966, 3.141592653589793, 10.0, 100.0, INF, NAN]]),
    ("sin 2-d", "sin", [("randn", (2, 3))]),
    ("cos", "cos", [[-3.2, -1.0, -0.0, 0.0, 0.5, 1.5707963267948966, 3.141592653589793, 10.0, 100.0, INF, NAN]]),
    ("log1p", "log1p", [[-1.0, -0.5, -0.0, 0.0, 1e-8, 0.5, 10.0, 1e30, -2.0, INF, NAN]]),
    ("expm1", "expm1", [[-20.0, -1.0, -0.0, 0.0, 1e-8, 0.5, 10.0, 100.0, -INF, INF, NAN]]),
    ("log2", "log2", [[0.0, -0.0, 0.25, 1.0, 3.0, 1024.0, 1e-30, -1.0, INF, NAN]]),
    ("floor", "floor", [ROUNDING_X]),
    ("ceil", "ceil", [ROUNDING_X]),
    ("round", "round", [ROUNDING_X]),
    ("sign", "sign", [ROUNDING_X]),
    ("maximum ties", "maximum", [TIES_A, TIES_B]),
    ("minimum ties", "minimum", [TIES_A, TIES_B]),
    ("maximum infinities", "maximum", [[INF, -INF, NAN, -INF], [INF, 2.0, NAN, -INF]]),
    ("minimum infinities", "minimum", [[INF, -INF, NAN, INF], [INF, 2.0, NAN, -INF]]),
    ("maximum broadcast", "maximum", [("randn", (2, 3)), ("randn", (3,))]),
    ("minimum broadcast", "minimum", [("randn", (2, 1)), ("randn", (1, 3))]),
    ("maximum broadcast tie", "maximum", [[[0.5, 1.0, -1.0], [2.0, 1.0, 0.0]], [0.5, 1.0, 0.0]]),
    ("minimum broadcast tie", "minimum", [[[0.5, 1.0, -1.0], [2.0, 1.0, 0.0]], [0.5, 1.0, 0.0]]),
    ("erfinv", "erfinv", [[-1.0, -0.999, -0.7, -0.69, -0.0, 0.0, 1e-8, 0.3, 0.7000001, 0.95, 1.0, 1.5, NAN]]),
    ("erfinv 2-d", "erfinv", [("rand", (3, 5))]),
]

_seed = [1500]


def make(spec, dtype):
    _seed[0] += 1
    torch.manual_seed(_seed[0])
    if isinstance(spec, tuple):
        draw = torch.rand(spec[1], dtype=dtype) * 2 - 1 if spec[0] == "rand" else torch.randn(spec[1], dtype=dtype)
        return draw
    return torch.tensor(spec, dtype=dtype)


def run(label, key, specs, dtype):
    xs = [make(s, dtype).requires_grad_() for s in specs]
    y = OPS[key](*xs)
    torch.manual_seed(_seed[0] + 7)
    g = torch.randn(y.shape, dtype=dtype)
    grads = torch.autograd.grad(y, xs, g)
    return {"label": label, "op": key, "double": dtype == torch.float64, "grad_fn": y.grad_fn.name(),
            "inputs": [x.detach() for x in xs], "output": y.detach(), "grad_output": g, "grads": grads}


def message(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 -- the message is what we want
        return type(e).__name__, str(e)
    raise AssertionError("no error")


ERRORS = {
    "clamp none": lambda: torch.clamp(torch.zeros(3)),
    "maximum [3] [4]": lambda: torch.maximum(torch.zeros(3), torch.zeros(4)),
    "minimum [2,3] [2]": lambda: torch.minimum(torch.zeros(2, 3), torch.zeros(2)),
}


def hexf(v):
    if v != v:
        return "NAN"
    if v in (INF, -INF):
        return "INFINITY" if v > 0 else "-INFINITY"
    if v == 0:
        return "-0.0" if str(v)[0] == "-" else "0.0"
    mantissa, exponent = float.hex(v).split("p")
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent


def vec(t):
    return "{" + ", ".join(hexf(v) for v in t.reshape(-1).tolist()) + "}"


def shape(t):
    return "{" + ", ".join(str(d) for d in t.shape) + "}"


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


lines = [
    "// @generated by tests/reference/make_math_reference.py; do not edit",
    f"// Computed by PyTorch {torch.__version__} on the CPU (one thread), as exact hex floats (floats widened",
    "// to double). y and y_shape are empty for one-input ops; an input is stored as PyTorch saw it.",
    "#pragma once",
    "",
    "#include <cmath>  // NAN, INFINITY",
    "#include <cstdint>",
    "#include <vector>",
    "",
    "namespace eigentorch::reference::math {",
    "",
    "struct Case {",
    "  const char* name;  // the case's label",
    "  const char* op;    // the key of math_test.cpp's table",
    "  bool is_double;",
    "  const char* grad_fn;",
    "  std::vector<int64_t> x_shape, y_shape;",
    "  std::vector<double> x, y, output, grad_output, grad_x, grad_y;",
    "};",
    "",
    "inline const std::vector<Case> cases = {",
]
for dtype in (torch.float32, torch.float64):
    for label, key, specs in CASES:
        c = run(label, key, specs, dtype)
        ins, gr = c["inputs"], c["grads"]
        two = len(ins) == 2
        fields = [cstr(label), cstr(key), "true" if c["double"] else "false", cstr(c["grad_fn"]),
                  shape(ins[0]), shape(ins[1]) if two else "{}", vec(ins[0]), vec(ins[1]) if two else "{}",
                  vec(c["output"]), vec(c["grad_output"]), vec(gr[0]), vec(gr[1]) if two else "{}"]
        lines.append("  {" + ",\n   ".join(fields) + "},")
lines += ["};", "", "struct Message {", "  const char* key, *type, *message;", "};", "",
          "inline const std::vector<Message> errors = {"]
for key, f in ERRORS.items():
    kind, text = message(f)
    lines.append(f"  {{{cstr(key)}, {cstr(kind)}, {cstr(text)}}},")
lines += ["};", "", "}  // namespace eigentorch::reference::math", ""]

with open(OUT, "w") as f:
    f.write("\n".join(lines))
print("wrote", OUT, 2 * len(CASES), "cases,", len(ERRORS), "messages")
