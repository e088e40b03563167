#!/usr/bin/python3
"""Asks PyTorch 1.13 what torch.nn and torch.optim.SGD do and writes the answers as a C++ header.

Run with Debian's PyTorch from anywhere:
    /usr/bin/python3 tests/reference/make_nn_reference.py
It rewrites tests/reference/nn_cases.hpp, which the tests under tests/nn/ and tests/optim/ check
include/eigentorch/nn and include/eigentorch/optim against: seeded initial weights, forward values
and gradients, reprs, parameter names, printed parameters, MSELoss, SGD trajectories on the iris
data (tests/data/iris.csv) and error messages. Numbers travel as hex-float literals so the C++ side
sees bit-identical values; strings travel as raw strings with every "torch." dropped, as our
printing drops it.
"""

import math
import os
import re
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "nn_cases.hpp")
IRIS = os.path.join(HERE, "..", "data", "iris.csv")

DTYPES = {"float": torch.float32, "double": torch.float64}

torch.set_printoptions(profile="default")


# ---- C++ literals ---------------------------------------------------------------------------------
def hexf(v):
    v = float(v)
    assert math.isfinite(v), v
    return v.hex()


def doubles(t):
    """A braced list of the tensor's values, row-major, as exact hex floats."""
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


def shape_of(t):
    return ints(t.shape)


def named_tensors(pairs):
    """{ {"name", {shape}, {values}}, ... } for a list of (name, tensor)."""
    return "{" + ", ".join("{%s, %s, %s}" % (raw(n), shape_of(t), doubles(t)) for n, t in pairs) + "}"


def string_list(names):
    return "{" + ", ".join(raw(n) for n in names) + "}"


def repr_of(obj):
    return repr(obj).replace("torch.", "")


def printed(obj):
    """What print(obj) writes, without the final newline."""
    return str(obj).replace("torch.", "")


def error_message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001: we want the message of whatever PyTorch raises
        return e.args[0] if e.args else str(e)
    raise AssertionError("expected an exception")


