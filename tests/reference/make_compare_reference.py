#!/usr/bin/env python3
"""Reference values for tests/ops/compare_test.cpp: how PyTorch prints int64 and bool tensors, its
comparisons (tensor-tensor with broadcasting, tensor-number with promotion), conversions between
float, double, int64 and bool, and where / masked_fill with their gradients.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/make_compare_reference.py
It rewrites tests/reference/compare_cases.hpp."""
import math
import os
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_cases.hpp")
DT = {"int64": torch.int64, "bool": torch.bool, "float": torch.float32, "double": torch.float64}


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def num(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if math.isnan(v):
            return "NAN"
        if math.isinf(v):
            return "INFINITY" if v > 0 else "-INFINITY"
        return float.hex(v)
    return "INT64_MIN" if v == -2**63 else str(v)


def vec(vs):
    return "{" + ", ".join(num(v) for v in vs) + "}"


def shape(t):
    return "{" + ", ".join(str(d) for d in t.shape) + "}"


lines = []
# ---- printing: every branch of the integer formatter (widths, negatives, summarised, wrapped, empty, 0-d)
prints = [
    ("int64", [0, 2, 1], [3]),
    ("int64", [-1, 100, 3, 4], [2, 2]),
    ("int64", [7], []),
    ("int64", [], [0]),
    ("int64", [], [2, 0]),
    ("int64", list(range(2000)), [2000]),
    ("int64", [i * 1000003 - 5 for i in range(40)], [40]),
    ("int64", list(range(-600, 600)), [30, 40]),
    ("int64", [9223372036854775807, -9223372036854775808], [2]),
    ("bool", [True, False], [2]),
    ("bool", [True, True], [2]),
    ("bool", [False], []),
    ("bool", [], [0]),
    ("bool", [i % 3 == 0 for i in range(1200)], [1200]),
    ("bool", [i % 2 == 0 for i in range(24)], [2, 3, 4]),
]
lines.append("struct PrintCase { bool is_bool; std::vector<int64_t> values; std::vector<int64_t> shape; const char* repr; };")
lines.append("inline const std::vector<PrintCase> print_cases = {")
for dt, vals, shp in prints:
    t = torch.tensor(vals, dtype=DT[dt]).reshape(shp)
    lines.append("    {%s, %s, {%s}, %s}," % ("true" if dt == "bool" else "false", vec([int(v) for v in vals]),
                                             ", ".join(map(str, shp)), cstr(repr(t).replace("torch.", ""))))
lines.append("};")

# ---- comparisons
a = [1.5, -2.0, 3.0, float("nan"), 0.0, -0.0]
b = [1.5, 2.0, 1.0, float("nan"), -0.0, 1.0]
lines.append("struct CompareCase { const char* op; const char* dtype; std::vector<double> a; std::vector<int64_t> a_shape;")
lines.append("  std::vector<double> b; std::vector<int64_t> b_shape; bool b_is_number; std::vector<int64_t> out; std::vector<int64_t> out_shape; };")
lines.append("inline const std::vector<CompareCase> compare_cases = {")
ops = ["eq", "ne", "lt", "le", "gt", "ge"]
for op in ops:
    for dt in ["float", "double"]:
        ta, tb = torch.tensor(a, dtype=DT[dt]), torch.tensor(b, dtype=DT[dt])
        r = getattr(ta, op)(tb)
        lines.append("    {%s, %s, %s, {6}, %s, {6}, false, %s, %s}," % (cstr(op), cstr(dt), vec(a), vec(b), vec([int(v) for v in r.tolist()]), shape(r)))
        # broadcasting [2, 1] against [3]
        ta2, tb2 = torch.tensor([[1.0], [2.0]], dtype=DT[dt]), torch.tensor([0.5, 2.0, 3.0], dtype=DT[dt])
        r = getattr(ta2, op)(tb2)
        lines.append("    {%s, %s, {1.0, 2.0}, {2, 1}, {0.5, 2.0, 3.0}, {3}, false, %s, %s}," % (cstr(op), cstr(dt), vec([int(v) for v in r.flatten().tolist()]), shape(r)))
        r = getattr(ta, op)(1.5)
        lines.append("    {%s, %s, %s, {6}, {1.5}, {}, true, %s, %s}," % (cstr(op), cstr(dt), vec(a), vec([int(v) for v in r.tolist()]), shape(r)))
    ia = [16777217, -3, 2, 0]
    ti = torch.tensor(ia)
    for number in [2, 2.5, 16777217.5]:
        r = getattr(ti, op)(number)
        lines.append("    {%s, \"int64\", %s, {4}, {%s}, {}, true, %s, %s}," % (cstr(op), vec([float(v) for v in ia]), num(float(number)), vec([int(v) for v in r.tolist()]), shape(r)))
    r = getattr(ti, op)(torch.tensor([16777217, 0, 2, -1]))
    lines.append("    {%s, \"int64\", %s, {4}, {16777217.0, 0.0, 2.0, -1.0}, {4}, false, %s, %s}," % (cstr(op), vec([float(v) for v in ia]), vec([int(v) for v in r.tolist()]), shape(r)))
lines.append("};")

# ---- conversions
src = [1.7, -1.7, 2.5, -0.0, 0.0, 1e10, -3.0, 0.1]
lines.append("struct ConvertCase { const char* from; const char* to; std::vector<double> in; std::vector<double> out; };")
lines.append("inline const std::vector<ConvertCase> convert_cases = {")
for fr in ["float", "double", "int64", "bool"]:
    vals = src if fr in ("float", "double") else ([3, -2, 0, 16777217, 9007199254740993] if fr == "int64" else [True, False, True])
    t = torch.tensor(vals, dtype=DT[fr])
    for to in ["float", "double", "int64", "bool"]:
        r = t.to(DT[to])
        lines.append("    {%s, %s, %s, %s}," % (cstr(fr), cstr(to), vec([float(v) for v in t.tolist()]), vec([float(v) for v in r.tolist()])))
lines.append("};")

# ---- logical, all, any, sums of bools and ints
x = torch.tensor([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5]])
y = torch.tensor([1.0, 0.0, 2.0])
m = torch.tensor([[True, False, True], [False, False, True]])
lines.append("inline const std::vector<int64_t> logical_and_out = %s;" % vec([int(v) for v in torch.logical_and(x, y).flatten().tolist()]))
lines.append("inline const std::vector<int64_t> logical_or_out = %s;" % vec([int(v) for v in torch.logical_or(x, y).flatten().tolist()]))
lines.append("inline const std::vector<int64_t> logical_not_out = %s;" % vec([int(v) for v in torch.logical_not(x).flatten().tolist()]))
lines.append("inline const char* const bool_sums = %s;" % cstr(repr((m.sum(), m.sum(0), m.sum(1, keepdim=True), m.all(), m.any(), x.all(), x.any(), torch.zeros(0).all(), torch.zeros(0).any())).replace("torch.", "")))

