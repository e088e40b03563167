#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch) what the indexing and joining ops compute and writes the
answers to index_cases.hpp as exact hex-float literals, for tests/ops/index_test.cpp.

For every case, in float and double: the inputs, every output, a non-uniform upstream gradient for each
output, every input's gradient after backward, and PyTorch's grad_fn name. Also the messages PyTorch
raises for bad indices, dims and shapes, to compare with eigentorch's word for word.

Run from anywhere: /usr/bin/python3 tests/reference/make_index_reference.py
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index_cases.hpp")
DTYPES = {"float": torch.float32, "double": torch.float64}
END = 2**63 - 1  # slice's end when Python leaves it out

torch.set_num_threads(1)

# op name -> how PyTorch computes it from the input list and the integer arguments (as the test calls it)
OPS = {
    "index": lambda xs, a: [xs[0][a[0]]],
    "select": lambda xs, a: [xs[0].select(a[0], a[1])],
    "narrow": lambda xs, a: [xs[0].narrow(a[0], a[1], a[2])],
    "slice": lambda xs, a: [torch.ops.aten.slice(xs[0], a[0], a[1], a[2], a[3])],
    "permute": lambda xs, a: [xs[0].permute(a)],
    "expand": lambda xs, a: [xs[0].expand(a)],
    "repeat": lambda xs, a: [xs[0].repeat(a)],
    "split": lambda xs, a: list(xs[0].split(a[0], a[1])),
    "chunk": lambda xs, a: list(xs[0].chunk(a[0], a[1])),
    "cat": lambda xs, a: [torch.cat(xs, a[0])],
    "stack": lambda xs, a: [torch.stack(xs, a[0])],
}

