#!/usr/bin/env python3
"""The PyTorch twin of examples/iris.cpp: the same classifier, line for line, printing the same text.
Run: /usr/bin/python3 examples/iris.py [path/to/iris.csv]"""
import os
import sys
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "iris.csv")
rows = [line.strip().split(",") for line in open(path)][1:]  # the first line is a header
x = torch.tensor([[float(v) for v in r[:4]] for r in rows], dtype=torch.float32)
y = torch.tensor([int(r[4]) for r in rows], dtype=torch.int64)
x = (x - x.mean(0)) / x.std(0)  # standardised features

torch.manual_seed(0)
train_set, val_set = random_split(TensorDataset(x, y), [120, 30])
loader = DataLoader(train_set, batch_size=16, shuffle=True)
val_x, val_y = next(iter(DataLoader(val_set, batch_size=30)))

model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
print(model)

for epoch in range(1, 31):
    model.train()
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    if epoch % 5 == 0:
        model.eval()
        with torch.no_grad():
            accuracy = (model(val_x).argmax(1) == val_y).float().mean().item()
        print(f"epoch {epoch:2d}  loss {total / len(train_set):.4f}  validation accuracy {accuracy:.4f}")

model.eval()
with torch.no_grad():
    print("predicted:", model(val_x[:10]).argmax(1))
print("actual:   ", val_y[:10])