def warning_message(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    assert caught, "expected a warning"
    return str(caught[0].message)


out = []


def emit(line=""):
    out.append(line)


def defined_once(lines, macro):
    """The emitted header with its tables (std::vector, std::string: objects built at start-up) defined
    only where `macro` is defined, and declared `extern` elsewhere: one test file compiles them
    instead of every file that includes the header (lines are emit()'s entries)."""
    result, open_table = [], False
    for line in lines:
        m = re.match(r"inline const (std::.*?) (k\w+) = (.*)$", line, re.S)
        if not m:
            result.append(line)
            if open_table and line == "};":
                result.append("#endif")
                open_table = False
            continue
        result += ["extern const %s %s;" % m.group(1, 2), "#ifdef " + macro, "const %s %s = %s" % m.groups()]
        if m.group(3) == "{":
            open_table = True
        else:
            result.append("#endif")
    assert not open_table
    return result


# ---- nn.Linear: seeded initial values, then a forward and backward pass ---------------------------
# (name, seed, in, out, bias, dtype). The input x is the next torch.rand after construction, so it
# also checks that the constructor consumed exactly PyTorch's number of draws.
LINEAR_CASES = [
    ("seed 0, 1->1", 0, 1, 1, True, "float"),
    ("seed 0, 1->13", 0, 1, 13, True, "float"),
    ("seed 1, 13->1", 1, 13, 1, True, "float"),
    ("seed 42, 4->8", 42, 4, 8, True, "float"),
    ("seed 7, 5->3 no bias", 7, 5, 3, False, "float"),
    ("seed 123, 20->30", 123, 20, 30, True, "float"),
    ("seed 0, 1->13 double", 0, 1, 13, True, "double"),
    ("seed 42, 4->8 double", 42, 4, 8, True, "double"),
    ("seed 3, 5->3 no bias double", 3, 5, 3, False, "double"),
    ("seed 123, 20->30 double", 123, 20, 30, True, "double"),
]


def linear_cases():
    emit("struct LinearCase {")
    emit("  const char* name;")
    emit("  uint64_t seed;")
    emit("  int64_t in_features, out_features;")
    emit("  bool bias, is_double;")
    emit("  std::vector<double> weight, bias_values;  // initial values; bias_values empty without bias")
    emit("  int64_t batch;")
    emit("  std::vector<double> x;         // torch.rand(batch, in) right after construction")
    emit("  std::vector<double> y;         // model(x)")
    emit("  std::vector<double> grad_y;    // torch.rand(batch, out), passed to y.backward")
    emit("  std::vector<double> grad_weight, grad_bias, grad_x;")
    emit("  const char* repr;")
    emit("  const char* weight_print;      // print(model.weight)")
    emit("  const char* parameters_print;  // print(list(model.parameters()))")
    emit("  const char* y_print;           // print(y)")
    emit("};")
    emit()
    emit("inline const std::vector<LinearCase> kLinearCases = {")
    batch = 4
    for name, seed, fin, fout, bias, dt in LINEAR_CASES:
        dtype = DTYPES[dt]
        torch.manual_seed(seed)
        model = nn.Linear(fin, fout, bias=bias, dtype=dtype)
        x = torch.rand(batch, fin, dtype=dtype).requires_grad_()
        y = model(x)
        g = torch.rand(batch, fout, dtype=dtype)
        y.backward(g)
        fields = [
            raw(name), str(seed) + "u", str(fin), str(fout), boolean(bias), boolean(dt == "double"),
            doubles(model.weight), doubles(model.bias) if bias else "{}", str(batch),
            doubles(x), doubles(y), doubles(g), doubles(model.weight.grad),
            doubles(model.bias.grad) if bias else "{}", doubles(x.grad),
            raw(repr_of(model)), raw(printed(model.weight)), raw(printed(list(model.parameters()))),
            raw(printed(y)),
        ]
        emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()
    torch.manual_seed(0)
    emit("inline const char* const kLinearWrongWidthMessage = %s;  // Linear(1, 13) fed [3, 2]"
         % raw(error_message(lambda: nn.Linear(1, 13)(torch.rand(3, 2)))))
    emit()


# ---- nn.Sequential(Linear, Tanh, Linear) and other models: initial values, names, reprs --------------
class Net(nn.Module):
    """The user-defined model of the tests: fc1, act, fc2, and its own parameter `scale`."""

    def __init__(self, dtype):
        super().__init__()
        self.fc1 = nn.Linear(4, 8, dtype=dtype)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(8, 3, dtype=dtype)
        self.scale = nn.Parameter(torch.ones(3, dtype=dtype))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def build_model(kind, dtype):
    if kind == "seq 1-13-1":
        return nn.Sequential(nn.Linear(1, 13, dtype=dtype), nn.Tanh(), nn.Linear(13, 1, dtype=dtype))
    if kind == "seq 4-8-3":
        return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))
    if kind == "nested":
        return nn.Sequential(nn.Linear(2, 3, dtype=dtype),
                             nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.ReLU()),
                             nn.Linear(4, 1, dtype=dtype), nn.Sigmoid())
    if kind == "prebuilt reversed":
        # The children are built, in this order, before the Sequential that holds them.
        second = nn.Linear(5, 2, dtype=dtype)
        first = nn.Linear(3, 5, dtype=dtype)
        return nn.Sequential(first, nn.Tanh(), second)
    if kind == "net":
        return Net(dtype)
    raise ValueError(kind)


# (name, kind, seed, dtype): the C++ tests build the same model by `kind`.
MODEL_CASES = [
    ("seq 1-13-1 seed 0", "seq 1-13-1", 0, "float"),
    ("seq 1-13-1 seed 0 double", "seq 1-13-1", 0, "double"),
    ("seq 4-8-3 seed 5", "seq 4-8-3", 5, "float"),
    ("seq 4-8-3 seed 5 double", "seq 4-8-3", 5, "double"),
    ("nested seed 11", "nested", 11, "float"),
    ("nested seed 11 double", "nested", 11, "double"),
    ("prebuilt reversed seed 2", "prebuilt reversed", 2, "float"),
    ("net seed 9", "net", 9, "float"),
    ("net seed 9 double", "net", 9, "double"),
]


