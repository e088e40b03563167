#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch) in which order torch.utils.data's DataLoader yields
batches after torch.manual_seed, how far each epoch moves the default generator (torch.rand draws
interleaved between steps and epochs), which indices random_split gives, and the errors raised for
misuse, and writes them to data_cases.hpp for tests/data/dataset_test.cpp and dataloader_test.cpp.

Run from anywhere: /usr/bin/python3 tests/reference/make_data_reference.py
"""
import os
import warnings

import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data_cases.hpp")
BASE = 2**40  # labels BASE + 3 i: beyond 2^32 and float's 24 bits, so an int64 label must stay exact


def dataset(n):
    """Row i: features (3i, 3i + 1, 3i + 2) / 8 as float32, label BASE + 3i as int64."""
    x = torch.arange(3 * n, dtype=torch.float32).reshape(n, 3) / 8
    y = BASE + 3 * torch.arange(n, dtype=torch.int64)
    return TensorDataset(x, y)


# A loader case: (name, seed, n, batch_size, shuffle, drop_last, epochs, rand per step, rand per epoch,
# generator seed or -1). Each epoch runs `for xb, yb in loader` and draws torch.rand(step) after each
# batch (a Dropout's mask) and torch.rand(epoch) after the epoch. With a generator seed, the loader
# is given generator=torch.Generator().manual_seed(seed), and those draws come from it (proving when
# the loader draws from it), then one more torch.rand(1) from the default generator closes the case.
LOADERS = [
    ("shuffle", 0, 10, 4, True, False, 3, 0, 3, -1),
    ("shuffle drop_last", 0, 10, 4, True, True, 3, 0, 3, -1),
    ("shuffle, draws in steps", 42, 10, 3, True, False, 3, 2, 1, -1),
    ("sequential", 7, 10, 4, False, False, 2, 0, 3, -1),
    ("sequential drop_last", 7, 9, 3, False, True, 2, 1, 2, -1),
    ("batch above n", 3, 5, 8, True, False, 2, 0, 2, -1),
    ("batch above n, drop_last", 3, 5, 8, True, True, 2, 0, 2, -1),
    ("batch of one", 11, 4, 1, True, False, 2, 0, 1, -1),
    ("iris-shaped", 2024, 120, 16, True, False, 3, 1, 0, -1),
    ("large", 5, 1000, 32, True, True, 2, 0, 1, -1),
    ("empty sequential", 9, 0, 4, False, False, 2, 0, 1, -1),
    ("generator", 0, 10, 4, True, False, 3, 1, 1, 123),
    ("generator, whole batches", 0, 12, 4, True, False, 2, 1, 1, 7),
    ("generator drop_last", 0, 10, 4, True, True, 2, 1, 1, 9),
    ("generator drop_last, whole batches", 0, 12, 3, True, True, 2, 1, 1, 10),
    ("generator sequential", 0, 10, 4, False, False, 2, 1, 1, 5),
    ("generator, batch above n", 1, 5, 8, True, False, 2, 1, 0, 3),
    ("generator, batch above n, drop_last", 1, 5, 8, True, True, 2, 1, 1, 4),
    ("generator, batch of one", 2, 3, 1, True, False, 2, 1, 0, 8),
]

# A split case: (name, seed, n, lengths, loader batch size over the first subset or 0).
SPLITS = [
    ("ints", 42, 10, [7, 3], 3),
    ("three ints", 0, 12, [5, 0, 7], 0),
    ("fractions", 1, 11, [0.5, 0.3, 0.2], 2),
    ("fractions round-robin", 2, 10, [0.34, 0.33, 0.33], 0),
    ("fraction one", 3, 6, [1.0], 4),
    ("int one as a fraction", 4, 5, [0, 1], 0),
    ("fractions with zero", 5, 7, [0.0, 1.0], 0),
    ("large", 6, 1500, [1200, 300], 64),
]

ERRORS = [
    ("size mismatch", lambda: TensorDataset(torch.zeros(3, 2), torch.zeros(4))),
    ("batch_size 0", lambda: DataLoader(dataset(3), batch_size=0)),
    ("batch_size negative", lambda: DataLoader(dataset(3), batch_size=-2)),
    ("empty shuffle", lambda: DataLoader(dataset(0), batch_size=2, shuffle=True)),
    ("split sum", lambda: random_split(dataset(5), [2, 2])),
    ("split fraction sum", lambda: random_split(dataset(5), [0.5, 0.4])),
    ("split fraction range", lambda: random_split(dataset(5), [1.5, -0.5])),
    ("row out of range", lambda: dataset(4)[4]),
    ("subset out of range", lambda: random_split(dataset(4), [3, 1])[1][1]),
]


def error_of(call):
    try:
        call()
    except (AssertionError, ValueError, IndexError, RuntimeError) as e:
        return type(e).__name__, str(e).split("\n")[0]
    raise AssertionError("no error")


def error_table(struct, name, errors):
    """A C++ table of PyTorch's exception type and message for each (name, call) in errors."""
    lines = ["/// PyTorch's exception type and message for each misuse.",
             f"struct {struct} {{", "  const char* name;", "  const char* type;", "  const char* message;", "};", "",
             f"inline constexpr {struct} {name}[] = {{"]
    for case, call in errors:
        kind, message = error_of(call)
        message = message.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'    {{"{case}", "{kind}", "{message}"}},')
    return lines + ["};", ""]


