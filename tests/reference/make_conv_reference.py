#!/usr/bin/python3
"""Reference values for the convolutions: F.conv1d / F.conv2d values and the gradients of input,
weight and bias for every option that changes the arithmetic (stride, padding with numbers and
"same" / "valid", dilation, groups, depthwise, bias or none, non-square kernels and inputs, batch 1
and more, unbatched inputs), in float and double; nn.Conv1d / nn.Conv2d initial values after
manual_seed, reprs, state_dict keys, node names and error messages, from PyTorch 1.13 on one thread.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/make_conv_reference.py
It rewrites tests/reference/conv_cases.hpp: `values` maps a name to its numbers (row-major, exact
hex floats), `strings` a name to a repr, a node name or an error message. tests/ops/conv_test.cpp
(which compiles the tables) and tests/nn/conv_test.cpp read them.
"""

import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"
torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # "same" with an even kernel, zero-element init

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_cases.hpp")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_writer import DTYPES, err, inputs, put, strings, values, write_header  # noqa: E402,F401


# ---- functional cases -----------------------------------------------------------------------------
# name: (dims, x shape, w shape, stride, padding, dilation, groups, bias). The C++ test lists the same
# names with the same options.
CASES = {
    # conv2d
    "basic": (2, (2, 3, 5, 6), (4, 3, 3, 3), 1, 0, 1, 1, True),
    "pad1": (2, (2, 3, 5, 6), (4, 3, 3, 3), 1, 1, 1, 1, True),
    "pad2_nobias": (2, (1, 2, 6, 5), (3, 2, 3, 3), 1, 2, 1, 1, False),
    "stride2": (2, (2, 3, 7, 8), (4, 3, 3, 3), 2, 1, 1, 1, True),
    "stride_hw": (2, (2, 2, 9, 7), (3, 2, 3, 2), (2, 1), (1, 0), 1, 1, True),
    "dilation2": (2, (2, 2, 8, 9), (3, 2, 3, 3), 1, 2, 2, 1, True),
    "dilation_hw": (2, (1, 3, 7, 8), (2, 3, 2, 3), (1, 2), (0, 1), (1, 2), 1, True),
    "groups2": (2, (2, 4, 6, 6), (6, 2, 3, 3), 1, 1, 1, 2, True),
    "groups2_nobias": (2, (3, 4, 5, 7), (4, 2, 2, 3), (2, 1), (1, 1), (2, 1), 2, False),
    "depthwise": (2, (2, 3, 7, 6), (3, 1, 3, 3), 2, 1, 1, 3, True),
    "depthwise_mult": (2, (2, 3, 6, 6), (6, 1, 3, 3), 1, 0, 1, 3, True),
    "kernel_1x5": (2, (2, 2, 6, 9), (3, 2, 1, 5), 1, (0, 2), 1, 1, True),
    "pointwise": (2, (3, 4, 5, 5), (6, 4, 1, 1), 1, 0, 1, 1, True),
    "batch1": (2, (1, 1, 8, 8), (8, 1, 3, 3), 1, 1, 1, 1, True),
    "batch8": (2, (8, 1, 8, 8), (8, 1, 3, 3), 1, 1, 1, 1, True),
    "wide": (2, (2, 6, 9, 9), (10, 6, 3, 3), 1, 1, 1, 1, True),  # a product past the small kernel
    "stride3_big_pad": (2, (2, 2, 5, 5), (2, 2, 2, 2), 3, 2, 1, 1, True),
    "same": (2, (2, 2, 5, 6), (3, 2, 3, 3), 1, "same", 1, 1, True),
    "same_even": (2, (2, 2, 5, 6), (3, 2, 4, 3), 1, "same", 1, 1, True),  # one more zero below
    "same_dilated": (2, (1, 2, 6, 6), (2, 2, 2, 3), 1, "same", (3, 2), 1, False),
    "valid": (2, (2, 2, 5, 6), (3, 2, 3, 3), 1, "valid", 1, 1, True),
    "unbatched": (2, (3, 5, 6), (4, 3, 3, 3), 1, 1, 1, 1, True),
    "unbatched_groups": (2, (4, 6, 5), (2, 2, 3, 2), 2, 1, 1, 2, False),
    # conv1d
    "c1_basic": (1, (2, 3, 10), (4, 3, 3), 1, 0, 1, 1, True),
    "c1_options": (1, (2, 2, 11), (4, 2, 3), 2, 2, 2, 1, True),
    "c1_groups": (1, (2, 4, 9), (4, 2, 3), 1, 1, 1, 2, False),
    "c1_depthwise": (1, (1, 3, 8), (3, 1, 5), 1, 2, 1, 3, True),
    "c1_same_even": (1, (2, 2, 7), (3, 2, 4), 1, "same", 1, 1, True),
    "c1_unbatched": (1, (3, 10), (4, 3, 3), 1, 1, 1, 1, True),
}


