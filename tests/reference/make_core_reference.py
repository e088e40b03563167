#!/usr/bin/python3
"""Asks PyTorch 1.13 about real tensors, graphs, factories and errors, and writes a C++ header.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 tests/reference/make_core_reference.py
It rewrites tests/reference/core_cases.hpp, which tests/{tensor,factories,print}_test.cpp and
tests/autograd/*_test.cpp read. Each case is named "<group>:<name>"; its inputs, results, printed
text and error messages are stored under keys, so the C++ test rebuilds the same graph from the
same inputs and compares. Numbers travel as hex-float literals (bit for bit); printed text has
every "torch." removed, as our printing drops it.

Conventions:
- An input array has dtype "" and holds float32 values, so it means the same in float and double
  (or, for the arguments of a factory call, exact doubles).
  A result array has dtype "float32" or "float64": graphs are run once per dtype.
- An error message is PyTorch's, verbatim, except that "torch.Size" reads "Size": eigentorch's
  shape type is et::Size and prints as Size([...]). "torch.FloatTensor" stays, as our messages say it.
"""

import math
import os
import struct

import torch
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core_cases.hpp")
DTYPES = [("float32", torch.float32), ("float64", torch.float64)]

arrays = []  # (test, key, dtype name, shape, values)
texts = []   # (test, key, kind, text)


def dtype_name(t):
    return {torch.float32: "float32", torch.float64: "float64"}[t.dtype]


def put_array(test, key, t, dtype=None):
    t = t.detach()
    values = [float(v) for v in t.double().reshape(-1).tolist()]
    if t.dtype == torch.float32:
        for v in values:
            back = struct.unpack("f", struct.pack("f", v))[0]
            assert back == v or (math.isnan(v) and math.isnan(back)), (test, key)
    arrays.append((test, key, dtype_name(t) if dtype is None else dtype, list(t.shape), values))


def inp(test, key, values_or_tensor, dtype=torch.float32, requires_grad=False):
    """Stores a float32 input (dtype "") and returns it as `dtype`, a leaf."""
    t = values_or_tensor if torch.is_tensor(values_or_tensor) else torch.tensor(values_or_tensor)
    t = t.detach().to(torch.float32)
    if not any(a[0] == test and a[1] == key for a in arrays):
        put_array(test, key, t, dtype="")
    return t.to(dtype).requires_grad_(requires_grad)


def out(test, key, t):
    put_array(test, key, t)


def put_repr(test, key, obj):
    texts.append((test, key, "repr", repr(obj).replace("torch.", "")))


