#!/usr/bin/python3
"""Asks PyTorch 1.13 (Debian's python3-torch) which indices torch.utils.data's DistributedSampler gives
each rank (every rank of every case: dataset sizes, replica counts, shuffle, drop_last, seeds and
epochs), which batches a DataLoader with such a sampler yields pass after pass (set_epoch between
passes) and where it leaves the default generator (and the loader's own), and the errors raised for
misuse; writes them to sampler_cases.hpp for tests/data/sampler_test.cpp.

Run from anywhere: /usr/bin/python3 tests/reference/make_sampler_reference.py
"""
import itertools
import os
import sys

import torch
from torch.utils.data import DataLoader, DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_data_reference import BASE, array, dataset, error_table  # noqa: E402  (the data tests' dataset)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sampler_cases.hpp")

SIZES = [0, 1, 5, 10, 11, 17, 100]
REPLICAS = [1, 2, 3, 4, 8]
SEEDS = [0, 7, 2**40]
EPOCHS = [0, 1, 5]
# (seed, epoch) pairs whose sum python takes beyond int64 or below zero: manual_seed keeps it
# modulo 2^64. Run on a few sizes only.
ODD_SEEDS = [(-1, 0), (-1, 3), (-5, 2), (2**63 - 1, 5), (-2**63, 0), (-2**63, 2**63 - 1)]
ODD_SIZES = [11, 17]

# A loader case: (name, manual seed, n, num_replicas, rank, shuffle, seed, the sampler's drop_last,
# batch_size, the loader's drop_last, epochs (set_epoch(e) before pass e), generator seed or -1).
LOADERS = [
    ("rank 0 of 3", 0, 11, 3, 0, True, 7, False, 3, False, [0, 1, 5], -1),
    ("rank 2 of 3, sampler drop_last", 1, 11, 3, 2, True, 7, True, 3, False, [0, 1], -1),
    ("rank 1 of 4, loader drop_last", 2, 17, 4, 1, True, 0, False, 3, True, [0, 3], -1),
    ("rank 3 of 4, both drop_last", 3, 17, 4, 3, True, 0, True, 3, True, [2, 2], -1),
    ("sequential rank 1 of 2", 4, 10, 2, 1, False, 0, False, 3, False, [0, 1], -1),
    ("padded by repeats", 5, 5, 8, 6, True, 2**40, False, 3, False, [0, 1], -1),
    ("empty", 6, 0, 2, 1, True, 0, False, 3, False, [0, 1], -1),
    ("loader generator", 7, 11, 2, 1, True, 7, False, 3, False, [0, 1], 123),
    ("loader generator, drop_last", 8, 11, 2, 0, True, 7, False, 3, True, [4, 5], 9),
]


def sampler_errors():
    ds = dataset(5)

    class Negative:
        def __len__(self):
            return -1

    def overflow():
        s = DistributedSampler(ds, num_replicas=2, rank=0, seed=-2**63)
        s.set_epoch(-1)
        return list(s)

    s = DistributedSampler(ds, num_replicas=2, rank=0)
    return [
        ("rank too big", lambda: DistributedSampler(ds, num_replicas=2, rank=2)),
        ("rank negative", lambda: DistributedSampler(ds, num_replicas=4, rank=-1)),
        ("num_replicas 0", lambda: DistributedSampler(ds, num_replicas=0, rank=0)),
        ("num_replicas negative", lambda: DistributedSampler(ds, num_replicas=-3, rank=0)),
        ("no process group, rank given", lambda: DistributedSampler(ds, rank=0)),
        ("no process group, num_replicas given", lambda: DistributedSampler(ds, num_replicas=2)),
        ("negative length", lambda: DistributedSampler(Negative(), num_replicas=2, rank=0)),
        ("seed + epoch below int64", overflow),
        ("sampler and shuffle", lambda: DataLoader(ds, batch_size=3, shuffle=True, sampler=s)),
        ("sampler and shuffle, batch_size 0", lambda: DataLoader(ds, batch_size=0, shuffle=True, sampler=s)),
        ("sampler, batch_size 0", lambda: DataLoader(ds, batch_size=0, sampler=s)),
    ]


def int64(v):
    """A C++ int64_t literal (INT64_MIN has none)."""
    return "(-9223372036854775807ll - 1)" if v == -2**63 else f"{v}ll"


