#!/usr/bin/python3
"""Reference values for the layers that need ops: Dropout (masks after manual_seed), Embedding,
LayerNorm and BatchNorm1d (values, gradients, running statistics, state_dict keys), their reprs and
error messages, from PyTorch 1.13 on one thread.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/make_layers_reference.py
It rewrites tests/reference/layers_cases.hpp: `values` maps a case name to its numbers (row-major,
exact hex floats; the names say dtype and what), `strings` maps a name to a repr or an error message
(every "torch." dropped, as our printing drops it). The tests under tests/ops/normalization_test.cpp
and tests/nn/{dropout,embedding,normalization}_test.cpp read them.
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"
torch.set_num_threads(1)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers_cases.hpp")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_writer import DTYPES, err, inputs, put, strings, values, write_header  # noqa: E402,F401


# ---- dropout --------------------------------------------------------------------------------------
DROPOUT_CASES = [("a", 0.1, (4, 5)), ("b", 0.5, (3, 7)), ("c", 0.9, (17,)), ("d", 0.3, (2, 3, 4)), ("e", 0.5, (40,))]
for dname, dtype in DTYPES.items():
    for key, p, shape in DROPOUT_CASES:
        x0 = inputs(11, *shape)
        up0 = inputs(12, *shape)
        put(f"dropout.{key}.x", x0)
        put(f"dropout.{key}.up", up0)
        x = x0.to(dtype).clone().requires_grad_()
        torch.manual_seed(7)
        y1 = F.dropout(x, p)
        y2 = F.dropout(x, p)  # the next mask: consecutive draws
        after = torch.rand(3, dtype=dtype)  # what the generator draws next
        y1.backward(up0.to(dtype))
        put(f"dropout.{key}.{dname}.y1", y1)
        put(f"dropout.{key}.{dname}.y2", y2)
        put(f"dropout.{key}.{dname}.grad", x.grad)
        put(f"dropout.{key}.{dname}.after", after)
    # nn.Dropout in a model: Linear, ReLU, Dropout, seeded construction then forward
    torch.set_default_dtype(dtype)  # parameters drawn in dtype, as Sequential<double> draws them
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.25), nn.Linear(6, 2))
    torch.set_default_dtype(torch.float32)
    xm = inputs(13, 5, 4)
    put(f"dropout.model.{dname}.y", model(xm.to(dtype)))
    model.eval()
    put(f"dropout.model.{dname}.eval", model(xm.to(dtype)))
    # p = 1: x * 0 (signed zeros), gradient zero
    x = inputs(11, 3, 4).to(dtype).clone().requires_grad_()
    y = F.dropout(x, 1.0)
    y.backward(torch.ones(3, 4, dtype=dtype))
    put(f"dropout.p1.{dname}.y", y)
    put(f"dropout.p1.{dname}.grad", x.grad)
put("dropout.p1.x", inputs(11, 3, 4))
put("dropout.model.x", inputs(13, 5, 4))

strings["dropout.repr"] = repr(nn.Dropout(0.1))
strings["dropout.repr_inplace"] = repr(nn.Dropout(0.5, inplace=True))
strings["dropout.repr_one"] = repr(nn.Dropout(1.0))
strings["dropout.model_repr"] = repr(nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.25), nn.Linear(6, 2)))
strings["dropout.err_high"] = err(lambda: F.dropout(torch.zeros(2), 1.5))
strings["dropout.err_low"] = err(lambda: nn.Dropout(-0.1))

# ---- embedding ------------------------------------------------------------------------------------
EMB_INDEX = [[1, 2, 4], [4, 3, 9]]
for dname, dtype in DTYPES.items():
    for key, (num_, dim_, pad, seed) in {"a": (10, 3, None, 1), "b": (3, 4, None, 2), "pad": (10, 3, 2, 1),
                                         "negpad": (10, 3, -1, 4)}.items():
        torch.manual_seed(seed)
        emb = nn.Embedding(num_, dim_, padding_idx=pad, dtype=dtype)
        put(f"embedding.{key}.{dname}.weight", emb.weight)
        idx = torch.tensor(EMB_INDEX) % num_
        if key in ("pad", "negpad"):
            idx = torch.tensor([[2, 9, 2, 0], [9, 9, 1, 2]])
        y = emb(idx)
        up = inputs(21, *y.shape)
        y.backward(up.to(dtype))
        put(f"embedding.{key}.{dname}.y", y)
        put(f"embedding.{key}.{dname}.grad", emb.weight.grad)
        put(f"embedding.{key}.up", up)
        put(f"embedding.{key}.index", idx)
        put(f"embedding.{key}.index_shape", idx.shape)
        put(f"embedding.{key}.{dname}.y_shape", y.shape)
    # a 1-D index and a 0-d index
    torch.manual_seed(5)
    emb = nn.Embedding(6, 2, dtype=dtype)
    put(f"embedding.scalar.{dname}.y", emb(torch.tensor(3)))
    put(f"embedding.scalar.{dname}.y_shape", emb(torch.tensor(3)).shape)

strings["embedding.repr"] = repr(nn.Embedding(10, 3))
strings["embedding.repr_pad"] = repr(nn.Embedding(10, 3, padding_idx=0))
strings["embedding.repr_negpad"] = repr(nn.Embedding(10, 3, padding_idx=-1))
strings["embedding.err_range"] = err(lambda: nn.Embedding(5, 2)(torch.tensor([5])))
strings["embedding.err_negative"] = err(lambda: nn.Embedding(5, 2)(torch.tensor([-1])))
strings["embedding.err_pad"] = err(lambda: nn.Embedding(5, 2, padding_idx=5))
strings["embedding.err_weight"] = err(lambda: F.embedding(torch.tensor([1]), torch.zeros(5)))

# ---- layer_norm -----------------------------------------------------------------------------------
LN_CASES = {  # key: (input shape, normalized_shape, affine)
    "small": ((2, 3, 4), (4,), True),
    "two_dims": ((2, 3, 4), (3, 4), True),
    "tail": ((5, 37), (37,), True),
    "chunks": ((3, 300), (300,), True),
    "deep": ((2, 1000), (1000,), True),
    "plain": ((4, 6), (6,), False),
    "offset": ((3, 20), (20,), True),
}
for key, (shape, nshape, affine) in LN_CASES.items():
    x0 = inputs(31, *shape)
    if key == "offset":
        x0 = x0 * 0.01 + 1000.0  # a large mean: the statistics' order shows in the digits
    w0, b0 = inputs(32, *nshape), inputs(33, *nshape)
    up0 = inputs(34, *shape)
    put(f"layer_norm.{key}.x", x0)
    put(f"layer_norm.{key}.x_shape", shape)
    put(f"layer_norm.{key}.shape", nshape)
    put(f"layer_norm.{key}.w", w0)
    put(f"layer_norm.{key}.b", b0)
    put(f"layer_norm.{key}.up", up0)
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        w = w0.to(dtype).clone().requires_grad_() if affine else None
        b = b0.to(dtype).clone().requires_grad_() if affine else None
        y = F.layer_norm(x, nshape, w, b, 1e-5)
        y.backward(up0.to(dtype))
        put(f"layer_norm.{key}.{dname}.y", y)
        put(f"layer_norm.{key}.{dname}.gx", x.grad)
        if affine:
            put(f"layer_norm.{key}.{dname}.gw", w.grad)
            put(f"layer_norm.{key}.{dname}.gb", b.grad)

strings["layer_norm.repr"] = repr(nn.LayerNorm(4))
strings["layer_norm.repr_plain"] = repr(nn.LayerNorm([3, 4], eps=1e-6, elementwise_affine=False))
strings["layer_norm.err_shape"] = err(lambda: nn.LayerNorm(4)(torch.zeros(2, 3)))
strings["layer_norm.err_shape2"] = err(lambda: nn.LayerNorm([3, 4])(torch.zeros(2, 4, 3)))
strings["layer_norm.err_weight"] = err(lambda: F.layer_norm(torch.zeros(2, 3), [3], torch.zeros(4)))

# ---- batch_norm -----------------------------------------------------------------------------------
BN_CASES = {  # key: (input shape, momentum, affine, track)
    "nc": ((8, 4), 0.1, True, True),
    "ncl": ((6, 3, 5), 0.1, True, True),
    "cumulative": ((5, 3), None, True, True),
    "plain": ((4, 3, 2), 0.3, False, True),
    "untracked": ((6, 2), 0.1, True, False),
}
for key, (shape, momentum, affine, track) in BN_CASES.items():
    c = shape[1]
    steps = [inputs(41 + s, *shape) * (1 + s) + s for s in range(3)]
    w0, b0 = inputs(45, c), inputs(46, c)
    up0 = inputs(47, *shape)
    for s, xs in enumerate(steps):
        put(f"batch_norm.{key}.x{s}", xs)
    put(f"batch_norm.{key}.x_shape", shape)
    put(f"batch_norm.{key}.w", w0)
    put(f"batch_norm.{key}.b", b0)
    put(f"batch_norm.{key}.up", up0)
    for dname, dtype in DTYPES.items():
        bn = nn.BatchNorm1d(c, momentum=momentum, affine=affine, track_running_stats=track, dtype=dtype)
        if affine:
            with torch.no_grad():
                bn.weight.copy_(w0)
                bn.bias.copy_(b0)
        for s, xs in enumerate(steps):
            x = xs.to(dtype).clone().requires_grad_()
            y = bn(x)
            if s == 0:
                y.backward(up0.to(dtype))
                put(f"batch_norm.{key}.{dname}.y0", y)
                put(f"batch_norm.{key}.{dname}.gx0", x.grad)
                if affine:
                    put(f"batch_norm.{key}.{dname}.gw0", bn.weight.grad)
                    put(f"batch_norm.{key}.{dname}.gb0", bn.bias.grad)
            if track:
                put(f"batch_norm.{key}.{dname}.running_mean{s}", bn.running_mean)
                put(f"batch_norm.{key}.{dname}.running_var{s}", bn.running_var)
                put(f"batch_norm.{key}.{dname}.tracked{s}", [bn.num_batches_tracked.item()])
        bn.eval()
        if affine:
            bn.weight.grad = None
            bn.bias.grad = None
        x = steps[0].to(dtype).clone().requires_grad_()
        y = bn(x)
        y.backward(up0.to(dtype))
        put(f"batch_norm.{key}.{dname}.eval_y", y)
        put(f"batch_norm.{key}.{dname}.eval_gx", x.grad)
        if affine:
            put(f"batch_norm.{key}.{dname}.eval_gw", bn.weight.grad)
            put(f"batch_norm.{key}.{dname}.eval_gb", bn.bias.grad)
    strings[f"batch_norm.{key}.keys"] = ",".join(nn.BatchNorm1d(c, momentum=momentum, affine=affine,
                                                                track_running_stats=track).state_dict().keys())
    strings[f"batch_norm.{key}.repr"] = repr(nn.BatchNorm1d(c, momentum=momentum, affine=affine,
                                                            track_running_stats=track))

strings["batch_norm.err_one"] = err(lambda: nn.BatchNorm1d(4)(torch.zeros(1, 4)))
strings["batch_norm.err_channels"] = err(lambda: nn.BatchNorm1d(4)(torch.zeros(2, 3)))
strings["batch_norm.err_weight"] = err(lambda: nn.BatchNorm1d(4, track_running_stats=False)(torch.zeros(2, 3)))
strings["batch_norm.err_dims"] = err(lambda: nn.BatchNorm1d(4)(torch.zeros(2, 4, 3, 1)))
strings["batch_norm.model_keys"] = ",".join(
    nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).state_dict().keys())

# ---- the header -----------------------------------------------------------------------------------
write_header(OUT, "make_layers_reference.py", "layers", "tests/ops/normalization_test.cpp")
