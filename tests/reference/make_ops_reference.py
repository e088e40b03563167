#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch) what every primitive op computes and writes the answers
to ops_cases.hpp as exact hex-float literals, for the tests under tests/ops/ and tests/autograd/.

For every case: the inputs, the forward output, the gradient of every input that requires grad for a
fixed upstream gradient, PyTorch's grad_fn name, and whether torch.autograd.gradcheck passes (double
cases only). Also the messages PyTorch raises for misuse (shape mismatches, bad dims, in-place
misuse), to compare with eigentorch's word for word.

Run from anywhere: /usr/bin/python3 tests/reference/make_ops_reference.py
"""
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_cases.hpp")
DTYPES = {"float": torch.float32, "double": torch.float64}
MAX_DIMS = 4

torch.set_num_threads(1)  # NOTE: the reduction order eigentorch reproduces is the single-thread one

# ---- the ops, as eigentorch's tests call them (op name -> how PyTorch computes it) ------------------
# Each takes the input tensors and a params dict: s (a number), dim, keepdim, arg (a list of ints).


def _flatten(x, p):
    return x.flatten(*p["arg"]) if p["arg"] else x.flatten()


def _pow_scalar(x, p):
    return x.pow(p["s"])


def _linear(*xs, p=None):
    return F.linear(*xs)


OPS = {
    # arithmetic
    "add": lambda a, b, p: a + b,
    "sub": lambda a, b, p: a - b,
    "mul": lambda a, b, p: a * b,
    "div": lambda a, b, p: a / b,
    "add_scalar": lambda x, p: x + p["s"],
    "radd_scalar": lambda x, p: p["s"] + x,
    "sub_scalar": lambda x, p: x - p["s"],
    "rsub_scalar": lambda x, p: p["s"] - x,
    "mul_scalar": lambda x, p: x * p["s"],
    "rmul_scalar": lambda x, p: p["s"] * x,
    "div_scalar": lambda x, p: x / p["s"],
    "rdiv_scalar": lambda x, p: p["s"] / x,
    "neg": lambda x, p: -x,
    # pointwise
    "exp": lambda x, p: torch.exp(x),
    "log": lambda x, p: torch.log(x),
    "sqrt": lambda x, p: torch.sqrt(x),
    "abs": lambda x, p: torch.abs(x),
    "tanh": lambda x, p: torch.tanh(x),
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "relu": lambda x, p: torch.relu(x),
    "pow_scalar": _pow_scalar,
    "pow_tensor": lambda a, b, p: a.pow(b),
    "rpow_scalar": lambda x, p: p["s"] ** x,
    # reduce
    "sum": lambda x, p: x.sum(),
    "mean": lambda x, p: x.mean(),
    "sum_dim": lambda x, p: x.sum(p["dim"], keepdim=p["keepdim"]),
    "mean_dim": lambda x, p: x.mean(p["dim"], keepdim=p["keepdim"]),
    # shape
    "reshape": lambda x, p: x.reshape(p["arg"]),
    "view": lambda x, p: x.view(p["arg"]),
    "unsqueeze": lambda x, p: x.unsqueeze(p["dim"]),
    "squeeze": lambda x, p: x.squeeze(),
    "squeeze_dim": lambda x, p: x.squeeze(p["dim"]),
    "flatten": _flatten,
    "t": lambda x, p: x.t(),
    "transpose": lambda x, p: x.transpose(p["arg"][0], p["arg"][1]),
    "clone": lambda x, p: x.clone(),
    # linalg
    "matmul": lambda a, b, p: torch.matmul(a, b),
    "mm": lambda a, b, p: torch.mm(a, b),
    "mv": lambda a, b, p: torch.mv(a, b),
    "dot": lambda a, b, p: torch.dot(a, b),
    "bmm": lambda a, b, p: torch.bmm(a, b),
    "linear": lambda x, w, p: F.linear(x, w),
    "linear_bias": lambda x, w, b, p: F.linear(x, w, b),
    # in place, on a non-leaf copy of the first input
    "add_": lambda a, b, p: a.clone().add_(b),
    "add_alpha_": lambda a, b, p: a.clone().add_(b, alpha=p["s"]),
    "sub_": lambda a, b, p: a.clone().sub_(b),
    "mul_": lambda a, b, p: a.clone().mul_(b),
    "div_": lambda a, b, p: a.clone().div_(b),
    "add_scalar_": lambda a, p: a.clone().add_(p["s"]),
    "sub_scalar_": lambda a, p: a.clone().sub_(p["s"]),
    "mul_scalar_": lambda a, p: a.clone().mul_(p["s"]),
    "div_scalar_": lambda a, p: a.clone().div_(p["s"]),
    "fill_": lambda a, p: a.clone().fill_(p["s"]),
    "zero_": lambda a, p: a.clone().zero_(),
    "copy_": lambda a, b, p: a.clone().copy_(b),
    "chain_": lambda a, b, p: a.mul(2).add_(b).mul_(b).tanh(),
    # loss
    "mse_mean": lambda a, b, p: F.mse_loss(a, b),
    "mse_sum": lambda a, b, p: F.mse_loss(a, b, reduction="sum"),
    "mse_none": lambda a, b, p: F.mse_loss(a, b, reduction="none"),
}

# ---- cases -------------------------------------------------------------------------------------------

cases = []  # dicts, filled by case()
_seed = [1000]


def make_input(spec, dtype):
    """spec: a shape tuple (randn), ("rand", shape, lo, hi), or ("values", [..], shape)."""
    _seed[0] += 1
    torch.manual_seed(_seed[0])
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        kind = spec[0]
        if kind == "rand":
            _, shape, lo, hi = spec
            return torch.rand(shape, dtype=dtype) * (hi - lo) + lo
        if kind == "values":
            _, values, shape = spec
            return torch.tensor(values, dtype=dtype).reshape(shape)
        raise ValueError(kind)
    return torch.randn(spec, dtype=dtype)


def case(group, name, op, inputs, rg=None, s=0.0, dim=0, keepdim=False, arg=(), exact=False, gradcheck=True,
         dtypes=("float", "double"), store_grads=True):
    """One op on the given inputs, in float and in double (or the dtypes given). store_grads=False keeps a
    large case's gradients out of the header (the forward is what such a case is for)."""
    rg = rg if rg is not None else [True] * len(inputs)
    for dtname in dtypes:
        dtype = DTYPES[dtname]
        xs = [make_input(spec, dtype).detach().requires_grad_(r) for spec, r in zip(inputs, rg)]
        params = {"s": s, "dim": dim, "keepdim": keepdim, "arg": list(arg)}
        out = OPS[op](*xs, params)
        gen = torch.Generator().manual_seed(4321)
        g = torch.randn(out.shape, dtype=dtype, generator=gen)
        out.backward(g)
        # "none": PyTorch leaves this input's .grad None although it requires grad.
        grads = [(x.grad if x.grad is not None else "none") if r and store_grads else None for x, r in zip(xs, rg)]
        ok = False
        if dtname == "double" and gradcheck:
            leaves = [x.detach().clone().requires_grad_(r) for x, r in zip(xs, rg)]
            ok = torch.autograd.gradcheck(lambda *a: OPS[op](*a, params), leaves, raise_exception=False)
        cases.append(dict(group=group, name=name, op=op, dtype=dtname, s=s, dim=dim, keepdim=keepdim, arg=list(arg),
                          inputs=[x.detach() for x in xs], rg=rg, output=out.detach(), grad_output=g, grads=grads,
                          grad_fn=type(out.grad_fn).__name__ if out.grad_fn is not None else "",
                          gradcheck=ok, exact=exact and dtname == "float"))


