#!/usr/bin/python3
"""Asks PyTorch 1.13 about the module API, the containers without ops, nn.init and nn.utils, and writes
the answers as a C++ header.

Run with Debian's PyTorch from anywhere:
    /usr/bin/python3 tests/reference/make_module_reference.py
It rewrites tests/reference/module_cases.hpp, which tests/nn/{module,container,flatten,init,utils}_test.cpp
check against: named_modules / apply orders, buffers in state_dict, reprs of ModuleList, ModuleDict,
Flatten, Unflatten and Identity, seeded ModuleList values, the initialisers' draws after a seed
(eye_, xavier_normal_, kaiming_normal_, trunc_normal_, orthogonal_), gradient clipping results and
PyTorch's error messages. Numbers travel as hex floats; strings as raw strings without "torch.".
"""

import math
import os

import torch
import torch.nn as nn

from make_nn_reference import defined_once  # the tables compiled in one test file

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"
torch.set_num_threads(1)

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "module_cases.hpp")
DTYPES = {"float": torch.float32, "double": torch.float64}
INF = float("inf")

out = []


def emit(line=""):
    out.append(line)


def hexf(v):
    v = float(v)
    if v != v:
        return "NAN"
    if v in (INF, -INF):
        return "INFINITY" if v > 0 else "-INFINITY"
    return v.hex()


def doubles(t):
    vals = t.detach().reshape(-1).tolist() if isinstance(t, torch.Tensor) else list(t)
    return "{" + ", ".join(hexf(v) for v in vals) + "}"


def ints(xs):
    return "{" + ", ".join(str(int(x)) for x in xs) + "}"


def raw(text):
    text = text.replace("torch.", "")
    assert ')ET"' not in text
    return 'R"ET(' + text + ')ET"'


def boolean(b):
    return "true" if b else "false"


def strings(names):
    return "{" + ", ".join(raw(n) for n in names) + "}"


def error_message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001: the message of whatever PyTorch raises
        return e.args[0] if e.args else str(e)
    raise AssertionError("expected an exception")


def message(name, fn, comment):
    emit("inline const char* const %s = %s;  // %s" % (name, raw(error_message(fn)), comment))