def put_error(test, key, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every kind of error is recorded with its class
        texts.append((test, key, type(e).__name__, str(e).replace("torch.Size", "Size")))
        return
    raise AssertionError(f"{test} {key}: PyTorch raised nothing")


def randn_input(*shape):
    return torch.randn(*shape)


# ---- printing of tensors made by real ops ---------------------------------------------------------
torch.manual_seed(0)
P = "print:"
x = inp(P + "linear", "x", randn_input(3, 2))
w = inp(P + "linear", "w", randn_input(4, 2), requires_grad=True)
b = inp(P + "linear", "b", randn_input(4), requires_grad=True)
y = F.linear(x, w, b)
put_repr(P + "linear", "y", y)
put_repr(P + "linear", "w", w)
put_repr(P + "linear", "x", x)
put_repr(P + "linear", "y.shape", y.shape)
target = inp(P + "linear", "target", randn_input(3, 4))
loss = F.mse_loss(y, target)
put_repr(P + "linear", "mse_loss", loss)
loss.backward()
put_repr(P + "linear", "w.grad", w.grad)
put_repr(P + "linear", "b.grad", b.grad)
put_repr(P + "linear", "x.grad", x.grad)  # None: x does not require grad
put_repr(P + "linear", "[w.grad, b.grad]", [w.grad, b.grad])

a = inp(P + "ops", "a", randn_input(2, 3), requires_grad=True)
c = inp(P + "ops", "c", randn_input(2, 3) + 3)
put_repr(P + "ops", "a", a)
put_repr(P + "ops", "a*c", a * c)
put_repr(P + "ops", "a*2.5", a * 2.5)
put_repr(P + "ops", "(a*c).sum()", (a * c).sum())
put_repr(P + "ops", "c.sum()", c.sum())
put_repr(P + "ops", "a.sum().shape", a.sum().shape)
put_repr(P + "ops", "a.mean()", a.mean())
put_repr(P + "ops", "a.mean(1)", a.mean(1))
put_repr(P + "ops", "a.sum(0)", a.sum(0))
put_repr(P + "ops", "a.tanh()", a.tanh())
put_repr(P + "ops", "a.reshape(-1,1)", a.reshape(-1, 1))
put_repr(P + "ops", "a.reshape(-1,1).shape", a.reshape(-1, 1).shape)
put_repr(P + "ops", "a.view(3,2)", a.view(3, 2))
put_repr(P + "ops", "a.unsqueeze(0)", a.unsqueeze(0))
put_repr(P + "ops", "a.unsqueeze(0).shape", a.unsqueeze(0).shape)
put_repr(P + "ops", "a.t()", a.t())
put_repr(P + "ops", "a.clone()", a.clone())
put_repr(P + "ops", "a.pow(2)", a.pow(2))
put_repr(P + "ops", "a/3", a / 3.0)
put_repr(P + "ops", "a/c", a / c)
put_repr(P + "ops", "1-a", 1 - a)
put_repr(P + "ops", "a+c", a + c)
put_repr(P + "ops", "a-c", a - c)
put_repr(P + "ops", "-a", -a)
put_repr(P + "ops", "a.detach()", a.detach())
put_repr(P + "ops", "[a, a*c]", [a, a * c])
put_repr(P + "ops", "c*2", c * 2)  # no grad anywhere: no suffix
(a * c).sum().backward()
put_repr(P + "ops", "a.grad", a.grad)

d = inp(P + "double", "d", randn_input(2, 2), torch.float64, requires_grad=True)
put_repr(P + "double", "d", d)
put_repr(P + "double", "d.tanh()", d.tanh())
put_repr(P + "double", "d.sum()", d.sum())
put_repr(P + "double", "d.detach()", d.detach())
(d * d).sum().backward()
put_repr(P + "double", "d.grad", d.grad)

s = inp(P + "leaf", "s", [2.0], requires_grad=True).reshape(()).detach().requires_grad_()
put_repr(P + "leaf", "s", s)
v = inp(P + "leaf", "v", [1.0, -2.0, 3.5], requires_grad=True)
put_repr(P + "leaf", "v", v)
put_repr(P + "leaf", "[v, s]", [v, s])
put_repr(P + "leaf", "[]", [])

wide = inp(P + "wide", "x", randn_input(2, 8), requires_grad=True)
put_repr(P + "wide", "x.tanh()", wide.tanh())
put_repr(P + "wide", "x*1000", wide * 1000)

for shape in [[], [0], [3], [11, 1], [2, 3, 4]]:
    put_repr("print:size", str(shape), torch.Size(shape))

# ---- gradients of small composite graphs, in float and double ------------------------------------
G = "grad:"
torch.manual_seed(1)
GRAD_INPUTS = {
    "diamond": {"x": (3,)},
    "branches": {"x": (2, 3)},
    "shared": {"x": (2, 3), "w": (2, 3)},
    "accumulate": {"x": (3,)},
    "explicit": {"x": (2, 3), "w": (2, 3), "g": (2, 3)},
    "retain_grad": {"x": (3,)},
    "retain_graph": {"x": (3,)},
    "broadcast": {"x": (2, 3), "b": (3,)},
    "mean_dim": {"x": (2, 3)},
    "div": {"a": (3,), "b": (3,)},
    "views": {"x": (2, 3), "w": (6, 1)},
    "linear_mse": {"x": (4, 3), "w": (2, 3), "b": (2,), "t": (4, 2)},
    "nonleaf_twice": {"x": (4,)},
    "scalars": {"x": (5,)},
}
grad_values = {name: {k: randn_input(*shape) for k, shape in ins.items()} for name, ins in GRAD_INPUTS.items()}
grad_values["div"]["b"] = grad_values["div"]["b"].abs() + 0.5  # away from zero


def leaves(name, dtype, *requiring):
    return {k: inp(G + name, k, v, dtype, requires_grad=k in requiring) for k, v in grad_values[name].items()}


for dname, dtype in DTYPES:
    t = leaves("diamond", dtype, "x")
    z = (t["x"] * t["x"] + t["x"]).sum()
    z.backward()
    out(G + "diamond", "z", z)
    out(G + "diamond", "x.grad", t["x"].grad)

    t = leaves("branches", dtype, "x")
    l = (t["x"].tanh() * (t["x"] * 3)).sum()
    l.backward()
    out(G + "branches", "l", l)
    out(G + "branches", "x.grad", t["x"].grad)

    t = leaves("shared", dtype, "x", "w")
    h = t["x"] * t["w"]
    l = (h * h + h).mean()
    l.backward()
    out(G + "shared", "l", l)
    out(G + "shared", "x.grad", t["x"].grad)
    out(G + "shared", "w.grad", t["w"].grad)

    t = leaves("accumulate", dtype, "x")
    (t["x"] * 2).sum().backward()
    out(G + "accumulate", "x.grad after 1", t["x"].grad)
    (t["x"] * t["x"]).sum().backward()
    out(G + "accumulate", "x.grad after 2", t["x"].grad)

    t = leaves("explicit", dtype, "x", "w")
    (t["x"] * t["w"]).backward(t["g"])
    out(G + "explicit", "x.grad", t["x"].grad)
    out(G + "explicit", "w.grad", t["w"].grad)

    t = leaves("retain_grad", dtype, "x")
    h = t["x"] * 2
    h.retain_grad()
    yy = h.tanh()
    yy.retain_grad()
    (yy * yy).sum().backward()
    out(G + "retain_grad", "h.grad", h.grad)
    out(G + "retain_grad", "y.grad", yy.grad)
    out(G + "retain_grad", "x.grad", t["x"].grad)

    t = leaves("retain_graph", dtype, "x")
    l = (t["x"] * t["x"] * t["x"]).sum()
    l.backward(retain_graph=True)
    out(G + "retain_graph", "x.grad after 1", t["x"].grad)
    l.backward()
    out(G + "retain_graph", "x.grad after 2", t["x"].grad)

    t = leaves("broadcast", dtype, "x", "b")
    (t["x"] * t["b"] + t["b"]).sum().backward()
    out(G + "broadcast", "x.grad", t["x"].grad)
    out(G + "broadcast", "b.grad", t["b"].grad)

    t = leaves("mean_dim", dtype, "x")
    t["x"].mean(0).pow(2).sum().backward()
    out(G + "mean_dim", "x.grad", t["x"].grad)

    t = leaves("div", dtype, "a", "b")
    (t["a"] / t["b"]).sum().backward()
    out(G + "div", "a.grad", t["a"].grad)
    out(G + "div", "b.grad", t["b"].grad)

    t = leaves("views", dtype, "x")
    (t["x"].reshape(-1, 1) * t["w"]).t().unsqueeze(0).view(2, 3).pow(2).sum().backward()
    out(G + "views", "x.grad", t["x"].grad)

    t = leaves("linear_mse", dtype, "w", "b")
    l = F.mse_loss(F.linear(t["x"], t["w"], t["b"]), t["t"])
    l.backward()
    out(G + "linear_mse", "loss", l)
    out(G + "linear_mse", "w.grad", t["w"].grad)
    out(G + "linear_mse", "b.grad", t["b"].grad)

    t = leaves("nonleaf_twice", dtype, "x")
    h = t["x"].tanh()
    (h * h + h * t["x"]).sum().backward()
    out(G + "nonleaf_twice", "x.grad", t["x"].grad)

    t = leaves("scalars", dtype, "x")
    ((1 - t["x"]) / 2 + t["x"] * 3 - 0.5).pow(2).mean().backward()
    out(G + "scalars", "x.grad", t["x"].grad)

# ---- factories -----------------------------------------------------------------------------------
FA = "factory:"
put_repr(FA + "list", "{1, 2.5, -3}", torch.tensor([1, 2.5, -3]))
put_repr(FA + "list", "ints {1, 2, 3}", torch.tensor([1, 2, 3], dtype=torch.float32))
put_repr(FA + "list", "ints {{1, 2}, {3, 4}}", torch.tensor([[1, 2], [3, 4]], dtype=torch.float32))
put_repr(FA + "list", "mixed {{1, 2.5}, {-3, 4}}", torch.tensor([[1, 2.5], [-3, 4]]))
put_repr(FA + "list", "double {0.1, 0.2}", torch.tensor([0.1, 0.2], dtype=torch.float64))
put_repr(FA + "list", "3-d", torch.tensor([[[1.0, 2], [3, 4]], [[5, 6], [7, 8]]]))
put_repr(FA + "list", "0-d 3.5", torch.tensor(3.5))
out(FA + "list", "double {0.1, 0.2}", torch.tensor([0.1, 0.2], dtype=torch.float64))
out(FA + "list", "float {0.1, 0.2}", torch.tensor([0.1, 0.2]))
put_error(FA + "list", "ragged 2-d", lambda: torch.tensor([[1.0, 2.0], [3.0]]))
put_error(FA + "list", "ragged 2-d long", lambda: torch.tensor([[1.0], [2.0, 3.0]]))
put_error(FA + "list", "ragged 3-d", lambda: torch.tensor([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]]))
put_error(FA + "list", "ragged 3-d inner", lambda: torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0]]]))

