#!/usr/bin/env python3
"""PyTorch twin of tests/data/ops_tour.cpp: prints what the C++ program must print, line for line.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/ops_tour.py
It rewrites tests/data/ops_tour.expected (the "torch." prefixes dropped, as eigentorch prints)."""
import contextlib
import io
import os
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ops_tour.expected")

buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    torch.manual_seed(0)
    x = torch.randn(4, 3)
    y = torch.randint(0, 3, (4,))
    print(x)
    print(y)

    pred = x.argmax(1)
    print(pred)
    print(pred == y)
    print((pred == y).sum())
    print((pred == y).sum().item(), "of", y.numel(), "correct")

    positive = x > 0
    print(positive)
    print(positive.all(), positive.any())
    print(torch.where(positive, x, x * 0.1))
    print(x.masked_fill(x < -1, -1.0))
    print(torch.logical_and(x > -0.5, x < 0.5))

    perm = torch.randperm(4)
    print(perm)
    print(x.index_select(0, perm))
    print(x[x.sum(1) > 0])
    print(x[1])
    print(x.narrow(1, 1, 2))
    print(x[0:4:2])
    print(torch.cat([x, x.square()], 1))
    print(torch.stack([x[0], x[2]], 0))
    print(x.permute(1, 0))
    print(x.gather(1, torch.randint(0, 3, (4, 2))))

    values, indices = x.max(1)
    print(values)
    print(indices)
    print(x.min(), x.prod())
    print(x.var(0))
    print(x.std(1, unbiased=True, keepdim=True))
    print(x.logsumexp(1))
    print(x.norm())
    print(x.cumsum(0))

    print(x.clamp(-0.5, 0.5))
    print(x.abs().rsqrt())
    print(x.round())
    print(x.sign())
    print(torch.maximum(x, x.t().narrow(0, 0, 1).t()))

    print(x.to(torch.int64))
    print(x.to(torch.bool))
    print(x.double().sum())
    print(y + 1)
    print(y / 2)
    print(y * 1.5)

    print(torch.bernoulli(torch.full((2, 3), 0.5)))
    print(torch.normal(2.0, 0.5, (3,)))
    print(torch.multinomial(torch.tensor([0.1, 0.2, 0.3, 0.4]), 3))
    print(torch.multinomial(torch.tensor([0.1, 0.2, 0.3, 0.4]), 5, True))

    w = torch.randn(3).requires_grad_()
    scores = x.index_select(0, perm).matmul(w)
    loss = torch.stack([scores.logsumexp(0), (x.matmul(w)).unsqueeze(0).max(1)[0].squeeze()], 0).sum()
    loss.backward()
    print(loss)
    print(w.grad)

with open(OUT, "w") as f:
    f.write(buf.getvalue().replace("torch.", ""))
print("wrote", os.path.normpath(OUT))
