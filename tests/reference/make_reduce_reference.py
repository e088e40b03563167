#!/usr/bin/python3
"""Asks PyTorch 1.13 what the reductions of ops/reduce.hpp beyond sum and mean compute (max, min, prod,
var, std, logsumexp, norm, cumsum) and writes the answers to reduce_cases.hpp as exact hex floats, for
tests/ops/reduce_test.cpp: per case the input, the output, the input's gradient for a fixed upstream
gradient, the grad_fn name and (double) whether torch.autograd.gradcheck passes; and PyTorch's messages.

Run from anywhere: /usr/bin/python3 tests/reference/make_reduce_reference.py
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reduce_cases.hpp")
DTYPES = {"float": torch.float32, "double": torch.float64}
INF = float("inf")
NAN = float("nan")

torch.set_num_threads(1)  # the reduction order eigentorch reproduces is the single-thread one

OPS = {
    "max": lambda x, p: x.max(),
    "min": lambda x, p: x.min(),
    "prod": lambda x, p: x.prod(),
    "prod_dim": lambda x, p: x.prod(p["dim"], keepdim=p["keepdim"]),
    "var": lambda x, p: x.var(unbiased=p["unbiased"]),
    "var_dim": lambda x, p: x.var(p["dim"], unbiased=p["unbiased"], keepdim=p["keepdim"]),
    "std": lambda x, p: x.std(unbiased=p["unbiased"]),
    "std_dim": lambda x, p: x.std(p["dim"], unbiased=p["unbiased"], keepdim=p["keepdim"]),
    "logsumexp": lambda x, p: x.logsumexp(p["dim"], keepdim=p["keepdim"]),
    "norm": lambda x, p: x.norm(p["p"]),
    "cumsum": lambda x, p: x.cumsum(p["dim"]),
}

cases = []
_seed = [2000]


def make_input(spec, dtype):
    """spec: a shape tuple (randn), ("rand", shape, lo, hi), or ("values", [..], shape)."""
    _seed[0] += 1
    torch.manual_seed(_seed[0])
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        if spec[0] == "rand":
            _, shape, lo, hi = spec
            return torch.rand(shape, dtype=dtype) * (hi - lo) + lo
        _, values, shape = spec
        return torch.tensor(values, dtype=dtype).reshape(shape)
    return torch.randn(spec, dtype=dtype)


def case(name, op, spec, p=2.0, dim=0, keepdim=False, unbiased=True, exact=False, gradcheck=True):
    """One op on one input, in float and in double; exact: the output and gradient must be PyTorch's to the bit."""
    for dtname, dtype in DTYPES.items():
        x = make_input(spec, dtype).requires_grad_(True)
        params = {"p": p, "dim": dim, "keepdim": keepdim, "unbiased": unbiased}
        out = OPS[op](x, params)
        g = torch.randn(out.shape, dtype=dtype, generator=torch.Generator().manual_seed(4321))
        out.backward(g)
        ok = False
        if dtname == "double" and gradcheck:
            leaf = x.detach().clone().requires_grad_(True)
            ok = torch.autograd.gradcheck(lambda a: OPS[op](a, params), (leaf,), raise_exception=False)
        cases.append(dict(name=name, op=op, dtype=dtname, p=p, dim=dim, keepdim=keepdim, unbiased=unbiased,
                          input=x.detach(), output=out.detach(), grad_output=g, grad=x.grad,
                          grad_fn=type(out.grad_fn).__name__, gradcheck=ok, exact=exact))


TIES = ("values", [1.0, 3.0, -2.0, 3.0, 0.5, 3.0], (2, 3))
for op in ("max", "min"):
    case(f"{op} [3,4]", op, (3, 4))
    case(f"{op} 0-d", op, ())
    case(f"{op} ties", op, TIES, gradcheck=False)
    case(f"{op} ties at the minimum", op, ("values", [-1.0, 2.0, -1.0, 0.0], (4,)), gradcheck=False)
    case(f"{op} nan", op, ("values", [1.0, NAN, 2.0, NAN], (4,)), gradcheck=False)
    case(f"{op} inf", op, ("values", [1.0, -INF, INF, 2.0], (4,)), gradcheck=False)

ZERO1 = ("values", [1.5, -2.0, 0.0, 0.5, 3.0, -1.25], (2, 3))
ZERO2 = ("values", [1.5, 0.0, 0.7, 0.5, 0.0, -1.25], (2, 3))
case("prod [3,4]", "prod", (3, 4))
case("prod 0-d", "prod", ())
case("prod one zero", "prod", ZERO1)
case("prod two zeros", "prod", ZERO2, gradcheck=False)
case("prod [100] vectorised order", "prod", ("rand", (100,), 0.6, 1.5), exact=True)
case("prod [7,9] vectorised order", "prod", ("rand", (7, 9), 0.6, 1.5), exact=True)
for d, k in ((0, False), (1, False), (-1, True), (-2, True)):
    case(f"prod_dim [3,4] dim {d} keepdim {k}", "prod_dim", (3, 4), dim=d, keepdim=k)
    case(f"prod_dim one zero dim {d} keepdim {k}", "prod_dim", ZERO1, dim=d, keepdim=k)
