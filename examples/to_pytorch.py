#!/usr/bin/env python3
"""The PyTorch half of examples/to_pytorch.cpp: the same three commands, printing the same text, so that
weights and checkpoints can go from eigentorch to PyTorch and back with the same numbers.

  /usr/bin/python3 examples/to_pytorch.py train DIR    train the iris classifier 60 steps; write DIR/iris.pt,
                                                      DIR/iris.safetensors (if the safetensors package is
                                                      installed) and DIR/checkpoint.pt
  /usr/bin/python3 examples/to_pytorch.py predict DIR  load DIR/iris.pt (weights_only) and print its outputs
  /usr/bin/python3 examples/to_pytorch.py resume DIR   load DIR/checkpoint.pt and train 40 more steps

Either program reads what the other wrote: `to_pytorch train /tmp/m` then `to_pytorch.py predict /tmp/m`
and `to_pytorch predict /tmp/m` print the same outputs, to the last bit (and the reverse). Training and
resuming print 4 decimals, as the other examples: float matrix products with inner sizes past 16 round
differently in the last bit in eigentorch and in PyTorch's BLAS."""
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def iris():
    rows = [line.strip().split(",") for line in open(os.path.join(HERE, "data", "iris.csv"))][1:]
    x = torch.tensor([[float(v) for v in r[:4]] for r in rows], dtype=torch.float32)
    y = torch.tensor([int(r[4]) for r in rows], dtype=torch.int64)
    return (x - x.mean(0)) / x.std(0), y


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.BatchNorm1d(16), nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    return model, opt, sched


def train(model, opt, sched, x, y, steps):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    order = torch.arange(150).view(3, 50).t().reshape(-1)  # the species interleaved
    x, y = x[order], y[order]
    for step in range(steps):
        rows = slice(step % 5 * 30, step % 5 * 30 + 30)  # batches of 30 in turn
        opt.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        opt.step()
        sched.step()
        if step % 20 == 19:
            print(f"step {step + 1:2d}  loss {loss.item():.4f}  lr {sched.get_last_lr()[0]:.6f}")


def show(model, x, y, exact):
    """The accuracy; with `exact`, the outputs for one flower of each species to the last bit (%.9g)."""
    model.eval()
    with torch.no_grad():
        out = model(x)
    if exact:
        for row in (0, 50, 100):
            print("outputs", " ".join(f"{v:.9g}" for v in out[row].tolist()))
    print(f"accuracy {(out.argmax(1) == y).float().mean().item():.4f}")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("train", "predict", "resume"):
        sys.exit(__doc__)
    command, folder = sys.argv[1], sys.argv[2]
    x, y = iris()
    model, opt, sched = make()
    if command == "train":
        train(model, opt, sched, x, y, 60)
        torch.save(model.state_dict(), os.path.join(folder, "iris.pt"))
        try:
            from safetensors.torch import save_file
            save_file(model.state_dict(), os.path.join(folder, "iris.safetensors"))
        except ImportError:
            pass
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()},
                   os.path.join(folder, "checkpoint.pt"))
    elif command == "predict":
        model.load_state_dict(torch.load(os.path.join(folder, "iris.pt"), weights_only=True))
    else:
        # (weights_only=True reads it in PyTorch 2; 1.13's restricted unpickler lacks floats, opcode BINFLOAT)
        ck = torch.load(os.path.join(folder, "checkpoint.pt"))
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        train(model, opt, sched, x, y, 40)
    show(model, x, y, command == "predict")


if __name__ == "__main__":
    main()
