#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch) what its losses compute and writes the answers to
loss_cases.hpp as exact hex-float literals, for tests/ops/loss_test.cpp and tests/nn/loss_test.cpp.

For every case (float and double): the input, the target (class indices stored as numbers), the
weight and pos_weight, the loss, its grad_fn name, and the gradients of input (and target, where the
target requires grad) after backward(grad_output), grad_output a random tensor for reduction "none"
and 0.7 otherwise; for double cases whether torch.autograd.gradcheck passes. Also the messages
PyTorch raises for misuse, the modules' reprs and their state_dict keys.

Run from anywhere: /usr/bin/python3 tests/reference/make_loss_reference.py
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loss_cases.hpp")
MAX_DIMS = 5
torch.set_num_threads(1)
torch.manual_seed(16)


def loss_fn(op, p):
    """op name -> f(input, target, weight, pos_weight) as PyTorch computes it."""
    r, n, ii, flag = p["reduction"], p["number"], p["ignore_index"], p["flag"]
    return {
        "nll": lambda x, t, w, pw: F.nll_loss(x, t, weight=w, ignore_index=ii, reduction=r),
        "cross_entropy": lambda x, t, w, pw: F.cross_entropy(x, t, weight=w, ignore_index=ii, reduction=r,
                                                             label_smoothing=n),
        "bce": lambda x, t, w, pw: F.binary_cross_entropy(x, t, weight=w, reduction=r),
        "bce_logits": lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, weight=w, reduction=r,
                                                                            pos_weight=pw),
        "l1": lambda x, t, w, pw: F.l1_loss(x, t, reduction=r),
        "smooth_l1": lambda x, t, w, pw: F.smooth_l1_loss(x, t, reduction=r, beta=n),
        "huber": lambda x, t, w, pw: F.huber_loss(x, t, reduction=r, delta=n),
        "kl_div": lambda x, t, w, pw: F.kl_div(x, t, reduction=r, log_target=flag),
    }[op]


cases = []


def case(name, op, x, t, w=None, pw=None, reduction="mean", number=0.0, ignore_index=-100, flag=False,
         target_grad=False, gradcheck=True):
    for dtname, dtype in (("float", torch.float32), ("double", torch.float64)):
        p = dict(reduction=reduction, number=number, ignore_index=ignore_index, flag=flag)
        f = loss_fn(op, p)
        xi = x.detach().to(dtype).clone().requires_grad_()
        index = t.dtype == torch.int64
        ti = t if index else t.detach().to(dtype).clone().requires_grad_(target_grad)
        wi = None if w is None else w.to(dtype)
        pwi = None if pw is None else pw.to(dtype)
        out = f(xi, ti, wi, pwi)
        go = torch.rand(out.shape, dtype=dtype) + 0.5 if reduction == "none" else torch.tensor(0.7, dtype=dtype)
        out.backward(go)
        ok = False
        if dtname == "double" and gradcheck:
            ins = (xi.detach().requires_grad_(), ti.detach().requires_grad_(target_grad) if not index else ti)
            ok = torch.autograd.gradcheck(lambda a, b: f(a, b, wi, pwi), ins, raise_exception=False)
        cases.append(dict(name=name, op=op, dtype=dtname, p=p, index=index, x=xi, t=ti, w=wi, pw=pwi, out=out,
                          go=go, gx=xi.grad, gt=None if index or not target_grad else ti.grad,
                          grad_fn=out.grad_fn.name() if out.grad_fn else "", gradcheck=ok))


def logits(*shape):
    return torch.randn(*shape) * 2


def classes(c, *shape, ignore=None):
    t = torch.randint(0, c, shape)
    if ignore is not None:
        t.view(-1)[::3] = ignore
    return t


R3 = ("mean", "sum", "none")

# nll_loss: [N, C], [C], [N, C, d1, ...]; weight; ignore_index (with and without weight)
x, t, w = torch.log_softmax(logits(6, 5), 1), classes(5, 6), torch.rand(5) + 0.2
for r in R3:
    case(f"nll {r}", "nll", x, t, reduction=r)
    case(f"nll weight {r}", "nll", x, t, w, reduction=r)
    case(f"nll ignore {r}", "nll", x, classes(5, 6, ignore=2), reduction=r, ignore_index=2)
    case(f"nll weight ignore {r}", "nll", x, classes(5, 6, ignore=-100), w, reduction=r)
    case(f"nll [C] {r}", "nll", x[0].detach(), torch.tensor(3), w, reduction=r)
