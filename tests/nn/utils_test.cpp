// Tests of nn/utils.hpp against PyTorch 1.13: clip_grad_norm_ (norm types 2, 1, inf, 3.5, 0.5; the
// returned norm and the clipped gradients, bit for bit), clip_grad_value_, parameters_to_vector /
// vector_to_parameters, and the errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // INFINITY
#include <cstdint>      // int64_t
#include <type_traits>  // is_same_v
#include <vector>

#include "nn/nn_test_util.hpp"
#include "reference/module_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace mref = eigentorch::testing::module_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;

/// The reference's three parameters, [3, 4], [5] (no gradient) and [2, 2, 2], with its gradients.
template <class T>
std::vector<et::Tensor<T>> parameters_with(const std::vector<std::vector<double>>& grads) {
  std::vector<et::Tensor<T>> params = {et::zeros<T>({3, 4}).requires_grad_(), et::zeros<T>({5}).requires_grad_(),
                                       et::zeros<T>({2, 2, 2}).requires_grad_()};
  params[0].set_grad(make<T>(grads[0], {3, 4}));
  params[2].set_grad(make<T>(grads[1], {2, 2, 2}));
  return params;
}

}  // namespace

TEST_CASE_TEMPLATE("clip_grad_norm_ returns PyTorch's norm and scales the gradients as PyTorch does", T, float,
                   double) {
  int n = 0;
  for (const auto& c : mref::kClipCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    CAPTURE(c.max_norm);
    CAPTURE(c.norm_type);
    ++n;
    auto params = parameters_with<T>(c.grads);
    const auto g0 = params[0].grad();
    const auto total = nn::utils::clip_grad_norm_(params, c.max_norm, c.norm_type);
    CHECK(total.dim() == 0);
    CHECK_FALSE(total.requires_grad());
    check_allclose(total.to_vector(), std::vector<double>{c.total_norm}, 0.0, 0.0);
    CHECK(params[0].grad().is_same(g0));  // in place
    check_allclose(params[0].grad().to_vector(), c.clipped[0], 0.0, 0.0);
    check_allclose(params[2].grad().to_vector(), c.clipped[1], 0.0, 0.0);
    CHECK_FALSE(params[1].grad().defined());
  }
  CHECK(n == 7);
}

TEST_CASE("clip_grad_norm_ of one tensor, of none, and of a non-finite norm") {
  const auto& c = mref::kClipCases[0];
  REQUIRE_FALSE(c.is_double);
  auto params = parameters_with<float>(c.grads);
  // One tensor alone is clipped by its own norm.
  const auto own = params[2].grad().norm();
  const auto total = nn::utils::clip_grad_norm_(params[2], 1e6);
  check_allclose(total.to_vector(), own.to_vector(), 0.0, 0.0);
  check_allclose(params[2].grad().to_vector(), c.grads[1], 0.0, 0.0);  // coefficient clamped to 1

  // Nothing with a gradient: a zero norm, nothing touched (PyTorch returns tensor(0.)).
  const auto none = nn::utils::clip_grad_norm_(std::vector<et::Tensor<double>>{et::zeros<double>({2}).requires_grad_()}, 1.0);
  CHECK(none.dim() == 0);
  CHECK(none.item() == 0.0);

  auto p = et::zeros({2}).requires_grad_();
  p.set_grad(et::tensor({INFINITY, 1.0f}));
  CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(std::vector{p}, 1.0, 2.0, true), mref::kNonfiniteMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(p, 1.0, INFINITY, true), mref::kNonfiniteInfMessage, et::Error);
  check_allclose(p.grad().to_vector(), std::vector<double>{INFINITY, 1.0}, 0.0, 0.0);  // refused: unchanged
  // Without the check, PyTorch scales by 1 / (inf + 1e-6) = 0: the inf becomes nan, the 1 a 0.
  const auto norm = nn::utils::clip_grad_norm_(p, 1.0);
  CHECK(std::isinf(norm.item()));
  CHECK(std::isnan(p.grad().to_vector()[0]));
  CHECK(p.grad().to_vector()[1] == 0.0f);
}

TEST_CASE("clip_grad_value_ clamps every gradient in place, as PyTorch") {
  const auto& c = mref::kClipCases[0];
  auto params = parameters_with<float>(c.grads);
  const auto g2 = params[2].grad();
  nn::utils::clip_grad_value_(params, 0.5);
  check_allclose(params[0].grad().to_vector(), mref::kClipValueFloat[0], 0.0, 0.0);
  check_allclose(params[2].grad().to_vector(), mref::kClipValueFloat[1], 0.0, 0.0);
  CHECK(params[2].grad().is_same(g2));
  CHECK_FALSE(params[1].grad().defined());
  auto one = et::zeros<double>({3}).requires_grad_();
  one.set_grad(et::tensor<double>({-2.0, 0.25, 7.0}));
  nn::utils::clip_grad_value_(one, 1.0);
  check_allclose(one.grad().to_vector(), et::tensor<double>({-2.0, 0.25, 7.0}).clamp(-1.0, 1.0).to_vector(), 0.0, 0.0);
}

TEST_CASE_TEMPLATE("parameters_to_vector and vector_to_parameters round-trip a model's parameters", T, float, double) {
  et::manual_seed(4);
  nn::Sequential<T> model(nn::Linear<T>(3, 4), nn::Tanh<T>(), nn::Linear<T>(4, 2));
  const auto params = model.parameters();
  const auto vec = nn::utils::parameters_to_vector(params);
  REQUIRE(vec.dim() == 1);
  REQUIRE(vec.numel() == 3 * 4 + 4 + 4 * 2 + 2);
  std::vector<double> joined;
  for (const auto& p : params)
    for (T v : p.to_vector()) joined.push_back(static_cast<double>(v));
  check_allclose(vec.to_vector(), joined, 0.0, 0.0);

  // Differentiable, as torch.cat of views: d sum(vec * w)/d p is w's slice.
  const auto w = et::rand<T>({vec.numel()});
  (vec * w).sum().backward();
  int64_t at = 0;
  for (const auto& p : params) {
    REQUIRE(p.grad().defined());
    check_allclose(p.grad().to_vector(), w.slice(0, at, at + p.numel()).to_vector(), 0.0, 0.0);
    at += p.numel();
  }

  const auto fresh = et::rand<T>({vec.numel()});
  nn::utils::vector_to_parameters(fresh, params);
  at = 0;
  for (const auto& p : model.parameters()) {
    CHECK(p.is_leaf());
    CHECK(p.requires_grad());
    check_allclose(p.to_vector(), fresh.slice(0, at, at + p.numel()).to_vector(), 0.0, 0.0);
    at += p.numel();
  }
  check_allclose(nn::utils::parameters_to_vector(model.parameters()).to_vector(), fresh.to_vector(), 0.0, 0.0);
}

TEST_CASE("vector_to_parameters names a vector too short in PyTorch's words") {
  const std::vector<et::Tensor<float>> params = {et::zeros({2, 2, 2}).requires_grad_()};
  CHECK_THROWS_WITH_AS(nn::utils::vector_to_parameters(et::zeros({3}), params), mref::kVectorShortMessage, et::Error);
}
