#!/usr/bin/python3
"""PyTorch's side of bench/serialize_bench.cpp: times torch.save and torch.load (and safetensors' save_file
/ load_file when that package is installed) on a state dict of the same shapes, and prints one line per
measurement, "<name> <median seconds>", for the C++ program to read.

  /usr/bin/python3 bench/serialize_torch.py DIR TENSORS NUMEL REPS
"""
import os
import statistics
import sys
import time

import torch


def timed(fn, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    folder, tensors, numel, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(1)
    sd = {f"layer{i}.weight": torch.rand(numel) for i in range(tensors)}
    pt = os.path.join(folder, "torch.pt")
    print("torch.save", timed(lambda: torch.save(sd, pt), reps))
    print("torch.load", timed(lambda: torch.load(pt), reps))
    os.remove(pt)
    try:
        from safetensors.torch import load_file, save_file
    except ImportError:
        return
    st = os.path.join(folder, "torch.safetensors")
    print("safetensors.save_file", timed(lambda: save_file(sd, st), reps))
    print("safetensors.load_file", timed(lambda: load_file(st), reps))
    os.remove(st)


if __name__ == "__main__":
    main()