x4, t4 = logits(2, 5, 3, 4), classes(5, 2, 3, 4, ignore=1)
x3, t3 = logits(3, 5, 4), classes(5, 3, 4)
x5, t5 = logits(2, 5, 2, 3, 2), classes(5, 2, 2, 3, 2, ignore=4)
for r in R3:
    case(f"nll [N,C,d1,d2] weight ignore {r}", "nll", x4, t4, w, reduction=r, ignore_index=1)
    case(f"nll [N,C,d1] {r}", "nll", x3, t3, reduction=r)
    case(f"nll [N,C,d1,d2,d3] weight ignore {r}", "nll", x5, t5, w, reduction=r, ignore_index=4)
case("nll all ignored mean", "nll", x, torch.full((6,), -100), w, gradcheck=False)
xl, tl, wl = logits(120, 7), classes(7, 120, ignore=-100), torch.rand(7) + 0.2
case("nll long weight ignore mean", "nll", xl, tl, wl)
case("nll long sum", "nll", xl, classes(7, 120))

# cross_entropy: class indices (weight, ignore_index, label_smoothing, and all together), probabilities
xc, tc = logits(6, 5), classes(5, 6)
tci = classes(5, 6, ignore=-100)
pc = torch.softmax(logits(6, 5), 1)
for r in R3:
    case(f"cross_entropy {r}", "cross_entropy", xc, tc, reduction=r)
    case(f"cross_entropy weight ignore {r}", "cross_entropy", xc, tci, w, reduction=r)
    case(f"cross_entropy smoothing {r}", "cross_entropy", xc, tc, reduction=r, number=0.1)
    case(f"cross_entropy smoothing ignore {r}", "cross_entropy", xc, tci, reduction=r, number=0.25)
    case(f"cross_entropy smoothing weight ignore {r}", "cross_entropy", xc, tci, w, reduction=r, number=0.2)
    case(f"cross_entropy [N,C,d1,d2] smoothing weight ignore {r}", "cross_entropy", x4, t4, w, reduction=r,
         number=0.3, ignore_index=1)
    case(f"cross_entropy [N,C,d1] {r}", "cross_entropy", x3, t3, reduction=r)
    case(f"cross_entropy [C] smoothing weight {r}", "cross_entropy", xc[0], torch.tensor(2), w, reduction=r,
         number=0.1)
    case(f"cross_entropy probabilities {r}", "cross_entropy", xc, pc, reduction=r, target_grad=True)
    case(f"cross_entropy probabilities weight smoothing {r}", "cross_entropy", xc, pc, w, reduction=r,
         number=0.15, target_grad=True)
    case(f"cross_entropy probabilities [N,C,d1,d2] weight {r}", "cross_entropy", x4,
         torch.softmax(logits(2, 5, 3, 4), 1), w, reduction=r)
case("cross_entropy long weight ignore smoothing mean", "cross_entropy", xl, tl, wl, number=0.05)

# binary cross entropy: probabilities (weight broadcast or whole), logits (weight, pos_weight)
pb, yb = torch.rand(4, 3) * 0.9 + 0.05, torch.rand(4, 3)
wb, wfull, pwb = torch.rand(3) + 0.5, torch.rand(4, 3) + 0.5, torch.rand(3) * 3
for r in R3:
    case(f"bce {r}", "bce", pb, yb, reduction=r, target_grad=True)
    case(f"bce weight {r}", "bce", pb, yb, wb, reduction=r, target_grad=True)
    case(f"bce full weight {r}", "bce", pb, yb, wfull, reduction=r)
    case(f"bce_logits {r}", "bce_logits", logits(4, 3), yb, reduction=r, target_grad=True)
    case(f"bce_logits weight pos_weight {r}", "bce_logits", logits(4, 3), yb, wb, pwb, reduction=r,
         target_grad=True)
    case(f"bce_logits pos_weight {r}", "bce_logits", logits(4, 3), yb, None, pwb, reduction=r)
case("bce clamped logs", "bce", torch.tensor([0.0, 1.0, 1e-30, 0.5]), torch.tensor([0.3, 0.6, 1.0, 0.0]),
     reduction="none", gradcheck=False)