def model_cases():
    emit("struct NamedTensor {")
    emit("  const char* name;")
    emit("  std::vector<int64_t> shape;")
    emit("  std::vector<double> values;")
    emit("};")
    emit()
    emit("struct ModelCase {")
    emit("  const char* name;")
    emit("  const char* kind;  // which model the test builds")
    emit("  uint64_t seed;")
    emit("  bool is_double;")
    emit("  std::vector<NamedTensor> parameters;    // named_parameters(), initial values")
    emit("  std::vector<std::string> state_dict_keys;")
    emit("  std::vector<std::string> child_names;   // named_children()")
    emit("  std::vector<double> rand_after;          // torch.rand(5) right after construction")
    emit("  std::vector<double> x, y;                // x = torch.rand(3, in) next; y = model(x)")
    emit("  std::vector<NamedTensor> grads;         // after y.sum().backward()")
    emit("  const char* repr;")
    emit("  const char* parameters_print;            // print(list(model.parameters()))")
    emit("  const char* last_state_print;            // print of the last state_dict value")
    emit("};")
    emit()
    emit("inline const std::vector<ModelCase> kModelCases = {")
    in_features = {"seq 1-13-1": 1, "seq 4-8-3": 4, "nested": 2, "prebuilt reversed": 3, "net": 4}
    for name, kind, seed, dt in MODEL_CASES:
        dtype = DTYPES[dt]
        torch.manual_seed(seed)
        model = build_model(kind, dtype)
        rand_after = torch.rand(5, dtype=dtype)
        x = torch.rand(3, in_features[kind], dtype=dtype)
        y = model(x)
        y.sum().backward()
        sd = model.state_dict()
        last_key = list(sd.keys())[-1]
        fields = [
            raw(name), raw(kind), str(seed) + "u", boolean(dt == "double"),
            named_tensors(list(model.named_parameters())), string_list(sd.keys()),
            string_list([n for n, _ in model.named_children()]), doubles(rand_after), doubles(x), doubles(y),
            named_tensors([(n, p.grad) for n, p in model.named_parameters()]),
            raw(repr_of(model)), raw(printed(list(model.parameters()))), raw(printed(sd[last_key])),
        ]
        emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()


def repr_cases():
    emit("// Reprs of modules without parameters worth drawing: (what the test builds, repr).")
    emit("inline const std::vector<std::pair<const char*, const char*>> kReprCases = {")
    cases = [
        ("Linear(1, 1)", nn.Linear(1, 1)),
        ("Linear(3, 2, false)", nn.Linear(3, 2, bias=False)),
        ("Linear<double>(13, 1)", nn.Linear(13, 1, dtype=torch.float64)),
        ("Tanh", nn.Tanh()),
        ("Sigmoid", nn.Sigmoid()),
        ("ReLU", nn.ReLU()),
        ("MSELoss", nn.MSELoss()),
        ("MSELoss sum", nn.MSELoss(reduction="sum")),
        ("Sequential()", nn.Sequential()),
        ("Sequential(Tanh, Sequential(ReLU, Sigmoid))", nn.Sequential(nn.Tanh(), nn.Sequential(nn.ReLU(), nn.Sigmoid()))),
    ]
    for name, m in cases:
        emit("    {%s, %s}," % (raw(name), raw(repr_of(m))))
    emit("};")
    emit()


class Shared(nn.Module):
    """One Linear registered twice (a, b), a buffer and an own parameter: what is listed once."""

    def __init__(self):
        super().__init__()
        lin = nn.Linear(2, 2)
        self.a = lin
        self.b = lin
        self.register_buffer("running", torch.zeros(2))
        self.w = nn.Parameter(torch.ones(1))


def names_cases():
    emit("// Names and repr of Shared: Linear(2, 2) registered as a and as b, buffer running, parameter w.")
    m = Shared()
    emit("inline const std::vector<std::string> kSharedParameterNames = %s;"
         % string_list([n for n, _ in m.named_parameters()]))
    emit("inline const std::vector<std::string> kSharedBufferNames = %s;" % string_list([n for n, _ in m.named_buffers()]))
    emit("inline const std::vector<std::string> kSharedStateDictKeys = %s;" % string_list(m.state_dict().keys()))
    emit("inline const char* const kSharedRepr = %s;" % raw(repr_of(m)))
    emit()


