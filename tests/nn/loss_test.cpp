// Tests of nn/loss.hpp (MSELoss) against PyTorch 1.13: the loss and the gradients of input and
// target for reductions mean, sum and none, in float and double, and the printed loss.
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
namespace nn = eigentorch::nn;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;
using eigentorch::testing::str;

}  // namespace

TEST_CASE_TEMPLATE("MSELoss matches PyTorch's loss and gradients for mean, sum and none", T, float, double) {
  // Float within rtol 1e-6 (an ulp: see the bit-exact test below), double within 1e-12.
  const double rtol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  int n = 0;
  for (const auto& c : ref::kMseCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    ++n;
    const std::string reduction = c.reduction;
    CAPTURE(reduction);
    CAPTURE(c.shape.size());
    nn::MSELoss loss_fn(reduction);
    CHECK(loss_fn.reduction() == reduction);
    auto input = make<T>(c.input, c.shape).requires_grad_();
    auto target = make<T>(c.target, c.shape).requires_grad_();
    auto loss = loss_fn(input, target);
    static_assert(std::is_same_v<decltype(loss), et::Tensor<T>>);
    CHECK(loss.shape() == et::Size(c.loss_shape));
    check_allclose(loss.to_vector(), c.loss, rtol, 0.0);
    CHECK(str(loss) == c.loss_print);
    if (reduction == "none")
      loss.backward(make<T>(c.grad_out, c.shape));
    else
      loss.backward();
    REQUIRE(input.grad().defined());
    REQUIRE(target.grad().defined());
    check_allclose(input.grad().to_vector(), c.grad_input, rtol, 0.0);
    check_allclose(target.grad().to_vector(), c.grad_target, rtol, 0.0);
  }
  CHECK(n == 9);
}

TEST_CASE("float MSELoss is bit-identical to PyTorch's, gradients and reductions alike") {
  // PyTorch's float sum follows its vectorised SumKernel order; eigentorch reproduces that order,
  // so the float loss should be exactly PyTorch's, for every length.
  for (const auto& c : ref::kMseCases) {
    if (c.is_double) continue;
    const std::string reduction = c.reduction;
    CAPTURE(reduction);
    CAPTURE(c.input.size());
    auto input = make<float>(c.input, c.shape).requires_grad_();
    auto target = make<float>(c.target, c.shape);
    auto loss = nn::MSELoss(reduction)(input, target);
    check_allclose(loss.to_vector(), c.loss, 0.0, 0.0);
    if (reduction == "none")
      loss.backward(make<float>(c.grad_out, c.shape));
    else
      loss.backward();
    check_allclose(input.grad().to_vector(), c.grad_input, 0.0, 0.0);
  }
}

TEST_CASE("one MSELoss serves float and double, and prints PyTorch's repr") {
  nn::MSELoss mse;
  CHECK(mse.reduction() == "mean");
  CHECK(mse(et::tensor({1.0f, 3.0f}), et::tensor({0.0f, 0.0f})).item() == 5.0f);
  CHECK(mse(et::tensor<double>({1.0, 3.0}), et::tensor<double>({0.0, 1.0})).item() == 2.5);
  CHECK(mse.parameters().empty());
  for (const auto& [what, expected] : ref::kReprCases) {
    const std::string w = what;
    CAPTURE(w);
    if (w == "MSELoss") CHECK(str(mse) == expected);
    if (w == "MSELoss sum") CHECK(str(nn::MSELoss("sum")) == expected);
  }
}

TEST_CASE("MSELoss rejects an unknown reduction with PyTorch's message") {
  // PyTorch raises when the loss is computed; eigentorch already at construction, with the same words.
  CHECK_THROWS_WITH_AS(nn::MSELoss("foo"), ref::kMseBadReductionMessage, std::exception);
  nn::MSELoss mse;
  CHECK_THROWS_WITH_AS(mse(et::zeros({3, 1}), et::zeros({3})), ref::kMseShapeWarning, std::exception);
}

TEST_CASE("MSELoss of a model's output back-propagates into the model") {
  et::manual_seed(0);
  nn::Linear model(2, 1);
  nn::MSELoss mse("sum");
  auto x = et::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  auto y = et::from_vector(std::vector<float>{1, -1}, {2, 1});
  auto loss = mse(model(x), y);
  loss.backward();
  // d/db sum((xw + b - y)^2) = 2 * sum(residual)
  const auto pred = model(x).detach().to_vector();
  const float expected_bias_grad = 2.0f * ((pred[0] - 1.0f) + (pred[1] + 1.0f));
  check_allclose(model.bias.grad().to_vector(), std::vector<float>{expected_bias_grad}, 1e-6, 1e-6);
}
