#!/usr/bin/env python3
"""The PyTorch twin of examples/ddp.cpp: the digits MLP trained by DistributedDataParallel over Gloo
on 2 processes (started here with torch.multiprocessing), printing the same lines from rank 0.
Run: /usr/bin/python3 examples/ddp.py [path/to/digits.csv]"""
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset, random_split

WORLD = 2


def train(rank, path, port):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    rows = [[int(v) for v in line.split(",")] for line in open(path)]
    x = torch.tensor([r[:64] for r in rows], dtype=torch.float32) / 16
    y = torch.tensor([r[64] for r in rows], dtype=torch.int64)

    torch.manual_seed(0)
    train_set, val_set = random_split(TensorDataset(x, y), [1437, 360])
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=32, sampler=sampler)
    val_x, val_y = next(iter(DataLoader(val_set, batch_size=len(val_set))))

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    ddp = nn.parallel.DistributedDataParallel(model)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    if rank == 0:
        print(ddp)
        print(f"{WORLD} processes, {len(train_set)} training images, {len(sampler)} per process, "
              f"{len(loader)} batches an epoch")

    epochs = 8
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        ddp.train()
        loss_sum, correct, samples = 0.0, 0.0, 0.0
        for xb, yb in loader:
            opt.zero_grad()
            logits = ddp(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            samples += len(yb)
        totals = torch.tensor([loss_sum, correct, samples], dtype=torch.float64)
        dist.all_reduce(totals)
        ddp.eval()
        with torch.no_grad():
            val_accuracy = (model(val_x).argmax(1) == val_y).float().mean().item()
        t = totals.tolist()
        if rank == 0:
            print(f"epoch {epoch}/{epochs}  loss {t[0] / t[2]:.4f}  accuracy {t[1] / t[2]:.4f}"
                  f"  validation accuracy {val_accuracy:.4f}")

    largest = 0.0
    with torch.no_grad():
        for p in model.parameters():
            rank0 = p.detach().clone()
            dist.broadcast(rank0, 0)
            difference = torch.tensor([(rank0 - p).abs().max().item()], dtype=torch.float64)
            dist.all_reduce(difference, op=dist.ReduceOp.MAX)
            largest = max(largest, difference.item())
    if rank == 0:
        print(f"largest difference between the replicas' weights: {largest:g}")
    dist.destroy_process_group()


if __name__ == "__main__":
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    mp.spawn(train, args=(data, free_port), nprocs=WORLD)
