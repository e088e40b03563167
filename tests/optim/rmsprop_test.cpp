// Tests of optim/rmsprop.hpp against PyTorch 1.13: trajectories on iris for every option that changes
// the arithmetic (centered, momentum, weight_decay, alpha, maximize, parameter groups with an lr
// change), in float and double; the options, the state and the argument checks' messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // sqrt
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "optim/optim_test_util.hpp"

namespace {

namespace et = eigentorch;
namespace optim = eigentorch::optim;
namespace ref = eigentorch::testing::optim_reference;
using eigentorch::testing::cases_of;
using eigentorch::testing::check_allclose;
using eigentorch::testing::check_trajectory;
using eigentorch::testing::options_from;

}  // namespace

TEST_CASE_TEMPLATE("RMSprop follows PyTorch's trajectory on iris for every option", T, float, double) {
  const auto cases = cases_of<T>("RMSprop");
  CHECK(cases.size() == 6);
  for (const auto& c : cases) check_trajectory<optim::RMSprop, optim::RMSpropOptions, T>(c);
}

TEST_CASE("RMSpropOptions: PyTorch's defaults, chained setters") {
  const auto o = optim::RMSpropOptions();
  CHECK(o.lr() == 1e-2);
  CHECK(o.alpha() == 0.99);
  CHECK(o.eps() == 1e-8);
  CHECK(o.weight_decay() == 0.0);
  CHECK(o.momentum() == 0.0);
  CHECK_FALSE(o.centered());
  CHECK_FALSE(o.maximize());
  const auto p = optim::RMSpropOptions(0.1).alpha(0.9).eps(1e-6).weight_decay(0.5).momentum(0.8).centered(true)
                     .maximize(true);
  CHECK(p.lr() == 0.1);
  CHECK(p.alpha() == 0.9);
  CHECK(p.eps() == 1e-6);
  CHECK(p.weight_decay() == 0.5);
  CHECK(p.momentum() == 0.8);
  CHECK(p.centered());
  CHECK(p.maximize());
  et::nn::Linear<double> model(2, 1);
  optim::RMSprop opt(model.parameters(), p);
  static_assert(std::is_same_v<decltype(opt), optim::RMSprop<double>>);
  CHECK(opt.group_option(0, "momentum") == 0.8);
  CHECK(opt.group_option(0, "centered") == 1.0);
}

TEST_CASE_TEMPLATE("RMSprop's first step by hand, and the buffers it keeps", T, float, double) {
  auto p = et::tensor<T>({1.0, -2.0}).requires_grad_();
  SUBCASE("plain: sq = (1 - alpha) g^2, p -= lr g / (sqrt(sq) + eps)") {
    optim::RMSprop<T> opt({p}, optim::RMSpropOptions(0.01).alpha(0.75));
    (p * p).sum().backward();  // g = 2p
    opt.step();
    check_allclose(opt.square_avg(0).to_vector(), std::vector<double>{1.0, 4.0}, 1e-6, 0.0);
    check_allclose(p.to_vector(), std::vector<double>{1.0 - 0.02, -2.0 + 0.02}, 1e-6, 0.0);
    CHECK_FALSE(opt.momentum_buffer(0).defined());
    CHECK_FALSE(opt.grad_avg(0).defined());
  }
  SUBCASE("centered with momentum: avg = sqrt(sq - ga^2), buf = g / avg") {
    optim::RMSprop<T> opt({p}, optim::RMSpropOptions(0.01).alpha(0.75).centered(true).momentum(0.5));
    (p * p).sum().backward();
    opt.step();
    // sq = 0.25 g^2, ga = 0.25 g: sq - ga^2 = 0.1875 g^2, buf = g / (sqrt(0.1875) |g|)
    const double r = 1.0 / std::sqrt(0.1875);
    check_allclose(opt.grad_avg(0).to_vector(), std::vector<double>{0.5, -1.0}, 1e-6, 0.0);
    check_allclose(opt.momentum_buffer(0).to_vector(), std::vector<double>{r, -r}, 1e-6, 0.0);
    check_allclose(p.to_vector(), std::vector<double>{1.0 - 0.01 * r, -2.0 + 0.01 * r}, 1e-6, 0.0);
  }
}

TEST_CASE("RMSprop refuses bad options with PyTorch's messages") {
  auto params = std::vector<et::Tensor<float>>{et::zeros({2}).requires_grad_()};
  int n = 0;
  for (const auto& c : ref::kErrorCases) {
    if (std::string(c.optimizer) != "RMSprop") continue;
    CAPTURE(c.key);
    CHECK_THROWS_WITH_AS(optim::RMSprop(params, options_from<optim::RMSpropOptions>({{c.key, c.value}})), c.message,
                         et::ValueError);
    ++n;
  }
  CHECK(n == 5);
}