# ---- where and masked_fill, values and gradients (double)
for name, fn in [("where", lambda xa, xb: torch.where(m, xa, xb)), ("masked_fill", lambda xa, xb: xa.masked_fill(m, -7.0))]:
    xa = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64, requires_grad=True)
    xb = torch.tensor([10.0, 20.0, 30.0], dtype=torch.float64, requires_grad=True)
    out = fn(xa, xb)
    g = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64) * 0.5
    out.backward(g)
    lines.append("inline const char* const %s_repr = %s;" % (name, cstr(repr(out).replace("torch.", ""))))
    lines.append("inline const std::vector<double> %s_grad_a = %s;" % (name, vec(xa.grad.flatten().tolist())))
    if xb.grad is not None:
        lines.append("inline const std::vector<double> %s_grad_b = %s;" % (name, vec(xb.grad.flatten().tolist())))

def err(f):
    try:
        f()
    except Exception as e:
        return str(e).split("\n")[0]
    raise SystemExit("no error")

# ---- arithmetic of int64 and bool tensors: wrapping, true division, promotion with numbers
i = torch.tensor([5, -2, 7])
bb = torch.tensor([True, False])
big = torch.tensor([2**63 - 1, -2**63])
arith = (i + i, i * 2, i - 1, -i, i / 2, i + 0.5, i * 1.5, 1 - i, 10.0 / i, i / i, bb + bb, bb * bb, bb + 1, bb * 2.5,
         bb + True, big + 1, -big, big * 2)
lines.append("inline const char* const integer_arithmetic = %s;" % cstr(repr(arith).replace("torch.", "")))
lines.append("inline const char* const bool_sub_error = %s;" % cstr(err(lambda: bb - bb)))
lines.append("inline const char* const bool_neg_error = %s;" % cstr(err(lambda: -bb)))

lines.append("inline const char* const requires_grad_error = %s;" % cstr(err(lambda: torch.tensor([1, 2]).requires_grad_())))
lines.append("inline const char* const compare_shape_error = %s;" % cstr(err(lambda: torch.zeros(2) < torch.zeros(3))))

with open(OUT, "w") as f:
    f.write("// Generated by tests/reference/make_compare_reference.py with PyTorch %s; do not edit.\n" % torch.__version__)
    f.write("#pragma once\n\n#include <cmath>\n#include <cstdint>\n#include <vector>\n\nnamespace eigentorch::reference::compare {\n\n")
    f.write("\n".join(lines))
    f.write("\n\n}  // namespace eigentorch::reference::compare\n")
print("wrote", OUT)