case("prod_dim two zeros in a row dim 1", "prod_dim", ZERO2, dim=1, gradcheck=False)
case("prod_dim two zeros dim 0", "prod_dim", ZERO2, dim=0)
case("prod_dim [2,3,4] dim 1", "prod_dim", (2, 3, 4), dim=1)
case("prod_dim [5] dim 0", "prod_dim", (5,), dim=0)
case("prod_dim 0-d dim -1", "prod_dim", (), dim=-1)
case("prod_dim [3,70] dim 1 vectorised order", "prod_dim", ("rand", (3, 70), 0.6, 1.5), dim=1, exact=True)
case("prod_dim [70,3] dim 0", "prod_dim", ("rand", (70, 3), 0.6, 1.5), dim=0, exact=True)

for op in ("var", "std"):
    for u in (True, False):
        case(f"{op} [3,4] unbiased {u}", op, (3, 4), unbiased=u)
        case(f"{op} 0-d unbiased {u}", op, ("values", [1.5], ()), unbiased=u, gradcheck=False)
    case(f"{op} [1] biased", op, ("values", [1.5], (1,)), unbiased=False, gradcheck=False)
    case(f"{op} [1000] two-pass", op, (1000,), exact=True, gradcheck=False)
    case(f"{op} constant", op, ("values", [2.0, 2.0, 2.0], (3,)), gradcheck=False)
    dop = op + "_dim"
    for d, k, u in ((0, False, True), (1, False, False), (-1, True, True), (-2, True, False)):
        case(f"{dop} [3,4] dim {d} keepdim {k} unbiased {u}", dop, (3, 4), dim=d, keepdim=k, unbiased=u)
    case(f"{dop} [2,3,4] dim 1", dop, (2, 3, 4), dim=1)
    case(f"{dop} [5] dim 0 (one output: two-pass)", dop, (5,), dim=0)
    case(f"{dop} [3,1] dim 1 (one element each)", dop, (3, 1), dim=1, gradcheck=False)
    case(f"{dop} [4,300] dim 1 Welford", dop, ("rand", (4, 300), 100.0, 101.0), dim=1, exact=True, gradcheck=False)
    case(f"{dop} [120,4] dim 0 Welford", dop, (120, 4), dim=0, exact=True, gradcheck=False)

for d, k in ((0, False), (1, False), (-1, True), (-2, True)):
    case(f"logsumexp [3,4] dim {d} keepdim {k}", "logsumexp", (3, 4), dim=d, keepdim=k)
case("logsumexp [2,3,4] dim 1", "logsumexp", (2, 3, 4), dim=1)
case("logsumexp 0-d", "logsumexp", (), dim=0)
case("logsumexp large magnitude", "logsumexp", ("values", [1000.0, 1001.0, 999.0, -1000.0, -1001.0, -999.0], (2, 3)),
     dim=1)
case("logsumexp infinities", "logsumexp", ("values", [-INF, -INF, INF, 1.0, 2.0, -INF], (3, 2)), dim=1,
     gradcheck=False)

for p in (2.0, 1.0, INF, -INF, 3.0, 0.5, 1.5, 0.0, 4.0, -1.0):
    case(f"norm p={p} [3,4]", "norm", (3, 4), p=p, gradcheck=p != 0.0)
    case(f"norm p={p} with zeros", "norm", ("values", [0.0, -1.5, 0.0, 2.0], (4,)), p=p, gradcheck=False)
    case(f"norm p={p} of zeros", "norm", ("values", [0.0, 0.0, 0.0], (3,)), p=p, gradcheck=False)
case("norm p=inf ties", "norm", ("values", [2.0, -2.0, 1.0], (3,)), p=INF, gradcheck=False)
case("norm 0-d", "norm", (), p=2.0)
for p in (2.0, 1.0, 3.0):
    case(f"norm p={p} [1000]", "norm", (1000,), p=p, exact=True, gradcheck=False)
for n in (8, 37):
    case(f"norm p=2 [{n}]", "norm", (n,), exact=True, gradcheck=False)

for d in (0, 1, -1):
    case(f"cumsum [3,4] dim {d}", "cumsum", (3, 4), dim=d)
case("cumsum [2,3,4] dim 1", "cumsum", (2, 3, 4), dim=1)
case("cumsum 0-d", "cumsum", (), dim=0)
case("cumsum [1000]", "cumsum", (1000,), exact=True, gradcheck=False)

# ---- error messages ------------------------------------------------------------------------------------

errors = []


