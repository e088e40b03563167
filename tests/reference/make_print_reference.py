#!/usr/bin/python3
"""Asks PyTorch 1.13 how it prints many tensors and writes the answers as a C++ header.

Run with Debian's PyTorch from the repository root:
    /usr/bin/python3 tests/reference/make_print_reference.py
It rewrites tests/reference/print_cases.hpp, which tests/detail/format_test.cpp checks
include/eigentorch/detail/format.hpp against. Values travel as hex-float literals so the C++
side sees bit-identical numbers; every "torch." is dropped from the expected text, as our
printing drops it.
"""

import math
import os
import struct

import torch

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "print_cases.hpp")

cases = []  # (name, tensor)


def add(name, tensor):
    cases.append((name, tensor))


def leaf(values, dtype=torch.float32, requires_grad=False):
    return torch.tensor(values, dtype=dtype, requires_grad=requires_grad)


inf = float("inf")
nan = float("nan")

# 0-d tensors: one number, no brackets, every mode.
torch.manual_seed(0)
add("0-d fixed", torch.rand(()))
add("0-d integral", leaf(3.0))
add("0-d negative integral", leaf(-42.0))
add("0-d zero", leaf(0.0))
add("0-d negative zero", leaf(-0.0))
add("0-d nan", leaf(nan))
add("0-d negative nan", leaf(-nan))
add("0-d inf", leaf(inf))
add("0-d -inf", leaf(-inf))
add("0-d tiny is scientific", leaf(1e-5))
add("0-d huge integral is scientific", leaf(1e9))
add("0-d 123456789 float", leaf(123456789.0))
add("0-d 123456789 double", leaf(123456789.0, torch.float64))
add("0-d fixed double", leaf(0.2543, torch.float64))
add("0-d negative fixed", leaf(-7.123456))
add("0-d double requires_grad", leaf(1.5, torch.float64, requires_grad=True))

# Vectors in each mode, and the column width taken over all values.
add("int mode", leaf([1.0, 2.0, 3.0]))
add("int mode widths", leaf([1.0, -10.0, 100.0, 0.0]))
add("int mode up to 1e8", leaf([1e8, 1e6, 12345678.0], torch.float64))
add("int mode negative zero", leaf([-0.0, 1.0, 2.0]))
add("int mode all zeros", leaf([0.0, 0.0, 0.0]))
add("zeros of both signs", leaf([-0.0, 0.0, -0.0]))
add("int mode with inf and nan", leaf([1.0, inf, -inf, nan]))
add("int mode wide with inf", leaf([1.0, 200.0, -inf]))
add("int mode ratio over 1000 is scientific", leaf([1.0, 2000.0]))
add("int mode ratio exactly 1000 stays integral", leaf([1.0, 1000.0]))
add("int mode over 1e8 is scientific", leaf([1e9, 1.0, -3.0]))
add("int mode 1e8 exactly stays integral", leaf([1e8, 1.0], torch.float64))
add("fixed mode", leaf([0.5, -1.25, 3.0]))
add("fixed mode widths", leaf([1.5, -100.25, 1000.125, 0.0]))
add("fixed mode with nan and inf", leaf([0.5, nan, -inf, inf]))
add("fixed mode negative zero", leaf([-0.0, 0.5]))
add("fixed mode min exactly 1e-4", leaf([1e-4, 0.05], torch.float64))
add("fixed mode large", leaf([99999.5, 1000.25]))
add("fixed mode ratio 1000 exactly", leaf([0.001, 1.0], torch.float64))
add("scientific small", leaf([1e-5, 1.0, 2.0]))
add("scientific negative", leaf([-1e-5, 1.0]))
add("scientific ratio", leaf([0.001, 2.0]))
add("scientific large", leaf([123456789.0, 1.5]))
add("scientific with nan inf zero", leaf([1e-5, inf, nan, 0.0, -0.0, -inf]))
add("scientific negative zero", leaf([-0.0, 1e-5]))
add("all non-finite", leaf([nan, inf, -inf]))
add("negative nan", leaf([-nan, 0.5]))
add("exponent e+100", leaf([1e100, 1.5], torch.float64))
add("exponent e-300", leaf([1e-300, -2.5e-310, 5e-324], torch.float64))
add("float extremes", leaf([3.4028234663852886e38, 1.401298464324817e-45, -1.1754943508222875e-38]))
add("double max", leaf([1.7976931348623157e308, 1.0], torch.float64))
add("rounding ties fixed", leaf([0.03125, 0.09375, 0.15625, 0.21875, -0.03125, 2.5], torch.float64))
add("rounding ties scientific", leaf([1.03125, 1.09375, 12.5625, -1.03125, 1e-5], torch.float64))
add("rounding carries", leaf([0.99995, 9.99995, 0.00995], torch.float64))
add("rounding carries scientific", leaf([9.99995, 1e-6, 99999.5], torch.float64))
add("decimal fractions float", leaf([0.1, 0.2, 0.3, 1.0 / 3.0]))
add("decimal fractions double", leaf([0.1, 0.2, 0.3, 1.0 / 3.0], torch.float64))
torch.manual_seed(1)
add("rand", torch.rand(5))
add("randn scaled", torch.randn(6) * 10)
add("randn scaled double", torch.randn(6, dtype=torch.float64) * 10)
add("randn tiny", torch.randn(5) * 1e-6)
add("randn huge", torch.randn(5) * 1e12)