# ---- load_state_dict, Sequential indexing and module errors -------------------------------------------
def module_errors():
    dtype = torch.float32
    torch.manual_seed(0)
    seq = build_model("seq 1-13-1", dtype)

    def missing():
        sd = seq.state_dict()
        del sd["2.bias"]
        seq.load_state_dict(sd)

    def two_missing():
        sd = seq.state_dict()
        del sd["0.weight"]
        del sd["2.bias"]
        seq.load_state_dict(sd)

    def unexpected():
        sd = seq.state_dict()
        sd["3.weight"] = torch.zeros(2)
        seq.load_state_dict(sd)

    def size_mismatch():
        sd = seq.state_dict()
        sd["0.weight"] = torch.zeros(1, 13)
        seq.load_state_dict(sd)

    def everything():
        sd = seq.state_dict()
        del sd["0.bias"]
        sd["extra"] = torch.zeros(1)
        sd["2.weight"] = torch.zeros(13)
        seq.load_state_dict(sd)

    def net_missing():
        net = Net(dtype)
        sd = net.state_dict()
        del sd["scale"]
        del sd["fc2.weight"]
        net.load_state_dict(sd)

    emit("// load_state_dict errors on Sequential(Linear(1, 13), Tanh(), Linear(13, 1)) and on the Net.")
    emit("inline const char* const kLoadMissingMessage = %s;  // without 2.bias" % raw(error_message(missing)))
    emit("inline const char* const kLoadTwoMissingMessage = %s;  // without 0.weight, 2.bias"
         % raw(error_message(two_missing)))
    emit("inline const char* const kLoadUnexpectedMessage = %s;  // with 3.weight: zeros(2)"
         % raw(error_message(unexpected)))
    emit("inline const char* const kLoadSizeMismatchMessage = %s;  // 0.weight: zeros(1, 13)"
         % raw(error_message(size_mismatch)))
    emit("inline const char* const kLoadEverythingMessage = %s;  // no 0.bias, extra: zeros(1), 2.weight: zeros(13)"
         % raw(error_message(everything)))
    emit("inline const char* const kLoadNetMissingMessage = %s;  // Net without scale, fc2.weight"
         % raw(error_message(net_missing)))
    emit("inline const char* const kSequentialIndex3Message = %s;  // seq[3], size 3"
         % raw(error_message(lambda: seq[3])))
    emit("inline const char* const kSequentialIndexMinus4Message = %s;  // seq[-4]"
         % raw(error_message(lambda: seq[-4])))
    emit("inline const char* const kParameterDotMessage = %s;  // register_parameter(\"a.b\", ...)"
         % raw(error_message(lambda: nn.Module().register_parameter("a.b", nn.Parameter(torch.zeros(1))))))
    emit("inline const char* const kParameterEmptyMessage = %s;  // register_parameter(\"\", ...)"
         % raw(error_message(lambda: nn.Module().register_parameter("", nn.Parameter(torch.zeros(1))))))
    emit("inline const char* const kModuleDotMessage = %s;  // register_module(\"a.b\", ...)"
         % raw(error_message(lambda: nn.Module().add_module("a.b", nn.Tanh()))))
    emit("inline const char* const kBufferDotMessage = %s;  // register_buffer(\"a.b\", ...)"
         % raw(error_message(lambda: nn.Module().register_buffer("a.b", torch.zeros(1)))))

    class NoForward(nn.Module):
        pass

    emit("inline const char* const kMissingForwardMessage = %s;  // a module named NoForward"
         % raw(error_message(lambda: NoForward()(torch.zeros(1)))))
    emit()