# arithmetic: every broadcasting pattern, both operands requiring grad or only one
BROADCAST_PAIRS = [
    ("same shape", (2, 3), (2, 3)),
    ("[3,1] with [4]", (3, 1), (4,)),
    ("[2,3] with [3]", (2, 3), (3,)),
    ("[3] with [2,3]", (3,), (2, 3)),
    ("[2,3] with [1]", (2, 3), (1,)),
    ("[1] with [2,3]", (1,), (2, 3)),
    ("[2,3] with 0-d", (2, 3), ()),
    ("0-d with [2,3]", (), (2, 3)),
    ("0-d with 0-d", (), ()),
    ("[2,1,3] with [4,1]", (2, 1, 3), (4, 1)),
    ("[5,1,4] with [1,3,1]", (5, 1, 4), (1, 3, 1)),
]
for op in ("add", "sub", "mul", "div"):
    for label, sa, sb in BROADCAST_PAIRS:
        b = ("rand", sb, 0.5, 2.0) if op == "div" else sb
        case("arithmetic", f"{op} {label}", op, [sa, b])
    case("arithmetic", f"{op} [2,3] with [3], only a requires grad", op,
         [(2, 3), ("rand", (3,), 0.5, 2.0)], rg=[True, False])
    case("arithmetic", f"{op} [3,1] with [4], only b requires grad", op,
         [(3, 1), ("rand", (4,), 0.5, 2.0)], rg=[False, True])
