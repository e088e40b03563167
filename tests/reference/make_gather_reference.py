#!/usr/bin/env python3
"""Reference values for tests/ops/gather_test.cpp: index_select, t[index], t[mask], gather,
scatter_add, max(d) / min(d) with their indices, argmax / argmin; values and gradients (for a
non-uniform upstream gradient) in float and double, and the errors.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/make_gather_reference.py
It rewrites tests/reference/gather_cases.hpp."""
import math
import os
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gather_cases.hpp")


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return float.hex(v)


def vec(vs):
    return "{" + ", ".join(num(v) for v in vs) + "}"


def ivec(vs):
    return "{" + ", ".join(str(int(v)) for v in vs) + "}"


def cstr(s):
    return '"' + s.replace('"', '\\"') + '"'


g = torch.Generator().manual_seed(3)
base = torch.randn(3, 4, generator=g, dtype=torch.float64) * 10
ties = torch.tensor([[1.0, 3.0, 3.0, -1.0], [float("nan"), 2.0, float("nan"), 0.0], [5.0, 5.0, 5.0, 5.0]], dtype=torch.float64)
cube = torch.randn(2, 3, 2, generator=g, dtype=torch.float64)

# (op, x, index (tensor or None), dim, keepdim, src)
cases = [
    ("index_select", base, torch.tensor([2, 0, 2]), 0, False, None),
    ("index_select", base, torch.tensor([3, 3, 1]), 1, False, None),
    ("index_select", base, torch.tensor([1]), -1, False, None),
    ("index_select", base, torch.tensor([], dtype=torch.int64), 0, False, None),
    ("index_select", cube, torch.tensor([2, 0]), 1, False, None),
    ("index", base, torch.tensor([-1, 0, 0]), 0, False, None),
    ("index", base, torch.tensor([[1, 2], [0, -3]]), 0, False, None),
    ("index", cube, torch.tensor([1]), 0, False, None),
    ("mask", base, torch.tensor([True, False, True]), 0, False, None),
    ("mask", base, base > 0, 0, False, None),
    ("mask", cube, torch.tensor([[True, False, True], [False, False, False]]), 0, False, None),
    ("mask", base, torch.tensor([False, False, False]), 0, False, None),
    ("gather", base, torch.tensor([[3, 0], [1, 1], [2, 2]]), 1, False, None),
    ("gather", base, torch.tensor([[2, 2, 0, 1]]), 0, False, None),
    ("gather", cube, torch.tensor([[[1], [0]], [[2], [2]]]), 1, False, None),
    ("scatter_add", base, torch.tensor([[0, 0, 3], [1, 1, 1]]), 1, False, torch.tensor([[0.1, 1e8, -1e8], [0.3, 0.7, 1.1]], dtype=torch.float64)),
    ("scatter_add", base, torch.tensor([[2, 2, 0, 1]]), 0, False, torch.randn(1, 4, generator=g, dtype=torch.float64)),
    # the index smaller than x in the other dims
    ("gather", cube, torch.tensor([[[1, 0], [1, 1]]]), 2, False, None),
    ("max", ties, None, 1, False, None),
    ("max", base, None, 0, True, None),
    ("max", cube, None, -1, False, None),
    ("min", ties, None, 1, True, None),
    ("min", base, None, 0, False, None),
    ("argmax", ties, None, 1, False, None),
    ("argmax", ties, None, 0, True, None),
    ("argmax", base, None, None, False, None),
    ("argmin", ties, None, 1, False, None),
    ("argmin", cube, None, None, False, None),
]

