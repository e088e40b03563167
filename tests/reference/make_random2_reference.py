#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch, built without MKL) what torch.randint, torch.randperm,
torch.bernoulli, Tensor.bernoulli_, torch.normal, torch.multinomial, Tensor.uniform_ and
Tensor.normal_ draw after torch.manual_seed, and the errors they raise, and writes them to
random2_cases.hpp for tests/tensor/random2_test.cpp.

Run from anywhere: /usr/bin/python3 tests/reference/make_random2_reference.py
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random2_cases.hpp")
DTYPES = {"float": torch.float32, "double": torch.float64}
SEEDS = [0, 42, 2024]

# A case: (op, dtype, ints (i0, i1), reals (x0, x1), flag, input values or None, shape).
#   randint      i0 = low, i1 = high, shape; flag: called as randint(high, shape) (low = 0)
#   randperm     i0 = n
#   bernoulli_   x0 = p, on a tensor of the shape and dtype
#   bernoulli    the input is p
#   normal       x0 = mean, x1 = std, shape
#   normal_mean  the input is the means, x1 = std
#   normal_std   x0 = mean, the input is the standard deviations
#   normal_both  the input is the means, |its first row| the standard deviations (broadcast)
#   multinomial  the input is the probabilities, i0 = num_samples, flag = replacement
#   uniform_     x0 = from, x1 = to, on a tensor of the shape and dtype
#   normal_      x0 = mean, x1 = std, on a tensor of the shape and dtype
P_ROW = [0.1, 0.2, 0.3, 0.4, 0.0, 1.5]
P_TABLE = [[0.5, 0.1, 0.0, 2.0, 0.3], [1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 3.0, 0.0, 0.25]]
P_TIES = [0.5, 0.5, 0.0, 0.0, 0.0, 0.0]
P_WIDE = [((7 * j) % 13) / 13.0 for j in range(200)]  # k * 64 <= 200: topk's partial_sort path
BERNOULLI_P = [[0.0, 0.3, 1.0, 0.5], [0.9, 0.1, 0.25, 0.75], [1.0, 0.0, 0.6, 0.4]]
CASES = [
    ("randint", "double", (0, 10), (0, 0), False, None, [5]),
    ("randint", "double", (-5, 7), (0, 0), False, None, [3, 4]),
    ("randint", "double", (0, 3), (0, 0), True, None, [2, 2]),
    ("randint", "double", (0, 2**32 - 1), (0, 0), False, None, [4]),  # the largest 32-bit range
    ("randint", "double", (0, 2**32), (0, 0), False, None, [4]),  # the smallest 64-bit range
    ("randint", "double", (-(2**40), 2**40), (0, 0), False, None, [6]),
    ("randint", "double", (-(2**62), 2**62), (0, 0), False, None, [3]),
    ("randint", "double", (0, 10), (0, 0), False, None, [0]),
    ("randperm", "double", (0, 0), (0, 0), False, None, []),
    ("randperm", "double", (1, 0), (0, 0), False, None, []),
    ("randperm", "double", (2, 0), (0, 0), False, None, []),
    ("randperm", "double", (5, 0), (0, 0), False, None, []),
    ("randperm", "double", (100, 0), (0, 0), False, None, []),
    ("randperm", "double", (3000, 0), (0, 0), False, None, []),
    ("bernoulli_", "float", (0, 0), (0.0, 0), False, None, [7]),
    ("bernoulli_", "float", (0, 0), (0.3, 0), False, None, [7]),
    ("bernoulli_", "double", (0, 0), (0.3, 0), False, None, [2, 5]),
    ("bernoulli_", "double", (0, 0), (1.0, 0), False, None, [7]),
    ("bernoulli", "float", (0, 0), (0, 0), False, BERNOULLI_P, None),
    ("bernoulli", "double", (0, 0), (0, 0), False, BERNOULLI_P, None),
    ("normal", "double", (0, 0), (1.5, 0.5), False, None, [5]),
    ("normal", "double", (0, 0), (-2.0, 3.0), False, None, [4, 5]),
    ("normal", "float", (0, 0), (1.5, 0.5), False, None, [3]),
    ("normal", "float", (0, 0), (1.5, 0.5), False, None, [20]),
    ("normal_mean", "double", (0, 0), (0, 0.5), False, [[1.0, 2.0, -3.0], [0.5, 0.0, 10.0]], None),
    ("normal_mean", "float", (0, 0), (0, 2.0), False, [1.0, 2.0, -3.0], None),
    ("normal_mean", "double", (0, 0), (0, 0.25), False, [float(j) for j in range(17)], None),
    ("normal_std", "double", (0, 0), (1.0, 0), False, [[1.0, 2.0, 0.0], [0.5, 3.0, 10.0]], None),
    ("normal_std", "float", (0, 0), (-1.0, 0), False, [1.0, 2.0, 0.5], None),
    ("normal_both", "double", (0, 0), (0, 0), False, [[1.0, -2.0, 0.5], [3.0, 0.0, -10.0]], None),
    ("normal_both", "float", (0, 0), (0, 0), False, [[1.0, -2.0, 0.5, 4.0]] * 5, None),
    ("multinomial", "float", (1, 0), (0, 0), False, P_ROW, None),
    ("multinomial", "float", (3, 0), (0, 0), False, P_ROW, None),
    ("multinomial", "float", (5, 0), (0, 0), False, P_ROW, None),
    ("multinomial", "float", (1, 0), (0, 0), True, P_ROW, None),
    ("multinomial", "float", (8, 0), (0, 0), True, P_ROW, None),
    ("multinomial", "double", (4, 0), (0, 0), False, P_ROW, None),
    ("multinomial", "double", (9, 0), (0, 0), True, P_ROW, None),
    ("multinomial", "float", (1, 0), (0, 0), False, P_TABLE, None),
    ("multinomial", "float", (2, 0), (0, 0), False, P_TABLE, None),
    ("multinomial", "float", (10, 0), (0, 0), True, P_TABLE, None),
    ("multinomial", "double", (3, 0), (0, 0), False, P_TABLE, None),
    ("multinomial", "double", (6, 0), (0, 0), True, P_TABLE, None),
    ("multinomial", "float", (6, 0), (0, 0), False, P_TIES, None),  # ties among the zeros
    ("multinomial", "float", (3, 0), (0, 0), False, P_WIDE, None),
    ("multinomial", "float", (7, 0), (0, 0), False, P_WIDE, None),
    ("uniform_", "double", (0, 0), (-2.5, 0.7), False, None, [3, 7]),
    ("normal_", "double", (0, 0), (1.5, 0.3), False, None, [5]),
    ("normal_", "double", (0, 0), (1.5, 0.3), False, None, [21]),
]