# ---- activations and functional forms ------------------------------------------------------------
def activation_cases():
    emit("struct PointwiseCase {")
    emit("  const char* name;  // Tanh, Sigmoid or ReLU")
    emit("  bool is_double;")
    emit("  std::vector<int64_t> shape;")
    emit("  std::vector<double> x, y, grad_y, grad_x;")
    emit("  const char* y_print;")
    emit("};")
    emit()
    emit("inline const std::vector<PointwiseCase> kActivationCases = {")
    for dt, dtype in DTYPES.items():
        for name, mod in (("Tanh", nn.Tanh()), ("Sigmoid", nn.Sigmoid()), ("ReLU", nn.ReLU())):
            torch.manual_seed(17)
            x = torch.randn(4, 5, dtype=dtype) * 3
            # Fixed points at the edges: zero (ReLU's kink), and where tanh and sigmoid saturate.
            x[0, :] = torch.tensor([0.0, -0.0, 20.0, -20.0, 1e-8], dtype=dtype)
            x = x.detach().requires_grad_()
            y = mod(x)
            g = torch.rand(4, 5, dtype=dtype)
            y.backward(g)
            fields = [raw(name), boolean(dt == "double"), shape_of(x), doubles(x), doubles(y), doubles(g),
                      doubles(x.grad), raw(printed(y))]
            emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()

    emit("// F.linear(x, w) without bias: x [3, 4], w [2, 4]; y.backward(grad_y).")
    emit("struct FunctionalLinearCase {")
    emit("  bool is_double;")
    emit("  std::vector<double> x, w, y, grad_y, grad_x, grad_w;")
    emit("  const char* y_print;")
    emit("};")
    emit("inline const std::vector<FunctionalLinearCase> kFunctionalLinearCases = {")
    for dt, dtype in DTYPES.items():
        torch.manual_seed(23)
        x = torch.randn(3, 4, dtype=dtype).requires_grad_()
        w = torch.randn(2, 4, dtype=dtype).requires_grad_()
        y = F.linear(x, w)
        g = torch.randn(3, 2, dtype=dtype)
        y.backward(g)
        fields = [boolean(dt == "double"), doubles(x), doubles(w), doubles(y), doubles(g), doubles(x.grad),
                  doubles(w.grad), raw(printed(y))]
        emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()


# ---- MSELoss -----------------------------------------------------------------------------------------
def mse_cases():
    emit("struct MseCase {")
    emit("  const char* reduction;")
    emit("  bool is_double;")
    emit("  std::vector<int64_t> shape;")
    emit("  std::vector<double> input, target;")
    emit("  std::vector<double> grad_out;  // for \"none\": passed to loss.backward; empty otherwise")
    emit("  std::vector<int64_t> loss_shape;")
    emit("  std::vector<double> loss, grad_input, grad_target;")
    emit("  const char* loss_print;")
    emit("};")
    emit()
    emit("inline const std::vector<MseCase> kMseCases = {")
    for dt, dtype in DTYPES.items():
        for shape in ((3, 4), (7,), (11, 1)):
            for reduction in ("mean", "sum", "none"):
                torch.manual_seed(31 + len(shape))
                inp = (torch.randn(*shape, dtype=dtype) * 2).requires_grad_()
                tgt = torch.rand(*shape, dtype=dtype).requires_grad_()
                loss = nn.MSELoss(reduction=reduction)(inp, tgt)
                if reduction == "none":
                    g = torch.rand(*shape, dtype=dtype)
                    loss.backward(g)
                else:
                    g = None
                    loss.backward()
                fields = [raw(reduction), boolean(dt == "double"), ints(shape), doubles(inp), doubles(tgt),
                          doubles(g) if g is not None else "{}", shape_of(loss), doubles(loss),
                          doubles(inp.grad), doubles(tgt.grad), raw(printed(loss))]
                emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()
    emit("inline const char* const kMseBadReductionMessage = %s;  // reduction \"foo\""
         % raw(error_message(lambda: nn.MSELoss(reduction="foo")(torch.zeros(2), torch.zeros(2)))))
    emit("// PyTorch only warns here (and broadcasts); eigentorch throws with the same words.")
    emit("inline const char* const kMseShapeWarning = %s;  // input [3, 1], target [3]"
         % raw(warning_message(lambda: F.mse_loss(torch.zeros(3, 1), torch.zeros(3)))))
    emit()


