// Tests of optim/sgd.hpp against PyTorch 1.13: training trajectories on the iris data for every
// option combination (losses at every step, parameters at checkpoints, the momentum buffer), in
// float and double, the argument checks' messages, and the update rule on hand-sized examples.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // abs
#include <cstdint>      // int64_t
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "optim/optim_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;

using eigentorch::testing::Iris;
using eigentorch::testing::iris;

optim::SGDOptions options_of(const ref::SgdCase& c) {
  return optim::SGDOptions(ref::kSgdLr)
      .momentum(c.momentum)
      .dampening(c.dampening)
      .weight_decay(c.weight_decay)
      .nesterov(c.nesterov)
      .maximize(c.maximize);
}

}  // namespace

TEST_CASE("the iris copy has 150 rows of 4 features and 3 classes") {
  const Iris& d = iris();
  CHECK(d.rows == 150);
  CHECK(d.features.size() == 600);
  CHECK(d.features[0] == 5.1);
  CHECK(d.one_hot[149 * 3 + 2] == 1.0);
}

TEST_CASE_TEMPLATE("SGD follows PyTorch's trajectory on iris for every option combination", T, float, double) {
  // NOTE: float losses are bit-identical to PyTorch's for the first 20 steps except with Nesterov
  // (see the next test) and drift by at most ~3e-7 relative over 40 steps, so float gets rtol 1e-5
  // throughout; double is within rtol 1e-12 (~5e-16 seen).
  const bool is_double = std::is_same_v<T, double>;
  const Iris& d = iris();
  const auto x = make<T>(d.features, {d.rows, 4});
  const auto y = make<T>(d.one_hot, {d.rows, 3});
  int n = 0;
  for (const auto& c : ref::kSgdCases) {
    if (c.is_double != is_double) continue;
    ++n;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(ref::kSgdSeed);
    nn::Sequential<T> model(nn::Linear<T>(4, 8), nn::Tanh<T>(), nn::Linear<T>(8, 3));
    optim::SGD<T> optimizer(model.parameters(), options_of(c));
    nn::MSELoss loss_fn;
    std::vector<T> losses;
    std::size_t next_checkpoint = 0;
    for (int step = 0; step <= ref::kSgdSteps; ++step) {
      CAPTURE(step);
      if (next_checkpoint < c.checkpoints.size() && c.checkpoints[next_checkpoint].step == step) {
        const auto& expected = c.checkpoints[next_checkpoint++].parameters;
        const auto named = model.named_parameters();
        REQUIRE(named.size() == expected.size());
        const double rtol = step == 0 ? 0.0 : is_double ? 1e-12 : 1e-5;
        // NOTE: float trajectories are bit-exact for 20+ steps; by step 40 rounding has drifted a
        // few 1e-7 on the smallest parameters.
        const double atol = step == 0 ? 0.0 : is_double ? 1e-15 : 1e-6;
        for (std::size_t i = 0; i < named.size(); ++i) {
          CAPTURE(named[i].first);
          CHECK(named[i].first == expected[i].name);
          check_allclose(named[i].second.to_vector(), expected[i].values, rtol, atol);
        }
      }
      if (step == ref::kSgdSteps) break;
      optimizer.zero_grad();
      auto loss = loss_fn(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push_back(loss.item());
    }
    CHECK(next_checkpoint == c.checkpoints.size());
    REQUIRE(losses.size() == c.losses.size());
    check_allclose(losses, c.losses, is_double ? 1e-12 : 1e-5, 0.0);
    if (!c.momentum_buffer_0.empty()) {
      const auto& buf = optimizer.momentum_buffer(0);
      REQUIRE(buf.defined());
      check_allclose(buf.to_vector(), c.momentum_buffer_0, is_double ? 1e-12 : 1e-5, is_double ? 1e-15 : 1e-6);
    } else {
      CHECK_FALSE(optimizer.momentum_buffer(0).defined());
    }
  }
  CHECK(n == 8);
}

TEST_CASE("float SGD on iris is bit-identical to PyTorch's for the first 20 steps") {
  // PyTorch computes d_p.add(buf, alpha=momentum) (Nesterov) and the other alpha-adds with its
  // vectorised add kernel, a fused multiply-add; the update must round the same way to stay exact.
  const Iris& d = iris();
  const auto x = make<float>(d.features, {d.rows, 4});
  const auto y = make<float>(d.one_hot, {d.rows, 3});
  for (const auto& c : ref::kSgdCases) {
    if (c.is_double) continue;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(ref::kSgdSeed);
    nn::Sequential model(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3));
    optim::SGD optimizer(model.parameters(), options_of(c));
    nn::MSELoss loss_fn;
    std::vector<float> losses;
    for (int step = 0; step < 20; ++step) {
      optimizer.zero_grad();
      auto loss = loss_fn(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push_back(loss.item());
    }
    check_allclose(losses, std::vector<double>(c.losses.begin(), c.losses.begin() + 20), 0.0, 0.0);
  }
}

TEST_CASE("SGD rejects bad options with PyTorch's messages") {
  auto params = std::vector<et::Tensor<float>>{et::zeros({2}).requires_grad_()};
  CHECK_THROWS_WITH_AS(optim::SGD(params, -0.1), ref::kSgdBadLrMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, optim::SGDOptions(-0.1)), ref::kSgdBadLrMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, -1e-5), ref::kSgdBadLr1e5Message, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, -1.0), ref::kSgdBadLrIntegralMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, optim::SGDOptions(0.1).momentum(-0.5)), ref::kSgdBadMomentumMessage,
                       et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, optim::SGDOptions(0.1).weight_decay(-0.01)),
                       ref::kSgdBadWeightDecayMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, optim::SGDOptions(0.1).nesterov(true)), ref::kSgdNesterovNoMomentumMessage,
                       et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(params, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                       ref::kSgdNesterovDampeningMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD(std::vector<et::Tensor<float>>{}, 0.1), ref::kSgdEmptyMessage, et::ValueError);
  CHECK_NOTHROW(optim::SGD(params, 0.0));  // lr 0 is allowed, as in PyTorch
}