for op in ("add_scalar", "radd_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "rmul_scalar", "div_scalar",
           "rdiv_scalar"):
    for c in (2.0, 0.3, -1.5):
        x = ("rand", (2, 3), 0.5, 2.0) if op == "rdiv_scalar" else (2, 3)
        case("arithmetic", f"{op} {c} [2,3]", op, [x], s=c)
    case("arithmetic", f"{op} 2 0-d", op, [("rand", (), 0.5, 2.0)], s=2.0)
case("arithmetic", "neg [2,3]", "neg", [(2, 3)])
case("arithmetic", "neg 0-d", "neg", [()])

# pointwise
POSITIVE = ("rand", (3, 4), 0.1, 3.0)
for op in ("exp", "tanh", "sigmoid", "abs", "relu"):
    case("pointwise", f"{op} [3,4]", op, [(3, 4)])
    case("pointwise", f"{op} 0-d", op, [()])
for op in ("log", "sqrt"):
    case("pointwise", f"{op} [3,4]", op, [POSITIVE])
    case("pointwise", f"{op} 0-d", op, [("rand", (), 0.1, 3.0)])
case("pointwise", "tanh edges", "tanh",
     [("values", [-20.0, -9.0, -8.5, -1e-4, 0.0, 1e-4, 8.5, 9.0, 20.0, 3.0], (10,))], gradcheck=False)
case("pointwise", "sigmoid edges", "sigmoid", [("values", [-100.0, -20.0, 0.0, 20.0, 100.0], (5,))], gradcheck=False)
case("pointwise", "exp edges", "exp", [("values", [-100.0, 0.0, 80.0, 100.0], (4,))], gradcheck=False)
case("pointwise", "log edges", "log", [("values", [0.0, 1e-30, 1.0, 1e30], (4,))], gradcheck=False)
case("pointwise", "sqrt edges", "sqrt", [("values", [0.0, 1e-30, 1.0, 4.0], (4,))], gradcheck=False)
case("pointwise", "abs edges", "abs", [("values", [-2.0, -0.0, 0.0, 3.0, float("nan")], (5,))], gradcheck=False)
case("pointwise", "relu edges", "relu", [("values", [-2.0, 0.0, 3.0, float("nan")], (4,))], gradcheck=False)
for p in (2.0, 3.0, 0.5, -1.0, 2.5, 0.0, -0.5, -2.0, 1.0):
    base = POSITIVE if p in (0.5, 2.5, -0.5) else (3, 4)
    case("pointwise", f"pow_scalar {p} [3,4]", "pow_scalar", [base], s=p)
for p in (2.0, 3.0, 0.5, -1.0, 2.5, 0.0):
    case("pointwise", f"pow_scalar {p} at zero", "pow_scalar", [("values", [0.0, 1.0, 2.0], (3,))], s=p,
         gradcheck=False)
case("pointwise", "pow_scalar 2 0-d", "pow_scalar", [()], s=2.0)
case("pointwise", "pow_tensor [3,4]", "pow_tensor", [POSITIVE, (3, 4)])
case("pointwise", "pow_tensor [3,4] with [4]", "pow_tensor", [POSITIVE, (4,)])
case("pointwise", "pow_tensor [4] with [3,1]", "pow_tensor", [("rand", (4,), 0.1, 3.0), (3, 1)])
case("pointwise", "pow_tensor [3,4] with 0-d", "pow_tensor", [POSITIVE, ()])
case("pointwise", "pow_tensor only base requires grad", "pow_tensor", [POSITIVE, (3, 4)], rg=[True, False])
case("pointwise", "pow_tensor only exponent requires grad", "pow_tensor", [POSITIVE, (3, 4)], rg=[False, True])
case("pointwise", "pow_tensor zero base", "pow_tensor",
     [("values", [0.0, 0.0, 0.0, 2.0, 1.5], (5,)), ("values", [0.0, 2.0, 3.0, 0.0, -1.0], (5,))], gradcheck=False)
for c in (2.0, 0.5, 3.0):
    case("pointwise", f"rpow_scalar {c} [3,4]", "rpow_scalar", [(3, 4)], s=c)