def error(key, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the message is what we record
        errors.append((key, type(e).__name__, str(e)))
        return
    raise AssertionError(f"{key}: PyTorch raised nothing")


error("max empty", lambda: torch.zeros(0).max())
error("min empty", lambda: torch.zeros(2, 0).min())
error("prod [2,3] dim 2", lambda: torch.zeros(2, 3).prod(2))
error("var [2,3] dim -3", lambda: torch.zeros(2, 3).var(-3))
error("std [2,3] dim 2", lambda: torch.zeros(2, 3).std(2))
error("logsumexp [2,3] dim 2", lambda: torch.zeros(2, 3).logsumexp(2))
error("cumsum [2,3] dim -3", lambda: torch.zeros(2, 3).cumsum(-3))
error("cumsum 0-d dim 1", lambda: torch.zeros(()).cumsum(1))


def _backward_one_element(op, shape):  # PyTorch 1.13's var_backward gives a 0-d gradient when n <= correction
    x = torch.full(shape, 1.5, requires_grad=True)
    getattr(x, op)().backward()


error("var [1] backward", lambda: _backward_one_element("var", (1,)))
error("std [1,1] backward", lambda: _backward_one_element("std", (1, 1)))

# What PyTorch gives for no elements.
empties = [
    ("prod", torch.zeros(0).prod().item()),
    ("var", torch.zeros(0).var().item()),
    ("std", torch.zeros(0).std().item()),
    ("norm", torch.zeros(0).norm().item()),
    ("logsumexp", torch.zeros(2, 0).logsumexp(1)[0].item()),
    ("prod_dim", torch.zeros(2, 0).prod(1)[0].item()),
    ("var_dim", torch.zeros(2, 0).var(1)[0].item()),
]

# ---- writing -------------------------------------------------------------------------------------------

values = []


def store(t):
    """Appends t's values, returns its TensorRef initializer (ndim -2: PyTorch left the gradient None)."""
    if t is None:
        return "{-2, {0, 0, 0, 0}, -1}"
    t = t.detach().contiguous().to(torch.float64)
    assert t.dim() <= 4
    offset = len(values)
    values.extend(t.reshape(-1).tolist())
    shape = list(t.shape) + [0] * (4 - t.dim())
    return "{%d, {%s}, %d}" % (t.dim(), ", ".join(map(str, shape)), offset)


def hexf(v):
    if v != v:
        return "NAN"
    if v in (INF, -INF):
        return "INFINITY" if v > 0 else "-INFINITY"
    if v == 0:
        return "-0.0" if str(v)[0] == "-" else "0.0"
    mantissa, exponent = float.hex(v).split("p")
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def cbool(b):
    return "true" if b else "false"


case_lines = [
    "    {%s, %s, %s, %s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
        cstr(c["name"]), cstr(c["op"]), cbool(c["dtype"] == "double"), hexf(c["p"]), c["dim"], cbool(c["keepdim"]),
        cbool(c["unbiased"]), store(c["input"]), store(c["output"]), store(c["grad_output"]), store(c["grad"]),
        cstr(c["grad_fn"]), cbool(c["gradcheck"]), cbool(c["exact"]))
    for c in cases]

lines = [
    "// @generated by tests/reference/make_reduce_reference.py; do not edit",
    f"// Computed by PyTorch {torch.__version__} on the CPU (one thread), as exact hex floats (floats widened to",
    "// double). Read by tests/ops/reduce_test.cpp.",
    "#pragma once",
    "",
    "#include <cmath>    // NAN, INFINITY",
    "#include <cstdint>  // int64_t",
    "",
    "namespace eigentorch::reference::reduce {",
    "",
    "/// A tensor stored in values: ndim (-2: a gradient PyTorch leaves None), shape, and where its row-major\n/// values start.",
    "struct TensorRef {",
    "  int ndim;",
    "  int64_t shape[4];",
    "  int64_t offset;",
    "};",
    "",
    "/// One reduction of one input (p: norm's order), its output, the input's gradient after",
    "/// output.backward(grad_output), PyTorch's grad_fn name, whether gradcheck passed (double), and",
    "/// whether the output and the gradient must equal PyTorch's bit for bit.",
    "struct Case {",
    "  const char* name;",
    "  const char* op;",
    "  bool is_double;",
    "  double p;",
    "  int64_t dim;",
    "  bool keepdim;",
    "  bool unbiased;",
    "  TensorRef input, output, grad_output, grad;",
    "  const char* grad_fn;",
    "  bool gradcheck;",
    "  bool exact;",
    "};",
    "",
    "/// A message PyTorch raised: key names the misuse, type is the Python exception's name.",
    "struct Error {",
    "  const char* key;",
    "  const char* type;",
    "  const char* message;",
    "};",
    "",
    "/// What an op gives for no elements.",
    "struct Empty {",
    "  const char* op;",
    "  double value;",
    "};",
    "",
    "inline constexpr double values[] = {",
]
for i in range(0, len(values), 4):
    lines.append("    " + ", ".join(hexf(v) for v in values[i:i + 4]) + ",")
lines += ["};", "", "inline constexpr Case cases[] = {"] + case_lines + ["};", "", "inline constexpr Error errors[] = {"]
lines += ["    {%s, %s, %s}," % (cstr(k), cstr(t), cstr(m)) for k, t, m in errors]
lines += ["};", "", "inline constexpr Empty empties[] = {"]
lines += ["    {%s, %s}," % (cstr(op), hexf(v)) for op, v in empties]
lines += ["};", "", "}  // namespace eigentorch::reference::reduce", ""]

with open(OUT, "w") as f:
    f.write("\n".join(lines))
print(f"wrote {OUT}: {len(cases)} cases, {len(values)} values, {len(errors)} messages")
