// Tests of nn/functional.hpp against PyTorch 1.13: F.linear with and without bias, the stateless
// activations and F.mse_loss give the modules' (and PyTorch's) values, gradients and grad_fn names.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;
using eigentorch::testing::str;

/// Float F.linear, F.tanh and F.relu are bit-identical to PyTorch's; double agrees within 1e-12.
template <class T>
constexpr double rtol() {
  return std::is_same_v<T, float> ? 0.0 : 1e-12;
}

/// Float sigmoid (PyTorch's vectorised exp) and float sums of some lengths differ by an ulp.
template <class T>
constexpr double loose_rtol() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

}  // namespace

TEST_CASE_TEMPLATE("F.linear without bias matches PyTorch's values, gradients and grad_fn", T, float, double) {
  for (const auto& c : ref::kFunctionalLinearCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    auto x = make<T>(c.x, {3, 4}).requires_grad_();
    auto w = make<T>(c.w, {2, 4}).requires_grad_();
    auto y = F::linear(x, w);
    REQUIRE(y.shape() == et::Size{3, 2});
    check_allclose(y.to_vector(), c.y, rtol<T>(), 0.0);
    CHECK(str(y) == c.y_print);  // grad_fn=<MmBackward0>
    y.backward(make<T>(c.grad_y, {3, 2}));
    check_allclose(x.grad().to_vector(), c.grad_x, rtol<T>(), 0.0);
    check_allclose(w.grad().to_vector(), c.grad_w, rtol<T>(), 0.0);
  }
}

TEST_CASE_TEMPLATE("F.linear with bias gives what nn.Linear gives", T, float, double) {
  for (const auto& c : ref::kLinearCases) {
    if (c.is_double != std::is_same_v<T, double> || !c.bias) continue;
    const std::string name = c.name;
    CAPTURE(name);
    auto w = make<T>(c.weight, {c.out_features, c.in_features}).requires_grad_();
    auto b = make<T>(c.bias_values, {c.out_features}).requires_grad_();
    auto x = make<T>(c.x, {c.batch, c.in_features});
    auto y = F::linear(x, w, b);
    check_allclose(y.to_vector(), c.y, rtol<T>(), 1e-15);
    CHECK(str(y) == c.y_print);  // grad_fn=<AddmmBackward0>
    y.backward(make<T>(c.grad_y, {c.batch, c.out_features}));
    check_allclose(w.grad().to_vector(), c.grad_weight, rtol<T>(), 1e-15);
    check_allclose(b.grad().to_vector(), c.grad_bias, rtol<T>(), 1e-15);
  }
}

TEST_CASE_TEMPLATE("F.tanh, F.sigmoid and F.relu give the activation modules' values", T, float, double) {
  for (const auto& c : ref::kActivationCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    const std::string name = c.name;
    CAPTURE(name);
    auto x = make<T>(c.x, c.shape).requires_grad_();
    et::Tensor<T> y = name == "Tanh" ? F::tanh(x) : name == "Sigmoid" ? F::sigmoid(x) : F::relu(x);
    const double tol = name == "Sigmoid" ? loose_rtol<T>() : rtol<T>();
    check_allclose(y.to_vector(), c.y, tol, 0.0);
    y.backward(make<T>(c.grad_y, c.shape));
    check_allclose(x.grad().to_vector(), c.grad_x, tol, 0.0);
    CHECK(str(y) == c.y_print);
  }
}

TEST_CASE_TEMPLATE("F.mse_loss matches PyTorch for every reduction", T, float, double) {
  for (const auto& c : ref::kMseCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    const std::string reduction = c.reduction;
    CAPTURE(reduction);
    auto input = make<T>(c.input, c.shape).requires_grad_();
    auto target = make<T>(c.target, c.shape);
    auto loss = F::mse_loss(input, target, reduction);
    CHECK(loss.shape() == et::Size(c.loss_shape));
    check_allclose(loss.to_vector(), c.loss, loose_rtol<T>(), 0.0);
    CHECK(str(loss) == c.loss_print);
  }
  CHECK(F::mse_loss(et::tensor({1.0, 2.0}), et::tensor({0.0, 0.0})).item() == 2.5f);  // "mean" by default
}

TEST_CASE("F.mse_loss rejects a bad reduction and mismatched shapes with PyTorch's words") {
  CHECK_THROWS_WITH_AS(F::mse_loss(et::zeros({2}), et::zeros({2}), "foo"), ref::kMseBadReductionMessage,
                       std::exception);
  // PyTorch only warns (and broadcasts [3, 1] against [3] to [3, 3]); eigentorch throws its words.
  CHECK_THROWS_WITH_AS(F::mse_loss(et::zeros({3, 1}), et::zeros({3})), ref::kMseShapeWarning, std::exception);
}

// ---- one_hot (issue 16) ---------------------------------------------------------------------------

#include "reference/loss_cases.hpp"

TEST_CASE("one_hot equals PyTorch's F.one_hot and refuses what it refuses, in its words") {
  namespace lr = eigentorch::testing::loss_reference;
  const auto tensor_of = [](const lr::TensorRef& r) {
    std::vector<int64_t> v;
    const et::Size shape(std::vector<int64_t>(r.shape, r.shape + r.ndim));
    for (int64_t i = 0; i < shape.numel(); ++i) v.push_back(static_cast<int64_t>(lr::loss_values[r.offset + i]));
    return et::from_vector(v, shape);
  };
  int n = 0;
  for (const lr::OneHotCase& c : lr::one_hot_cases) {
    CAPTURE(std::string(c.name));
    const et::Tensor<int64_t> expected = tensor_of(c.expected);
    const et::Tensor<int64_t> actual = F::one_hot(tensor_of(c.labels), c.num_classes);
    CHECK(actual.shape() == expected.shape());
    CHECK(actual.to_vector() == expected.to_vector());
    ++n;
  }
  CHECK(n == 3);
  const auto message = [](const char* key) {
    for (const lr::LossError& e : lr::loss_errors)
      if (std::string(e.key) == key) return std::string(e.message);
    return std::string("(none)");
  };
  CHECK_THROWS_WITH_AS(F::one_hot(et::tensor<int64_t>({0, 3}), 3), message("one_hot_too_small").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(F::one_hot(et::tensor<int64_t>({0, -1}), 3), message("one_hot_negative").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(F::one_hot(et::zeros<int64_t>({0})), message("one_hot_empty").c_str(), et::Error);
}