# (name, op, input shapes, integer arguments)
CASES = [
    ("t[1] of [4,3]", "index", [(4, 3)], [1]),
    ("t[-1] of [4,3]", "index", [(4, 3)], [-1]),
    ("t[0] of [3]", "index", [(3,)], [0]),
    ("select dim 1 index 2 of [2,3,4]", "select", [(2, 3, 4)], [1, 2]),
    ("select dim -1 index -2 of [2,3,4]", "select", [(2, 3, 4)], [-1, -2]),
    ("select dim 0 index 0 of [1]", "select", [(1,)], [0, 0]),
    ("narrow dim 0 from 1 length 2 of [4,3]", "narrow", [(4, 3)], [0, 1, 2]),
    ("narrow dim -1 from -3 length 2 of [2,4]", "narrow", [(2, 4)], [-1, -3, 2]),
    ("narrow dim 1 from 3 length 0 of [2,3]", "narrow", [(2, 3)], [1, 3, 0]),
    ("slice [1:3] of [4,3]", "slice", [(4, 3)], [0, 1, 3, 1]),
    ("slice [:, ::2] of [3,5]", "slice", [(3, 5)], [1, 0, END, 2]),
    ("slice dim -1 [1::3] of [2,2,7]", "slice", [(2, 2, 7)], [-1, 1, END, 3]),
    ("slice [-3:-1] of [5]", "slice", [(5,)], [0, -3, -1, 1]),
    ("slice [-10:10] of [4,2] (clamped)", "slice", [(4, 2)], [0, -10, 10, 1]),
    ("slice [3:1] of [4,2] (empty)", "slice", [(4, 2)], [0, 3, 1, 1]),
    ("slice [5:] of [4,2] (empty)", "slice", [(4, 2)], [0, 5, END, 2]),
    ("permute [2,0,1] of [2,3,4]", "permute", [(2, 3, 4)], [2, 0, 1]),
    ("permute [-1,0] of [3,4]", "permute", [(3, 4)], [-1, 0]),
    ("permute [1,3,0,2] of [2,1,3,2]", "permute", [(2, 1, 3, 2)], [1, 3, 0, 2]),
    ("permute [] of 0-d", "permute", [()], []),
    ("expand [3,1] to [3,4]", "expand", [(3, 1)], [3, 4]),
    ("expand [3] to [2,-1]", "expand", [(3,)], [2, -1]),
    ("expand [1,2,1] to [2,3,-1,4]", "expand", [(1, 2, 1)], [2, 3, -1, 4]),
    ("expand [2,3] to [-1,3] (same)", "expand", [(2, 3)], [-1, 3]),
    ("expand 0-d to [2,2]", "expand", [()], [2, 2]),
    ("expand [3] to [0,3]", "expand", [(3,)], [0, 3]),
    ("repeat [2,3] by [2,1]", "repeat", [(2, 3)], [2, 1]),
    ("repeat [2,3] by [2,1,3]", "repeat", [(2, 3)], [2, 1, 3]),
    ("repeat [3] by [0]", "repeat", [(3,)], [0]),
    ("repeat 0-d by [2,3]", "repeat", [()], [2, 3]),
    ("split [5,2] by 2", "split", [(5, 2)], [2, 0]),
    ("split [2,7] by 3 along -1", "split", [(2, 7)], [3, -1]),
    ("split [4,3] by 4", "split", [(4, 3)], [4, 0]),
    ("split [3] by 5", "split", [(3,)], [5, 0]),
    ("chunk [5,2] in 3", "chunk", [(5, 2)], [3, 0]),
    ("chunk [2,6] in 4 along 1", "chunk", [(2, 6)], [4, 1]),
    ("chunk [2,5] in 2 along -1", "chunk", [(2, 5)], [2, -1]),
    ("chunk [0,2] in 2", "chunk", [(0, 2)], [2, 0]),
    ("cat [2,3],[1,3] along 0", "cat", [(2, 3), (1, 3)], [0]),
    ("cat [2,3],[2,1],[2,2] along 1", "cat", [(2, 3), (2, 1), (2, 2)], [1]),
    ("cat [2,1,3],[2,2,3] along 1", "cat", [(2, 1, 3), (2, 2, 3)], [1]),
    ("cat [2,2,1],[2,2,2] along -1", "cat", [(2, 2, 1), (2, 2, 2)], [-1]),
    ("cat [3,2],[3,2] along 2-2=0", "cat", [(3, 2), (3, 2)], [-2]),
    ("cat [3] and [0] (skipped)", "cat", [(3,), (0,)], [0]),
    ("cat [2,0],[2,3] along 1", "cat", [(2, 0), (2, 3)], [1]),
    ("cat [0],[0] along 3 (all skipped)", "cat", [(0,), (0,)], [3]),
    ("cat [0],[2,3] along -1", "cat", [(0,), (2, 3)], [-1]),
    ("cat six [1,2] along 0", "cat", [(1, 2)] * 6, [0]),
    ("stack [2,3],[2,3] at 0", "stack", [(2, 3), (2, 3)], [0]),
    ("stack [2,3],[2,3],[2,3] at -1 (the end dim)", "stack", [(2, 3)] * 3, [-1]),
    ("stack [2],[2] at 1 (the end dim)", "stack", [(2,), (2,)], [1]),
    ("stack 0-d, 0-d", "stack", [(), ()], [0]),
    ("stack five [3] at 1", "stack", [(3,)] * 5, [1]),
]