# reduce
for op in ("sum", "mean"):
    case("reduce", f"{op} [2,3,4]", op, [(2, 3, 4)])
    case("reduce", f"{op} 0-d", op, [()])
    for dim in (0, 1, 2, -1, -3):
        for keepdim in (False, True):
            case("reduce", f"{op} [2,3,4] dim {dim} keepdim {keepdim}", f"{op}_dim", [(2, 3, 4)], dim=dim,
                 keepdim=keepdim)
    for dim in (0, -1):
        case("reduce", f"{op} 0-d dim {dim}", f"{op}_dim", [()], dim=dim)
    case("reduce", f"{op} [5] dim 0 keepdim", f"{op}_dim", [(5,)], dim=0, keepdim=True)
    # Long enough that the summation order shows in float: PyTorch's result bit for bit.
    for n in (11, 100, 1000):
        case("reduce", f"{op} [{n}]", op, [("rand", (n,), 0.0, 1.0)], exact=True, gradcheck=n <= 100,
             store_grads=n <= 100)
    case("reduce", f"{op} [100,1]", op, [("rand", (100, 1), 0.0, 1.0)], exact=True)
    # Per dim: the same order is reproduced (contiguous rows, column groups of 32, 8 and 1).
    big = dict(gradcheck=False, dtypes=("float",), store_grads=False)
    case("reduce", f"{op} [1000,1] dim 0", f"{op}_dim", [("rand", (1000, 1), 0.0, 1.0)], dim=0, **big)
    case("reduce", f"{op} [10,100] dim 1", f"{op}_dim", [("rand", (10, 100), 0.0, 1.0)], dim=1, **big)
    case("reduce", f"{op} [100,35] dim 0", f"{op}_dim", [("rand", (100, 35), 0.0, 1.0)], dim=0, **big)
    case("reduce", f"{op} [3,50,5] dim 1", f"{op}_dim", [("rand", (3, 50, 5), 0.0, 1.0)], dim=1, **big)

# shape
case("shape", "reshape [2,3] to [-1,1]", "reshape", [(2, 3)], arg=(-1, 1))
case("shape", "reshape [2,3,4] to [4,-1]", "reshape", [(2, 3, 4)], arg=(4, -1))
case("shape", "reshape [1] to 0-d", "reshape", [(1,)], arg=())
case("shape", "reshape 0-d to [1,1]", "reshape", [()], arg=(1, 1))
case("shape", "view [2,3] to [3,2]", "view", [(2, 3)], arg=(3, 2))
case("shape", "view [2,3,4] to [-1]", "view", [(2, 3, 4)], arg=(-1,))
case("shape", "unsqueeze [2,3] dim 0", "unsqueeze", [(2, 3)], dim=0)
case("shape", "unsqueeze [2,3] dim -1", "unsqueeze", [(2, 3)], dim=-1)
case("shape", "unsqueeze [2,3] dim 1", "unsqueeze", [(2, 3)], dim=1)
case("shape", "unsqueeze 0-d dim 0", "unsqueeze", [()], dim=0)
case("shape", "squeeze [2,1,3,1]", "squeeze", [(2, 1, 3, 1)])
case("shape", "squeeze [1,1]", "squeeze", [(1, 1)])
case("shape", "squeeze [2,1,3] dim 1", "squeeze_dim", [(2, 1, 3)], dim=1)
case("shape", "squeeze [2,1,3] dim -2", "squeeze_dim", [(2, 1, 3)], dim=-2)
case("shape", "squeeze [2,1,3] dim 0 (not 1)", "squeeze_dim", [(2, 1, 3)], dim=0)
case("shape", "flatten [2,3,4]", "flatten", [(2, 3, 4)])
case("shape", "flatten [2,3,4] from 1", "flatten", [(2, 3, 4)], arg=(1,))
case("shape", "flatten [2,3,4] 0 to 1", "flatten", [(2, 3, 4)], arg=(0, 1))
case("shape", "flatten [2,3,4] -2 to -1", "flatten", [(2, 3, 4)], arg=(-2, -1))
case("shape", "flatten 0-d", "flatten", [()])
case("shape", "t [2,3]", "t", [(2, 3)])
case("shape", "t [3]", "t", [(3,)])
case("shape", "transpose [2,3] 0 1", "transpose", [(2, 3)], arg=(0, 1))
case("shape", "transpose [2,3,4] 0 2", "transpose", [(2, 3, 4)], arg=(0, 2))
case("shape", "transpose [2,3,4] -1 -2", "transpose", [(2, 3, 4)], arg=(-1, -2))
case("shape", "transpose [2,3,4] 1 1", "transpose", [(2, 3, 4)], arg=(1, 1))
case("shape", "clone [2,3]", "clone", [(2, 3)])
case("shape", "clone 0-d", "clone", [()])