rows = []
for op, x0, index, dim, keepdim, src0 in cases:
    for dtype, name in [(torch.float32, "float"), (torch.float64, "double")]:
        x = x0.to(dtype).clone().requires_grad_()
        src = src0.to(dtype).clone().requires_grad_() if src0 is not None else None
        idx_out = None
        if op == "index_select":
            out = x.index_select(dim, index)
        elif op in ("index", "mask"):
            out = x[index]
        elif op == "gather":
            out = x.gather(dim, index)
        elif op == "scatter_add":
            out = x.scatter_add(dim, index, src)
        elif op in ("max", "min"):
            out, idx_out = getattr(x, op)(dim, keepdim=keepdim)
        else:
            idx_out = getattr(x, op)() if dim is None else getattr(x, op)(dim, keepdim=keepdim)
            out = None
        gx, gs = [], []
        if out is not None:
            up = (torch.arange(out.numel(), dtype=dtype) * 0.37 + 0.1).reshape(out.shape)
            out.backward(up)
            gx = x.grad.flatten().tolist()
            gs = src.grad.flatten().tolist() if src is not None else []
        idx = index if index is not None else torch.tensor([], dtype=torch.int64)
        rows.append("    {%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
            cstr(op), cstr(name), vec(x0.flatten().tolist()), ivec(x0.shape),
            ivec(idx.flatten().tolist()), ivec(idx.shape), "true" if idx.dtype == torch.bool else "false",
            str(dim if dim is not None else 0), "true" if dim is None else "false", "true" if keepdim else "false",
            vec(src0.flatten().tolist()) if src0 is not None else "{}", ivec(src0.shape) if src0 is not None else "{}",
            vec(out.detach().flatten().tolist()) + ", " + ivec(out.shape) if out is not None else "{}, {}",
            ivec(idx_out.flatten().tolist()) + ", " + ivec(idx_out.shape) if idx_out is not None else "{}, {}",
            vec(gx), vec(gs)))


def err(f):
    try:
        f()
    except Exception as e:
        return type(e).__name__, str(e).split("\n")[0]
    raise SystemExit("no error")


x = torch.arange(12.0).reshape(3, 4)
errors = {
    "index_select_range": err(lambda: x.index_select(0, torch.tensor([5]))),
    "index_select_negative": err(lambda: x.index_select(0, torch.tensor([-1]))),
    "index_select_vector": err(lambda: x.index_select(0, torch.tensor([[0]]))),
    "index_range": err(lambda: x[torch.tensor([3])]),
    "index_negative": err(lambda: x[torch.tensor([-4])]),
    "mask_shape": err(lambda: x[torch.tensor([True, False])]),
    "gather_range": err(lambda: x.gather(1, torch.tensor([[4]]))),
    "gather_dims": err(lambda: x.gather(1, torch.tensor([0]))),
    "scatter_add_shape": err(lambda: x.scatter_add(1, torch.tensor([[0, 1]]), torch.ones(1, 1))),
    "max_empty": err(lambda: torch.zeros(2, 0).max(1)),
    "argmax_empty": err(lambda: torch.zeros(0).argmax()),
    "argmax_empty_dim": err(lambda: torch.zeros(2, 0).argmax(1)),
}

with open(OUT, "w") as f:
    f.write("// Generated by tests/reference/make_gather_reference.py with PyTorch %s; do not edit.\n" % torch.__version__)
    f.write("#pragma once\n\n#include <cmath>\n#include <cstdint>\n#include <vector>\n\nnamespace eigentorch::reference::gather {\n\n")
    f.write("struct Case {\n  const char* op;\n  const char* dtype;\n  std::vector<double> x;\n  std::vector<int64_t> x_shape;\n"
            "  std::vector<int64_t> index;\n  std::vector<int64_t> index_shape;\n  bool index_is_mask;\n  int64_t dim;\n"
            "  bool whole;  // argmax / argmin of the flattened tensor\n  bool keepdim;\n  std::vector<double> src;\n"
            "  std::vector<int64_t> src_shape;\n  std::vector<double> out;\n  std::vector<int64_t> out_shape;\n"
            "  std::vector<int64_t> indices;\n  std::vector<int64_t> indices_shape;\n  std::vector<double> grad_x;\n"
            "  std::vector<double> grad_src;\n};\n\n")
    f.write("inline const std::vector<Case> cases = {\n" + "\n".join(rows) + "\n};\n\n")
    for k, (t, m) in errors.items():
        f.write("inline const char* const %s_error = %s;  // %s\n" % (k, cstr(m), t))
    f.write("\n}  // namespace eigentorch::reference::gather\n")
print("wrote", OUT, len(rows), "cases")
