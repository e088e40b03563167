#!/usr/bin/python3
"""Writes torch.save fixtures with PyTorch 1.13 (Debian's python3-torch) into tests/data/serialize/ and
what each holds into serialize_pt_cases.hpp, for tests/serialize/torch_file_test.cpp (and zip_test,
pickle_test, which take their well-formed inputs from the same files).

Each fixture's contents are written as one canonical text that the test builds from the Value that
eigentorch loads: None, True / False, ints in decimal, floats as the hex of their 64 bits (d:...),
'str', (tuple), [list], {dict}, O{OrderedDict}, and tensors as T<float|double|int64>[shape]{values}
with every element's bits (float32 as 8 hex digits, float64 as 16, int64 in decimal), row-major. A
tensor's type is the one eigentorch loads it as: float16 / bfloat16 / float32 -> float, float64 ->
double, the integer types and bool -> int64. So the test compares everything, exactly.

Run from anywhere: /usr/bin/python3 tests/reference/make_serialize_pt_reference.py
"""
import collections
import os
import pickle
import struct
import zipfile

import torch

assert torch.__version__.startswith("1.13"), "the fixtures are PyTorch 1.13's"

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "serialize")
OUT = os.path.join(HERE, "serialize_pt_cases.hpp")


def canon(x):
    if x is None:
        return "None"
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return "d:%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]
    if isinstance(x, str):
        return "'" + x + "'"
    if isinstance(x, tuple):
        return "(" + ", ".join(canon(v) for v in x) + ")"
    if isinstance(x, list):
        return "[" + ", ".join(canon(v) for v in x) + "]"
    if isinstance(x, dict):
        body = ", ".join(canon(k) + ": " + canon(v) for k, v in x.items())
        return ("O{" if isinstance(x, collections.OrderedDict) else "{") + body + "}"
    if isinstance(x, torch.Tensor):
        t = x.detach().contiguous().view(-1)
        if x.dtype in (torch.float16, torch.bfloat16, torch.float32):
            kind, vals = "float", ["%08x" % (v & 0xFFFFFFFF) for v in t.float().view(torch.int32).tolist()]
        elif x.dtype == torch.float64:
            kind, vals = "double", ["%016x" % (v & 0xFFFFFFFFFFFFFFFF) for v in t.view(torch.int64).tolist()]
        else:
            kind, vals = "int64", [str(v) for v in t.long().tolist()]
        return "T<%s>[%s]{%s}" % (kind, ", ".join(str(s) for s in x.shape), " ".join(vals))
    raise TypeError(type(x))


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2))