# linalg
case("linalg", "matmul 1-D . 1-D", "matmul", [(4,), (4,)])
case("linalg", "matmul 2-D . 1-D", "matmul", [(3, 4), (4,)])
case("linalg", "matmul 1-D . 2-D", "matmul", [(4,), (4, 3)])
case("linalg", "matmul 2-D . 2-D", "matmul", [(3, 4), (4, 5)])
case("linalg", "matmul 3-D . 3-D", "matmul", [(2, 3, 4), (2, 4, 5)])
case("linalg", "matmul 3-D . 2-D", "matmul", [(2, 3, 4), (4, 5)])
case("linalg", "matmul 2-D . 3-D", "matmul", [(3, 4), (2, 4, 5)])
case("linalg", "matmul [2,1,3,4] . [5,4,2]", "matmul", [(2, 1, 3, 4), (5, 4, 2)])
case("linalg", "matmul 3-D . 1-D", "matmul", [(2, 3, 4), (4,)])
case("linalg", "matmul 1-D . 3-D", "matmul", [(4,), (2, 4, 3)])
case("linalg", "matmul 2-D . 2-D, only a requires grad", "matmul", [(3, 4), (4, 5)], rg=[True, False])
case("linalg", "matmul 2-D . 2-D, only b requires grad", "matmul", [(3, 4), (4, 5)], rg=[False, True])
case("linalg", "mm [3,4] [4,2]", "mm", [(3, 4), (4, 2)])
case("linalg", "mv [3,4] [4]", "mv", [(3, 4), (4,)])
case("linalg", "dot [5] [5]", "dot", [(5,), (5,)])
case("linalg", "bmm [2,3,4] [2,4,5]", "bmm", [(2, 3, 4), (2, 4, 5)])
# Beyond detail::kSmallGemm multiply-adds: Eigen's blocked product, PyTorch's to float rounding.
case("linalg", "matmul large [20,40] . [40,45]", "matmul", [(20, 40), (40, 45)], gradcheck=False, store_grads=False,
     dtypes=("float",))
case("linalg", "linear 2-D with bias", "linear_bias", [(5, 3), (4, 3), (4,)])
case("linalg", "linear 2-D without bias", "linear", [(5, 3), (4, 3)])
case("linalg", "linear 1-D with bias", "linear_bias", [(3,), (4, 3), (4,)])
case("linalg", "linear 1-D without bias", "linear", [(3,), (4, 3)])
case("linalg", "linear 3-D with bias", "linear_bias", [(2, 5, 3), (4, 3), (4,)])
case("linalg", "linear 3-D without bias", "linear", [(2, 5, 3), (4, 3)])
case("linalg", "linear 2-D with bias, only x requires grad", "linear_bias", [(5, 3), (4, 3), (4,)],
     rg=[True, False, False])
case("linalg", "linear 2-D with bias, only bias requires grad", "linear_bias", [(5, 3), (4, 3), (4,)],
     rg=[False, False, True])
# The tour's two layers: PyTorch's float output bit for bit.
case("linalg", "linear [11,1] x [13,1]^T + [13]", "linear_bias", [(11, 1), (13, 1), (13,)], exact=True)
case("linalg", "linear [11,13] x [1,13]^T + [1]", "linear_bias", [(11, 13), (1, 13), (1,)], exact=True)
case("linalg", "linear [64,40] x [16,40]^T + [16]", "linear_bias", [(64, 40), (16, 40), (16,)], gradcheck=False,
     store_grads=False, dtypes=("float",))

# in place, recorded on a non-leaf tensor
case("inplace", "add_ [2,3] with [3]", "add_", [(2, 3), (3,)])
case("inplace", "add_ alpha 0.5", "add_alpha_", [(2, 3), (2, 3)], s=0.5)
case("inplace", "sub_ [2,3] with [2,1]", "sub_", [(2, 3), (2, 1)])
case("inplace", "mul_ [2,3] with [3]", "mul_", [(2, 3), (3,)])
case("inplace", "mul_ [2,3], only self requires grad", "mul_", [(2, 3), (2, 3)], rg=[True, False])
case("inplace", "div_ [2,3] with [3]", "div_", [(2, 3), ("rand", (3,), 0.5, 2.0)])
case("inplace", "add_ scalar", "add_scalar_", [(2, 3)], s=2.0)
case("inplace", "sub_ scalar", "sub_scalar_", [(2, 3)], s=0.3)
case("inplace", "mul_ scalar", "mul_scalar_", [(2, 3)], s=-1.5)
case("inplace", "div_ scalar", "div_scalar_", [(2, 3)], s=2.0)
case("inplace", "fill_", "fill_", [(2, 3)], s=2.5)
case("inplace", "zero_", "zero_", [(2, 3)])
case("inplace", "copy_ [2,3] from [3]", "copy_", [(2, 3), (3,)])
case("inplace", "chain of in-place ops", "chain_", [(2, 3), (3,)])