def array(ctype, name, values, per_line):
    """A C++ array of int64 (as NNll) or double (as exact hex floats) values, per_line a line."""
    text = (lambda v: f"{int(v)}ll,") if ctype == "int64_t" else (lambda v: float(v).hex() + ",")
    lines = [f"inline constexpr {ctype} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + " ".join(text(v) for v in values[i:i + per_line]))
    return lines + ["};", ""]


def main():
    assert torch.__version__.startswith("1.13"), torch.__version__
    warnings.simplefilter("ignore")  # random_split warns of an empty split
    labels, sizes, rands, rows = [], [], [], []
    for name, seed, n, bs, shuffle, drop_last, epochs, per_step, per_epoch, gen_seed in LOADERS:
        torch.manual_seed(seed)
        ds = dataset(n)
        g = None if gen_seed < 0 else torch.Generator().manual_seed(gen_seed)
        loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last, generator=g)
        l0, s0, r0 = len(labels), len(sizes), len(rands)
        for _ in range(epochs):
            for xb, yb in loader:
                assert xb.dtype == torch.float32 and yb.dtype == torch.int64
                assert torch.equal(xb, ds.tensors[0][yb.sub(BASE).div(3, rounding_mode="floor")])
                labels.extend(yb.tolist())
                sizes.append(len(yb))
                rands.extend(torch.rand(per_step, dtype=torch.float64, generator=g).tolist())
            rands.extend(torch.rand(per_epoch, dtype=torch.float64, generator=g).tolist())
        rands.append(torch.rand(1, dtype=torch.float64).item())
        rows.append(f'    {{"{name}", {seed}, {n}, {bs}, {str(shuffle).lower()}, {str(drop_last).lower()}, {epochs},'
                    f" {per_step}, {per_epoch}, {len(loader)}, {l0}, {len(labels) - l0}, {s0}, {len(sizes) - s0},"
                    f" {r0}, {len(rands) - r0}, {gen_seed}}},")

    split_ints, split_rows = [], []
    for name, seed, n, lengths, bs in SPLITS:
        torch.manual_seed(seed)
        ds = dataset(n)
        parts = random_split(ds, lengths)
        o0 = len(split_ints)
        for p in parts:
            split_ints.append(len(p))
            split_ints.extend(p.indices)
        b0 = len(split_ints)
        if bs:
            for _, yb in DataLoader(parts[0], batch_size=bs, shuffle=True):
                split_ints.extend(yb.tolist())
        after = torch.rand(1, dtype=torch.float64).item()
        is_frac = any(isinstance(v, float) for v in lengths)
        split_rows.append(f'    {{"{name}", {seed}, {n}, {len(lengths)}, {{{", ".join(repr(float(v)) for v in lengths)}}},'
                          f" {str(is_frac).lower()}, {bs}, {o0}, {b0 - o0}, {b0}, {len(split_ints) - b0},"
                          f" {after.hex()}}},")

    lines = [
        "// @generated by tests/reference/make_data_reference.py; do not edit",
        f"// What PyTorch {torch.__version__}'s DataLoader and random_split yield after torch.manual_seed(seed), on",
        "// a TensorDataset whose row i holds the features (3i, 3i + 1, 3i + 2) / 8 (float) and the label",
        f"// {BASE} + 3i (int64), and the torch.rand (double) draws made between batches and epochs.",
        "#pragma once",
        "",
        "#include <cstdint>  // int64_t, uint64_t",
        "",
        "namespace eigentorch::reference {",
        "",
        f"inline constexpr int64_t data_label_base = {BASE}ll;",
        "",
        "/// epochs of `for (xb, yb) in DataLoader(dataset(n), batch_size, shuffle, drop_last)` after",
        "/// manual_seed(seed), with torch.rand(per_step) after each batch and torch.rand(per_epoch) after",
        "/// each epoch, then one torch.rand(1): len(loader), the labels of every batch in order at",
        "/// data_loader_labels[labels_offset], the batch sizes at data_loader_sizes[sizes_offset], and",
        "/// every rand drawn at data_loader_rands[rands_offset]. With gen_seed >= 0 the loader has",
        "/// generator=torch.Generator().manual_seed(gen_seed) and the step and epoch draws come from it.",
        "struct LoaderCase {",
        "  const char* name;",
        "  uint64_t seed;",
        "  int64_t n, batch_size;",
        "  bool shuffle, drop_last;",
        "  int epochs;",
        "  int64_t per_step, per_epoch, len;",
        "  int64_t labels_offset, labels_count, sizes_offset, sizes_count, rands_offset, rands_count;",
        "  int64_t gen_seed;",
        "};",
        "",
    ]
    lines += array("int64_t", "data_loader_labels", labels, 8)
    lines += array("int64_t", "data_loader_sizes", sizes, 16)
    lines += array("double", "data_loader_rands", rands, 4)
    lines += ["inline constexpr LoaderCase data_loader_cases[] = {"] + rows + ["};", ""]
    lines += [
        "/// random_split(dataset(n), lengths) after manual_seed(seed): at data_split_ints[offset], for each",
        "/// subset its length then its indices (count numbers in all); then, when batch_size > 0, the",
        "/// labels of one shuffled epoch of DataLoader(first subset, batch_size, shuffle=True) at",
        "/// data_split_ints[batches_offset]; then what torch.rand(1) (double) drew.",
        "struct SplitCase {",
        "  const char* name;",
        "  uint64_t seed;",
        "  int64_t n;",
        "  int parts;",
        "  double lengths[3];",
        "  bool fractions;",
        "  int64_t batch_size, offset, count, batches_offset, batches_count;",
        "  double next_rand;",
        "};",
        "",
    ]
    lines += array("int64_t", "data_split_ints", split_ints, 12)
    lines += ["inline constexpr SplitCase data_split_cases[] = {"] + split_rows + ["};", ""]
    lines += error_table("DataError", "data_errors", ERRORS)
    lines += ["}  // namespace eigentorch::reference", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