put_repr(FA + "fill", "zeros({2, 3})", torch.zeros(2, 3))
put_repr(FA + "fill", "ones({3})", torch.ones(3))
put_repr(FA + "fill", "full({2, 2}, 3.5)", torch.full((2, 2), 3.5))
put_repr(FA + "fill", "full<double>({2}, -1)", torch.full((2,), -1.0, dtype=torch.float64))
put_repr(FA + "fill", "zeros({0})", torch.zeros(0))
put_repr(FA + "fill", "zeros({})", torch.zeros(()))
put_error(FA + "fill", "zeros({-1, 2})", lambda: torch.zeros(-1, 2))

RANGES = [(0.0, 1.0, 0.1), (-1.0, 2.0, 0.3), (0.0, 10.0, 0.7), (0.5, 40.25, 1.1), (5.0, -5.0, -0.75),
          (0.0, 100.0, 1.0), (-2.5, 17.5, 0.2)]
# The arguments of case #i are stored as an input array "args #i": start, end, step (or steps).
for i, args in enumerate(RANGES):
    put_array(FA + "arange", f"args #{i}", torch.tensor(args, dtype=torch.float64), dtype="")
for dname, dtype in DTYPES:
    out(FA + "arange", "arange(5)", torch.arange(5, dtype=dtype))
    out(FA + "arange", "arange(0)", torch.arange(0, dtype=dtype))
    for i, (a_, b_, s_) in enumerate(RANGES):
        out(FA + "arange", f"#{i}", torch.arange(a_, b_, s_, dtype=dtype))