# ---- nn.init -------------------------------------------------------------------------------------------
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
    inits = [
        ("kaiming_uniform_ default", (8, 5), lambda t: nn.init.kaiming_uniform_(t)),
        ("kaiming_uniform_ a=sqrt(5)", (3, 4), lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
        ("kaiming_uniform_ fan_out relu", (6, 2),
         lambda t: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")),
        ("kaiming_uniform_ 3-d", (4, 3, 2), lambda t: nn.init.kaiming_uniform_(t)),
        ("xavier_uniform_", (5, 7), lambda t: nn.init.xavier_uniform_(t)),
        ("xavier_uniform_ tanh gain", (5, 7),
         lambda t: nn.init.xavier_uniform_(t, gain=nn.init.calculate_gain("tanh"))),
        ("uniform_(-2, 3)", (20,), lambda t: nn.init.uniform_(t, -2.0, 3.0)),
        ("normal_(0.5, 2) small", (5,), lambda t: nn.init.normal_(t, 0.5, 2.0)),
        ("normal_(0.5, 2) large", (4, 5), lambda t: nn.init.normal_(t, 0.5, 2.0)),
        ("constant_(0.25)", (2, 3), lambda t: nn.init.constant_(t, 0.25)),
        ("zeros_", (2, 3), lambda t: nn.init.zeros_(t)),
        ("ones_", (2, 3), lambda t: nn.init.ones_(t)),
    ]
    emit("inline const std::vector<InitCase> kInitCases = {")
    for dt, dtype in DTYPES.items():
        for i, (name, shape, fn) in enumerate(inits):
            seed = 100 + i
            torch.manual_seed(seed)
            t = torch.empty(*shape, dtype=dtype)
            fn(t)
            rand_after = torch.rand(3, dtype=dtype)
            emit("    {%s, %s, %du, %s, %s, %s}," % (raw(name), boolean(dt == "double"), seed, ints(shape),
                                                     doubles(t), doubles(rand_after)))
    emit("};")
    emit()
    emit("inline const std::vector<std::pair<const char*, double>> kGainCases = {")
    for args in (("linear",), ("conv2d",), ("conv_transpose1d",), ("sigmoid",), ("tanh",), ("relu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)):
        label = args[0] if len(args) == 1 else "%s %r" % args
        emit("    {%s, %s}," % (raw(label), hexf(nn.init.calculate_gain(*args))))
    emit("};")
    emit("inline const char* const kGainUnsupportedMessage = %s;  // calculate_gain(\"foo\")"
         % raw(error_message(lambda: nn.init.calculate_gain("foo"))))
    emit("inline const char* const kGainConvPrefixMessage = %s;  // calculate_gain(\"convolution\")"
         % raw(error_message(lambda: nn.init.calculate_gain("convolution"))))
    emit("inline const char* const kFanOneDimMessage = %s;  // fans of a [5] tensor"
         % raw(error_message(lambda: nn.init.kaiming_uniform_(torch.empty(5)))))
    emit()


# ---- SGD on the iris data ------------------------------------------------------------------------------
SGD_LR = 0.05
SGD_STEPS = 40
SGD_CHECKPOINTS = (0, 1, 5, 20, 40)
SGD_SEED = 4
SGD_OPTIONS = [
    ("plain", dict()),
    ("momentum 0.9", dict(momentum=0.9)),
    ("momentum 0.9 dampening 0.5", dict(momentum=0.9, dampening=0.5)),
    ("weight_decay 0.01", dict(weight_decay=0.01)),
    ("nesterov 0.9", dict(momentum=0.9, nesterov=True)),
    ("nesterov 0.9 weight_decay 0.01", dict(momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("momentum 0.5 dampening 0.5 weight_decay 0.1", dict(momentum=0.5, dampening=0.5, weight_decay=0.1)),
    ("maximize", dict(maximize=True)),
]


def read_iris():
    with open(IRIS) as f:
        lines = f.read().split("\n")
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:] if line]
    assert len(rows) == int(header[0])
    features = [[float(v) for v in r[:4]] for r in rows]
    labels = [int(r[4]) for r in rows]
    return features, labels


def sgd_cases():
    features, labels = read_iris()
    emit("// SGD on Sequential(Linear(4, 8), Tanh(), Linear(8, 3)) built after manual_seed(kSgdSeed), fed all")
    emit("// of tests/data/iris.csv (features parsed as double, then rounded to T) with one-hot targets and")
    emit("// MSELoss(); each step: zero_grad, loss = mse(model(x), y), backward, step.")
    emit("inline constexpr uint64_t kSgdSeed = %du;" % SGD_SEED)
    emit("inline constexpr double kSgdLr = %s;  // %r" % (hexf(SGD_LR), SGD_LR))
    emit("inline constexpr int kSgdSteps = %d;" % SGD_STEPS)
    emit()
    emit("struct SgdCheckpoint {")
    emit("  int step;  // parameters after this many steps")
    emit("  std::vector<NamedTensor> parameters;")
    emit("};")
    emit()
    emit("struct SgdCase {")
    emit("  const char* name;")
    emit("  bool is_double;")
    emit("  double momentum, dampening, weight_decay;")
    emit("  bool nesterov, maximize;")
    emit("  std::vector<double> losses;  // the loss computed in step 1, 2, ...")
    emit("  std::vector<SgdCheckpoint> checkpoints;")
    emit("  std::vector<double> momentum_buffer_0;  // of 0.weight after the last step; empty without momentum")
    emit("};")
    emit()
    emit("inline const std::vector<SgdCase> kSgdCases = {")
    for dt, dtype in DTYPES.items():
        x = torch.tensor(features, dtype=torch.float64).to(dtype)
        y = F.one_hot(torch.tensor(labels), 3).to(dtype)
        for name, opts in SGD_OPTIONS:
            torch.manual_seed(SGD_SEED)
            model = build_model("seq 4-8-3", dtype)
            optimizer = torch.optim.SGD(model.parameters(), lr=SGD_LR, **opts)
            loss_fn = nn.MSELoss()
            losses, checkpoints = [], []
            for step in range(SGD_STEPS + 1):
                if step in SGD_CHECKPOINTS:
                    checkpoints.append("{%d, %s}" % (step, named_tensors(list(model.named_parameters()))))
                if step == SGD_STEPS:
                    break
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            p0 = list(model.parameters())[0]
            buf = optimizer.state[p0].get("momentum_buffer") if opts.get("momentum") else None
            fields = [raw(name), boolean(dt == "double"), hexf(opts.get("momentum", 0.0)),
                      hexf(opts.get("dampening", 0.0)), hexf(opts.get("weight_decay", 0.0)),
                      boolean(opts.get("nesterov", False)), boolean(opts.get("maximize", False)),
                      doubles(losses), "{" + ",\n      ".join(checkpoints) + "}",
                      doubles(buf) if buf is not None else "{}"]
            emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit()

    params = [nn.Parameter(torch.zeros(2))]
    emit("// torch.optim.SGD's argument checks.")
    emit("inline const char* const kSgdBadLrMessage = %s;  // lr -0.1"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=-0.1))))
    emit("inline const char* const kSgdBadMomentumMessage = %s;  // momentum -0.5"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=0.1, momentum=-0.5))))
    emit("inline const char* const kSgdBadWeightDecayMessage = %s;  // weight_decay -0.01"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=0.1, weight_decay=-0.01))))
    emit("inline const char* const kSgdNesterovNoMomentumMessage = %s;  // nesterov, momentum 0"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=0.1, nesterov=True))))
    emit("inline const char* const kSgdNesterovDampeningMessage = %s;  // nesterov, momentum 0.9, dampening 0.1"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True))))
    emit("inline const char* const kSgdEmptyMessage = %s;  // no parameters"
         % raw(error_message(lambda: torch.optim.SGD([], lr=0.1))))
    emit("inline const char* const kSgdBadLr1e5Message = %s;  // lr -1e-05"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=-1e-5))))
    emit("inline const char* const kSgdBadLrIntegralMessage = %s;  // lr -1.0"
         % raw(error_message(lambda: torch.optim.SGD(params, lr=-1.0))))
    emit()


