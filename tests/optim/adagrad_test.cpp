// Tests of optim/adagrad.hpp against PyTorch 1.13: trajectories on iris for every option that changes
// the arithmetic (lr_decay, weight_decay, initial_accumulator_value, eps, maximize, parameter groups
// with an lr change), in float and double; the state made at construction; the argument checks.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

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

TEST_CASE_TEMPLATE("Adagrad follows PyTorch's trajectory on iris for every option", T, float, double) {
  const auto cases = cases_of<T>("Adagrad");
  CHECK(cases.size() == 5);
  for (const auto& c : cases) check_trajectory<optim::Adagrad, optim::AdagradOptions, T>(c);
}

TEST_CASE("AdagradOptions: PyTorch's defaults, chained setters") {
  const auto o = optim::AdagradOptions();
  CHECK(o.lr() == 1e-2);
  CHECK(o.lr_decay() == 0.0);
  CHECK(o.weight_decay() == 0.0);
  CHECK(o.initial_accumulator_value() == 0.0);
  CHECK(o.eps() == 1e-10);
  CHECK_FALSE(o.maximize());
  const auto p = optim::AdagradOptions(0.5).lr_decay(0.1).weight_decay(0.2).initial_accumulator_value(0.3).eps(1e-6)
                     .maximize(true);
  CHECK(p.lr() == 0.5);
  CHECK(p.lr_decay() == 0.1);
  CHECK(p.weight_decay() == 0.2);
  CHECK(p.initial_accumulator_value() == 0.3);
  CHECK(p.eps() == 1e-6);
  CHECK(p.maximize());
}

TEST_CASE_TEMPLATE("Adagrad's state exists from construction, steps decay the rate", T, float, double) {
  auto p = et::tensor<T>({1.0, -2.0}).requires_grad_();
  auto q = et::tensor<T>({3.0}).requires_grad_();
  optim::Adagrad<T> opt({p, q}, optim::AdagradOptions(0.5).lr_decay(1.0).initial_accumulator_value(0.25));
  check_allclose(opt.sum(0).to_vector(), std::vector<double>{0.25, 0.25}, 0.0, 0.0);
  check_allclose(opt.sum(1).to_vector(), std::vector<double>{0.25}, 0.0, 0.0);
  const auto before = opt.state_dict();
  CHECK(before.at("state").entries().size() == 2);
  CHECK(before.at("state").at(int64_t(1)).at("step").template as_tensor<float>().item() == 0.0f);
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    (p * p).sum().backward();  // g = 2p; q gets no gradient
    opt.step();
  }
  // step 1: sum = 0.25 + 4 = 4.25 (p0), clr = 0.5; step 2: clr = 0.5 / 2
  const double s1 = 0.25 + 4.0, p1 = 1.0 - 0.5 * 2.0 / std::sqrt(s1);
  const double s2 = s1 + 4 * p1 * p1, p2 = p1 - 0.25 * 2 * p1 / std::sqrt(s2);
  CHECK(eigentorch::testing::close(opt.sum(0).to_vector()[0], s2, 1e-6, 0.0));
  CHECK(eigentorch::testing::close(p.to_vector()[0], p2, 1e-6, 0.0));
  check_allclose(q.to_vector(), std::vector<double>{3.0}, 0.0, 0.0);
  const auto sd = opt.state_dict();
  CHECK(sd.at("state").at(int64_t(0)).at("step").template as_tensor<float>().item() == 2.0f);
  CHECK(sd.at("state").at(int64_t(1)).at("step").template as_tensor<float>().item() == 0.0f);
}

TEST_CASE("Adagrad refuses bad options with PyTorch's messages") {
  auto params = std::vector<et::Tensor<float>>{et::zeros({2}).requires_grad_()};
  int n = 0;
  for (const auto& c : ref::kErrorCases) {
    if (std::string(c.optimizer) != "Adagrad") continue;
    CAPTURE(c.key);
    CHECK_THROWS_WITH_AS(optim::Adagrad(params, options_from<optim::AdagradOptions>({{c.key, c.value}})), c.message,
                         et::ValueError);
    ++n;
  }
  CHECK(n == 5);
}