# ---- the module API ---------------------------------------------------------------------------------
class Block(nn.Module):
    """A parameter, a persistent and a non-persistent buffer, and a child with a buffer of its own."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(2))
        self.register_buffer("running", torch.zeros(2))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)
        self.inner = Inner()
        self.register_buffer("count", torch.zeros(()))


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("stat", torch.ones(1))
        self.lin = nn.Linear(2, 2)


class Tree(nn.Module):
    """Nesting and sharing: shared is registered twice (a, and inside seq), lists and dicts."""

    def __init__(self):
        super().__init__()
        shared = nn.Linear(2, 2)
        self.a = shared
        self.seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), shared)
        self.layers = nn.ModuleList([nn.Tanh(), nn.Linear(3, 1)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(1, 2), "reg": nn.Identity()})
        self.block = Block()


def module_api():
    tree = Tree()
    names = {id(m): n for n, m in tree.named_modules()}
    visited = []
    tree.apply(lambda m: visited.append(names[id(m)]))
    emit("// Tree: a = shared Linear(2, 2); seq = Sequential(Linear(2, 3), ReLU(), shared); layers =")
    emit("// ModuleList([Tanh(), Linear(3, 1)]); heads = ModuleDict({cls: Linear(1, 2), reg: Identity()});")
    emit("// block = Block (scale, running, scratch non-persistent, inner = Inner (stat, lin), count).")
    emit("inline const std::vector<std::string> kTreeModuleNames = %s;" % strings([n for n, _ in tree.named_modules()]))
    emit("inline const std::vector<std::string> kTreeApplyOrder = %s;  // by named_modules() name" % strings(visited))
    emit("inline const std::vector<std::string> kTreeChildNames = %s;" % strings([n for n, _ in tree.named_children()]))
    emit("inline const std::vector<std::string> kTreeParameterNames = %s;"
         % strings([n for n, _ in tree.named_parameters()]))
    emit("inline const std::vector<std::string> kTreeBufferNames = %s;" % strings([n for n, _ in tree.named_buffers()]))
    emit("inline const std::vector<std::string> kTreeStateDictKeys = %s;" % strings(tree.state_dict().keys()))
    emit("inline const char* const kTreeRepr = %s;" % raw(repr(tree)))
    block = Block()
    emit("inline const std::vector<std::string> kBlockStateDictKeys = %s;" % strings(block.state_dict().keys()))
    emit("inline const std::vector<std::string> kBlockBufferNames = %s;" % strings([n for n, _ in block.named_buffers()]))
    emit("inline const std::vector<std::string> kBlockModuleNames = %s;" % strings([n for n, _ in block.named_modules()]))

    def taken(kind):
        m = nn.Module()
        m.register_buffer("x", torch.zeros(1))
        m.w = nn.Parameter(torch.zeros(1))
        if kind == "parameter":
            m.register_parameter("x", nn.Parameter(torch.zeros(1)))
        elif kind == "module":
            m.add_module("w", nn.ReLU())
        else:
            m.register_buffer("w", torch.zeros(1))

    message("kParameterTakenMessage", lambda: taken("parameter"), "register_parameter(\"x\") where x is a buffer")
    message("kModuleTakenMessage", lambda: taken("module"), "add_module(\"w\") where w is a parameter")
    message("kBufferTakenMessage", lambda: taken("buffer"), "register_buffer(\"w\") where w is a parameter")
    emit()


# ---- containers and the modules without ops -----------------------------------------------------------
def containers():
    emit("// Reprs: (what the test builds, PyTorch's repr).")
    cases = [
        ("ModuleList()", nn.ModuleList()),
        ("ModuleList(Linear(2, 2) x3)", nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)])),
        ("ModuleList(Tanh, ModuleList(ReLU))", nn.ModuleList([nn.Tanh(), nn.ModuleList([nn.ReLU()])])),
        ("ModuleDict()", nn.ModuleDict()),
        ("ModuleDict(act: ReLU, out: Linear(3, 1))", nn.ModuleDict({"act": nn.ReLU(), "out": nn.Linear(3, 1)})),
        ("Identity", nn.Identity()),
        ("Flatten()", nn.Flatten()),
        ("Flatten(0, 2)", nn.Flatten(0, 2)),
        ("Unflatten(1, {2, 5})", nn.Unflatten(1, (2, 5))),
        ("Unflatten(-1, {10})", nn.Unflatten(-1, (10,))),
        ("Sequential(Flatten, Linear(6, 2), Unflatten(1, {2, 1}))",
         nn.Sequential(nn.Flatten(), nn.Linear(6, 2), nn.Unflatten(1, (2, 1)))),
    ]
    emit("inline const std::vector<std::pair<const char*, const char*>> kContainerReprCases = {")
    for name, m in cases:
        emit("    {%s, %s}," % (raw(name), raw(repr(m))))
    emit("};")
    emit()

    emit("// ModuleList(Linear(4, 8), ReLU(), Linear(8, 3)) after manual_seed(seed): its parameters, then")
    emit("// torch.rand(3) (the generator's position).")
    emit("struct ListCase {")
    emit("  bool is_double;")
    emit("  uint64_t seed;")
    emit("  std::vector<std::string> names;")
    emit("  std::vector<std::vector<double>> values;")
    emit("  std::vector<double> rand_after;")
    emit("};")
    emit("inline const std::vector<ListCase> kListCases = {")
    for dt, dtype in DTYPES.items():
        torch.manual_seed(21)
        lst = nn.ModuleList([nn.Linear(4, 8, dtype=dtype), nn.ReLU(), nn.Linear(8, 3, dtype=dtype)])
        rand_after = torch.rand(3, dtype=dtype)
        named = list(lst.named_parameters())
        emit("    {%s, 21u, %s, {%s}, %s}," % (boolean(dt == "double"), strings([n for n, _ in named]),
                                            ", ".join(doubles(p) for _, p in named), doubles(rand_after)))
    emit("};")
    emit()

    lst = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    message("kListIndexMessage", lambda: lst[2], "ModuleList of 2, [2]")
    message("kListIndexNegativeMessage", lambda: lst[-3], "ModuleList of 2, [-3]")
    message("kListForwardMessage", lambda: lst(torch.zeros(1)), "calling a ModuleList")
    dct = nn.ModuleDict({"act": nn.ReLU()})
    emit("// str(KeyError('gone')): what Python prints for a missing key")
    emit("inline const char* const kDictKeyMessage = %s;  // ModuleDict [\"gone\"]"
         % raw(str(KeyError(error_message(lambda: dct["gone"])))))
    message("kDictDotMessage", lambda: dct.update({"a.b": nn.ReLU()}), "ModuleDict key \"a.b\"")
    emit()

    emit("// Flatten / Unflatten: (what the test builds, input shape, output shape).")
    shapes = [
        ("Flatten()", nn.Flatten(), (2, 3, 4)),
        ("Flatten(0, -1)", nn.Flatten(0, -1), (2, 3, 4)),
        ("Flatten(-2, -1)", nn.Flatten(-2, -1), (2, 3, 4, 5)),
        ("Flatten(1, 1)", nn.Flatten(1, 1), (2, 3)),
        ("Unflatten(1, {2, 5})", nn.Unflatten(1, (2, 5)), (3, 10)),
        ("Unflatten(1, {2, -1})", nn.Unflatten(1, (2, -1)), (3, 10, 4)),
        ("Unflatten(-1, {5, 2})", nn.Unflatten(-1, (5, 2)), (3, 10)),
        ("Unflatten(0, {1, 3})", nn.Unflatten(0, (1, 3)), (3, 10)),
    ]
    emit("inline const std::vector<std::tuple<const char*, std::vector<int64_t>, std::vector<int64_t>>> kShapeCases = {")
    for name, m, shape in shapes:
        emit("    {%s, %s, %s}," % (raw(name), ints(shape), ints(m(torch.zeros(*shape)).shape)))
    emit("};")
    x = torch.zeros(2, 10)
    message("kUnflattenProductMessage", lambda: nn.Unflatten(1, (2, 3))(x), "Unflatten(1, {2, 3}) of [2, 10]")
    message("kUnflattenInferredMessage", lambda: nn.Unflatten(1, (3, -1))(x), "Unflatten(1, {3, -1}) of [2, 10]")
    message("kUnflattenEmptyMessage", lambda: nn.Unflatten(1, ())(x), "Unflatten(1, {}) of [2, 10]")
    message("kUnflattenTwoInferredMessage", lambda: nn.Unflatten(1, (-1, -1))(x), "Unflatten(1, {-1, -1})")
    message("kUnflattenNegativeMessage", lambda: nn.Unflatten(1, (-2, -5))(x), "Unflatten(1, {-2, -5})")
    message("kUnflattenDimMessage", lambda: nn.Unflatten(3, (2, 5))(x), "Unflatten(3, {2, 5}) of [2, 10]")
    message("kUnflattenAmbiguousMessage", lambda: nn.Unflatten(1, (0, -1))(torch.zeros(2, 0)),
            "Unflatten(1, {0, -1}) of [2, 0]")
    message("kFlattenOrderMessage", lambda: nn.Flatten(2, 1)(torch.zeros(2, 3, 4)), "Flatten(2, 1) of [2, 3, 4]")
    message("kFlattenDimMessage", lambda: nn.Flatten(3)(torch.zeros(2, 3, 4)), "Flatten(3) of [2, 3, 4]")
    emit()


# ---- nn.init -------------------------------------------------------------------------------------------
INITS = [
    ("eye_", (3, 5), lambda t: nn.init.eye_(t)),
    ("eye_ tall", (4, 2), lambda t: nn.init.eye_(t)),
    ("xavier_normal_", (5, 7), lambda t: nn.init.xavier_normal_(t)),
    ("xavier_normal_ gain 2 3-d", (4, 3, 2), lambda t: nn.init.xavier_normal_(t, gain=2.0)),
    ("kaiming_normal_ default", (8, 5), lambda t: nn.init.kaiming_normal_(t)),
    ("kaiming_normal_ fan_out relu", (6, 20), lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_ a=0.2 FAN_IN", (3, 4, 2), lambda t: nn.init.kaiming_normal_(t, a=0.2, mode="FAN_IN")),
    ("kaiming_uniform_ Fan_Out", (3, 4), lambda t: nn.init.kaiming_uniform_(t, mode="Fan_Out")),
    ("trunc_normal_ default", (4, 5), lambda t: nn.init.trunc_normal_(t)),
    ("trunc_normal_ small", (7,), lambda t: nn.init.trunc_normal_(t)),
    ("trunc_normal_ mean 0.5 std 2 [-1, 3]", (30, 20), lambda t: nn.init.trunc_normal_(t, 0.5, 2.0, -1.0, 3.0)),
    ("trunc_normal_ std 0.02", (10, 10), lambda t: nn.init.trunc_normal_(t, std=0.02)),
    ("orthogonal_ square", (6, 6), lambda t: nn.init.orthogonal_(t)),
    ("orthogonal_ wide", (3, 5), lambda t: nn.init.orthogonal_(t)),
    ("orthogonal_ tall", (7, 4), lambda t: nn.init.orthogonal_(t)),
    ("orthogonal_ 3-d gain 2", (4, 2, 3), lambda t: nn.init.orthogonal_(t, gain=2.0)),
    ("orthogonal_ large", (40, 30), lambda t: nn.init.orthogonal_(t)),
]


def init_cases():
    emit("struct InitCase {")
    emit("  const char* name;  // the test runs the same initialiser by this name")
    emit("  bool is_double;")
    emit("  uint64_t seed;")
    emit("  std::vector<int64_t> shape;")
    emit("  std::vector<double> values;")
    emit("  std::vector<double> rand_after;  // torch.rand(3) right after")
    emit("};")
    emit()
    emit("inline const std::vector<InitCase> kInitCases = {")
    for dt, dtype in DTYPES.items():
        for i, (name, shape, fn) in enumerate(INITS):
            seed = 300 + i
            torch.manual_seed(seed)
            t = torch.empty(*shape, dtype=dtype)
            fn(t)
            rand_after = torch.rand(3, dtype=dtype)
            emit("    {%s, %s, %du, %s, %s, %s}," % (raw(name), boolean(dt == "double"), seed, ints(shape),
                                                     doubles(t), doubles(rand_after)))
    emit("};")
    message("kEyeDimMessage", lambda: nn.init.eye_(torch.empty(2, 2, 2)), "eye_ of [2, 2, 2]")
    message("kOrthogonalDimMessage", lambda: nn.init.orthogonal_(torch.empty(3)), "orthogonal_ of [3]")
    message("kModeMessage", lambda: nn.init.kaiming_normal_(torch.empty(3, 3), mode="Fan_Avg"), "mode \"Fan_Avg\"")
    message("kFanMessage", lambda: nn.init.xavier_normal_(torch.empty(3)), "xavier_normal_ of [3]")
    message("kNonlinearityMessage", lambda: nn.init.kaiming_normal_(torch.empty(3, 3), nonlinearity="swish"),
            "nonlinearity \"swish\"")
    emit()


# ---- nn.utils ------------------------------------------------------------------------------------------
CLIPS = [(1.0, 2.0), (0.5, 1.0), (0.1, INF), (100.0, 2.0), (0.3, 3.5), (2.0, INF), (0.7, 0.5)]


def grads_of(dtype, seed):
    """Three parameters (the second without a gradient), gradients of varied scale."""
    torch.manual_seed(seed)
    params = [nn.Parameter(torch.randn(3, 4, dtype=dtype)), nn.Parameter(torch.randn(5, dtype=dtype)),
              nn.Parameter(torch.randn(2, 2, 2, dtype=dtype))]
    params[0].grad = torch.randn(3, 4, dtype=dtype) * 0.3
    params[2].grad = torch.randn(2, 2, 2, dtype=dtype) * 2
    return params


def utils_cases():
    emit("// clip_grad_norm_ on three parameters [3, 4], [5] (no gradient), [2, 2, 2] after manual_seed(seed):")
    emit("// the parameters' values, their gradients before, the returned norm, the gradients after.")
    emit("struct ClipCase {")
    emit("  bool is_double;")
    emit("  uint64_t seed;")
    emit("  double max_norm, norm_type;")
    emit("  std::vector<std::vector<double>> grads;  // of parameters 0 and 2")
    emit("  double total_norm;")
    emit("  std::vector<std::vector<double>> clipped;")
    emit("};")
    emit("inline const std::vector<ClipCase> kClipCases = {")
    for dt, dtype in DTYPES.items():
        for i, (max_norm, norm_type) in enumerate(CLIPS):
            seed = 500 + i
            params = grads_of(dtype, seed)
            before = [params[0].grad.clone(), params[2].grad.clone()]
            total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
            assert total.dtype == dtype and total.dim() == 0
            emit("    {%s, %du, %s, %s, {%s}, %s, {%s}}," % (
                boolean(dt == "double"), seed, hexf(max_norm), hexf(norm_type), ", ".join(doubles(g) for g in before),
                hexf(total.item()), ", ".join(doubles(params[k].grad) for k in (0, 2))))
    emit("};")
    emit()
    emit("// clip_grad_value_(params, 0.5) on the same parameters as kClipCases[0]: the gradients after.")
    params = grads_of(torch.float32, 500)
    nn.utils.clip_grad_value_(params, 0.5)
    emit("inline const std::vector<std::vector<double>> kClipValueFloat = {%s};"
         % ", ".join(doubles(params[k].grad) for k in (0, 2)))
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([INF, 1.0])
    message("kNonfiniteMessage", lambda: nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True),
            "a gradient with inf, norm_type 2")
    message("kNonfiniteInfMessage",
            lambda: nn.utils.clip_grad_norm_([p], 1.0, norm_type=INF, error_if_nonfinite=True),
            "a gradient with inf, norm_type inf")
    message("kVectorShortMessage",
            lambda: nn.utils.vector_to_parameters(torch.zeros(3), [nn.Parameter(torch.zeros(2, 2, 2))]),
            "vector_to_parameters of zeros(3) into a [2, 2, 2] parameter")
    emit()


def main():
    emit("// @generated by tests/reference/make_module_reference.py; do not edit")
    emit("// PyTorch 1.13's answers for the module API, containers, nn.init and nn.utils (\"torch.\" removed")
    emit("// from every string). Values are row-major, exact (float32 widens exactly).")
    emit("#pragma once")
    emit()
    emit("#include <cmath>    // NAN, INFINITY")
    emit("#include <cstdint>  // int64_t, uint64_t")
    emit("#include <string>")
    emit("#include <tuple>")
    emit("#include <utility>  // pair")
    emit("#include <vector>")
    emit()
    emit("namespace eigentorch::testing::module_reference {")
    emit()
    emit("// The tables are compiled in one test file only, the one that defines EIGENTORCH_MODULE_REFERENCE_TABLES")
    emit("// before including this header (tests/nn/module_test.cpp); the others see declarations. To build")
    emit("// another of these test files alone, add -DEIGENTORCH_MODULE_REFERENCE_TABLES.")
    emit()
    module_api()
    containers()
    init_cases()
    utils_cases()
    emit("}  // namespace eigentorch::testing::module_reference")
    with open(OUTPUT, "w") as f:
        f.write("\n".join(defined_once(out, "EIGENTORCH_MODULE_REFERENCE_TABLES")) + "\n")


if __name__ == "__main__":
    main()
