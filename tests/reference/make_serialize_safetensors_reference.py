#!/usr/bin/python3
"""Writes the safetensors fixtures of tests/serialize/safetensors_test.cpp into tests/data/serialize/
and the values the test expects into serialize_safetensors_cases.hpp.

Python's `safetensors` package is not installable here, so the files are written by `st_bytes` below,
a Python implementation of the layout of the Rust crate's `serialize` (huggingface/safetensors,
safetensors/src/tensor.rs, crate 0.8.0-dev.0 at commit 24b0b28, the same layout as the 0.4 releases
that `safetensors.torch.save_file` ships with): tensors sorted by dtype, the crate's `Dtype` enum order
descending (I64, F64, F32, BF16, F16, I32, I16, I8, U8, BOOL), then by name (bytes); the header is
serde_json's compact form of {"__metadata__": {...}, name: {"dtype", "shape", "data_offsets"}, ...}
(metadata only when given), padded with spaces to a multiple of 8 bytes, preceded by its length as a
little-endian u64; the data follows, each tensor's bytes little-endian, one after the other. Tensors and
values come from PyTorch 1.13 (Debian's python3-torch): the expected values of a load are
`t.to(torch.float32)`, `t.to(torch.float64)` and `t.to(torch.int64)`, what load_state_dict's copy_ gives.

Run from anywhere: /usr/bin/python3 tests/reference/make_serialize_safetensors_reference.py
"""
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "serialize_safetensors_cases.hpp")
DATA = os.path.join(os.path.dirname(HERE), "data", "serialize")

NAMES = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.int32: "I32",
         torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32",
         torch.float64: "F64"}
# The crate's `Dtype` enum order (its derived Ord): prepare() sorts by it, descending, then by name.
RANK = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"]