# key -> how PyTorch raises it
X = torch.zeros(4, 3)
ERRORS = {
    "index 5 of [4,3]": lambda: X[5],
    "index -5 of [4,3]": lambda: X[-5],
    "index of 0-d": lambda: torch.tensor(1.0)[0],
    "select dim 2 of [4,3]": lambda: X.select(2, 0),
    "select index 3 dim 1 of [4,3]": lambda: X.select(1, 3),
    "select index -4 dim -1 of [4,3]": lambda: X.select(-1, -4),
    "select index 0 of [0,3]": lambda: torch.zeros(0, 3).select(0, 0),
    "index 0 of [0,3]": lambda: torch.zeros(0, 3)[0],
    "select 0-d": lambda: torch.tensor(1.0).select(0, 0),
    "narrow start 2 length 3 of [4,3]": lambda: X.narrow(0, 2, 3),
    "narrow start -5 of [4,3]": lambda: X.narrow(0, -5, 1),
    "narrow start 5 of [4,3]": lambda: X.narrow(0, 5, 0),
    "narrow start -1 length 2 of [4,3]": lambda: X.narrow(0, -1, 2),
    "narrow length -1 of [4,3]": lambda: X.narrow(0, 0, -1),
    "narrow dim -3 of [4,3]": lambda: X.narrow(-3, 0, 1),
    "narrow 0-d": lambda: torch.tensor(1.0).narrow(0, 0, 1),
    "slice step 0": lambda: torch.ops.aten.slice(X, 0, 0, 4, 0),
    "slice step -1": lambda: torch.ops.aten.slice(X, 0, 0, 4, -1),
    "slice dim 2 of [4,3]": lambda: torch.ops.aten.slice(X, 2, 0, 4, 1),
    "slice 0-d": lambda: torch.ops.aten.slice(torch.tensor(1.0), 0, 0, 4, 1),
    "permute [0] of [4,3]": lambda: X.permute(0),
    "permute [0,1,2] of [4,3]": lambda: X.permute(0, 1, 2),
    "permute [0,0] of [4,3]": lambda: X.permute(0, 0),
    "permute [1,-1] of [4,3]": lambda: X.permute(1, -1),
    "permute [0,2] of [4,3]": lambda: X.permute(0, 2),
    "permute [0,0,5] of [4,3,2]": lambda: torch.zeros(4, 3, 2).permute(0, 0, 5),
    "expand float [4,3] to [3]": lambda: X.expand(3),
    "expand double [4,3] to [3]": lambda: X.double().expand(3),
    "expand [4,3] to [2,3]": lambda: X.expand(2, 3),
    "expand [4,3] to [2,2]": lambda: X.expand(2, 2),
    "expand [4,3] to [-1,-1,-1]": lambda: X.expand(-1, -1, -1),
    "expand [4,3] to [4,-2]": lambda: X.expand(4, -2),
    "repeat [4,3] by [2]": lambda: X.repeat(2),
    "repeat [4,3] by [-1,1]": lambda: X.repeat(-1, 1),
    "split 0 of [4,3]": lambda: X.split(0),
    "split -1 of [4,3]": lambda: X.split(-1),
    "split dim 2 of [4,3]": lambda: X.split(2, 2),
    "split -1 dim 5 of [4,3]": lambda: X.split(-1, 5),
    "split 0-d": lambda: torch.tensor(1.0).split(1),
    "chunk 0 of [4,3]": lambda: X.chunk(0),
    "chunk -1 of [4,3]": lambda: X.chunk(-1),
    "chunk dim 5 of [4,3]": lambda: X.chunk(2, 5),
    "chunk 0-d": lambda: torch.tensor(1.0).chunk(1),
    "cat []": lambda: torch.cat([]),
    "cat [4,3],[4,2]": lambda: torch.cat([X, torch.zeros(4, 2)]),
    "cat [4,3],[2,2] along 1": lambda: torch.cat([X, torch.zeros(2, 2)], 1),
    "cat [4,3],[4,3],[4,2] along -2": lambda: torch.cat([X, X, torch.zeros(4, 2)], -2),
    "cat [4,3],[4,3,1]": lambda: torch.cat([X, torch.zeros(4, 3, 1)]),
    "cat [4,3],[4,3] along 2": lambda: torch.cat([X, X], 2),
    "cat [2,3],[4,3],[0] along -1": lambda: torch.cat([torch.zeros(2, 3), X, torch.zeros(0)], -1),
    "cat 0-d, 0-d": lambda: torch.cat([torch.tensor(1.0), torch.tensor(2.0)]),
    "cat [4,3], 0-d": lambda: torch.cat([X, torch.tensor(2.0)]),
    "stack []": lambda: torch.stack([]),
    "stack [4,3],[4,2]": lambda: torch.stack([X, torch.zeros(4, 2)]),
    "stack [4,3],[4,3],[3,4]": lambda: torch.stack([X, X, torch.zeros(3, 4)]),
    "stack [4,3],[4,2] at 5": lambda: torch.stack([X, torch.zeros(4, 2)], 5),
    "stack [4,3],[4,3] at 3": lambda: torch.stack([X, X], 3),
    "stack [4,3],[4,3] at -4": lambda: torch.stack([X, X], -4),
}


def values_of(t):
    return t.detach().double().reshape(-1).tolist()


