#!/usr/bin/env python3
"""The PyTorch twin of examples/digits_cnn.cpp: the same training run, line for line, printing the same
text (the C++ program also draws the misclassified digits as an SVG; this twin lists them).
Run: /usr/bin/python3 examples/digits_cnn.py [path/to/digits.csv]"""
import os
import sys
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv")
rows = [[int(v) for v in line.split(",")] for line in open(path)]
n = len(rows)
x = torch.tensor([r[:64] for r in rows], dtype=torch.float32).reshape(n, 1, 8, 8) / 16  # pixels 0..16 -> 0..1
y = torch.tensor([r[64] for r in rows], dtype=torch.int64)

torch.manual_seed(0)
train_set, val_set = random_split(TensorDataset(x, y), [1437, 360])
loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_x, val_y = next(iter(DataLoader(val_set, batch_size=len(val_set))))

# The first convolution has no bias: BatchNorm2d subtracts it again, so its gradient is rounding noise,
# which Adam would scale up to steps of lr (runs in two summation orders would part ways).
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 4 x 4
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),                                  # 32 x 2 x 2
    nn.Flatten(), nn.Dropout(0.25), nn.Linear(128, 10))
loss_fn = nn.CrossEntropyLoss()
epochs = 10
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
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
        total += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        val_logits = model(val_x)
        val_loss = loss_fn(val_logits, val_y).item()
        val_accuracy = (val_logits.argmax(1) == val_y).float().mean().item()
    print(f"epoch {epoch:2d}/{epochs}  loss {total / len(train_set):.4f}  accuracy {correct / len(train_set):.4f}"
          f"  validation loss {val_loss:.4f}  accuracy {val_accuracy:.4f}")

with torch.no_grad():
    predicted = model(val_x).argmax(1)
predicted, actual = predicted.tolist(), val_y.tolist()
wrong = [i for i in range(len(actual)) if predicted[i] != actual[i]]
print(f"{len(wrong)} of {len(actual)} validation images misclassified:")
for i in wrong:
    print(f"  image {i:3d}: true {actual[i]} / predicted {predicted[i]}")
