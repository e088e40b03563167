// Tests of optim/adam.hpp and optim/adamw.hpp against PyTorch 1.13: trajectories on iris for every
// option that changes the arithmetic (amsgrad, weight_decay, maximize, betas, eps, parameter groups
// with an lr change), in float and double, the first step bit for bit; the options, the state and
// the argument checks' messages.
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

TEST_CASE_TEMPLATE("Adam follows PyTorch's trajectory on iris for every option", T, float, double) {
  const auto cases = cases_of<T>("Adam");
  CHECK(cases.size() == 6);
  for (const auto& c : cases) check_trajectory<optim::Adam, optim::AdamOptions, T>(c);
}

TEST_CASE_TEMPLATE("AdamW follows PyTorch's trajectory on iris for every option", T, float, double) {
  const auto cases = cases_of<T>("AdamW");
  CHECK(cases.size() == 4);
  for (const auto& c : cases) check_trajectory<optim::AdamW, optim::AdamWOptions, T>(c);
}

TEST_CASE("AdamOptions and AdamWOptions: PyTorch's defaults, chained setters") {
  const auto o = optim::AdamOptions();
  CHECK(o.lr() == 1e-3);
  CHECK(o.betas() == std::pair<double, double>(0.9, 0.999));
  CHECK(o.eps() == 1e-8);
  CHECK(o.weight_decay() == 0.0);
  CHECK_FALSE(o.amsgrad());
  CHECK_FALSE(o.maximize());
  const auto w = optim::AdamWOptions(1e-2).betas({0.8, 0.9}).eps(1e-6).amsgrad(true).maximize(true);
  static_assert(std::is_same_v<std::decay_t<decltype(w)>, optim::AdamWOptions>);
  CHECK(optim::AdamWOptions().weight_decay() == 1e-2);
  CHECK(w.lr() == 1e-2);
  CHECK(w.betas().first == 0.8);
  CHECK(w.betas().second == 0.9);
  CHECK(w.eps() == 1e-6);
  CHECK(w.amsgrad());
  CHECK(w.maximize());
  et::nn::Linear model(2, 1);
  optim::Adam adam(model.parameters(), optim::AdamOptions(1e-2).weight_decay(0.1));
  static_assert(std::is_same_v<decltype(adam), optim::Adam<float>>);
  CHECK(adam.options().weight_decay() == 0.1);
  et::nn::Linear<double> dmodel(2, 1);
  optim::AdamW adamw(dmodel.parameters());
  static_assert(std::is_same_v<decltype(adamw), optim::AdamW<double>>);
  CHECK(adamw.param_groups()[0].options.weight_decay() == 1e-2);
}

TEST_CASE_TEMPLATE("Adam's first step on a quadratic moves each element by lr", T, float, double) {
  // With m = (1 - b1) g and v = (1 - b2) g^2, the bias-corrected step is lr * g / (|g| + eps'):
  // every element moves by almost exactly lr against its gradient's sign.
  auto p = et::tensor<T>({1.0, -2.0, 0.5}).requires_grad_();
  optim::Adam<T> opt({p}, optim::AdamOptions(0.1));
  CHECK_FALSE(opt.exp_avg(0).defined());
  (p * p).sum().backward();  // g = 2p
  opt.step();
  check_allclose(p.to_vector(), std::vector<double>{0.9, -1.9, 0.4}, 1e-6, 1e-6);
  check_allclose(opt.exp_avg(0).to_vector(), std::vector<double>{0.2, -0.4, 0.1}, 1e-6, 1e-7);
  check_allclose(opt.exp_avg_sq(0).to_vector(), std::vector<double>{0.004, 0.016, 0.001}, 1e-5, 1e-9);
  CHECK_FALSE(opt.max_exp_avg_sq(0).defined());
}

TEST_CASE("Adam and AdamW refuse bad options with PyTorch's messages") {
  auto params = std::vector<et::Tensor<float>>{et::zeros({2}).requires_grad_()};
  int n = 0;
  for (const auto& c : ref::kErrorCases) {
    const std::string opt = c.optimizer;
    CAPTURE(opt);
    CAPTURE(c.key);
    if (opt == "Adam") {
      CHECK_THROWS_WITH_AS(optim::Adam(params, options_from<optim::AdamOptions>({{c.key, c.value}})), c.message,
                           et::ValueError);
      ++n;
    } else if (opt == "AdamW") {
      CHECK_THROWS_WITH_AS(optim::AdamW(params, options_from<optim::AdamWOptions>({{c.key, c.value}})), c.message,
                           et::ValueError);
      ++n;
    }
  }
  CHECK(n == 10);
  CHECK_THROWS_WITH_AS(optim::Adam(params, optim::AdamOptions(-1.0)), "Invalid learning rate: -1.0", et::ValueError);
  CHECK_NOTHROW(optim::Adam(params, optim::AdamOptions(0.0).betas({0.0, 0.0}).eps(0.0)));
}

TEST_CASE("a CPUGraph replays Adam's step, its step count and bias corrections advancing") {
  auto run = [](bool captured) {
    auto w = et::tensor({1.0, -2.0, 0.5}).requires_grad_();
    optim::Adam<float> opt({w}, optim::AdamOptions(0.1).amsgrad(true));
    auto step = [&] {
      opt.zero_grad();
      (w * w * w).sum().backward();
      opt.step();
    };
    et::CPUGraph graph;
    if (captured) {
      CHECK_THROWS_WITH_AS(
          [&] {
            et::GraphCaptureGuard capture(graph);
            step();
          }(),
          "Adam: a CPUGraph cannot capture the first step, which creates the optimizer's state (each replay would "
          "create it again): run one step before capturing",
          et::Error);
      CHECK(w.to_vector() == std::vector<float>{1.0f, -2.0f, 0.5f});
    }
    step();  // eager: creates the state
    if (captured) {
      {
        et::GraphCaptureGuard capture(graph);
        step();
      }
      for (int i = 0; i < 3; ++i) graph.replay();
    } else {
      for (int i = 0; i < 4; ++i) step();
    }
    const auto sd = opt.state_dict();
    CHECK(sd.at("state").at(int64_t(0)).at("step").as_tensor<float>().item() == 5.0f);
    return w.to_vector();
  };
  CHECK(run(true) == run(false));
}