def run_case(key, dname, fn, x0, w0, b0, up, **options):
    """fn(x, w, b, **options) in dname's type (b0 None: no bias), backward from up(y) (double, the
    upstream gradient for y's shape); stores y and the gradients under key.dname; returns y."""
    dtype = DTYPES[dname]
    x = x0.to(dtype).requires_grad_()
    w = w0.to(dtype).requires_grad_()
    b = b0.to(dtype).requires_grad_() if b0 is not None else None
    y = fn(x, w, b, **options)
    y.backward(up(y).to(dtype))
    put(f"{key}.{dname}.y", y)
    put(f"{key}.{dname}.gx", x.grad)
    put(f"{key}.{dname}.gw", w.grad)
    if b is not None:
        put(f"{key}.{dname}.gb", b.grad)
    return y


for seed, (key, (dims, xs, ws, stride, padding, dilation, groups, bias)) in enumerate(CASES.items()):
    x0 = inputs(100 + seed, *xs)
    w0 = inputs(200 + seed, *ws)
    b0 = inputs(300 + seed, ws[0])
    put(f"{key}.x", x0)
    put(f"{key}.w", w0)
    put(f"{key}.b", b0)
    fn = F.conv1d if dims == 1 else F.conv2d
    for dname in DTYPES:
        y = run_case(key, dname, fn, x0, w0, b0 if bias else None, lambda y: inputs(400 + seed, *y.shape),
                     stride=stride, padding=padding, dilation=dilation, groups=groups)
        up0 = inputs(400 + seed, *y.shape)
        put(f"{key}.up", up0)
        put(f"{key}.y_shape", list(y.shape))
        strings[f"{key}.node"] = type(y.grad_fn).__name__

# ---- the direct 3x3 kernels ----------------------------------------------------------------------
# Cases that ops/conv.hpp hands to backend/conv_kernels.hpp (3x3, stride 1, >= 16 channels in and
# out): output channels a multiple of the kernels' packets and not, padding 0, 1 and "same", batch 1,
# rows wider than one register tile. Their inputs are drawn after torch.manual_seed(seed) in the
# order x, w, b, up (double randn), which the C++ test repeats (eigentorch's randn draws PyTorch's
# numbers), so only the results are stored; double for the first case only (the test compares the
# direct kernels with im2col in double for many more shapes).
# name: (seed, x shape, w shape, padding, bias, element types)
DIRECT = {
    "direct_pad1": (31, (2, 16, 5, 7), (20, 16, 3, 3), 1, True, ("float", "double")),
    "direct_valid_batch1": (32, (1, 24, 4, 14), (16, 24, 3, 3), 0, False, ("float",)),
    "direct_same_wide": (33, (1, 16, 2, 27), (16, 16, 3, 3), "same", True, ("float",)),
}
for key, (seed, xs, ws, padding, bias, dnames) in DIRECT.items():
    torch.manual_seed(seed)
    x0 = torch.randn(*xs, dtype=torch.float64)
    w0 = torch.randn(*ws, dtype=torch.float64)
    b0 = torch.randn(ws[0], dtype=torch.float64)
    y_shape = F.conv2d(x0, w0, padding=padding).shape
    up0 = torch.randn(*y_shape, dtype=torch.float64)
    put(f"{key}.y_shape", list(y_shape))
    for dname in dnames:
        run_case(key, dname, F.conv2d, x0, w0, b0 if bias else None, lambda y: up0, padding=padding)

# ---- modules --------------------------------------------------------------------------------------
# name: (constructor, C++ spelling for the reader)
MODULES = {
    "c2_plain": lambda: nn.Conv2d(3, 4, 3),
    "c2_pad": lambda: nn.Conv2d(1, 8, 3, padding=1),
    "c2_all": lambda: nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=(2, 1), groups=2, bias=False),
    "c2_depthwise": lambda: nn.Conv2d(3, 6, 3, groups=3),
    "c2_same": lambda: nn.Conv2d(2, 4, 3, padding="same"),
    "c2_valid_dil": lambda: nn.Conv2d(2, 4, (2, 3), padding="valid", dilation=2),
    "c1_plain": lambda: nn.Conv1d(2, 4, 3),
    "c1_all": lambda: nn.Conv1d(4, 6, 5, stride=2, padding=2, dilation=3, groups=2, bias=False),
    "c1_same": lambda: nn.Conv1d(2, 4, 4, padding="same"),
}
for key, make in MODULES.items():
    m = make()
    strings[f"module.{key}.repr"] = repr(m)
    strings[f"module.{key}.keys"] = ",".join(m.state_dict().keys())
    for dname, dtype in DTYPES.items():
        torch.set_default_dtype(dtype)
        torch.manual_seed(5)
        m = make()
        put(f"module.{key}.{dname}.weight", m.weight)
        if m.bias is not None:
            put(f"module.{key}.{dname}.bias", m.bias)
        put(f"module.{key}.{dname}.after", torch.rand(3))  # where the generator stands
    torch.set_default_dtype(torch.float32)