put_repr(FA + "arange", "arange(5)", torch.arange(5.0))
put_repr(FA + "arange", "arange(0.0, 1.0, 0.1)", torch.arange(0.0, 1.0, 0.1))
put_error(FA + "arange", "step 0", lambda: torch.arange(0.0, 1.0, 0.0))
put_error(FA + "arange", "wrong sign", lambda: torch.arange(1.0, 0.0, 1.0))

LINSPACES = [(0.0, 1.0, 7), (-3.0, 2.5, 11), (0.0, 1.0, 100), (-1.0, 1.0, 33), (2.0, -2.0, 9),
             (0.0, 1.0, 1), (0.0, 1.0, 0), (0.1, 0.7, 2), (-10.0, 10.0, 64)]
for i, args in enumerate(LINSPACES):
    put_array(FA + "linspace", f"args #{i}", torch.tensor(args, dtype=torch.float64), dtype="")
for dname, dtype in DTYPES:
    for i, (a_, b_, n_) in enumerate(LINSPACES):
        out(FA + "linspace", f"#{i}", torch.linspace(a_, b_, n_, dtype=dtype))
put_repr(FA + "linspace", "linspace(0.0, 1.0, 7)", torch.linspace(0.0, 1.0, 7))
put_error(FA + "linspace", "steps -1", lambda: torch.linspace(0.0, 1.0, -1))