# Wrapping of long rows at 80 columns, with the indent of their nesting depth.
add("wrap int", torch.arange(100.0))
add("wrap fixed", torch.randn(30))
add("wrap scientific", torch.randn(25) * 1e-5)
add("wrap rows", torch.randn(3, 20))
add("wrap rows double", torch.randn(3, 13, dtype=torch.float64))
add("wrap 3-d", torch.randn(2, 2, 15) * 100)
add("wrap 4-d", torch.arange(2 * 2 * 2 * 40.0).reshape(2, 2, 2, 40) - 100)
add("exactly one line of cells", torch.arange(8.0) / 8 + 10)  # 8 cells of 7+2 = 72 + 7
add("one cell over one line", torch.arange(9.0) / 8 + 10)
add("one cell per line when deep", torch.arange(3.0).reshape((1,) * 75 + (3,)))
add("one cell per line at the edge", torch.arange(4.0).reshape((1,) * 63 + (4,)) / 4)

# Nesting, with d - 1 blank lines between slices of a d-dimensional tensor.
add("2-d", torch.arange(6.0).reshape(2, 3))
add("3-d", torch.arange(24.0).reshape(2, 3, 4))
add("4-d", torch.arange(24.0).reshape(2, 2, 2, 3) / 10)
add("5-d", torch.arange(8.0).reshape(1, 2, 1, 2, 2) - 3.5)
add("column", torch.arange(11.0).reshape(11, 1) / 10)
add("singleton dims", leaf([[[2.5]]]))
add("single element vector", leaf([7.0]))
add("single element matrix", leaf([[0.125]]))

# Summarisation: more than 1000 elements keeps 3 edge items per dimension, and the notation and
# width come from the kept values only.
add("1000 elements are not summarised", torch.arange(1000.0) / 7)
add("1001 elements", torch.arange(1001.0))
hidden = torch.arange(1001.0)
hidden[500] = 1e10
hidden[501] = 0.5
hidden[502] = nan
add("hidden values do not choose the format", hidden)
add("5000 randn", torch.randn(5000) * 3)
add("1200 rand double scientific", torch.rand(1200, dtype=torch.float64) * 1e-3)
add("summarised 2-d", torch.randn(30, 40))
add("summarised columns only", torch.randn(2, 510))
add("summarised rows only", torch.randn(1001, 1))
add("summarised rows of six", torch.randn(170, 6))
add("summarised 3-d", torch.arange(8 * 9 * 20.0).reshape(8, 9, 20))
add("summarised 4-d", torch.randn(7, 7, 7, 7))
add("summarised 4-d double", torch.randn(2, 7, 3, 40, dtype=torch.float64) * 1e3)
add("summarised without long dims", torch.arange(1024.0).reshape(4, 4, 4, 4, 4) - 512)
add("summarised with inf edge", torch.cat([leaf([inf, 1.5]), torch.zeros(1000), leaf([nan])]))

# Empty tensors: the size is shown unless it is (0,), the dtype always when not float32.
add("empty", torch.zeros(0))
add("empty 2-d", torch.zeros(2, 0))
add("empty leading zero", torch.zeros(0, 3))
add("empty 3-d", torch.zeros(0, 2, 3))
add("empty double", torch.zeros(0, dtype=torch.float64))
add("empty 2-d double", torch.zeros(2, 0, dtype=torch.float64))
add("empty requires_grad", torch.zeros(0, requires_grad=True))
add("empty 2-d double requires_grad", torch.zeros(1, 0, dtype=torch.float64, requires_grad=True))

# Suffixes: dtype, then grad_fn or requires_grad, wrapped to a new line past 80 columns.
torch.manual_seed(2)
add("requires_grad leaf", torch.randn(4, requires_grad=True))
add("requires_grad 2-d", torch.randn(2, 3, requires_grad=True))
add("double leaf", torch.randn(3, dtype=torch.float64))
add("double requires_grad leaf", torch.randn(3, dtype=torch.float64, requires_grad=True))
for n in range(1, 13):
    add(f"suffix placement {n}",
        (torch.arange(n, dtype=torch.float64) / 3 - 1).requires_grad_(True))
for n in range(1, 13):
    add(f"suffix placement grad_fn {n}", torch.arange(n, dtype=torch.float32, requires_grad=True)
        .div(7).mul(2))
add("suffix after wrapped rows", torch.randn(2, 9, dtype=torch.float64, requires_grad=True))
add("suffix after summary", torch.randn(1001, requires_grad=True))