def run(op, dtype, ints, reals, flag, values):
    dt = DTYPES[dtype]
    inp = None if values is None else torch.tensor(values, dtype=dt)
    if op == "randint":
        return inp, (torch.randint(ints[1], SHAPE) if flag else torch.randint(ints[0], ints[1], SHAPE))
    if op == "randperm":
        return inp, torch.randperm(ints[0])
    if op == "bernoulli_":
        return inp, torch.empty(SHAPE, dtype=dt).bernoulli_(reals[0])
    if op == "bernoulli":
        return inp, torch.bernoulli(inp)
    if op == "normal":
        return inp, torch.normal(reals[0], reals[1], SHAPE, dtype=dt)
    if op == "normal_mean":
        return inp, torch.normal(inp, reals[1])
    if op == "normal_std":
        return inp, torch.normal(reals[0], inp)
    if op == "normal_both":
        return inp, torch.normal(inp, inp[0].abs())
    if op == "multinomial":
        return inp, torch.multinomial(inp, ints[0], flag)
    if op == "uniform_":
        return inp, torch.empty(SHAPE, dtype=dt).uniform_(reals[0], reals[1])
    if op == "normal_":
        return inp, torch.empty(SHAPE, dtype=dt).normal_(reals[0], reals[1])
    raise ValueError(op)


# (name, call): the message PyTorch raises for each misuse the test repeats.
ERRORS = [
    ("randint equal", lambda: torch.randint(3, 3, (2,))),
    ("randint reversed", lambda: torch.randint(5, 2, (2,))),
    ("randint high 0", lambda: torch.randint(0, (2,))),
    ("randperm negative", lambda: torch.randperm(-1)),
    ("bernoulli_ p above 1", lambda: torch.empty(3).bernoulli_(1.5)),
    ("bernoulli_ p below 0", lambda: torch.empty(3).bernoulli_(-0.1)),
    ("bernoulli_ p nan", lambda: torch.empty(3).bernoulli_(float("nan"))),
    ("bernoulli p tensor", lambda: torch.bernoulli(torch.tensor([0.2, 1.5]))),
    ("normal std", lambda: torch.normal(0.0, -1.0, (2,))),
    ("normal mean tensor std", lambda: torch.normal(torch.tensor([1.0]), -0.5)),
    ("normal std tensor", lambda: torch.normal(1.0, torch.tensor([1.0, -1.0]))),
    ("normal std tensor nan", lambda: torch.normal(1.0, torch.tensor([1.0, float("nan")]))),
    ("normal both std", lambda: torch.normal(torch.ones(2), torch.tensor([1.0, -1.0]))),
    ("normal both shapes", lambda: torch.normal(torch.ones(2), torch.ones(3))),
    ("multinomial 3-d", lambda: torch.multinomial(torch.ones(2, 2, 2), 1)),
    ("multinomial 0-d", lambda: torch.multinomial(torch.tensor(0.5), 1)),
    ("multinomial n 0", lambda: torch.multinomial(torch.ones(3), 0)),
    ("multinomial n above", lambda: torch.multinomial(torch.ones(3), 4)),
    ("multinomial categories", lambda: torch.multinomial(torch.ones(2**24 + 1), 1)),
    ("multinomial negative", lambda: torch.multinomial(torch.tensor([0.1, -1.0]), 1)),
    ("multinomial inf", lambda: torch.multinomial(torch.tensor([0.1, float("inf")]), 2)),
    ("multinomial nan", lambda: torch.multinomial(torch.tensor([0.1, float("nan")]), 1)),
    ("multinomial zero row", lambda: torch.multinomial(torch.tensor([[1.0, 2.0], [0.0, 0.0]]), 1)),
    ("multinomial replacement negative", lambda: torch.multinomial(torch.tensor([0.1, -1.0]), 2, True)),
    ("multinomial replacement nan", lambda: torch.multinomial(torch.tensor([0.1, float("nan")]), 2, True)),
    ("multinomial replacement inf", lambda: torch.multinomial(torch.tensor([0.1, float("inf")]), 2, True)),
    ("multinomial replacement zero", lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 2, True)),
]


