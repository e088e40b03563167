#!/usr/bin/python3
"""Asks PyTorch 1.13 what torch.optim's Adam, AdamW, RMSprop and Adagrad do and writes the answers as a C++ header.

Run with Debian's PyTorch from anywhere:
    /usr/bin/python3 tests/reference/make_optim_reference.py
It rewrites tests/reference/optim_cases.hpp, which tests/optim/ checks include/eigentorch/optim
against: training trajectories on the iris data (tests/data/iris.csv) for every option that changes
the arithmetic, with parameter groups, the state dict's contents, and the error messages. Numbers
travel as hex-float literals so the C++ side sees bit-identical values.
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), "the reference output is PyTorch 1.13's"

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_nn_reference import doubles, error_message, hexf, raw, read_iris  # noqa: E402: the shared literals
OUTPUT = os.path.join(HERE, "optim_cases.hpp")
IRIS = os.path.join(HERE, "..", "data", "iris.csv")
DTYPES = {"float": torch.float32, "double": torch.float64}
SEED = 4
STEPS = 25
LR_CHANGE_STEP = 10  # in the group cases, the second group's lr is set to half its value before this step
OPTIMIZERS = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW, "RMSprop": torch.optim.RMSprop,
              "Adagrad": torch.optim.Adagrad}

# (name, optimizer, the optimizer's keywords, the second Linear's group keywords or None)
CASES = [
    ("Adam lr 0.01", "Adam", dict(lr=0.01), None),
    ("Adam amsgrad", "Adam", dict(lr=0.01, amsgrad=True), None),
    ("Adam weight_decay 0.1", "Adam", dict(lr=0.01, weight_decay=0.1), None),
    ("Adam maximize", "Adam", dict(lr=0.01, maximize=True), None),
    ("Adam betas eps amsgrad weight_decay", "Adam",
     dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, amsgrad=True, weight_decay=0.05), None),
    ("Adam groups", "Adam", dict(lr=0.01), dict(lr=0.03, amsgrad=True, weight_decay=0.1)),
    ("AdamW default", "AdamW", dict(lr=0.01), None),
    ("AdamW weight_decay 0.1 amsgrad", "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True), None),
    ("AdamW maximize", "AdamW", dict(lr=0.01, maximize=True), None),
    ("AdamW groups", "AdamW", dict(lr=0.01), dict(lr=0.02, weight_decay=0.5)),
    ("RMSprop default", "RMSprop", dict(lr=0.01), None),
    ("RMSprop centered", "RMSprop", dict(lr=0.01, centered=True), None),
    ("RMSprop momentum 0.9", "RMSprop", dict(lr=0.01, momentum=0.9), None),
    ("RMSprop centered momentum weight_decay alpha", "RMSprop",
     dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9), None),
    ("RMSprop maximize", "RMSprop", dict(lr=0.01, maximize=True), None),
    ("RMSprop groups", "RMSprop", dict(lr=0.01), dict(lr=0.005, centered=True, momentum=0.9)),
    ("Adagrad default", "Adagrad", dict(lr=0.1), None),
    ("Adagrad lr_decay", "Adagrad", dict(lr=0.1, lr_decay=0.05), None),
    ("Adagrad weight_decay initial_accumulator_value eps", "Adagrad",
     dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6), None),
    ("Adagrad maximize", "Adagrad", dict(lr=0.1, maximize=True), None),
    ("Adagrad groups", "Adagrad", dict(lr=0.1), dict(lr=0.05, lr_decay=0.1)),
]

out = []


def emit(line=""):
    out.append(line)


def options(kw):
    """{{"key", value}, ...}: betas as beta1 and beta2, flags as 0 or 1."""
    pairs = []
    for k, v in kw.items():
        if k == "betas":
            pairs += [("beta1", v[0]), ("beta2", v[1])]
        else:
            pairs.append((k, float(v)))
    return "{" + ", ".join('{"%s", %s}' % (k, hexf(v)) for k, v in pairs) + "}"


def named(pairs):
    return "{" + ", ".join('{"%s", {%s}, %s}' % (n, ", ".join(str(s) for s in t.shape), doubles(t))
                           for n, t in pairs) + "}"


def model_for(dtype):
    torch.manual_seed(SEED)
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))


def make_optimizer(name, model, kw, group_kw):
    params = list(model.parameters())
    if group_kw is None:
        return OPTIMIZERS[name](params, **kw)
    return OPTIMIZERS[name]([{"params": params[:2]}, dict(params=params[2:], **group_kw)], **kw)


def trajectories():
    features, labels = read_iris()
    emit("// Each case: Sequential(Linear(4, 8), Tanh(), Linear(8, 3)) built after manual_seed(kSeed), all of")
    emit("// tests/data/iris.csv with one-hot targets and MSELoss(); each step: zero_grad, loss, backward, step.")
    emit("// With group options, the second Linear's parameters form a second group with them, and before step")
    emit("// kLrChangeStep that group's lr is set to half its value (as a scheduler would).")
    emit("inline constexpr uint64_t kSeed = %du;" % SEED)
    emit("inline constexpr int kSteps = %d;" % STEPS)
    emit("inline constexpr int kLrChangeStep = %d;" % LR_CHANGE_STEP)
    emit()
    emit("struct NamedTensor {")
    emit("  const char* name;")
    emit("  std::vector<int64_t> shape;")
    emit("  std::vector<double> values;")
    emit("};")
    emit()
    emit("struct OptimCase {")
    emit("  const char* name;")
    emit("  const char* optimizer;  // Adam, AdamW, RMSprop or Adagrad")
    emit("  bool is_double;")
    emit("  std::vector<std::pair<const char*, double>> options;        // PyTorch's keywords (betas as beta1, beta2)")
    emit("  std::vector<std::pair<const char*, double>> group_options;  // the second group's; empty: one group")
    emit("  std::vector<double> losses;                  // the loss computed in step 1, 2, ...")
    emit("  std::vector<NamedTensor> after_one_step;     // named_parameters() after step 1")
    emit("  std::vector<NamedTensor> after_last_step;    // and after the last")
    emit("  std::vector<NamedTensor> state_0;            // optimizer.state of 0.weight after the last step")
    emit("  std::vector<NamedTensor> state_last;         // and of 2.bias")
    emit("};")
    emit()
    emit("// The table is compiled in one test file only, the one that defines EIGENTORCH_OPTIM_REFERENCE_TABLE")
    emit("// before including this header (tests/optim/optimizer_test.cpp), not in each of tests/optim/.")
    emit("extern const std::vector<OptimCase> kCases;")
    emit("#ifdef EIGENTORCH_OPTIM_REFERENCE_TABLE")
    emit("const std::vector<OptimCase> kCases = {")
    for dt, dtype in DTYPES.items():
        x = torch.tensor(features, dtype=torch.float64).to(dtype)
        y = F.one_hot(torch.tensor(labels), 3).to(dtype)
        for name, opt_name, kw, group_kw in CASES:
            model = model_for(dtype)
            optimizer = make_optimizer(opt_name, model, kw, group_kw)
            loss_fn = nn.MSELoss()
            losses = []
            after_one = None
            for step in range(STEPS):
                if group_kw is not None and step == LR_CHANGE_STEP:
                    optimizer.param_groups[1]["lr"] = optimizer.param_groups[1]["lr"] / 2
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                if step == 0:
                    after_one = named(list(model.named_parameters()))
            params = list(model.parameters())

            def state_of(p):
                return named([(k, v if isinstance(v, torch.Tensor) else torch.tensor(float(v)))
                              for k, v in optimizer.state[p].items()])

            fields = [raw(name), '"%s"' % opt_name, "true" if dt == "double" else "false", options(kw),
                      options(group_kw) if group_kw is not None else "{}", doubles(losses), after_one,
                      named(list(model.named_parameters())), state_of(params[0]), state_of(params[-1])]
            emit("    {" + ",\n     ".join(fields) + "},")
    emit("};")
    emit("#endif")
    emit()


def state_dicts():
    emit("// state_dict() of each optimizer (default options, the Adam family with amsgrad, RMSprop centered with")
    emit("// momentum) over the iris model after 3 steps: each parameter's state keys, the group's keys and values.")
    emit("struct StateDictCase {")
    emit("  const char* optimizer;")
    emit("  std::vector<std::vector<const char*>> state_keys;  // by parameter index; empty: no entry")
    emit("  std::vector<double> steps;                         // each entry's step (0 for no entry)")
    emit("  std::vector<const char*> group_keys;               // in order, \"params\" last")
    emit("  std::vector<double> group_numbers;                 // the number-valued keys' values, in order")
    emit("};")
    emit("inline const std::vector<StateDictCase> kStateDictCases = {")
    features, labels = read_iris()
    x = torch.tensor(features, dtype=torch.float32)
    y = F.one_hot(torch.tensor(labels), 3).float()
    for opt_name, kw in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)), ("AdamW", dict(amsgrad=True)),
                         ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", dict())]:
        model = model_for(torch.float32)
        cls = torch.optim.SGD if opt_name == "SGD" else OPTIMIZERS[opt_name]
        optimizer = cls(model.parameters(), **kw)
        for _ in range(3):
            optimizer.zero_grad()
            # only the second layer's weight and the first layer's parameters get gradients
            loss = F.mse_loss(model(x), y)
            loss.backward()
            list(model.parameters())[3].grad = None
            optimizer.step()
        sd = optimizer.state_dict()
        keys, steps = [], []
        for i in range(4):
            entry = sd["state"].get(i, {})
            keys.append("{" + ", ".join('"%s"' % k for k in entry) + "}")
            s = entry.get("step", 0)
            steps.append(float(s))
        group = sd["param_groups"][0]
        numbers = []
        for k, v in group.items():
            if isinstance(v, tuple):
                numbers += list(v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                numbers.append(v)
        emit('    {"%s", {%s}, %s, {%s}, %s},' % (opt_name, ", ".join(keys), doubles(steps),
                                              ", ".join('"%s"' % k for k in group), doubles(numbers)))
    emit("};")
    emit()


def errors():
    p = [nn.Parameter(torch.zeros(2))]
    emit("// Argument checks: (optimizer, the keyword and value refused, PyTorch's message).")
    emit("struct ErrorCase {")
    emit("  const char* optimizer;")
    emit("  const char* key;")
    emit("  double value;")
    emit("  const char* message;")
    emit("};")
    emit("inline const std::vector<ErrorCase> kErrorCases = {")
    bad = {
        "Adam": [("lr", -1.0), ("eps", -1e-8), ("beta1", 1.0), ("beta2", -0.5), ("weight_decay", -0.1)],
        "AdamW": [("lr", -0.001), ("eps", -1.0), ("beta1", -0.1), ("beta2", 1.5), ("weight_decay", -1e-2)],
        "RMSprop": [("lr", -0.01), ("eps", -1e-8), ("momentum", -0.9), ("weight_decay", -1.0), ("alpha", -0.99)],
        "Adagrad": [("lr", -0.1), ("lr_decay", -0.5), ("weight_decay", -0.25), ("initial_accumulator_value", -1.0),
                    ("eps", -1e-10)],
    }
    for opt_name, cases in bad.items():
        for key, value in cases:
            kw = {"betas": (value, 0.999)} if key == "beta1" else {"betas": (0.9, value)} if key == "beta2" else {key: value}
            emit('    {"%s", "%s", %s, %s},' % (opt_name, key, hexf(value),
                                               raw(error_message(lambda: OPTIMIZERS[opt_name](p, **kw)))))
    emit("};")
    emit()
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    emit("inline const char* const kDuplicateMessage = %s;"
         % raw(error_message(lambda: torch.optim.Adam([{"params": [a]}, {"params": [b, a]}]))))
    emit("inline const char* const kEmptyMessage = %s;" % raw(error_message(lambda: torch.optim.Adam([]))))
    emit("inline const char* const kNonLeafMessage = %s;"
         % raw(error_message(lambda: torch.optim.Adam([a * 2]))))
    one = torch.optim.Adam([a, b])
    two = torch.optim.Adam([{"params": [a]}, {"params": [b]}])
    emit("inline const char* const kGroupCountMessage = %s;"
         % raw(error_message(lambda: one.load_state_dict(two.state_dict()))))
    other = torch.optim.Adam([a])
    emit("inline const char* const kGroupSizeMessage = %s;"
         % raw(error_message(lambda: one.load_state_dict(other.state_dict()))))
    emit()


def main():
    emit("// @generated by tests/reference/make_optim_reference.py; do not edit")
    emit("// PyTorch 1.13's answers for torch.optim's Adam, AdamW, RMSprop and Adagrad, for tests/optim/.")
    emit("#pragma once")
    emit()
    emit("#include <cstdint>  // int64_t, uint64_t")
    emit("#include <utility>  // pair")
    emit("#include <vector>")
    emit()
    emit("namespace eigentorch::testing::optim_reference {")
    emit()
    trajectories()
    state_dicts()
    errors()
    emit("}  // namespace eigentorch::testing::optim_reference")
    with open(OUTPUT, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
