#!/usr/bin/python3
"""PyTorch's side of bench/ddp_bench.cpp: the same data-parallel runs with torch.nn.parallel.
DistributedDataParallel over Gloo (2 processes on this machine, one thread each), printing one line
per row, "<name> <value> <unit>", for the C++ program to read. The malloc settings it ran with go to
stderr as "# ..." lines.

  /usr/bin/python3 bench/ddp_torch.py [--reps N] [--warmup N] [--steps N] [--timeout S]

Rows (medians):
  mlp_1proc          MLP 784-512-512-10 (ReLU), CrossEntropyLoss, SGD lr 0.01, batch 128 of random
                     data, one process, no DDP: samples/s over windows of --steps steps
  mlp_ddp2           the same under DDP on 2 processes, batch 128 each: samples/s of both together
  mlp_ddp2_speedup   mlp_ddp2 / mlp_1proc
  fwdbwd_1m          MLP 512-1024-512-10 (1,055,242 parameters), batch 32, forward + backward without
                     DDP, both processes running it at once (so each has one core, as under DDP)
  fwdbwd_1m_ddp2     the same step through DDP (gradients averaged across the 2 processes)
  sync_1m_ddp2       fwdbwd_1m_ddp2 - fwdbwd_1m: what DDP's gradient synchronisation adds to a step
  allreduce_4m_gloo  dist.all_reduce of a 1,055,242-float tensor (4.2 MB) over Gloo
Per-step rows are timed between barriers, so that both ranks start together; each rank takes its own
median and the larger of the two is printed.
"""
import argparse
import datetime
import os
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

SYNC_PARAMS = 1055242  # 512*1024+1024 + 1024*512+512 + 512*10+10


def mlp_784():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def mlp_1m():
    return nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10))


def train_windows(model, batch, args, barrier=None):
    """Seconds per window of args.steps SGD steps, after args.warmup steps; one entry per window."""
    x = torch.randn(batch, 784)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    windows = []
    for _ in range(args.reps):
        if barrier:
            barrier()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        windows.append(time.perf_counter() - start)
    return windows


def fwdbwd_times(model, batch, reps, warmup):
    """Seconds of one forward + backward (CrossEntropyLoss), each timed between barriers."""
    x = torch.randn(batch, 512)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for i in range(warmup + reps):
        model.zero_grad(set_to_none=False)
        dist.barrier()
        start = time.perf_counter()
        loss_fn(model(x), y).backward()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def worst_median(times):
    """The larger of the ranks' medians."""
    m = torch.tensor([statistics.median(times)], dtype=torch.float64)
    dist.all_reduce(m, op=dist.ReduceOp.MAX)
    return m.item()


def worker(rank, world, port, args, queue):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    # A collective that waits longer than this raises instead of hanging the benchmark.
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=args.timeout))
    torch.manual_seed(rank)
    from torch.nn.parallel import DistributedDataParallel as DDP

    rows = {}
    # mlp_ddp2: each window starts after a barrier, and a window's time is the slower rank's.
    windows = train_windows(DDP(mlp_784()), 128, args, barrier=dist.barrier)
    w = torch.tensor(windows, dtype=torch.float64)
    dist.all_reduce(w, op=dist.ReduceOp.MAX)
    rows["mlp_ddp2"] = statistics.median((world * 128 * args.steps / w).tolist())

    sync_reps = args.reps * args.steps
    plain = mlp_1m()
    rows["fwdbwd_1m"] = worst_median(fwdbwd_times(plain, 32, sync_reps, args.warmup))
    ddp = DDP(mlp_1m())
    rows["fwdbwd_1m_ddp2"] = worst_median(fwdbwd_times(ddp, 32, sync_reps, args.warmup))

    t = torch.ones(SYNC_PARAMS)
    times = []
    for i in range(args.warmup + sync_reps):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(t)
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    rows["allreduce_4m_gloo"] = worst_median(times)
    if rank == 0:
        queue.put(rows)
    # NOTE: no destroy_process_group(): in one of our first runs a rank spun at full CPU for ten minutes
    # at the end; the parent ends the workers once it has the rows.


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=7, help="timed windows (per-step rows: reps * steps steps)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--steps", type=int, default=20, help="training steps per timed window")
    p.add_argument("--timeout", type=int, default=60, help="seconds before the 2-process part gives up")
    args = p.parse_args()

    for var in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        print(f"# {var}={os.environ.get(var, '(unset)')}", file=sys.stderr)
    print(f"# torch {torch.__version__}, 1 thread per process, load {os.getloadavg()[0]:.2f}", file=sys.stderr)

    torch.set_num_threads(1)
    torch.manual_seed(0)
    windows = train_windows(mlp_784(), 128, args)
    one = statistics.median(128 * args.steps / w for w in windows)
    print("mlp_1proc", f"{one:.1f}", "samples/s", flush=True)

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=worker, args=(r, 2, port, args, queue), daemon=True) for r in range(2)]
    for proc in procs:
        proc.start()
    try:
        rows = queue.get(timeout=args.timeout)
    except Exception:
        rows = None
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
            proc.join()
    if rows is None:
        sys.exit(f"ddp_torch.py: the 2-process part gave no result within {args.timeout} s (exit codes "
                 f"{[proc.exitcode for proc in procs]})")
    print("mlp_ddp2", f"{rows['mlp_ddp2']:.1f}", "samples/s")
    print("mlp_ddp2_speedup", f"{rows['mlp_ddp2'] / one:.3f}", "x")
    for name in ("fwdbwd_1m", "fwdbwd_1m_ddp2"):
        print(name, f"{rows[name] * 1e3:.4f}", "ms")
    print("sync_1m_ddp2", f"{(rows['fwdbwd_1m_ddp2'] - rows['fwdbwd_1m']) * 1e3:.4f}", "ms")
    print("allreduce_4m_gloo", f"{rows['allreduce_4m_gloo'] * 1e3:.4f}", "ms")


if __name__ == "__main__":
    main()
