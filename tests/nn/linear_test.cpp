// Tests of nn/linear.hpp against PyTorch 1.13 (reference/nn_cases.hpp): seeded initial values, the
// generator's position after construction, forward values and gradients, repr and printing.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

// This file compiles nn_cases.hpp's tables for every test that reads them.
#define EIGENTORCH_NN_REFERENCE_TABLES
#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;
using eigentorch::testing::str;

template <class T>
void check_exact(const et::Tensor<T>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.defined());
  check_allclose(actual.to_vector(), expected, 0.0, 0.0);
}

/// Float results are bit-identical to PyTorch's; double ones differ in the last bits for some
/// sizes (a different summation order in the matrix product), so they get rtol 1e-12.
template <class T>
void check_forward(const et::Tensor<T>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.defined());
  if (std::is_same_v<T, float>)
    check_allclose(actual.to_vector(), expected, 0.0, 0.0);
  else
    check_allclose(actual.to_vector(), expected, 1e-12, 1e-15);
}

template <class T>
bool is_case_for(const ref::LinearCase& c) {
  return c.is_double == std::is_same_v<T, double>;
}

}  // namespace

TEST_CASE_TEMPLATE("Linear draws PyTorch's seeded initial values, and exactly as many", T, float, double) {
  int n = 0;
  for (const auto& c : ref::kLinearCases) {
    if (!is_case_for<T>(c)) continue;
    ++n;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(c.seed);
    nn::Linear<T> model(c.in_features, c.out_features, c.bias);
    CHECK(model.weight.shape() == et::Size{c.out_features, c.in_features});
    check_exact(model.weight, c.weight);
    if (c.bias) {
      CHECK(model.bias.shape() == et::Size{c.out_features});
      check_exact(model.bias, c.bias_values);
    } else {
      CHECK_FALSE(model.bias.defined());
    }
    // The next draw is PyTorch's next draw: construction consumed exactly PyTorch's share.
    check_exact(et::rand<T>({c.batch, c.in_features}), c.x);
  }
  CHECK(n >= 4);
}

TEST_CASE_TEMPLATE("Linear's forward values and gradients equal PyTorch's", T, float, double) {
  // NOTE: float results are bit-identical to PyTorch's for these sizes (the library reproduces
  // PyTorch's order of float operations); double ones agree to rtol 1e-12.
  for (const auto& c : ref::kLinearCases) {
    if (!is_case_for<T>(c)) continue;
    const std::string name = c.name;
    CAPTURE(name);
    nn::Linear<T> model(c.in_features, c.out_features, c.bias);
    {
      et::NoGradGuard no_grad;
      model.weight.copy_(make<T>(c.weight, {c.out_features, c.in_features}));
      if (c.bias) model.bias.copy_(make<T>(c.bias_values, {c.out_features}));
    }
    auto x = make<T>(c.x, {c.batch, c.in_features}).requires_grad_();
    auto y = model(x);
    CHECK(y.shape() == et::Size{c.batch, c.out_features});
    check_forward(y, c.y);
    y.backward(make<T>(c.grad_y, {c.batch, c.out_features}));
    check_forward(model.weight.grad(), c.grad_weight);
    if (c.bias) check_forward(model.bias.grad(), c.grad_bias);
    check_forward(x.grad(), c.grad_x);
    CHECK(str(y) == c.y_print);
  }
}

TEST_CASE_TEMPLATE("Linear prints its repr, weight and parameters as PyTorch does", T, float, double) {
  for (const auto& c : ref::kLinearCases) {
    if (!is_case_for<T>(c)) continue;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(c.seed);
    nn::Linear<T> model(c.in_features, c.out_features, c.bias);
    CHECK(str(model) == c.repr);
    CHECK(model.repr() == c.repr);
    CHECK(str(model.weight) == c.weight_print);
    CHECK(str(model.parameters()) == c.parameters_print);
  }
}

TEST_CASE("Linear deduces float, and its parameters are the registered handles") {
  nn::Linear model(1, 1);
  static_assert(std::is_same_v<decltype(model), nn::Linear<float>>);
  static_assert(std::is_same_v<decltype(model.weight), et::Tensor<float>>);
  CHECK(model.in_features() == 1);
  CHECK(model.out_features() == 1);
  const auto named = model.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[0].second.is_same(model.weight));
  CHECK(named[1].first == "bias");
  CHECK(named[1].second.is_same(model.bias));
  CHECK(model.weight.requires_grad());
  CHECK(model.weight.is_leaf());
  CHECK(model.bias.requires_grad());

  nn::Linear no_bias(3, 2, false);
  REQUIRE(no_bias.parameters().size() == 1);
  CHECK(no_bias.parameters()[0].is_same(no_bias.weight));
  CHECK(no_bias.state_dict().keys() == std::vector<std::string>{"weight"});
}

TEST_CASE_TEMPLATE("Linear::reset_parameters redraws what the constructor drew", T, float, double) {
  const auto& c = ref::kLinearCases[std::is_same_v<T, double> ? 7 : 3];  // seed 42, 4->8
  REQUIRE(is_case_for<T>(c));
  nn::Linear<T> model(c.in_features, c.out_features);
  const auto weight = model.weight;  // a handle: reset_parameters draws in place
  et::manual_seed(c.seed);
  model.reset_parameters();
  check_exact(weight, c.weight);
  check_exact(model.bias, c.bias_values);
}

TEST_CASE("Linear fed the wrong width throws PyTorch's message") {
  et::manual_seed(0);
  nn::Linear model(1, 13);
  CHECK_THROWS_WITH_AS(model(et::rand({3, 2})), ref::kLinearWrongWidthMessage, std::exception);
  CHECK_THROWS_AS(nn::Linear(-1, 2), std::exception);
}

TEST_CASE("Linear's repr spells bias=False and double models the same way") {
  for (const auto& [what, expected] : ref::kReprCases) {
    const std::string w = what;
    CAPTURE(w);
    if (w == "Linear(1, 1)") CHECK(str(nn::Linear(1, 1)) == expected);
    if (w == "Linear(3, 2, false)") CHECK(str(nn::Linear(3, 2, false)) == expected);
    if (w == "Linear<double>(13, 1)") CHECK(str(nn::Linear<double>(13, 1)) == expected);
  }
}