# Tensors made by autograd ops carry PyTorch's own grad_fn names.
torch.manual_seed(3)
x = torch.linspace(-1, 1, 11).reshape(11, 1)
layer = torch.nn.Linear(1, 13)
hidden_layer = layer(x)
add("addmm", hidden_layer)
add("tanh", torch.tanh(hidden_layer))
add("mse loss", torch.nn.functional.mse_loss(hidden_layer, torch.zeros(11, 13)))
add("sum", (hidden_layer * 2).sum())
add("transpose", layer.weight.t())
add("double op", torch.randn(4, dtype=torch.float64, requires_grad=True).exp())


# Python measures suffixes in code points, not bytes: this grad_fn name is 11 two-byte letters.
class Αλφαβητάριο(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor):
        return tensor * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


for n in (5, 6):
    add(f"non-ascii grad_fn {n}",
        Αλφαβητάριο.apply(torch.arange(float(n), requires_grad=True) / 3))

# Parameters print a header line above the tensor.
add("parameter weight", layer.weight)
add("parameter bias", layer.bias)
add("parameter double", torch.nn.Parameter(torch.randn(2, 2, dtype=torch.float64)))
add("parameter without grad", torch.nn.Parameter(torch.arange(3.0), requires_grad=False))
add("parameter empty", torch.nn.Parameter(torch.zeros(0, 4)))
add("parameter 0-d", torch.nn.Parameter(torch.tensor(0.75)))

SIZES = [[], [0], [3], [11, 1], [2, 0, 3], [7, 8, 9, 10], [1 << 40, 1]]


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
    # Tensor reprs hold no double quote, so the plain raw-string delimiter cannot close early.
    assert '"' not in text
    return 'R"(' + text + ')"'


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
    return "\n".join(lines)


def main():
    out = []
    out.append("// @generated by tests/reference/make_print_reference.py; do not edit")
    out.append("// PyTorch 1.13's repr of each tensor below (\"torch.\" removed), for "
               "tests/detail/format_test.cpp.")
    out.append("#pragma once")
    out.append("")
    out.append("#include <cstddef>  // size_t")
    out.append("#include <cstdint>  // int64_t")
    out.append("#include <limits>")
    out.append("#include <vector>")
    out.append("")
    out.append("namespace eigentorch::testing::print_reference {")
    out.append("")
    out.append("inline constexpr double kInf = std::numeric_limits<double>::infinity();")
    out.append("inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();")
    out.append("")
    out.append("struct PrintCase {")
    out.append("  const char* name;")
    out.append("  std::vector<int64_t> shape;")
    out.append("  const double* values;  // row-major, exact (float32 values widen exactly)")
    out.append("  std::size_t count;")
    out.append("  bool is_double;")
    out.append("  const char* grad_fn;")
    out.append("  bool requires_grad;")
    out.append("  bool is_parameter;")
    out.append("  const char* expected;")
    out.append("};")
    out.append("")

    entries = []
    names = set()
    for index, (name, t) in enumerate(cases):
        assert name not in names, name
        names.add(name)
        assert t.dtype in (torch.float32, torch.float64), name
        is_double = t.dtype == torch.float64
        values = t.detach().reshape(-1).tolist()
        if not is_double:
            for v in values:
                back = struct.unpack("f", struct.pack("f", v))[0]
                assert back == v or (math.isnan(v) and math.isnan(back)), name
        grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else ""
        is_parameter = isinstance(t, torch.nn.Parameter)
        expected = repr(t).replace("torch.", "")
        if values:
            array = f"kValues{index}"
            out.append(f"inline constexpr double {array}[] = {{")
            out.append(wrapped([literal(v) for v in values], "    "))
            out.append("};")
        else:
            array = "nullptr"
        shape = "{" + ", ".join(str(d) for d in t.shape) + "}"
        entries.append(
            f'    {{"{name}", {shape}, {array}, {len(values)}, {str(is_double).lower()}, '
            f'"{grad_fn}", {str(t.requires_grad).lower()}, {str(is_parameter).lower()},\n'
            f"     {raw_string(expected)}}},")

    out.append("")
    out.append("inline const std::vector<PrintCase> kPrintCases = {")
    out.extend(entries)
    out.append("};")
    out.append("")
    out.append("struct SizeCase {")
    out.append("  std::vector<int64_t> shape;")
    out.append("  const char* expected;")
    out.append("};")
    out.append("")
    out.append("inline const std::vector<SizeCase> kSizeCases = {")
    for shape in SIZES:
        text = repr(torch.Size(shape)).replace("torch.", "")
        dims = "{" + ", ".join(str(d) for d in shape) + "}"
        out.append(f'    {{{dims}, "{text}"}},')
    out.append("};")
    out.append("")
    out.append("}  // namespace eigentorch::testing::print_reference")

    with open(OUTPUT, "w") as f:
        f.write("\n".join(out) + "\n")
    wrapped_suffixes = sum(1 for _, t in cases if ",\n       " in repr(t).split("]")[-1])
    print(f"wrote {len(cases)} tensor cases and {len(SIZES)} size cases to {OUTPUT} "
          f"({wrapped_suffixes} with a suffix on its own line)")


if __name__ == "__main__":
    main()
