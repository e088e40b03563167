#!/usr/bin/env python3
"""The PyTorch twin of examples/digits.cpp: the same training run, line for line, printing the same
text (the C++ program also draws the SVG plots; this twin prints what they show).
Run: /usr/bin/python3 examples/digits.py [path/to/digits.csv]"""
import os
import sys
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv")
rows = [[int(v) for v in line.split(",")] for line in open(path)]
x = torch.tensor([r[:64] for r in rows], dtype=torch.float32) / 16  # pixels 0..16 -> 0..1
y = torch.tensor([r[64] for r in rows], dtype=torch.int64)

torch.manual_seed(0)
train_set, val_set = random_split(TensorDataset(x, y), [1437, 360])
loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_x, val_y = next(iter(DataLoader(val_set, batch_size=len(val_set))))

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
loss_fn = nn.CrossEntropyLoss()
epochs = 12
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, epochs=epochs, steps_per_epoch=len(loader))
print(model)
print(f"{len(train_set)} training and {len(val_set)} validation images, {len(loader)} batches an epoch")

for epoch in range(1, epochs + 1):
    model.train()
    total, correct = 0.0, 0
    for xb, yb in loader:
        opt.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        val_logits = model(val_x)
        val_loss = loss_fn(val_logits, val_y).item()
        val_accuracy = (val_logits.argmax(1) == val_y).float().mean().item()
    print(f"epoch {epoch:2d}/{epochs}  loss {total / len(train_set):.4f}  accuracy {correct / len(train_set):.4f}"
          f"  validation loss {val_loss:.4f}  accuracy {val_accuracy:.4f}  lr {sched.get_last_lr()[0]:.6f}")

with torch.no_grad():
    predicted = model(val_x).argmax(1)
confusion = torch.zeros(10, 10, dtype=torch.int64)
confusion.index_put_((val_y, predicted), torch.ones_like(val_y), accumulate=True)
print("confusion matrix (rows: true digit, columns: predicted):")
print(confusion)