def main():
    assert torch.__version__.startswith("1.13"), torch.__version__
    indices, rows = [], []

    def add(n, replicas, shuffle, drop_last, seed, epoch):
        offset = len(indices)
        lengths = set()
        for rank in range(replicas):
            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                                   drop_last=drop_last)
            s.set_epoch(epoch)
            got = list(s)
            assert len(got) == len(s)
            lengths.add(len(s))
            indices.extend(got)
        assert len(lengths) == 1
        rows.append(f"    {{{n}, {replicas}, {str(shuffle).lower()}, {str(drop_last).lower()}, {int64(seed)},"
                    f" {int64(epoch)}, {s.num_samples}, {s.total_size}, {offset}}},")

    for n, replicas, drop_last in itertools.product(SIZES, REPLICAS, [False, True]):
        add(n, replicas, False, drop_last, 0, 0)
        for seed, epoch in itertools.product(SEEDS, EPOCHS):
            add(n, replicas, True, drop_last, seed, epoch)
    for n, replicas, drop_last in itertools.product(ODD_SIZES, [3, 8], [False, True]):
        for seed, epoch in ODD_SEEDS:
            add(n, replicas, True, drop_last, seed, epoch)

    labels, sizes, rands, loader_rows = [], [], [], []
    for name, manual, n, replicas, rank, shuffle, seed, drop_last, bs, loader_drop_last, epochs, gen_seed in LOADERS:
        torch.manual_seed(manual)
        ds = dataset(n)
        sampler = DistributedSampler(ds, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                                     drop_last=drop_last)
        g = None if gen_seed < 0 else torch.Generator().manual_seed(gen_seed)
        loader = DataLoader(ds, batch_size=bs, sampler=sampler, drop_last=loader_drop_last, generator=g)
        l0, s0, r0 = len(labels), len(sizes), len(rands)
        for e in epochs:
            sampler.set_epoch(e)
            for xb, yb in loader:
                assert torch.equal(xb, ds.tensors[0][yb.sub(BASE).div(3, rounding_mode="floor")])
                labels.extend(yb.tolist())
                sizes.append(len(yb))
            rands.append(torch.rand(1, dtype=torch.float64).item())
            if g is not None:
                rands.append(torch.rand(1, dtype=torch.float64, generator=g).item())
        loader_rows.append(
            f'    {{"{name}", {manual}, {n}, {replicas}, {rank}, {str(shuffle).lower()}, {seed}ll,'
            f" {str(drop_last).lower()}, {bs}, {str(loader_drop_last).lower()}, {len(epochs)},"
            f" {{{', '.join(str(e) for e in epochs)}}}, {gen_seed}, {len(loader)}, {l0}, {len(labels) - l0},"
            f" {s0}, {len(sizes) - s0}, {r0}, {len(rands) - r0}}},")

    lines = [
        "// @generated by tests/reference/make_sampler_reference.py; do not edit",
        f"// What PyTorch {torch.__version__}'s DistributedSampler gives each rank, and the batches a DataLoader",
        "// with one yields on make_data_reference.py's dataset (row i: features (3i, 3i + 1, 3i + 2) / 8,",
        f"// label {BASE} + 3i).",
        "#pragma once",
        "",
        "#include <cstdint>  // int64_t",
        "",
        "namespace eigentorch::reference {",
        "",
        "/// DistributedSampler(range(n), num_replicas, rank, shuffle, seed, drop_last) after set_epoch(epoch),",
        "/// for every rank: len(sampler) (num_samples, equal on every rank), total_size, and each rank's",
        "/// indices at sampler_indices[offset + rank * num_samples].",
        "struct SamplerCase {",
        "  int64_t n, num_replicas;",
        "  bool shuffle, drop_last;",
        "  int64_t seed, epoch, num_samples, total_size, offset;",
        "};",
        "",
    ]
    lines += array("int64_t", "sampler_indices", indices, 20)
    lines += ["inline constexpr SamplerCase sampler_cases[] = {"] + rows + ["};", ""]
    lines += [
        "/// After manual_seed(manual_seed): DataLoader(dataset(n), batch_size, sampler=DistributedSampler(",
        "/// dataset, num_replicas, rank, shuffle, seed, drop_last), drop_last=loader_drop_last) and, with",
        "/// gen_seed >= 0, generator=torch.Generator().manual_seed(gen_seed); for each of the passes,",
        "/// sampler.set_epoch(epochs[p]), the pass, then torch.rand(1) (double) from the default generator",
        "/// and, with a generator, one from it. The labels of every batch at sampler_loader_labels",
        "/// [labels_offset], the batch sizes at sampler_loader_sizes[sizes_offset], the draws at",
        "/// sampler_loader_rands[rands_offset].",
        "struct SamplerLoaderCase {",
        "  const char* name;",
        "  uint64_t manual_seed;",
        "  int64_t n, num_replicas, rank;",
        "  bool shuffle;",
        "  int64_t seed;",
        "  bool drop_last;",
        "  int64_t batch_size;",
        "  bool loader_drop_last;",
        "  int passes;",
        "  int64_t epochs[3];",
        "  int64_t gen_seed, len;",
        "  int64_t labels_offset, labels_count, sizes_offset, sizes_count, rands_offset, rands_count;",
        "};",
        "",
    ]
    lines += array("int64_t", "sampler_loader_labels", labels, 8)
    lines += array("int64_t", "sampler_loader_sizes", sizes, 16)
    lines += array("double", "sampler_loader_rands", rands, 4)
    lines += ["inline constexpr SamplerLoaderCase sampler_loader_cases[] = {"] + loader_rows + ["};", ""]
    lines += error_table("SamplerError", "sampler_errors", sampler_errors())
    lines += ["}  // namespace eigentorch::reference", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