def serde_string(s):
    """s as serde_json writes a string: \" \\ \b \t \n \f \r escaped, other bytes < 0x20 as \\u00xx."""
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = ['"']
    for ch in s:
        if ch in short:
            out.append(short[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def tensor_bytes(t):
    """The tensor's elements, little-endian, C order."""
    flat = t.contiguous().reshape(-1)
    if flat.dtype == torch.bool:
        flat = flat.to(torch.uint8)
    if flat.numel() == 0:
        return b""
    return flat.view(torch.uint8).numpy().tobytes()


def st_bytes(tensors, metadata=None, order=None):
    """The file the crate's serialize() writes for {name: tensor} and the optional metadata dict. With
    `order` (a list of names), the data is laid out in that order and the header keys in reverse instead:
    a file another writer could have made, which a reader must accept too."""
    if order is None:
        order = sorted(tensors, key=lambda k: (-RANK.index(NAMES[tensors[k].dtype]), k.encode()))
        keys = order
    else:
        keys = list(reversed(order))
    offsets, pos = {}, 0
    for k in order:
        n = len(tensor_bytes(tensors[k]))
        offsets[k] = (pos, pos + n)
        pos += n
    parts = []
    if metadata is not None:
        # NOTE: the crate keeps metadata in a HashMap, so with 2+ keys Python's order is not fixed;
        # we write them sorted, as eigentorch does.
        parts.append('"__metadata__":{' + ",".join(serde_string(k) + ":" + serde_string(v)
                                                     for k, v in sorted(metadata.items())) + "}")
    for k in keys:
        t = tensors[k]
        parts.append(serde_string(k) + ':{"dtype":"' + NAMES[t.dtype] + '","shape":['
                     + ",".join(str(d) for d in t.shape) + '],"data_offsets":[%d,%d]}' % offsets[k])
    header = ("{" + ",".join(parts) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(tensor_bytes(tensors[k]) for k in order)


def dtype_tensors():
    """One tensor of every dtype, with each dtype's extremes and special values, a 0-d and empty ones."""
    torch.manual_seed(0)
    inf, nan = math.inf, math.nan
    return {
        "bool": torch.tensor([True, False, True, True, False]),
        "u8": torch.tensor([[0, 1, 127], [128, 254, 255]], dtype=torch.uint8),
        "i8": torch.tensor([-128, -1, 0, 1, 100, 127], dtype=torch.int8),
        "i16": torch.tensor([[-32768, -1], [1000, 32767]], dtype=torch.int16),
        "i32": torch.tensor([-2**31, -7, 16777217, 2**31 - 1], dtype=torch.int32),
        "i64": torch.tensor([[-2**63, -1, 0], [2**53 + 1, 2**62 + 2**40 + 1, 2**63 - 1]], dtype=torch.int64),
        "f16": torch.tensor([0.0, -0.0, 1.0, 65504.0, 2**-24, 2**-14 - 2**-24, 0.1, -2.5, inf, -inf, nan],
                            dtype=torch.float16),
        "bf16": torch.tensor([1.0, -0.0, 3.3895e38, 1e-40, 0.1, -7.25, inf, nan], dtype=torch.bfloat16),
        "f32": torch.cat([torch.randn(6), torch.tensor([1e-45, 3.4028235e38])]).reshape(2, 2, 2),
        "f64": torch.tensor([1e300, 1e-300, math.pi, -2.5, 1 / 3, -inf], dtype=torch.float64),
        "scalar": torch.tensor(3.5),
        "scalar_i64": torch.tensor(-9, dtype=torch.int64),
        "empty": torch.zeros(0, 3),
        "empty_bf16": torch.zeros(2, 0, dtype=torch.bfloat16),
    }


def state_dict(dtype):
    """A state dict as eigentorch builds it (insertion order), its num_batches_tracked int64 as PyTorch's."""
    torch.manual_seed(1 if dtype == torch.float32 else 2)
    return {
        "layer.weight": torch.randn(2, 3, dtype=dtype),
        "layer.bias": torch.randn(2, dtype=dtype),
        "bn.running_mean": torch.randn(3, dtype=dtype),
        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "Z": torch.randn(1, dtype=dtype),
        "empty": torch.zeros(0, dtype=dtype),
        "scalar": torch.tensor(-0.75, dtype=dtype),
        "k\"q\\\n\u00e9": torch.randn(2, 1, 2, dtype=dtype),
        "\u00e9t\u00e9": torch.randn(1, dtype=dtype),
        "10": torch.randn(2, dtype=dtype),
        "9": torch.randn(2, dtype=dtype),
    }


def with_floats(sd, dtype):
    """The dict with its floating tensors converted to dtype (what save_safetensors(..., dtype) writes)."""
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in sd.items()}


def read_back(blob):
    """Parses what st_bytes wrote (a check of the writer): {name: tensor}, metadata."""
    import json
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    back = {}
    by_name = {v: k for k, v in NAMES.items()}
    for k, info in header.items():
        s, e = info["data_offsets"]
        raw = bytearray(blob[8 + n + s:8 + n + e])
        dt = by_name[info["dtype"]]
        if e == s:
            back[k] = torch.zeros(info["shape"], dtype=dt)
        else:
            u8 = torch.frombuffer(raw, dtype=torch.uint8)
            back[k] = (u8.to(torch.bool) if dt == torch.bool else u8.view(dt)).reshape(info["shape"])
    return back, meta


def c_float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v).hex()


def c_literal(v, ctype):
    """A value from c_float as a C++ literal of ctype (hex floats are exact in float too: the values are)."""
    special = {"inf": "st_detail::inf", "-inf": "-st_detail::inf", "nan": "st_detail::nan"}
    if v in special:
        return f"static_cast<{ctype}>({special[v]})" if ctype == "float" else special[v]
    return v + ("f" if ctype == "float" else "")


def main():
    os.makedirs(DATA, exist_ok=True)
    files = {}
    dtypes = dtype_tensors()
    files["dtypes.safetensors"] = (dtypes, st_bytes(dtypes, {"format": "pt", "source": "make_serialize_safetensors_reference.py"}))
    shuffled = {"a": torch.arange(4, dtype=torch.float32), "b": torch.arange(3, dtype=torch.int64) - 1,
                "c": torch.tensor([0.5, -1.5], dtype=torch.float16)}
    files["shuffled.safetensors"] = (shuffled, st_bytes(shuffled, order=["c", "a", "b"]))
    sd32, sd64 = state_dict(torch.float32), state_dict(torch.float64)
    saves = [  # (file, source dict, dtype the floats are written as, metadata)
        ("sd_f32.safetensors", sd32, torch.float32, None),
        ("sd_f64.safetensors", sd64, torch.float64, None),
        ("sd_f16.safetensors", sd32, torch.float16, {"format": "pt"}),
        ("sd_bf16.safetensors", sd32, torch.bfloat16, {}),
        ("sd_f64_as_f32.safetensors", sd64, torch.float32, {"b": "2", "a": "\u00e9\n\"1\""}),
    ]
    for name, sd, dt, meta in saves:
        files[name] = (with_floats(sd, dt), st_bytes(with_floats(sd, dt), meta))
    for name, (tensors, blob) in files.items():
        back, _ = read_back(blob)
        assert back.keys() == tensors.keys(), name
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and back[k].shape == t.shape, (name, k)
            assert torch.equal(back[k].to(torch.float64).nan_to_num(7), t.to(torch.float64).nan_to_num(7)), (name, k)
        with open(os.path.join(DATA, name), "wb") as f:
            f.write(blob)

    # expected values of every tensor of the files read by the test, in name order (load_file's order)
    rows, f32, f64, i64 = [], [], [], []
    for name in ["dtypes.safetensors", "shuffled.safetensors"] + [s[0] for s in saves]:
        tensors = files[name][0]
        for k in sorted(tensors, key=lambda k: k.encode()):
            t = tensors[k]
            flat = t.reshape(-1)
            rows.append((name, k, NAMES[t.dtype], list(t.shape), len(f32), flat.numel()))
            f32 += [c_float(v) for v in flat.to(torch.float32).tolist()]
            f64 += [c_float(v) for v in flat.to(torch.float64).tolist()]
            i64 += [int(v) for v in flat.to(torch.int64).tolist()] if not t.is_floating_point() else [0] * flat.numel()
    sources = []
    for label, sd in (("float", sd32), ("double", sd64)):
        for k, t in sd.items():
            sources.append((label, k, list(t.shape), [c_float(v) for v in t.reshape(-1).to(torch.float64).tolist()]))

    def cstr(s):
        return '"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "".join("\\x%02x" % b for b in c.encode()) + '""' for c in s) + '"'

    with open(OUT, "w") as f:
        f.write("// @generated by tests/reference/make_serialize_safetensors_reference.py; do not edit\n")
        f.write(f"// The tensors of the safetensors fixtures in tests/data/serialize/ (written by the script's\n"
                f"// implementation of the crate's layout, PyTorch {torch.__version__}'s values), and the state dicts\n"
                f"// the sd_*.safetensors files hold, as eigentorch builds them.\n")
        f.write("#pragma once\n\n#include <cstddef>  // size_t\n#include <cstdint>  // int64_t\n#include <limits>\n"
                "#include <vector>\n\nnamespace eigentorch::reference {\n\n")
        f.write("namespace st_detail {\ninline constexpr double inf = std::numeric_limits<double>::infinity();\n"
                "inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();\n}  // namespace st_detail\n\n")
        f.write("/// A tensor of a fixture: its values at [offset, offset + numel) of st_as_float (t.to(float32)),\n"
                "/// st_as_double (t.to(float64)) and st_as_int64 (t.to(int64), integer and bool dtypes; else 0).\n"
                "struct StTensor {\n  const char* file;\n  const char* key;\n  const char* dtype;\n"
                "  std::vector<int64_t> shape;\n  std::size_t offset, numel;\n};\n\n")
        f.write("/// Every fixture's tensors, each file's in name order.\ninline const StTensor st_tensors[] = {\n")
        for name, k, dt, shape, off, n in rows:
            f.write(f"    {{\"{name}\", {cstr(k)}, \"{dt}\", {{{', '.join(map(str, shape))}}}, {off}, {n}}},\n")
        f.write("};\n\n")
        for cname, vals, ctype in (("st_as_float", f32, "float"), ("st_as_double", f64, "double")):
            f.write(f"inline const {ctype} {cname}[] = {{\n")
            for i in range(0, len(vals), 6):
                f.write("    " + " ".join(c_literal(v, ctype) + "," for v in vals[i:i + 6]) + "\n")
            f.write("};\n")
        f.write("inline const int64_t st_as_int64[] = {\n")
        for i in range(0, len(i64), 6):
            f.write("    " + " ".join(("(-9223372036854775807ll - 1)" if v == -2**63 else f"{v}ll") + "," for v in i64[i:i + 6]) + "\n")
        f.write("};\n\n")
        f.write("/// The state dicts of sd_*.safetensors in insertion order (what the C++ test builds and saves):\n"
                "/// \"float\" (sd_f32, and converted: sd_f16, sd_bf16) and \"double\" (sd_f64, sd_f64_as_f32).\n"
                "struct StSource {\n  const char* type;\n  const char* key;\n  std::vector<int64_t> shape;\n"
                "  std::vector<double> values;\n};\ninline const StSource st_sources[] = {\n")
        for label, k, shape, vals in sources:
            f.write(f"    {{\"{label}\", {cstr(k)}, {{{', '.join(map(str, shape))}}}, {{{', '.join(vals)}}}}},\n")
        f.write("};\n\n}  // namespace eigentorch::reference\n")


if __name__ == "__main__":
    main()