def main():
    emit("// @generated by tests/reference/make_nn_reference.py; do not edit")
    emit("// PyTorch 1.13's answers for torch.nn and torch.optim.SGD (\"torch.\" removed from every string), for")
    emit("// the tests under tests/nn/ and tests/optim/. Values are row-major, exact (float32 widens exactly).")
    emit("#pragma once")
    emit()
    emit("#include <cstdint>  // int64_t, uint64_t")
    emit("#include <string>")
    emit("#include <utility>  // pair")
    emit("#include <vector>")
    emit()
    emit("namespace eigentorch::testing::nn_reference {")
    emit()
    emit("// The tables are compiled in one test file only, the one that defines EIGENTORCH_NN_REFERENCE_TABLES")
    emit("// before including this header (tests/nn/linear_test.cpp); the others see declarations. To build")
    emit("// another of these test files alone, add -DEIGENTORCH_NN_REFERENCE_TABLES.")
    emit()
    linear_cases()
    model_cases()
    repr_cases()
    names_cases()
    module_errors()
    activation_cases()
    mse_cases()
    init_cases()
    sgd_cases()
    emit("}  // namespace eigentorch::testing::nn_reference")
    with open(OUTPUT, "w") as f:
        f.write("\n".join(defined_once(out, "EIGENTORCH_NN_REFERENCE_TABLES")) + "\n")


if __name__ == "__main__":
    main()