# Random factories on the default generator, each sequence right after its manual_seed.
R = "factory:random"
RANDOM_SEQUENCES = {
    "rand [3] seed 0": (0, [("rand", (3,))]),
    "rand [2, 3] seed 42": (42, [("rand", (2, 3))]),
    "rand [5, 7] seed 7": (7, [("rand", (5, 7))]),
    "rand [] seed 3": (3, [("rand", ())]),
    "randn [5] seed 0": (0, [("randn", (5,))]),
    "randn [4, 4] seed 0": (0, [("randn", (4, 4))]),
    "randn [3, 7] seed 123": (123, [("randn", (3, 7))]),
    "randn [1] seed 5": (5, [("randn", (1,))]),
    "randn then rand seed 9": (9, [("randn", (3,)), ("randn", (5,)), ("rand", (2,)), ("randn", (17,))]),
    "rand_like [2, 3] seed 11": (11, [("rand_like", (2, 3))]),
    "randn_like [2, 3] seed 11": (11, [("randn_like", (2, 3))]),
    "uniform_(-2, 3) [6] seed 4": (4, [("uniform_", (6,), -2.0, 3.0)]),
    "uniform_(-2, 3) [40] seed 4": (4, [("uniform_", (40,), -2.0, 3.0)]),
    "normal_(1.5, 0.5) [5] seed 8": (8, [("normal_", (5,), 1.5, 0.5)]),
    "normal_(-1, 2) [20] seed 8": (8, [("normal_", (20,), -1.0, 2.0)]),
}


def draw(step, dtype):
    op, shape = step[0], step[1]
    if op == "rand":
        return torch.rand(shape, dtype=dtype)
    if op == "randn":
        return torch.randn(shape, dtype=dtype)
    if op == "rand_like":
        return torch.rand_like(torch.zeros(shape, dtype=dtype))
    if op == "randn_like":
        return torch.randn_like(torch.zeros(shape, dtype=dtype))
    if op == "uniform_":
        return torch.empty(shape, dtype=dtype).uniform_(step[2], step[3])
    if op == "normal_":
        return torch.empty(shape, dtype=dtype).normal_(step[2], step[3])
    raise AssertionError(op)


for dname, dtype in DTYPES:
    for name, (seed, steps) in RANDOM_SEQUENCES.items():
        torch.manual_seed(seed)
        for i, step in enumerate(steps):
            out(R, f"{name} #{i}", draw(step, dtype))
put_error(R, "uniform_(1, 0)", lambda: torch.empty(3).uniform_(1, 0))
put_error(R, "uniform_(1.5, 0.25)", lambda: torch.empty(3).uniform_(1.5, 0.25))
put_error(R, "normal_(0, -1)", lambda: torch.empty(3).normal_(0, -1))
put_error(R, "normal_(0, -0.5)", lambda: torch.empty(3).normal_(0, -0.5))

# ---- error messages of the tensor and the engine -------------------------------------------------
E = "error:"
# NOTE: Python 1.13's Tensor.item() raises its own ValueError ("only one element tensors can be
# converted to Python scalars"); the C++ item(), which ours follows, is ATen's, reached here through
# the aten op.
put_error(E + "tensor", "item on 6 elements", lambda: torch.ops.aten.item(torch.zeros(2, 3)))
put_error(E + "tensor", "item on 0 elements", lambda: torch.ops.aten.item(torch.zeros(0)))
put_error(E + "tensor", "reshape({4, 2}) of 6", lambda: torch.zeros(2, 3).reshape(4, 2))
put_error(E + "tensor", "view({5, -1}) of 6", lambda: torch.zeros(2, 3).view(5, -1))
put_error(E + "tensor", "view({-1, -1})", lambda: torch.zeros(2, 3).view(-1, -1))
put_error(E + "tensor", "reshape({-2, 3})", lambda: torch.zeros(2, 3).reshape(-2, 3))
put_error(E + "tensor", "reshape({0, -1}) of 6", lambda: torch.zeros(2, 3).reshape(0, -1))
put_error(E + "tensor", "size(2) of 2-d", lambda: torch.zeros(2, 3).size(2))
put_error(E + "tensor", "size(-3) of 2-d", lambda: torch.zeros(2, 3).size(-3))
put_error(E + "tensor", "sum(-3) of 2-d", lambda: torch.zeros(2, 3).sum(-3))
put_error(E + "tensor", "mean(2) of 2-d", lambda: torch.zeros(2, 3).mean(2))
put_error(E + "tensor", "unsqueeze(3) of 2-d", lambda: torch.zeros(2, 3).unsqueeze(3))
put_error(E + "tensor", "unsqueeze(-4) of 2-d", lambda: torch.zeros(2, 3).unsqueeze(-4))
put_error(E + "tensor", "squeeze(2) of 2-d", lambda: torch.zeros(2, 3).squeeze(2))
put_error(E + "tensor", "transpose(0, 2) of 2-d", lambda: torch.zeros(2, 3).transpose(0, 2))
put_error(E + "tensor", "sum(1) of 0-d", lambda: torch.tensor(1.0).sum(1))
put_error(E + "tensor", "t() of 3-d", lambda: torch.zeros(2, 2, 2).t())
put_error(E + "tensor", "from_vector 3 values as {2, 2}", lambda: torch.tensor([1.0, 2.0, 3.0]).reshape(2, 2))