def train(m, opt, sched=None, steps=3):
    torch.manual_seed(1)
    x, y = torch.randn(8, 3), torch.randn(8, 2)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(m(x), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


def fixtures():
    """(file name, object, whether eigentorch's writer reproduces torch.save's bytes from what it loads)"""
    torch.manual_seed(2)
    base = torch.arange(12, dtype=torch.float32) * 0.25 - 1
    dtypes = collections.OrderedDict()
    dtypes["f32"] = torch.randn(2, 3)
    dtypes["f64"] = torch.randn(2, 2, dtype=torch.float64)
    dtypes["f16"] = torch.tensor([0.1, -65504.0, 6e-8, float("inf"), float("nan")], dtype=torch.float16)
    dtypes["bf16"] = torch.tensor([0.1, -3e38, 1e-40, float("-inf")], dtype=torch.bfloat16)
    dtypes["i64"] = torch.tensor([0, -1, 2**62, -2**63], dtype=torch.int64)
    dtypes["i32"] = torch.tensor([[7, -2**31], [2**31 - 1, 0]], dtype=torch.int32)
    dtypes["i16"] = torch.tensor([-32768, 32767], dtype=torch.int16)
    dtypes["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    dtypes["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([True, False, True])
    dtypes["scalar"] = torch.tensor(3.5)
    dtypes["empty"] = torch.zeros(0, 3)
    dtypes["noncontiguous"] = base.view(3, 4).t()  # strides (1, 4)
    dtypes["shared_a"] = base[2:8]  # offset 2 into the storage the next two share
    dtypes["shared_b"] = base.view(3, 4)[:, 1]  # offset 1, stride 4
    dtypes["shared_all"] = base

    m = model()
    plain = collections.OrderedDict(m.state_dict())  # without _metadata: what eigentorch writes

    m_adam = model()
    adam = torch.optim.Adam(m_adam.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    train(m_adam, adam)
    m_sgd = model()
    sgd = torch.optim.SGD([{"params": m_sgd[0].parameters()}, {"params": m_sgd[3].parameters(), "lr": 0.05}],
                          lr=0.1, momentum=0.9, nesterov=True)
    train(m_sgd, sgd)
    m_groups = model()
    adam_groups = torch.optim.Adam([{"params": m_groups[0].parameters()},
                                    {"params": m_groups[3].parameters(), "lr": 0.003}], lr=0.01, amsgrad=True)
    train(m_groups, adam_groups)
    m_ck = model()
    ck_opt = torch.optim.Adam(m_ck.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.StepLR(ck_opt, step_size=2, gamma=0.5)
    train(m_ck, ck_opt, sched)
    checkpoint = {"model": m_ck.state_dict(), "optimizer": ck_opt.state_dict(), "scheduler": sched.state_dict()}
    # the same with the model's state dict as eigentorch writes it (an OrderedDict without _metadata)
    plain_checkpoint = dict(checkpoint, model=collections.OrderedDict(m_ck.state_dict()))
    return [("dtypes.pt", dtypes, False),
            ("state_dict.pt", plain, True),
            ("module_state_dict.pt", m.state_dict(), False),  # an OrderedDict with _metadata (BUILD)
            ("adam.pt", adam.state_dict(), True),
            ("sgd.pt", sgd.state_dict(), True),
            ("adam_groups.pt", adam_groups.state_dict(), True),  # the groups share their betas (a memo get)
            ("checkpoint.pt", checkpoint, False),
            ("plain_checkpoint.pt", plain_checkpoint, True)]


def pickles():
    """(name, object): plain objects pickled by Python's pickler as torch.save pickles (protocol 2)."""
    return [("ints", [0, 1, 255, 256, 65535, 65536, -1, -256, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**40, -2**40,
                      2**62, 2**63 - 1, -2**63, 127, 128, -128, -129, 2**15, -2**15 - 1]),
            ("floats", (0.0, -0.0, 1.5, 0.1, 1e-300, 5e-324, float("inf"), float("-inf"), float("nan"))),
            ("nested", {"a": [1, (2, 3), {"b": None}], 5: (True, False, "x" * 300), "e": [], "t": (), "d": {}}),
            ("tuples", [(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ("a", ("b", ("c", ())))]),
            ("batches", {"list": list(range(2500)), "dict": {i: i * 2 for i in range(1001)}, "one": [7], "d1": {1: 2}}),
            ("memo", [str(i) * 3 for i in range(300)] + ["shared", "shared", "unicode \u00e9\u4e2d\U0001F600"]),
            ("ordered", collections.OrderedDict([("z", 1), ("a", collections.OrderedDict([("k", [1.0])]))])),
            ("empty ordered", collections.OrderedDict())]


def cpp_bytes(b):
    """A C++ string literal of arbitrary bytes, as hex escapes split into lines."""
    parts = [b[i:i + 24] for i in range(0, len(b), 24)] or [b""]
    return "\n".join('        "' + "".join("\\x%02x" % c for c in p) + '"' for p in parts)


def cpp_string(s):
    """A C++ string literal, split into lines of at most ~100 characters."""
    parts = [s[i:i + 96] for i in range(0, len(s), 96)] or [""]
    return "\n".join('        "' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parts)


def main():
    os.makedirs(DATA, exist_ok=True)
    lines = ["// @generated by tests/reference/make_serialize_pt_reference.py; do not edit",
             f"// torch.save fixtures of PyTorch {torch.__version__} in tests/data/serialize/ and what each holds, as",
             "// the canonical text the script's docstring describes.",
             "#pragma once", "", "#include <cstddef>  // size_t", "", "namespace eigentorch::reference {", "",
             "struct PtFixture {", "  const char* file;      // under tests/data/serialize/",
             "  bool same_bytes;        // eigentorch saving what it loaded writes torch.save's bytes",
             "  const char* contents;", "};", "inline const PtFixture serialize_pt_fixtures[] = {"]
    for name, obj, same in fixtures():
        path = os.path.join(DATA, name)
        torch.save(obj, path)
        loaded = torch.load(path)
        text = canon(loaded)
        assert text == canon(obj)
        if same:  # weights_only reads it too (1.13's weights-only unpickler has no BINFLOAT: not the optimizers)
            if name == "state_dict.pt":
                assert canon(torch.load(path, weights_only=True)) == text
        lines.append("    {\"%s\", %s,\n%s}," % (name, "true" if same else "false", cpp_string(text)))
    # The state dict repacked by Python's zipfile: stored (no alignment, no data descriptors, no zip64),
    # and deflated (which eigentorch refuses by name).
    src = os.path.join(DATA, "state_dict.pt")
    with zipfile.ZipFile(src) as z:
        records = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    for name, method in (("repacked.pt", zipfile.ZIP_STORED), ("deflated.pt", zipfile.ZIP_DEFLATED)):
        path = os.path.join(DATA, name)
        with zipfile.ZipFile(path, "w", compression=method) as z:
            for rec, data in records:
                info = zipfile.ZipInfo(rec, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, data)
        if method == zipfile.ZIP_STORED:
            assert canon(torch.load(path)) == canon(torch.load(src))
    lines += ["};", "", "/// Objects pickled by Python's pickler (protocol 2), and what they hold.",
              "struct PickleFixture {", "  const char* name;", "  const char* bytes;", "  std::size_t size;",
              "  const char* contents;", "};", "inline const PickleFixture serialize_pickle_fixtures[] = {"]
    for name, obj in pickles():
        data = pickle.dumps(obj, protocol=2)
        assert pickle.loads(data) == obj or name == "floats"
        lines.append("    {\"%s\",\n%s,\n        %d,\n%s}," % (name, cpp_bytes(data), len(data), cpp_string(canon(obj))))
    lines += ["};", "", "}  // namespace eigentorch::reference", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
