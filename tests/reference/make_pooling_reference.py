#!/usr/bin/python3
"""Reference values for the layers of convolutional networks but the convolutions: max_pool1d,
max_pool2d (with indices, ties and NaN), avg_pool2d, adaptive_avg_pool2d (values and gradients for
every option that changes the arithmetic, float and double), BatchNorm2d (training steps with its
running statistics, then eval), Dropout2d (masks after manual_seed), reprs and error messages, from
PyTorch 1.13 on one thread.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/make_pooling_reference.py
It rewrites tests/reference/pooling_cases.hpp: `values` maps a case name to its numbers (row-major,
exact hex floats), `strings` maps a name to a repr or an error message (every "torch." dropped).
tests/ops/pooling_test.cpp, tests/nn/pooling_test.cpp and the BatchNorm2d / Dropout2d cases of
tests/nn/{normalization,dropout}_test.cpp read them.
"""

import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"
torch.set_num_threads(1)
warnings.simplefilter("ignore")  # dropout2d's warning for 3-D inputs

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pooling_cases.hpp")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_writer import DTYPES, err, inputs, put, strings, values, write_header  # noqa: E402,F401


def ties(seed, *shape):
    """Small integers: many equal values in every window."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 3, shape, generator=g).to(torch.float64)


def with_nan(seed, *shape):
    x = inputs(seed, *shape)
    flat = x.view(-1)
    for i in range(0, flat.numel(), 5):
        flat[i] = float("nan")
    flat[3] = float("-inf")
    return x


def all_neg_inf(seed, *shape):
    x = inputs(seed, *shape)
    x[..., :3, :3] = float("-inf")  # windows with only -inf (and padding) keep the first index
    return x


# ---- pooling ops ----------------------------------------------------------------------------------
# (key, input maker, shape, kernel, stride (None: kernel), padding, dilation, ceil_mode)
MAX2D = [
    ("k2", inputs, (2, 3, 6, 7), 2, None, 0, 1, False),
    ("k2_ceil", inputs, (2, 3, 6, 7), 2, None, 0, 1, True),
    ("k3s1", inputs, (2, 2, 6, 6), 3, 1, 0, 1, False),
    ("k3s2p1", inputs, (2, 2, 7, 8), 3, 2, 1, 1, False),
    ("k3s2p1_ceil", inputs, (2, 2, 7, 8), 3, 2, 1, 1, True),
    ("k2s1p1", inputs, (1, 3, 5, 6), 2, 1, 1, 1, False),
    ("k2s2p1_ceil", inputs, (1, 2, 6, 5), 2, 2, 1, 1, True),
    ("rect", inputs, (2, 2, 7, 9), (2, 3), (1, 2), (1, 1), (2, 1), False),
    ("dil", inputs, (1, 2, 7, 7), 3, 1, 1, 2, True),
    ("unbatched", inputs, (3, 5, 5), 2, None, 0, 1, False),
    ("ties", ties, (2, 2, 6, 6), 3, 1, 1, 1, False),
    ("ties_k2", ties, (2, 2, 6, 6), 2, None, 0, 1, False),
    ("nan", with_nan, (2, 2, 6, 6), 2, 1, 0, 1, False),
    ("neg_inf", all_neg_inf, (1, 2, 6, 6), 3, 2, 1, 1, False),
    # rows long enough for the vectorised loops (16 floats, 8 doubles a vector)
    ("wide_nan", with_nan, (1, 2, 4, 70), 2, None, 0, 1, False),
    ("wide_nan_k3", with_nan, (1, 2, 5, 70), 3, 1, 0, 1, False),
    ("wide_ties", ties, (1, 2, 6, 70), 3, 2, 1, 1, True),
    ("wide_ties_k2", ties, (1, 2, 4, 70), 2, None, 0, 1, False),
    ("wide_neg_inf", all_neg_inf, (1, 1, 4, 70), 2, None, 0, 1, False),
]
MAX1D = [
    ("k2", inputs, (2, 3, 9), 2, None, 0, 1, False),
    ("k3s2p1_ceil", inputs, (2, 2, 10), 3, 2, 1, 1, True),
    ("dil", inputs, (1, 3, 11), 3, 1, 1, 2, False),
    ("unbatched", inputs, (3, 8), 2, 1, 0, 1, False),
    ("ties", ties, (2, 2, 9), 3, 1, 1, 1, False),
]
# (key, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG2D = [
    ("k2", (2, 3, 6, 7), 2, None, 0, False, True, None),
    ("k3s1", (2, 2, 6, 6), 3, 1, 0, False, True, None),
    ("k3s2p1", (2, 2, 7, 8), 3, 2, 1, False, True, None),
    ("k3s2p1_nopad", (2, 2, 7, 8), 3, 2, 1, False, False, None),
    ("k3s2p1_ceil", (2, 2, 7, 8), 3, 2, 1, True, True, None),
    ("k3s2p1_ceil_nopad", (2, 2, 7, 8), 3, 2, 1, True, False, None),
    ("k2_ceil", (1, 2, 5, 7), 2, None, 0, True, True, None),
    ("k2s1p1_div3", (1, 3, 5, 6), 2, 1, 1, False, True, 3),
    ("rect", (2, 2, 7, 9), (2, 3), (1, 2), (1, 1), False, False, None),
    ("unbatched", (3, 5, 5), 2, None, 0, False, True, None),
]
# (key, shape, output size)
ADAPTIVE = [
    ("divides", (2, 3, 6, 6), (2, 2)),
    ("uneven", (2, 2, 7, 5), (3, 2)),
    ("overlap", (1, 2, 5, 5), (4, 3)),
    ("larger", (1, 2, 5, 2), (7, 3)),
    ("one", (2, 3, 5, 6), (1, 1)),
    ("one_2d", (4, 5), 1),  # an int: PyTorch's Python takes a 2-D input then (a mean)
    ("unbatched", (3, 5, 7), (2, 3)),
]


def pair(v):
    return list(v) if isinstance(v, tuple) else [v, v]


for key, make, shape, k, s, p, d, ceil in MAX2D:
    x0 = make(21, *shape)
    put(f"max_pool2d.{key}.x", x0)
    put(f"max_pool2d.{key}.x_shape", list(shape))
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        y, idx = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        up0 = inputs(22, *y.shape)
        put(f"max_pool2d.{key}.up", up0)
        put(f"max_pool2d.{key}.y_shape", list(y.shape))
        y.backward(up0.to(dtype))
        put(f"max_pool2d.{key}.{dname}.y", y)
        put(f"max_pool2d.{key}.{dname}.indices", idx)
        put(f"max_pool2d.{key}.{dname}.gx", x.grad)

for key, make, shape, k, s, p, d, ceil in MAX1D:
    x0 = make(23, *shape)
    put(f"max_pool1d.{key}.x", x0)
    put(f"max_pool1d.{key}.x_shape", list(shape))
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        y, idx = F.max_pool1d(x, k, s, p, d, ceil, return_indices=True)
        strings[f"max_pool1d.{key}.grad_fn"] = type(y.grad_fn).__name__
        up0 = inputs(24, *y.shape)
        put(f"max_pool1d.{key}.up", up0)
        put(f"max_pool1d.{key}.y_shape", list(y.shape))
        y.backward(up0.to(dtype))
        put(f"max_pool1d.{key}.{dname}.y", y)
        put(f"max_pool1d.{key}.{dname}.indices", idx)
        put(f"max_pool1d.{key}.{dname}.gx", x.grad)
        with torch.no_grad():  # the path without autograd: the same values
            put(f"max_pool1d.{key}.{dname}.y", F.max_pool1d(x0.to(dtype), k, s, p, d, ceil))

for key, shape, k, s, p, ceil, cip, div in AVG2D:
    x0 = inputs(25, *shape)
    put(f"avg_pool2d.{key}.x", x0)
    put(f"avg_pool2d.{key}.x_shape", list(shape))
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        y = F.avg_pool2d(x, k, s, p, ceil, cip, div)
        up0 = inputs(26, *y.shape)
        put(f"avg_pool2d.{key}.up", up0)
        put(f"avg_pool2d.{key}.y_shape", list(y.shape))
        y.backward(up0.to(dtype))
        put(f"avg_pool2d.{key}.{dname}.y", y)
        put(f"avg_pool2d.{key}.{dname}.gx", x.grad)

for key, shape, out in ADAPTIVE:
    x0 = inputs(27, *shape)
    put(f"adaptive_avg_pool2d.{key}.x", x0)
    put(f"adaptive_avg_pool2d.{key}.x_shape", list(shape))
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        y = F.adaptive_avg_pool2d(x, out)
        strings[f"adaptive_avg_pool2d.{key}.grad_fn"] = type(y.grad_fn).__name__
        up0 = inputs(28, *y.shape)
        put(f"adaptive_avg_pool2d.{key}.up", up0)
        put(f"adaptive_avg_pool2d.{key}.y_shape", list(y.shape))
        y.backward(up0.to(dtype))
        put(f"adaptive_avg_pool2d.{key}.{dname}.y", y)
        put(f"adaptive_avg_pool2d.{key}.{dname}.gx", x.grad)

z = torch.zeros
g = dict(requires_grad=True)
ERRORS = {
    "max_pool2d.too_small": lambda: F.max_pool2d(z(1, 1, 2, 2), 3),
    "max_pool2d.too_small_dilation": lambda: F.max_pool2d(z(1, 4, 4), 2, dilation=4),
    "max_pool2d.negative_size": lambda: F.max_pool2d(z(1, 1, 1, 1), 2, dilation=10),
    "max_pool2d.pad_half": lambda: F.max_pool2d(z(1, 1, 8, 8), 3, padding=2),
    "max_pool2d.pad_half_w": lambda: F.max_pool2d(z(1, 1, 8, 8), (5, 3), padding=(2, 2)),
    "max_pool2d.pad_negative": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, padding=-1),
    "max_pool2d.dims": lambda: F.max_pool2d(z(8, 8), 2),
    "max_pool2d.dims5": lambda: F.max_pool2d(z(1, 1, 1, 8, 8), 2),
    "max_pool2d.empty": lambda: F.max_pool2d(z(1, 0, 8, 8), 2),
    "max_pool2d.stride_zero": lambda: F.max_pool2d(z(1, 1, 8, 8), 0),  # the stride is the kernel size
    "max_pool2d.stride_negative": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, -1),
    "max_pool2d.kernel_zero": lambda: F.max_pool2d(z(1, 1, 8, 8), 0, 1),
    "max_pool2d.dilation_zero": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, dilation=0),
    "max_pool1d.too_small_grad": lambda: F.max_pool1d(z(1, 1, 2, **g), 3),
    "max_pool1d.negative_size": lambda: F.max_pool1d(z(1, 1, 1), 2, dilation=10),
    "max_pool1d.pad_half": lambda: F.max_pool1d(z(1, 1, 8), 3, padding=2),
    "max_pool1d.pad_half_grad": lambda: F.max_pool1d(z(1, 1, 8, **g), 3, padding=2),
    "max_pool1d.dims": lambda: F.max_pool1d(z(1, 1, 1, 8), 2),
    "max_pool1d.empty": lambda: F.max_pool1d(z(1, 0, 8), 2),
    "max_pool1d.kernel_zero": lambda: F.max_pool1d(z(1, 1, 8), 0),
    "max_pool1d.stride_negative": lambda: F.max_pool1d(z(1, 1, 8), 2, -1),
    "max_pool1d.dilation_zero": lambda: F.max_pool1d(z(1, 1, 8), 2, dilation=0),
    "max_pool1d.dilation_zero_grad": lambda: F.max_pool1d(z(1, 1, 8, **g), 2, dilation=0),
    "avg_pool2d.too_small": lambda: F.avg_pool2d(z(1, 1, 2, 2), 3),
    "avg_pool2d.pad_half": lambda: F.avg_pool2d(z(1, 1, 8, 8), 3, padding=2),
    "avg_pool2d.dims": lambda: F.avg_pool2d(z(8, 8), 2),
    "avg_pool2d.dims5": lambda: F.avg_pool2d(z(1, 1, 1, 8, 8), 2),
    "avg_pool2d.kernel_zero": lambda: F.avg_pool2d(z(1, 1, 8, 8), 0, 1),
    "avg_pool2d.stride_zero": lambda: F.avg_pool2d(z(1, 1, 8, 8), 0),
    "avg_pool2d.divisor_zero": lambda: F.avg_pool2d(z(1, 1, 8, 8), 2, divisor_override=0),
    "adaptive_avg_pool2d.dims": lambda: F.adaptive_avg_pool2d(z(8, 8), 2),
    "adaptive_avg_pool2d.empty": lambda: F.adaptive_avg_pool2d(z(1, 1, 0, 8), 2),
    "adaptive_avg_pool2d.negative": lambda: F.adaptive_avg_pool2d(z(1, 1, 8, 8), (-1, 2)),
    "adaptive_avg_pool2d.one_1d": lambda: F.adaptive_avg_pool2d(z(8), 1),
    "adaptive_avg_pool2d.pair_2d": lambda: F.adaptive_avg_pool2d(z(8, 8), (2, 2)),
    "adaptive_avg_pool2d.triple_3d": lambda: F.adaptive_avg_pool2d(z(2, 8, 8), (1, 2, 3)),
    "adaptive_avg_pool2d.one_tuple_2d": lambda: F.adaptive_avg_pool2d(z(8, 8), (5,)),
    # a stride given as 0 (not omitted), and size arguments of the wrong length
    "max_pool2d.stride_given_zero": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, 0),
    "max_pool2d.kernel_count": lambda: F.max_pool2d(z(1, 1, 8, 8), (1, 2, 3)),
    "max_pool2d.stride_count": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, (1, 2, 3)),
    "max_pool2d.padding_count": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, padding=()),
    "max_pool2d.dilation_count": lambda: F.max_pool2d(z(1, 1, 8, 8), 2, dilation=(1, 2, 3)),
    "max_pool1d.stride_given_zero": lambda: F.max_pool1d(z(1, 1, 8), 2, 0),
    "max_pool1d.stride_given_zero_grad": lambda: F.max_pool1d(z(1, 1, 8, **g), 2, 0),
    "max_pool1d.kernel_count": lambda: F.max_pool1d(z(1, 1, 8), (1, 2)),
    "max_pool1d.stride_count": lambda: F.max_pool1d(z(1, 1, 8), 2, (1, 2)),
    "max_pool1d.padding_count": lambda: F.max_pool1d(z(1, 1, 8), 2, padding=()),
    "max_pool1d.dilation_count": lambda: F.max_pool1d(z(1, 1, 8), 2, dilation=(1, 2)),
    "avg_pool2d.stride_given_zero": lambda: F.avg_pool2d(z(1, 1, 8, 8), 2, 0),
    "avg_pool2d.kernel_count": lambda: F.avg_pool2d(z(1, 1, 8, 8), ()),
    "avg_pool2d.stride_count": lambda: F.avg_pool2d(z(1, 1, 8, 8), 2, (1, 2, 3)),
    "avg_pool2d.padding_count": lambda: F.avg_pool2d(z(1, 1, 8, 8), 2, padding=(1, 2, 3)),
    "adaptive_avg_pool2d.count": lambda: F.adaptive_avg_pool2d(z(1, 1, 8, 8), (2,)),
    "batch_norm2d.dims": lambda: nn.BatchNorm2d(3)(z(2, 3, 4)),
    "batch_norm2d.one": lambda: nn.BatchNorm2d(3)(z(1, 3, 1, 1)),
    "batch_norm2d.channels": lambda: nn.BatchNorm2d(3)(z(2, 4, 2, 2)),
    "dropout2d.p": lambda: nn.Dropout2d(1.5),
    "dropout2d.dims": lambda: F.dropout2d(z(2), 0.5),
}
for name, f in ERRORS.items():
    strings["err." + name] = err(f)
# max_pool1d without autograd allows an empty output
assert F.max_pool1d(z(1, 1, 2), 3).shape == (1, 1, 0)

REPRS = {
    "max_pool2d": nn.MaxPool2d(2),
    "max_pool2d_full": nn.MaxPool2d((2, 3), stride=1, padding=(1, 0), dilation=2, ceil_mode=True),
    "max_pool1d": nn.MaxPool1d(3),
    "max_pool1d_full": nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    "max_pool1d_tuple": nn.MaxPool1d((3,), stride=(2,)),
    "max_pool2d_one_tuple": nn.MaxPool2d((2,)),
    "avg_pool2d": nn.AvgPool2d(2),
    "avg_pool2d_full": nn.AvgPool2d(3, 2, 1, True, False, 4),
    "avg_pool2d_rect": nn.AvgPool2d((2, 3)),
    "adaptive_avg_pool2d": nn.AdaptiveAvgPool2d((2, 3)),
    "adaptive_avg_pool2d_int": nn.AdaptiveAvgPool2d(2),
    "batch_norm2d": nn.BatchNorm2d(8),
    "batch_norm2d_full": nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
    "dropout2d": nn.Dropout2d(0.2),
    "dropout2d_default": nn.Dropout2d(),
    "model": nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(0.25), nn.AvgPool2d(2),
                           nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()),
}
for name, m in REPRS.items():
    strings["repr." + name] = repr(m)
strings["keys.model"] = ",".join(REPRS["model"].state_dict().keys())

# a model of the modules, seeded: training steps with Dropout2d's masks and BatchNorm2d's statistics
for dname, dtype in DTYPES.items():
    model = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(0.25), nn.AvgPool2d(2),
                          nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()).to(dtype)
    x0 = inputs(29, 4, 3, 8, 8)
    put("model.x", x0)
    torch.manual_seed(5)
    for s in range(2):
        x = x0.to(dtype).clone().requires_grad_()
        y = model(x)
        y.sum().backward()
        put(f"model.{dname}.y{s}", y)
        put(f"model.{dname}.gx{s}", x.grad)
    put(f"model.{dname}.running_mean", model[0].running_mean)
    put(f"model.{dname}.running_var", model[0].running_var)
    model.eval()
    put(f"model.{dname}.eval", model(x0.to(dtype)))

# ---- BatchNorm2d -----------------------------------------------------------------------------------
# (key, x shape, momentum, affine, track)
BN2D = [
    ("default", (4, 3, 5, 6), 0.1, True, True),
    ("square", (2, 4, 8, 8), 0.1, True, True),
    ("channels", (3, 19, 3, 5), 0.1, True, True),  # two groups of 8 channels summed side by side, and 3
    ("cumulative", (3, 2, 4, 5), None, True, True),
    ("plain", (3, 2, 4, 5), 0.3, False, True),
    ("untracked", (3, 2, 4, 5), 0.1, True, False),
]
for key, shape, momentum, affine, track in BN2D:
    c = shape[1]
    steps = [inputs(40 + s, *shape) * (1 + s) + s for s in range(3)]
    up0 = inputs(45, *shape)
    w0, b0 = inputs(46, c) + 1, inputs(47, c)
    put(f"batch_norm2d.{key}.x_shape", list(shape))
    for s, xs in enumerate(steps):
        put(f"batch_norm2d.{key}.x{s}", xs)
    put(f"batch_norm2d.{key}.up", up0)
    put(f"batch_norm2d.{key}.w", w0)
    put(f"batch_norm2d.{key}.b", b0)
    for dname, dtype in DTYPES.items():
        bn = nn.BatchNorm2d(c, momentum=momentum, affine=affine, track_running_stats=track).to(dtype)
        if affine:
            with torch.no_grad():
                bn.weight.copy_(w0)
                bn.bias.copy_(b0)
        for s, xs in enumerate(steps):
            x = xs.to(dtype).clone().requires_grad_()
            y = bn(x)
            if s == 0:
                y.backward(up0.to(dtype))
                put(f"batch_norm2d.{key}.{dname}.y0", y)
                put(f"batch_norm2d.{key}.{dname}.gx0", x.grad)
                if affine:
                    put(f"batch_norm2d.{key}.{dname}.gw0", bn.weight.grad)
                    put(f"batch_norm2d.{key}.{dname}.gb0", bn.bias.grad)
            if track:
                put(f"batch_norm2d.{key}.{dname}.running_mean{s}", bn.running_mean)
                put(f"batch_norm2d.{key}.{dname}.running_var{s}", bn.running_var)
                put(f"batch_norm2d.{key}.{dname}.tracked{s}", [bn.num_batches_tracked.item()])
        bn.eval()
        if affine:
            bn.weight.grad = None
            bn.bias.grad = None
        x = steps[0].to(dtype).clone().requires_grad_()
        y = bn(x)
        y.backward(up0.to(dtype))
        put(f"batch_norm2d.{key}.{dname}.eval_y", y)
        put(f"batch_norm2d.{key}.{dname}.eval_gx", x.grad)
        if affine:
            put(f"batch_norm2d.{key}.{dname}.eval_gw", bn.weight.grad)
            put(f"batch_norm2d.{key}.{dname}.eval_gb", bn.bias.grad)
    m = nn.BatchNorm2d(c, momentum=momentum, affine=affine, track_running_stats=track)
    strings[f"batch_norm2d.{key}.keys"] = ",".join(m.state_dict().keys())
    strings[f"batch_norm2d.{key}.repr"] = repr(m)

# ---- Dropout2d -------------------------------------------------------------------------------------
DROPOUT2D = [("a", 0.5, (4, 3, 2, 2)), ("b", 0.2, (2, 5, 3, 3)), ("c", 0.9, (3, 6, 2, 1)), ("three_d", 0.5, (3, 4, 5))]
for key, p, shape in DROPOUT2D:
    x0 = inputs(51, *shape)
    up0 = inputs(52, *shape)
    put(f"dropout2d.{key}.x", x0)
    put(f"dropout2d.{key}.up", up0)
    for dname, dtype in DTYPES.items():
        x = x0.to(dtype).clone().requires_grad_()
        torch.manual_seed(7)
        y1 = F.dropout2d(x, p)
        y2 = nn.Dropout2d(p)(x)  # the next mask: consecutive draws
        after = torch.rand(3, dtype=dtype)  # what the generator draws next
        y1.backward(up0.to(dtype))
        put(f"dropout2d.{key}.{dname}.y1", y1)
        put(f"dropout2d.{key}.{dname}.y2", y2)
        put(f"dropout2d.{key}.{dname}.grad", x.grad)
        put(f"dropout2d.{key}.{dname}.after", after)

# ---- the header -----------------------------------------------------------------------------------
write_header(OUT, "make_pooling_reference.py", "pooling", "tests/ops/pooling_test.cpp")