# A model: two convolutions in a Sequential drawn in argument order, then a forward and backward.
for dname, dtype in DTYPES.items():
    torch.set_default_dtype(dtype)
    torch.manual_seed(11)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, (2, 3), stride=2, bias=False))
    x0 = inputs(500, 3, 1, 7, 6)
    put("model.x", x0)
    y = model(x0.to(dtype))
    up0 = inputs(501, *y.shape)
    put("model.up", up0)
    put("model.y_shape", list(y.shape))
    y.backward(up0.to(dtype))
    put(f"model.{dname}.y", y)
    put(f"model.{dname}.g0w", model[0].weight.grad)
    put(f"model.{dname}.g0b", model[0].bias.grad)
    put(f"model.{dname}.g2w", model[2].weight.grad)
    strings["model.keys"] = ",".join(model.state_dict().keys())
    strings["model.repr"] = repr(model)
torch.set_default_dtype(torch.float32)

# ---- errors ---------------------------------------------------------------------------------------
z = torch.zeros
ERRORS = {
    "channels": lambda: F.conv2d(z(64, 3, 8, 8), z(8, 1, 3, 3)),
    "kernel_too_big": lambda: F.conv2d(z(1, 1, 2, 2), z(8, 1, 3, 3)),
    "kernel_too_big_1d": lambda: F.conv1d(z(1, 1, 2), z(8, 1, 3)),
    "kernel_dilated_too_big": lambda: F.conv2d(z(1, 1, 2, 9), z(8, 1, 2, 3), dilation=(2, 1)),
    "stride_zero": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), stride=0),
    "stride_negative": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), stride=(1, -1)),
    "padding_negative": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), padding=-1),
    "padding_and_stride": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), stride=0, padding=-1),
    "dilation_zero": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), dilation=0),
    "dilation_negative": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), dilation=(-1, 2)),
    "dilation_zero_1d": lambda: F.conv1d(z(1, 1, 5), z(8, 1, 3), dilation=0),
    "kernel_zero": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 0)),
    "kernel_zero_dilated": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 0, 3), dilation=2),
    "kernel_zero_1d": lambda: F.conv1d(z(1, 3, 5), z(4, 3, 0)),
    "groups_zero": lambda: F.conv2d(z(1, 4, 5, 5), z(4, 2, 3, 3), groups=0),
    "groups_and_stride": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3, 3), stride=0, groups=0),
    "groups_not_dividing_weight": lambda: F.conv2d(z(1, 4, 5, 5), z(6, 1, 3, 3), groups=4),
    "groups_above_weight": lambda: F.conv2d(z(1, 4, 5, 5), z(2, 2, 3, 3), groups=4),
    "groups_channels": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 1, 3, 3), groups=2),
    "input_dims_2d": lambda: F.conv2d(z(2, 3), z(4, 3, 3, 3)),
    "input_dims_5d": lambda: F.conv2d(z(1, 2, 3, 3, 3), z(4, 3, 3, 3)),
    "input_dims_1d": lambda: F.conv1d(z(1, 2, 3, 4), z(8, 2, 3)),
    "input_dims_1d_vector": lambda: F.conv1d(z(4), z(8, 2, 3)),
    "unbatched_channels": lambda: F.conv2d(z(2, 5, 5), z(8, 1, 3, 3)),
    "unbatched_channels_1d": lambda: F.conv1d(z(2, 5), z(8, 1, 3)),
    "weight_2d": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1)),
    "weight_3d_for_conv2d": lambda: F.conv2d(z(1, 1, 5, 5), z(8, 1, 3), stride=(2, 3)),
    "weight_4d_for_conv1d": lambda: F.conv1d(z(1, 1, 5), z(8, 1, 3, 3)),
    "stride_list": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=(1, 2, 3)),
    "bias_size": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), z(3)),
    "bias_dims": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), z(4, 1)),
    "padding_string": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), padding="foo"),
    "same_strided": lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), padding="same", stride=2),
    "module_groups": lambda: nn.Conv2d(4, 8, 3, groups=0),
    "module_in_groups": lambda: nn.Conv2d(3, 8, 3, groups=2),
    "module_out_groups": lambda: nn.Conv2d(4, 6, 3, groups=4),
    "module_padding_string": lambda: nn.Conv2d(4, 8, 3, padding="foo"),
    "module_same_strided": lambda: nn.Conv1d(4, 8, 3, padding="same", stride=2),
    "module_negative": lambda: nn.Conv2d(-4, 8, 3),
    "module_negative_kernel": lambda: nn.Conv2d(4, 8, -1),
    "module_input": lambda: nn.Conv2d(4, 8, 3)(z(4, 5)),
    "module_stride": lambda: nn.Conv2d(4, 8, 3, stride=0)(z(1, 4, 5, 5)),
}
for key, f in ERRORS.items():
    # NOTE: Python prints the set of padding strings in its hash order, which changes from run to run
    # (PYTHONHASHSEED): one order is kept so that the output does not change.
    strings[f"error.{key}"] = err(f).replace("{'same', 'valid'}", "{'valid', 'same'}")

# ---- the header -----------------------------------------------------------------------------------
write_header(OUT, "make_conv_reference.py", "conv", "tests/ops/conv_test.cpp")