TEST_CASE("SGDOptions chain, and SGD deduces its scalar type") {
  const auto o = optim::SGDOptions(0.1).momentum(0.9).dampening(0.0).weight_decay(0.01).nesterov(true);
  CHECK(o.lr() == 0.1);
  CHECK(o.momentum() == 0.9);
  CHECK(o.dampening() == 0.0);
  CHECK(o.weight_decay() == 0.01);
  CHECK(o.nesterov());
  CHECK_FALSE(o.maximize());
  nn::Linear model(1, 1);
  optim::SGD optimizer(model.parameters(), /*lr=*/1e-1);
  static_assert(std::is_same_v<decltype(optimizer), optim::SGD<float>>);
  CHECK(optimizer.options().lr() == 0.1);
  nn::Linear<double> dmodel(1, 1);
  optim::SGD doptimizer(dmodel.parameters(), optim::SGDOptions(0.5).momentum(0.9));
  static_assert(std::is_same_v<decltype(doptimizer), optim::SGD<double>>);
  CHECK(doptimizer.options().momentum() == 0.9);
}

TEST_CASE_TEMPLATE("SGD's update on a quadratic, step by step", T, float, double) {
  // f(p) = sum(p^2) / 2, so the gradient is p itself: every rule can be followed in closed form.
  auto p = et::tensor<T>({1.0, -2.0}).requires_grad_();
  SUBCASE("plain: p <- p - lr g") {
    optim::SGD<T> opt({p}, 0.5);
    auto loss = ((p * p).sum()) * T(0.5);
    loss.backward();
    opt.step();
    check_allclose(p.to_vector(), std::vector<double>{0.5, -1.0}, 0.0, 0.0);
    CHECK(p.is_leaf());
    CHECK(p.requires_grad());
  }
  SUBCASE("momentum 0.5: the first buffer is the gradient, then buf <- 0.5 buf + g") {
    optim::SGD<T> opt({p}, optim::SGDOptions(0.5).momentum(0.5));
    for (int i = 0; i < 2; ++i) {
      opt.zero_grad();
      (((p * p).sum()) * T(0.5)).backward();
      opt.step();
    }
    // step 1: buf = [1, -2], p = [0.5, -1]; step 2: buf = [0.5 + 0.5, -1 - 1], p = [0, 0]
    check_allclose(opt.momentum_buffer(0).to_vector(), std::vector<double>{1.0, -2.0}, 0.0, 0.0);
    check_allclose(p.to_vector(), std::vector<double>{0.0, 0.0}, 0.0, 0.0);
  }
  SUBCASE("weight decay 0.5: g <- g + 0.5 p") {
    optim::SGD<T> opt({p}, optim::SGDOptions(0.5).weight_decay(0.5));
    (((p * p).sum()) * T(0.5)).backward();
    opt.step();
    check_allclose(p.to_vector(), std::vector<double>{0.25, -0.5}, 0.0, 0.0);
  }
  SUBCASE("a parameter without a gradient is left alone") {
    auto q = et::tensor<T>({3.0}).requires_grad_();
    optim::SGD<T> opt({p, q}, optim::SGDOptions(0.5).momentum(0.9));
    (((p * p).sum()) * T(0.5)).backward();
    opt.step();
    check_allclose(q.to_vector(), std::vector<double>{3.0}, 0.0, 0.0);
    CHECK_FALSE(opt.momentum_buffer(1).defined());
    check_allclose(p.to_vector(), std::vector<double>{0.5, -1.0}, 0.0, 0.0);
  }
}