case("bce_logits large logits", "bce_logits", torch.tensor([-120.0, -30.0, 0.0, 30.0, 120.0]),
     torch.tensor([1.0, 0.0, 0.5, 1.0, 0.0]), None, torch.tensor([2.0]), reduction="none")

# l1, smooth l1 (beta, beta 0), huber (delta), kl_div (log_target, batchmean)
a, b = torch.randn(5, 4), torch.randn(5, 4)
for r in R3:
    case(f"l1 {r}", "l1", a, b, reduction=r, target_grad=True)
    case(f"smooth_l1 {r}", "smooth_l1", a, b, reduction=r, number=1.0, target_grad=True)
    case(f"smooth_l1 beta 0.5 {r}", "smooth_l1", a, b, reduction=r, number=0.5, target_grad=True)
    case(f"smooth_l1 beta 0 {r}", "smooth_l1", a, b, reduction=r, number=0.0, target_grad=True)
    case(f"huber {r}", "huber", a, b, reduction=r, number=1.0, target_grad=True)
    case(f"huber delta 0.3 {r}", "huber", a, b, reduction=r, number=0.3, target_grad=True)
lp, q = torch.log_softmax(logits(5, 4), 1), torch.softmax(logits(5, 4), 1)
q0 = q.clone()
q0[1, 2] = 0.0
for r in ("mean", "sum", "none", "batchmean"):
    case(f"kl_div {r}", "kl_div", lp, q0, reduction=r)
    case(f"kl_div log_target {r}", "kl_div", lp, torch.log(q), reduction=r, flag=True, target_grad=True)
case("kl_div target grad", "kl_div", lp, q, reduction="sum", target_grad=True)

# ---- errors, reprs, state_dict keys ------------------------------------------------------------------
errors = []


def error(key, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        errors.append((key, type(e).__name__, str(e).split("\n")[0].replace("torch.Size", "Size")))
        return
    raise AssertionError(key + " did not raise")


L = torch.long
error("batch_size", lambda: F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 1])))
error("target_out_of_bounds", lambda: F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 5, 1])))
error("target_negative", lambda: F.nll_loss(torch.randn(3, 5), torch.tensor([0, 1, -1]), reduction="none"))
error("target_out_of_bounds_2d", lambda: F.nll_loss(torch.randn(2, 5, 2, 2), torch.full((2, 2, 2), 7)))
error("weight_size", lambda: F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 1, 2]), weight=torch.ones(4)))
error("weight_size_2d", lambda: F.nll_loss(torch.randn(2, 3, 4, 4), torch.zeros(2, 4, 4, dtype=L),
                                           weight=torch.ones(4)))
error("size_mismatch_2d", lambda: F.nll_loss(torch.randn(2, 3, 4, 4), torch.zeros(2, 4, 5, dtype=L)))
error("spatial_target_dims", lambda: F.nll_loss(torch.randn(2, 3, 4, 4), torch.zeros(2, 16, dtype=L)))
error("target_size_nd", lambda: F.nll_loss(torch.randn(2, 3, 4), torch.zeros(2, 5, dtype=L)))
error("multi_target", lambda: F.nll_loss(torch.randn(3, 5), torch.zeros(3, 2, dtype=L)))
error("size_mismatch_1d", lambda: F.nll_loss(torch.randn(5), torch.zeros(3, dtype=L)))
error("no_dims", lambda: F.nll_loss(torch.tensor(1.0), torch.tensor(0)))
error("bad_reduction", lambda: F.nll_loss(torch.randn(3, 5), torch.tensor([0, 1, 2]), reduction="foo"))
error("label_smoothing", lambda: F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 1, 2]), label_smoothing=1.5))
error("label_smoothing_prob", lambda: F.cross_entropy(torch.randn(3, 5), torch.rand(3, 5), label_smoothing=1.5))
error("prob_weight", lambda: F.cross_entropy(torch.randn(3, 5), torch.rand(3, 5), weight=torch.ones(4)))
error("prob_ignore_index", lambda: F.cross_entropy(torch.randn(3, 5), torch.rand(3, 5), ignore_index=1))
error("prob_shape", lambda: F.cross_entropy(torch.randn(3, 5), torch.rand(3, 4)))
error("prob_dtype", lambda: F.cross_entropy(torch.randn(3, 5), torch.rand(3)))
error("index_shaped_like_input", lambda: F.cross_entropy(torch.randn(3, 5), torch.zeros(3, 5, dtype=L)))
error("weight_requires_grad", lambda: F.nll_loss(torch.randn(3, 5), torch.tensor([0, 1, 2]),
                                                 weight=torch.ones(5, requires_grad=True)))
