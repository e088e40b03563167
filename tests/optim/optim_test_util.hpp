// Helpers shared by the optimizer tests: the iris data, options made from PyTorch's keywords, and a
// training trajectory checked against tests/reference/optim_cases.hpp.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <cstdlib>      // strtod
#include <fstream>
#include <memory>       // unique_ptr
#include <sstream>      // istringstream
#include <string>
#include <type_traits>  // is_same_v
#include <utility>      // pair
#include <vector>

#include "nn/nn_test_util.hpp"
#include "reference/optim_cases.hpp"
#include "test_util.hpp"

namespace eigentorch::testing {

struct Iris {
  std::vector<double> features;  // [150, 4], row-major
  std::vector<double> one_hot;   // [150, 3]
  int64_t rows = 0;
};

/// tests/data/iris.csv: a header "150,4,names...", then four features and the class index per line.
inline const Iris& iris() {
  static const Iris data = [] {
    Iris d;
    std::ifstream in(std::string(EIGENTORCH_TESTS_DIR) + "/data/iris.csv");
    REQUIRE(in.good());
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      std::istringstream fields(line);
      std::string field;
      for (int i = 0; i < 4; ++i) {
        std::getline(fields, field, ',');
        d.features.push_back(std::strtod(field.c_str(), nullptr));  // as Python's float(), then rounded to T
      }
      std::getline(fields, field, ',');
      const int label = std::stoi(field);
      for (int k = 0; k < 3; ++k) d.one_hot.push_back(k == label ? 1.0 : 0.0);
      ++d.rows;
    }
    return d;
  }();
  return data;
}

/// Options from PyTorch's keywords (betas as beta1 and beta2, flags as 0 or 1), through the keyed
/// fields an optimizer's group options expose.
template <class Options>
Options options_from(const std::vector<std::pair<const char*, double>>& keywords) {
  Options o;
  const auto fields = o.fields();
  for (const auto& kv : keywords) {
    int part = -1;
    const auto* f = fields.find(kv.first, &part);
    REQUIRE(f != nullptr);
    if (f->kind == detail::OptionField::Kind::flag)
      *f->flag = kv.second != 0.0;
    else
      f->number[part < 0 ? 0 : part] = kv.second;
  }
  return o;
}

/// The Sequential(Linear(4, 8), Tanh(), Linear(8, 3)) of the reference cases.
template <class T>
nn::Sequential<T> iris_model() {
  manual_seed(optim_reference::kSeed);
  return nn::Sequential<T>(nn::Linear<T>(4, 8), nn::Tanh<T>(), nn::Linear<T>(8, 3));
}

/// Checks named parameters or state buffers against the reference's.
template <class T>
void check_named(const std::vector<std::pair<std::string, Tensor<T>>>& actual,
                 const std::vector<optim_reference::NamedTensor>& expected, double rtol, double atol) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(actual[i].first);
    CHECK(actual[i].first == expected[i].name);
    CHECK(actual[i].second.shape() == Size(expected[i].shape));
    check_allclose(actual[i].second.to_vector(), expected[i].values, rtol, atol);
  }
}

/// The entry of parameter `index` in a state_dict()'s "state", as (name, tensor) pairs (a step as a
/// one-element tensor of T).
template <class T>
std::vector<std::pair<std::string, Tensor<T>>> state_entry(const Value& sd, int64_t index) {
  std::vector<std::pair<std::string, Tensor<T>>> out;
  for (const auto& kv : sd.at("state").at(index).entries()) {
    const std::string name = std::get<std::string>(kv.first);
    const Value& v = kv.second;
    if (v.kind() == Value::Kind::integer)
      out.emplace_back(name, tensor<T>(static_cast<double>(v.as_int())));
    else if (v.kind() == Value::Kind::float_tensor)
      out.emplace_back(name, v.as_tensor<float>().template to<T>());
    else
      out.emplace_back(name, v.as_tensor<T>());
  }
  return out;
}

/// Runs a reference case with optimizer Opt<T> and checks it step for step: every loss, the parameters
/// after one step (bit for bit) and after the last, the state of the first and last parameter.
template <template <class> class Opt, class Options, class T>
void check_trajectory(const optim_reference::OptimCase& c) {
  const std::string name = c.name;
  CAPTURE(name);
  const bool is_double = std::is_same_v<T, double>;
  const Iris& d = iris();
  const auto x = make<T>(d.features, {d.rows, 4});
  const auto y = make<T>(d.one_hot, {d.rows, 3});
  auto model = iris_model<T>();
  const auto params = model.parameters();
  using Group = optim::ParamGroup<T, Options>;
  std::unique_ptr<Opt<T>> opt;
  if (c.group_options.empty())
    opt = std::make_unique<Opt<T>>(params, options_from<Options>(c.options));
  else
    opt = std::make_unique<Opt<T>>(
        std::vector<Group>{Group({params[0], params[1]}), Group({params[2], params[3]}, options_from<Options>(c.group_options))},
        options_from<Options>(c.options));
  nn::MSELoss loss_fn;
  std::vector<double> losses;
  const double rtol = is_double ? 1e-12 : 2e-5, atol = is_double ? 1e-14 : 1e-6;
  for (int step = 0; step < optim_reference::kSteps; ++step) {
    CAPTURE(step);
    if (!c.group_options.empty() && step == optim_reference::kLrChangeStep)
      opt->set_group_option(1, "lr", opt->group_option(1, "lr") / 2);
    opt->zero_grad();
    auto loss = loss_fn(model(x), y);
    loss.backward();
    opt->step();
    losses.push_back(loss.item());
    // NOTE: float gradients are PyTorch's bit for bit, so the first float step is too; double gradients
    // differ from PyTorch's in the last bit (its products sum in another order), and so may the step.
    if (step == 0) check_named(model.named_parameters(), c.after_one_step, is_double ? 1e-12 : 0.0, is_double ? 1e-15 : 0.0);
  }
  CHECK(opt->step_count() == optim_reference::kSteps);
  check_allclose(losses, c.losses, rtol, 0.0);
  check_named(model.named_parameters(), c.after_last_step, rtol, atol);
  const Value sd = opt->state_dict();
  // NOTE: RMSprop's centered momentum buffers add g / sqrt(sq - ga^2), where the difference cancels:
  // the last-bit differences of the losses (below rtol) grow there to ~1e-4 in float over 25 steps.
  const double state_rtol = is_double ? 1e-10 : 2e-4;
  check_named(state_entry<T>(sd, 0), c.state_0, state_rtol, atol);
  check_named(state_entry<T>(sd, 3), c.state_last, state_rtol, atol);
}

/// The reference cases of one optimizer and element type.
template <class T>
std::vector<optim_reference::OptimCase> cases_of(const std::string& optimizer) {
  std::vector<optim_reference::OptimCase> out;
  for (const auto& c : optim_reference::kCases)
    if (c.optimizer == optimizer && c.is_double == std::is_same_v<T, double>) out.push_back(c);
  return out;
}

}  // namespace eigentorch::testing