# loss: the upstream gradient is not 1, so the float cases check MseLossBackward0's own rounding
for op in ("mse_mean", "mse_sum", "mse_none"):
    case("loss", f"{op} [3,4]", op, [(3, 4), (3, 4)], exact=True)
    case("loss", f"{op} 0-d", op, [(), ()])
    case("loss", f"{op} [3,4], only input requires grad", op, [(3, 4), (3, 4)], rg=[True, False])
    case("loss", f"{op} [3,4], only target requires grad", op, [(3, 4), (3, 4)], rg=[False, True])
    case("loss", f"{op} [100,1]", op, [(100, 1), ("rand", (100, 1), 0.0, 1.0)], exact=True, gradcheck=False)
# more squared differences than eigentorch sums from the stack (256): summed from a tensor
for op in ("mse_mean", "mse_sum", "mse_none"):
    case("loss", f"{op} [20,30]", op, [(20, 30), ("rand", (20, 30), 0.0, 1.0)], exact=True, gradcheck=False)

# linear with a one-element bias, spread over every output (its gradient sums all of the output's)
case("linalg", "linear 2-D with a 0-d bias", "linear_bias", [(5, 3), (4, 3), ()], exact=True)
case("linalg", "linear 2-D with a [1] bias", "linear_bias", [(5, 3), (4, 3), (1,)], exact=True)
case("linalg", "linear [11,13] x [1,13]^T + 0-d", "linear_bias", [(11, 13), (1, 13), ()], exact=True)
case("linalg", "linear 1-D with a 0-d bias", "linear_bias", [(3,), (4, 3), ()])


# ---- error messages ----------------------------------------------------------------------------------

errors = []  # (key, exception type, message)