error("weight_requires_grad_2d", lambda: F.nll_loss(torch.randn(2, 3, 2, 2), torch.zeros(2, 2, 2, dtype=L),
                                                    weight=torch.ones(3, requires_grad=True)))
error("bce_size", lambda: F.binary_cross_entropy(torch.rand(3), torch.rand(4)))
error("bce_weight", lambda: F.binary_cross_entropy(torch.rand(3), torch.rand(3), weight=torch.rand(4)))
error("bce_range", lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.rand(1)))
error("bce_weight_requires_grad", lambda: F.binary_cross_entropy(torch.rand(3), torch.rand(3),
                                                                 weight=torch.rand(3, requires_grad=True)))
error("bce_logits_size", lambda: F.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(4)))
error("bce_logits_weight", lambda: F.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(3),
                                                                      weight=torch.rand(4)))
error("bce_logits_pos_weight", lambda: F.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(3),
                                                                          pos_weight=torch.rand(4)))
error("bce_logits_weight_requires_grad", lambda: F.binary_cross_entropy_with_logits(
    torch.rand(3), torch.rand(3), weight=torch.rand(3, requires_grad=True)))
error("bce_logits_pos_weight_requires_grad", lambda: F.binary_cross_entropy_with_logits(
    torch.rand(3), torch.rand(3), pos_weight=torch.rand(3, requires_grad=True)))
error("smooth_l1_beta", lambda: F.smooth_l1_loss(torch.rand(3), torch.rand(3), beta=-1))
error("huber_delta", lambda: F.huber_loss(torch.rand(3), torch.rand(3), delta=0))
error("kl_reduction", lambda: F.kl_div(torch.rand(3), torch.rand(3), reduction="foo"))
error("one_hot_too_small", lambda: F.one_hot(torch.tensor([0, 3]), 3))
error("one_hot_negative", lambda: F.one_hot(torch.tensor([0, -1]), 3))
error("one_hot_empty", lambda: F.one_hot(torch.tensor([], dtype=L)))
error("module_reduction", lambda: nn.CrossEntropyLoss(reduction="foo")(torch.randn(2, 3), torch.tensor([0, 1])))
reprs = [(m, repr(getattr(nn, m)())) for m in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
                                              "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss")]
state_keys = [
    ("CrossEntropyLoss weight", list(nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict().keys())),
    ("CrossEntropyLoss", list(nn.CrossEntropyLoss().state_dict().keys())),
    ("BCEWithLogitsLoss weight pos_weight",
     list(nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=torch.ones(3)).state_dict().keys())),
    ("BCEWithLogitsLoss pos_weight", list(nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)).state_dict().keys())),
    ("NLLLoss weight", list(nn.NLLLoss(weight=torch.ones(3)).state_dict().keys())),
    ("BCELoss weight", list(nn.BCELoss(weight=torch.ones(3)).state_dict().keys())),
]
# torch.exp of floats (SLEEF's expf_u10, AVX2): every edge, then a spread of values
exp_inputs = torch.cat([torch.tensor([0.0, -0.0, 1.0, -1.0, 88.72, 88.73, 89.0, -87.3, -100.0, -103.9, -104.0,
                                      -104.1, 104.0, 104.1, 1e-8, -1e-8, float("inf"), -float("inf"), float("nan")]),
                        torch.linspace(-106, 106, 1001), torch.randn(1000) * 5])
exp_outputs = torch.exp(exp_inputs)
one_hot_cases = [("num_classes -1", torch.tensor([[0, 2], [3, 1]]), -1), ("num_classes 5", torch.tensor([4, 0, 2]), 5),
                 ("empty num_classes 3", torch.zeros(0, 2, dtype=L), 3)]

# ---- writing -----------------------------------------------------------------------------------------
values = []


def store(t):
    if t is None:
        return "{-1, {0, 0, 0, 0, 0}, 0}"
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
    mantissa, exponent = float.hex(v).split("p")
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def b(v):
    return "true" if v else "false"