def backward_twice():
    x_ = torch.tensor([1.0, 2.0], requires_grad=True)
    y_ = (x_ * x_).sum()
    y_.backward()
    y_.backward()


def backward_twice_tanh():
    x_ = torch.tensor([1.0, 2.0], requires_grad=True)
    y_ = x_.tanh().sum()
    y_.backward()
    y_.backward()


def modified_saved_output():
    x_ = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h_ = x_.tanh()  # TanhBackward0 saves its output
    l_ = h_.sum()
    h_.add_(1)
    l_.backward()


def modified_saved_input():
    x_ = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h_ = x_ * 1
    l_ = (h_ * h_).sum()  # MulBackward0 saves h_, which is output 0 of h_'s MulBackward0
    h_.mul_(2)
    l_.backward()


def modified_saved_leaf():
    x_ = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    l_ = (x_ * x_).sum()
    with torch.no_grad():
        x_.mul_(2)
    l_.backward()


put_error(E + "engine", "backward twice", backward_twice)
put_error(E + "engine", "backward twice through tanh", backward_twice_tanh)
put_error(E + "engine", "backward of non-scalar", lambda: (torch.ones(3, requires_grad=True) * 2).backward())
put_error(E + "engine", "backward without grad", lambda: torch.zeros(3).sum().backward())
put_error(E + "engine", "backward with a [3] gradient for [2]",
          lambda: (torch.ones(2, requires_grad=True) * 2).backward(torch.ones(3)))
put_error(E + "engine", "in-place on leaf", lambda: torch.ones(2, requires_grad=True).add_(1))
put_error(E + "engine", "requires_grad_(false) on non-leaf",
          lambda: (torch.ones(2, requires_grad=True) * 2).requires_grad_(False))
put_error(E + "engine", "retain_grad without grad", lambda: torch.zeros(3).retain_grad())
put_error(E + "engine", "saved output modified", modified_saved_output)
put_error(E + "engine", "saved input modified", modified_saved_input)
put_error(E + "engine", "saved leaf modified", modified_saved_leaf)


# Which graphs a second backward (without retain_graph) may run through: only those whose nodes
# saved no tensor. A Python number in an op is a wrapped tensor PyTorch saves (x * 3, x / 2).
SECOND_BACKWARD = {
    "(x * 3).sum()": lambda x_: (x_ * 3).sum(),
    "(x / 2).sum()": lambda x_: (x_ / 2).sum(),
    "(2 / x).sum()": lambda x_: (2 / x_).sum(),
    "x.pow(2).sum()": lambda x_: x_.pow(2).sum(),
    "(x * x).sum()": lambda x_: (x_ * x_).sum(),
    "x.tanh().sum()": lambda x_: x_.tanh().sum(),
    "x.mean(0)": lambda x_: x_.mean(0),
    "(x + 1).sum()": lambda x_: (x_ + 1).sum(),
    "(x - 1).sum()": lambda x_: (x_ - 1).sum(),
    "(1 - x).sum()": lambda x_: (1 - x_).sum(),
    "(-x).sum()": lambda x_: (-x_).sum(),
    "(x + x).sum()": lambda x_: (x_ + x_).sum(),
    "x.sum()": lambda x_: x_.sum(),
    "x.mean()": lambda x_: x_.mean(),
    "x.reshape(-1, 1).sum()": lambda x_: x_.reshape(-1, 1).sum(),
    "x.unsqueeze(0).t().sum()": lambda x_: x_.unsqueeze(0).t().sum(),
    "x.clone().sum()": lambda x_: x_.clone().sum(),
}
for key, graph in SECOND_BACKWARD.items():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = graph(x)
    y.backward()
    try:
        y.backward()
        texts.append((E + "second backward", key, "outcome", "ok"))
    except RuntimeError as e:
        assert str(e).startswith("Trying to backward through the graph a second time"), key
        texts.append((E + "second backward", key, "outcome", "raises"))