def error(key, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 -- the message is what we record
        errors.append((key, type(e).__name__, str(e)))
        return
    raise AssertionError(f"{key}: PyTorch raised nothing")


def r(*shape, rg=False):
    return torch.randn(shape).requires_grad_(rg)


error("add [2,3] [4]", lambda: r(2, 3) + r(4))
error("mul [3,2] [3]", lambda: r(3, 2) * r(3))
error("sub [2,3,4] [3,1,5]", lambda: r(2, 3, 4) - r(3, 1, 5))
error("div [5] [2,4]", lambda: r(5) / r(2, 4))
error("pow [3] [4]", lambda: r(3).pow(r(4)))
error("mm [2,3] [4,5]", lambda: torch.mm(r(2, 3), r(4, 5)))
error("mm [3] [3,2]", lambda: torch.mm(r(3), r(3, 2)))
error("mm [2,3] [3]", lambda: torch.mm(r(2, 3), r(3)))
error("matmul [3] [4]", lambda: torch.matmul(r(3), r(4)))
error("matmul [2,3] [4]", lambda: torch.matmul(r(2, 3), r(4)))
error("matmul [3] [4,5]", lambda: torch.matmul(r(3), r(4, 5)))
error("matmul [2,3] [4,5]", lambda: torch.matmul(r(2, 3), r(4, 5)))
error("matmul [2,3,4] [5,6]", lambda: torch.matmul(r(2, 3, 4), r(5, 6)))
error("matmul [2,3,4] [5]", lambda: torch.matmul(r(2, 3, 4), r(5)))
error("matmul [2,3,4] [2,5,6]", lambda: torch.matmul(r(2, 3, 4), r(2, 5, 6)))
error("matmul [2,3,4] [3,4,5]", lambda: torch.matmul(r(2, 3, 4), r(3, 4, 5)))
error("matmul 0-d [2,3]", lambda: torch.matmul(r(), r(2, 3)))
error("bmm [2,3,4] [2,5,6]", lambda: torch.bmm(r(2, 3, 4), r(2, 5, 6)))
error("bmm [3,4] [2,4,5]", lambda: torch.bmm(r(3, 4), r(2, 4, 5)))
error("linear [3,2] [13,1]", lambda: F.linear(r(3, 2), r(13, 1), r(13)))
error("linear [3,2] [13,1] no bias", lambda: F.linear(r(3, 2), r(13, 1)))
error("linear [2] [13,1]", lambda: F.linear(r(2), r(13, 1), r(13)))
error("linear [4,3,2] [13,1]", lambda: F.linear(r(4, 3, 2), r(13, 1), r(13)))
error("linear bias [3,2] [4,2] [5]", lambda: F.linear(r(3, 2), r(4, 2), r(5)))
error("reshape [2,3] [4,-1]", lambda: r(2, 3).reshape(4, -1))
error("reshape [2,3] [5]", lambda: r(2, 3).reshape(5))
error("reshape [2,3] [-1,-1]", lambda: r(2, 3).reshape(-1, -1))
error("view [2,3] [4]", lambda: r(2, 3).view(4))
error("sum [2,3] dim 2", lambda: r(2, 3).sum(2))
error("mean [2,3] dim -3", lambda: r(2, 3).mean(-3))
error("sum 0-d dim 1", lambda: r().sum(1))
error("unsqueeze [3] dim 2", lambda: r(3).unsqueeze(2))
error("squeeze [2,3] dim 2", lambda: r(2, 3).squeeze(2))
error("transpose [2,3] 0 2", lambda: r(2, 3).transpose(0, 2))
error("flatten [2,3,4] 2 0", lambda: r(2, 3, 4).flatten(2, 0))
error("flatten [2,3] 0 5", lambda: r(2, 3).flatten(0, 5))
error("t [2,3,4]", lambda: r(2, 3, 4).t())
error("add_ [3] [2,3]", lambda: r(3).add_(r(2, 3)))
error("mul_ [2,1] [2,3]", lambda: r(2, 1).mul_(r(2, 3)))
error("copy_ [2,3] [4]", lambda: r(2, 3).copy_(r(4)))
error("backward non-scalar", lambda: (r(2, 3, rg=True) * 2).backward())
error("backward no grad", lambda: r(2, 3).sum().backward())
error("leaf add_", lambda: r(2, 3, rg=True).add_(1))
error("leaf mul_", lambda: r(2, 3, rg=True).mul_(r(2, 3)))
error("leaf fill_", lambda: r(2, 3, rg=True).fill_(1))
error("leaf zero_", lambda: r(2, 3, rg=True).zero_())
error("leaf copy_", lambda: r(2, 3, rg=True).copy_(r(2, 3)))


def _modified_output():  # exp saves its output; changing the output in place invalidates it
    x = r(2, 3, rg=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


def _modified_leaf():  # log saves its input; changing the leaf under no_grad invalidates it
    x = r(2, 3, rg=True)
    y = x.log()
    with torch.no_grad():
        x.mul_(2)
    y.sum().backward()


def _modified_nonleaf_input():  # mul saves its inputs; b, an output of MulBackward0, is changed
    a = r(2, 3, rg=True)
    b = a * 2
    c = a * b
    b.add_(1)
    c.sum().backward()


def _modified_twice():  # tanh saves its output; two in-place ops later it is at version 2
    x = r(4, rg=True)
    y = x.tanh()
    y.mul_(2)
    y.add_(1)
    y.sum().backward()


def _second_backward():
    x = r(3, rg=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


error("version: output of ExpBackward0", _modified_output)
error("version: leaf saved by log", _modified_leaf)
error("version: non-leaf saved by mul", _modified_nonleaf_input)
error("version: output of TanhBackward0 twice", _modified_twice)
error("backward twice", _second_backward)

# Version counters after in-place ops, and what views share.
versions = []


def _versions():
    x = torch.zeros(2, 3)
    v = x.view(6)
    seq = [("new", x._version)]
    x.add_(1)
    seq.append(("add_", x._version))
    x.mul_(torch.ones(3))
    seq.append(("mul_", x._version))
    v.fill_(2)
    seq.append(("view fill_", x._version))
    x.zero_()
    seq.append(("zero_", x._version))
    x.copy_(torch.ones(2, 3))
    seq.append(("copy_", x._version))
    x.div_(2)
    seq.append(("div_", x._version))
    x.sub_(torch.ones(1))
    seq.append(("sub_", x._version))
    return seq


versions = _versions()

# ---- writing -------------------------------------------------------------------------------------------

values = []


def store(t):
    """Appends t's values, returns its TensorRef initializer."""
    if t is None:
        return "{-1, {0, 0, 0, 0}, -1}"
    if isinstance(t, str):
        return "{-2, {0, 0, 0, 0}, -1}"
    t = t.detach().contiguous().to(torch.float64)
    assert t.dim() <= MAX_DIMS
    offset = len(values)
    values.extend(t.reshape(-1).tolist())
    shape = list(t.shape) + [0] * (MAX_DIMS - t.dim())
    return "{%d, {%s}, %d}" % (t.dim(), ", ".join(map(str, shape)), offset)


def hexf(v):
    if v != v:
        return "NAN"
    if v in (float("inf"), float("-inf")):
        return "INFINITY" if v > 0 else "-INFINITY"
    if v == 0:
        return "-0.0" if str(v)[0] == "-" else "0.0"
    mantissa, exponent = float.hex(v).split("p")  # trailing zeros dropped: floats stay short
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


case_lines = []
for c in cases:
    n = len(c["inputs"])
    ins = [store(x) for x in c["inputs"]] + [store(None)] * (3 - n)
    grads = [store(g) for g in c["grads"]] + [store(None)] * (3 - n)
    rg = ["true" if x else "false" for x in c["rg"]] + ["false"] * (3 - n)
    arg = c["arg"] + [0] * (MAX_DIMS - len(c["arg"]))
    case_lines.append(
        "    {%s, %s, %s, %s, %s, %d, %s, %d, {%s}, %d, {%s}, {%s}, %s, %s, {%s}, %s, %s, %s}," % (
            cstr(c["group"]), cstr(c["name"]), cstr(c["op"]), "true" if c["dtype"] == "double" else "false",
            hexf(float(c["s"])), c["dim"], "true" if c["keepdim"] else "false", len(c["arg"]),
            ", ".join(map(str, arg)), n, ", ".join(rg), ", ".join(ins), store(c["output"]),
            store(c["grad_output"]), ", ".join(grads), cstr(c["grad_fn"]), "true" if c["gradcheck"] else "false",
            "true" if c["exact"] else "false"))

lines = [
    "// @generated by tests/reference/make_ops_reference.py; do not edit",
    f"// Computed by PyTorch {torch.__version__} on the CPU (one thread), as exact hex floats (floats widened to",
    "// double). Read by the tests under tests/ops/ and tests/autograd/.",
    "#pragma once",
    "",
    "#include <cmath>    // NAN, INFINITY",
    "#include <cstdint>  // int64_t",
    "",
    "namespace eigentorch::reference {",
    "",
    "/// A tensor stored in ops_values: ndim, shape, and where its row-major values start. ndim -1: not",
    "/// stored; -2 (a gradient): PyTorch leaves it None.",
    "struct TensorRef {",
    "  int ndim;",
    "  int64_t shape[4];",
    "  int64_t offset;",
    "};",
    "",
    "/// One op applied to inputs (the group's test file knows each op by name), with its results.",
    "/// s, dim, keepdim and arg (arg_len ints) are the op's parameters; grads[i] is input i's gradient",
    "/// after output.backward(grad_output); gradcheck says whether torch.autograd.gradcheck passed (double);",
    "/// exact says PyTorch's float output must be met bit for bit.",
    "struct OpCase {",
    "  const char* group;",
    "  const char* name;",
    "  const char* op;",
    "  bool is_double;",
    "  double s;",
    "  int64_t dim;",
    "  bool keepdim;",
    "  int arg_len;",
    "  int64_t arg[4];",
    "  int n_inputs;",
    "  bool requires_grad[3];",
    "  TensorRef inputs[3];",
    "  TensorRef output;",
    "  TensorRef grad_output;",
    "  TensorRef grads[3];",
    "  const char* grad_fn;",
    "  bool gradcheck;",
    "  bool exact;",
    "};",
    "",
    "/// A message PyTorch raised: key names the misuse, type is the Python exception's name.",
    "struct OpError {",
    "  const char* key;",
    "  const char* type;",
    "  const char* message;",
    "};",
    "",
    "/// x._version after each step of a sequence of in-place ops (one through a view).",
    "struct VersionStep {",
    "  const char* step;",
    "  int version;",
    "};",
    "",
    "inline constexpr double ops_values[] = {",
]
for i in range(0, len(values), 4):
    lines.append("    " + ", ".join(hexf(v) for v in values[i:i + 4]) + ",")
lines.append("};")
lines.append("")
lines.append("inline constexpr OpCase op_cases[] = {")
lines.extend(case_lines)
lines.append("};")
lines.append("")
lines.append("inline constexpr OpError op_errors[] = {")
for key, typ, msg in errors:
    lines.append("    {%s, %s, %s}," % (cstr(key), cstr(typ), cstr(msg)))
lines.append("};")
lines.append("")
lines.append("inline constexpr VersionStep version_steps[] = {")
for step, v in versions:
    lines.append("    {%s, %d}," % (cstr(step), v))
lines.append("};")
lines.append("")
lines.append("}  // namespace eigentorch::reference")
lines.append("")

with open(OUT, "w") as f:
    f.write("\n".join(lines))
print(f"wrote {OUT}: {len(cases)} cases, {len(values)} values, {len(errors)} messages")