case_lines = []
for c in cases:
    p = c["p"]
    case_lines.append("    {%s, %s, %s, %s, %s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
        cstr(c["name"]), cstr(c["op"]), b(c["dtype"] == "double"), cstr(p["reduction"]), hexf(p["number"]),
        p["ignore_index"], b(p["flag"]), b(c["index"]), store(c["x"]), store(c["t"]), store(c["w"]), store(c["pw"]),
        store(c["out"]), store(c["go"]), store(c["gx"]), store(c["gt"]), cstr(c["grad_fn"]), b(c["gradcheck"])))
one_hot_lines = []
for name, labels, n in one_hot_cases:
    one_hot_lines.append("    {%s, %s, %d, %s}," % (cstr(name), store(labels), n, store(F.one_hot(labels, n))))

lines = [
    "// @generated by tests/reference/make_loss_reference.py; do not edit",
    f"// Computed by PyTorch {torch.__version__} on the CPU (one thread), as exact hex floats (floats widened to",
    "// double). Read by tests/ops/loss_test.cpp and tests/nn/loss_test.cpp.",
    "#pragma once",
    "",
    "#include <cmath>    // NAN, INFINITY",
    "#include <cstdint>  // int64_t",
    "",
    "namespace eigentorch::testing::loss_reference {",
    "",
    "/// A tensor stored in loss_values: ndim (-1: none), shape, where its row-major values start.",
    "struct TensorRef {",
    "  int ndim;",
    "  int64_t shape[5];",
    "  int64_t offset;",
    "};",
    "",
    "/// One loss (op: nll, cross_entropy, bce, bce_logits, l1, smooth_l1, huber, kl_div) of input x and",
    "/// target t (class indices when index) with weight w and pos_weight pw; number is label_smoothing,",
    "/// beta or delta; flag is log_target. out = the loss; gx, gt: the gradients of x and t (gt.ndim -1",
    "/// when t did not require grad) after out.backward(go); gradcheck: PyTorch's passed (double).",
    "struct LossCase {",
    "  const char* name;",
    "  const char* op;",
    "  bool is_double;",
    "  const char* reduction;",
    "  double number;",
    "  int64_t ignore_index;",
    "  bool flag;",
    "  bool index;",
    "  TensorRef x, t, w, pw, out, go, gx, gt;",
    "  const char* grad_fn;",
    "  bool gradcheck;",
    "};",
    "",
    "struct LossError {",
    "  const char* key;",
    "  const char* type;  ///< PyTorch's exception class",
    "  const char* message;",
    "};",
    "",
    "struct OneHotCase {",
    "  const char* name;",
    "  TensorRef labels;",
    "  int64_t num_classes;",
    "  TensorRef expected;",
    "};",
    "",
]
body = [
    "inline const LossCase loss_cases[] = {",
    *case_lines,
    "};",
    "",
    "inline const LossError loss_errors[] = {",
    *["    {%s, %s, %s}," % (cstr(k), cstr(t), cstr(m)) for k, t, m in errors],
    "};",
    "",
    "/// repr(nn.<Module>()) for each loss module.",
    "inline const char* const loss_reprs[][2] = {",
    *["    {%s, %s}," % (cstr(m), cstr(r)) for m, r in reprs],
    "};",
    "",
    "/// The keys of a loss module's state_dict, joined by spaces.",
    "inline const char* const loss_state_keys[][2] = {",
    *["    {%s, %s}," % (cstr(m), cstr(" ".join(k))) for m, k in state_keys],
    "};",
    "",
    "/// torch.exp of float inputs (exp_in), as PyTorch's vectorised exp computes them (exp_out).",
    "inline const TensorRef exp_in = %s, exp_out = %s;" % (store(exp_inputs), store(exp_outputs)),
    "",
    "inline const OneHotCase one_hot_cases[] = {",
    *one_hot_lines,
    "};",
    "",
    "}  // namespace eigentorch::testing::loss_reference",
]
vals = ["inline const double loss_values[] = {"]
row = []
for v in values:
    row.append(hexf(v))
    if len(row) == 6:
        vals.append("    " + ", ".join(row) + ",")
        row = []
if row:
    vals.append("    " + ", ".join(row) + ",")
vals += ["};", ""]
with open(OUT, "w") as f:
    f.write("\n".join(lines + vals + body) + "\n")
print(f"{len(cases)} cases, {len(errors)} errors, {len(values)} values -> {OUT}")