# ---- writing the header --------------------------------------------------------------------------
def literal(v):
    """A C++ literal for the double v, bit for bit."""
    if math.isnan(v):
        return "-kNaN" if math.copysign(1.0, v) < 0 else "kNaN"
    if math.isinf(v):
        return "-kInf" if v < 0 else "kInf"
    mantissa, exponent = v.hex().split("p")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + "p" + exponent


def raw_string(text):
    assert ')"' not in text, text
    return 'R"(' + text + ')"'


def quoted(text):
    assert '"' not in text and "\\" not in text, text
    return '"' + text + '"'


def wrapped(items, indent, width=100):
    lines, line = [], ""
    for item in items:
        piece = item + ","
        if line and len(indent) + len(line) + 1 + len(piece) > width:
            lines.append(indent + line)
            line = piece
        else:
            line = line + " " + piece if line else piece
    if line:
        lines.append(indent + line)
    return lines


HEADER = """\
// @generated by tests/reference/make_core_reference.py; do not edit
// PyTorch {version}'s answers for real tensors: printed text ("torch." removed), gradients of small
// graphs, factories and random draws after manual_seed, and error messages.
#pragma once

#include <cstdint>      // int64_t
#include <limits>
#include <stdexcept>    // std::out_of_range
#include <string>
#include <string_view>
#include <vector>

namespace eigentorch::testing::core_reference {{

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Numbers of one case: an input (dtype "", float32 values usable as float or double) or a result
/// PyTorch computed in dtype "float32" or "float64". Values are row-major and exact.
struct Array {{
  const char* test;
  const char* key;
  const char* dtype;
  std::vector<int64_t> shape;
  std::vector<double> values;
}};

/// Text of one case: kind "repr" for what print() showed; "outcome" for "ok" or "raises"; else the
/// Python exception class ("RuntimeError", "IndexError", "ValueError") and its message.
struct Text {{
  const char* test;
  const char* key;
  const char* kind;
  const char* text;
}};
"""

FOOTER = """
/// The array stored for (test, key, dtype); throws when there is none, naming it.
inline const Array& find_array(std::string_view test, std::string_view key, std::string_view dtype = "") {
  for (const Array& a : kArrays)
    if (test == a.test && key == a.key && dtype == a.dtype) return a;
  throw std::out_of_range("core_cases.hpp has no array " + std::string(test) + " / " + std::string(key) +
                          " / " + std::string(dtype));
}

/// The text stored for (test, key); throws when there is none, naming it.
inline const Text& find_text(std::string_view test, std::string_view key) {
  for (const Text& t : kTexts)
    if (test == t.test && key == t.key) return t;
  throw std::out_of_range("core_cases.hpp has no text " + std::string(test) + " / " + std::string(key));
}

/// An array's values converted to T (exact for inputs and for results of dtype T).
template <class T>
std::vector<T> values_as(const Array& a) {
  return std::vector<T>(a.values.begin(), a.values.end());
}

}  // namespace eigentorch::testing::core_reference
"""


def main():
    seen = set()
    for test, key, dtype, _, _ in arrays:
        assert (test, key, dtype) not in seen, (test, key, dtype)
        seen.add((test, key, dtype))
    seen = set()
    for test, key, _, _ in texts:
        assert (test, key) not in seen, (test, key)
        seen.add((test, key))

    lines = HEADER.format(version=torch.__version__.split("a")[0]).split("\n")
    lines.append("inline const std::vector<Array> kArrays = {")
    for test, key, dtype, shape, values in arrays:
        dims = "{" + ", ".join(str(d) for d in shape) + "}"
        lines.append(f"    {{{quoted(test)}, {quoted(key)}, {quoted(dtype)}, {dims},")
        body = wrapped([literal(v) for v in values], "      ")
        if body:
            lines.append("     {")
            lines.extend(body)
            lines.append("     }},")
        else:
            lines.append("     {}},")
    lines.append("};")
    lines.append("")
    lines.append("inline const std::vector<Text> kTexts = {")
    for test, key, kind, text in texts:
        lines.append(f"    {{{quoted(test)}, {quoted(key)}, {quoted(kind)},")
        lines.append(f"     {raw_string(text)}}},")
    lines.append("};")
    lines.extend(FOOTER.split("\n"))
    with open(OUTPUT, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    print(f"wrote {OUTPUT}: {len(arrays)} arrays, {len(texts)} texts")


if __name__ == "__main__":
    main()