def run():
    cases, tensors, values = [], [], []

    def store(t):
        """Index of t in `tensors` (ndim -2: None)."""
        if t is None:
            tensors.append((-2, [], 0))
        else:
            tensors.append((t.dim(), list(t.shape), len(values)))
            values.extend(values_of(t))
        return len(tensors) - 1

    seed = 1000
    for name, op, shapes, args in CASES:
        for dtname, dtype in DTYPES.items():
            seed += 1
            torch.manual_seed(seed)
            xs = [torch.randn(s, dtype=dtype).requires_grad_() for s in shapes]
            outs = OPS[op](xs, args)
            gen = torch.Generator().manual_seed(4321)
            gs = [torch.randn(o.shape, dtype=dtype, generator=gen) for o in outs]
            torch.autograd.backward(outs, gs)
            first_in = len(tensors)
            for x in xs:
                store(x.detach())
            first_out = len(tensors)
            for o in outs:
                store(o.detach())
            first_gout = len(tensors)
            for g in gs:
                store(g)
            first_grad = len(tensors)
            for x in xs:
                store(x.grad)
            names = {type(o.grad_fn).__name__ for o in outs}
            assert len(names) == 1, names
            cases.append(dict(name=name, op=op, double=dtname == "double", args=args, n_in=len(xs), n_out=len(outs),
                              first=(first_in, first_out, first_gout, first_grad), grad_fn=names.pop()))

    errors = []
    for key, f in ERRORS.items():
        try:
            f()
        except Exception as e:  # noqa: BLE001: every exception PyTorch raises is what is recorded
            errors.append((key, type(e).__name__, str(e).split("\n")[0]))
            continue
        raise AssertionError(f"no error for {key}")
    return cases, tensors, values, errors


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_double(v):
    return float(v).hex() if v == v and abs(v) != float("inf") else ("NAN" if v != v else ("INFINITY" if v > 0 else "-INFINITY"))


def c_int(v):
    return "INT64_MAX" if v == END else str(v)


def write(cases, tensors, values, errors):
    lines = [
        "// @generated by tests/reference/make_index_reference.py; do not edit",
        f"// Computed by PyTorch {torch.__version__} on the CPU, as exact hex floats (floats widened to double).",
        "// Read by tests/ops/index_test.cpp.",
        "#pragma once",
        "",
        "#include <cstdint>  // int64_t, INT64_MAX",
        "",
        "namespace eigentorch::reference::index {",
        "",
        "/// A tensor stored in index_values: ndim (-2: a gradient PyTorch leaves None), shape, and where its",
        "/// row-major values start.",
        "struct TensorRef {",
        "  int ndim;",
        "  int64_t shape[4];",
        "  int64_t offset;",
        "};",
        "",
        "/// One op (the test knows it by name) with its integer arguments in call order, on n_inputs inputs",
        "/// giving n_outputs outputs. index_tensors holds, from `inputs`, `outputs`, `grad_outputs` and",
        "/// `grads` on: the inputs, the outputs, the upstream gradient of each output, each input's gradient.",
        "struct IndexCase {",
        "  const char* name;",
        "  const char* op;",
        "  bool is_double;",
        "  int n_args;",
        "  int64_t args[6];",
        "  int n_inputs;",
        "  int n_outputs;",
        "  int inputs, outputs, grad_outputs, grads;",
        "  const char* grad_fn;",
        "};",
        "",
        "/// A message PyTorch raised: key names the misuse, type is the Python exception's name.",
        "struct IndexErrorCase {",
        "  const char* key;",
        "  const char* type;",
        "  const char* message;",
        "};",
        "",
        "inline constexpr double index_values[] = {",
    ]
    for i in range(0, len(values), 4):
        lines.append("    " + ", ".join(c_double(v) for v in values[i:i + 4]) + ",")
    lines += ["};", "", "inline constexpr TensorRef index_tensors[] = {"]
    for ndim, shape, offset in tensors:
        shape4 = (shape + [0, 0, 0, 0])[:4]
        lines.append(f"    {{{ndim}, {{{', '.join(map(str, shape4))}}}, {offset}}},")
    lines += ["};", "", "inline constexpr IndexCase index_cases[] = {"]
    for c in cases:
        args6 = (c["args"] + [0] * 6)[:6]
        fi, fo, fg, fd = c["first"]
        lines.append(f"    {{{c_string(c['name'])}, {c_string(c['op'])}, {'true' if c['double'] else 'false'}, "
                     f"{len(c['args'])}, {{{', '.join(map(c_int, args6))}}}, {c['n_in']}, {c['n_out']}, "
                     f"{fi}, {fo}, {fg}, {fd}, {c_string(c['grad_fn'])}}},")
    lines += ["};", "", "inline constexpr IndexErrorCase index_errors[] = {"]
    for key, typ, msg in errors:
        lines.append(f"    {{{c_string(key)}, {c_string(typ)}, {c_string(msg)}}},")
    lines += ["};", "", "}  // namespace eigentorch::reference::index", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    write(*run())
    print(f"wrote {OUT}")