def error_of(call):
    try:
        call()
    except RuntimeError as e:
        return str(e).split("\n")[0]
    raise AssertionError("no error")


def cxx_shape(shape):
    shape = list(shape)
    return f"{len(shape)}, {{{', '.join(str(d) for d in shape + [0] * (2 - len(shape)))}}}"


def main():
    global SHAPE
    assert torch.__version__.startswith("1.13"), torch.__version__
    assert not torch.backends.mkl.is_available()  # with MKL, bernoulli_ and exponential_ draw otherwise
    inputs, ints, floats, rows = [], [], [], []
    for seed in SEEDS:
        for op, dtype, (i0, i1), (x0, x1), flag, values, shape in CASES:
            SHAPE = shape
            torch.manual_seed(seed)
            inp, out = run(op, dtype, (i0, i1), (x0, x1), flag, values)
            next_rand = torch.rand(1, dtype=torch.float64).item()  # the generator advanced as PyTorch's
            next_randn = torch.randn(1, dtype=torch.float64).item()  # and its cached normal sample
            in_offset = len(inputs)
            in_shape = [] if inp is None else list(inp.shape)
            if inp is not None:
                inputs.extend(float(v) for v in inp.double().flatten().tolist())
            is_int = out.dtype == torch.int64
            target = ints if is_int else floats
            out_offset = len(target)
            target.extend(int(v) if is_int else float(v) for v in out.flatten().tolist())
            is_double = "true" if dtype == "double" else "false"
            flag_s = "true" if flag else "false"
            rows.append(
                f'    {{"{op}", {is_double}, {seed}, {i0}ll, {i1}ll, {float(x0).hex()}, {float(x1).hex()}, {flag_s},'
                f" {cxx_shape(in_shape)}, {in_offset}, {cxx_shape(out.shape)}, {out_offset},"
                f" {next_rand.hex()}, {next_randn.hex()}}},")

    lines = [
        "// @generated by tests/reference/make_random2_reference.py; do not edit",
        f"// Drawn by PyTorch {torch.__version__} on the CPU after torch.manual_seed(seed), as exact hex",
        "// floats (floats widened to double) and integers.",
        "#pragma once",
        "",
        "#include <cstdint>  // int64_t, uint64_t",
        "",
        "namespace eigentorch::reference {",
        "",
        "/// One call after manual_seed(seed): op and its arguments as in make_random2_reference.py, its",
        "/// input (if any) at random2_inputs[in_offset], its result at random2_ints[out_offset] (int64",
        "/// results) or random2_floats[out_offset], then what torch.rand(1) and torch.randn(1) (double)",
        "/// drew next.",
        "struct Random2Case {",
        "  const char* op;",
        "  bool is_double;",
        "  uint64_t seed;",
        "  int64_t i0, i1;",
        "  double x0, x1;",
        "  bool flag;",
        "  int in_dim;",
        "  int64_t in_shape[2];",
        "  int64_t in_offset;",
        "  int out_dim;",
        "  int64_t out_shape[2];",
        "  int64_t out_offset;",
        "  double next_rand, next_randn;",
        "};",
        "",
        "inline constexpr double random2_inputs[] = {",
    ]
    for i in range(0, len(inputs), 4):
        lines.append("    " + " ".join(v.hex() + "," for v in inputs[i:i + 4]))
    lines += ["};", "", "inline constexpr int64_t random2_ints[] = {"]
    for i in range(0, len(ints), 12):
        lines.append("    " + " ".join(f"{v}ll," for v in ints[i:i + 12]))
    lines += ["};", "", "inline constexpr double random2_floats[] = {"]
    for i in range(0, len(floats), 4):
        lines.append("    " + " ".join(v.hex() + "," for v in floats[i:i + 4]))
    lines += ["};", "", "inline constexpr Random2Case random2_cases[] = {"] + rows + ["};", ""]
    lines += ["/// PyTorch's message for each misuse (the first line of its RuntimeError).",
              "struct Random2Error {", "  const char* name;", "  const char* message;", "};", "",
              "inline constexpr Random2Error random2_errors[] = {"]
    for name, call in ERRORS:
        message = error_of(call).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'    {{"{name}", "{message}"}},')
    lines += ["};", "", "}  // namespace eigentorch::reference", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
