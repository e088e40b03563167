// Tests of optim/lr_scheduler.hpp: every scheduler's learning rates (and OneCycleLR's momenta)
// step by step against PyTorch's, exactly (the arithmetic is Python's, in double); the parameters an
// optimizer reaches while a scheduler drives it; the warning and the errors in PyTorch's words.
// Reference values: tests/reference/lr_scheduler_cases.hpp (make_lr_scheduler_reference.py, PyTorch 1.13).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reference/lr_scheduler_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace optim = eigentorch::optim;
namespace sched = eigentorch::optim::lr_scheduler;
namespace ref = eigentorch::reference::lr_scheduler;

/// The scheduler a case names, on `opt` (ReduceLROnPlateau apart: it is not an LRScheduler).
template <class T>
std::unique_ptr<sched::LRScheduler<T>> make_scheduler(const std::string& id, optim::Optimizer<T>& opt) {
  if (id == "step") return std::make_unique<sched::StepLR<T>>(opt, 3, 0.5);
  if (id == "multistep") return std::make_unique<sched::MultiStepLR<T>>(opt, std::vector<int64_t>{2, 5, 5, 8}, 0.3);
  if (id == "exponential") return std::make_unique<sched::ExponentialLR<T>>(opt, 0.9);
  if (id == "cosine") return std::make_unique<sched::CosineAnnealingLR<T>>(opt, 5, 0.001);
  if (id == "linear") return std::make_unique<sched::LinearLR<T>>(opt, 0.25, 1.0, 4);
  if (id == "linear_down") return std::make_unique<sched::LinearLR<T>>(opt, 1.0, 0.5, 3);
  if (id == "lambda")
    return std::make_unique<sched::LambdaLR<T>>(opt, [](int64_t e) { return std::pow(0.95, static_cast<double>(e)); });
  if (id == "onecycle") return std::make_unique<sched::OneCycleLR<T>>(opt, sched::OneCycleLROptions(1.0, 20));
  if (id == "onecycle_linear3")
    return std::make_unique<sched::OneCycleLR<T>>(
        opt, sched::OneCycleLROptions(0.5).epochs(2).steps_per_epoch(5).pct_start(0.4).anneal_strategy("linear")
                 .three_phase(true));
  if (id == "onecycle_nomomentum")
    return std::make_unique<sched::OneCycleLR<T>>(
        opt, sched::OneCycleLROptions(0.3, 12).cycle_momentum(false).div_factor(10.0).final_div_factor(100.0));
  if (id == "lambda_groups")
    return std::make_unique<sched::LambdaLR<T>>(
        opt, std::vector<typename sched::LambdaLR<T>::Lambda>{
                 [](int64_t e) { return 1.0 / static_cast<double>(e + 1); },
                 [](int64_t e) { return std::pow(2.0, static_cast<double>(e)); }});
  if (id == "onecycle_adam")
    return std::make_unique<sched::OneCycleLR<T>>(opt, sched::OneCycleLROptions(std::vector<double>{0.01, 0.02}, 15));
  return nullptr;
}

template <class T>
std::unique_ptr<sched::ReduceLROnPlateau<T>> make_plateau(const std::string& id, optim::Optimizer<T>& opt) {
  if (id == "plateau_min")
    return std::make_unique<sched::ReduceLROnPlateau<T>>(
        opt, sched::ReduceLROnPlateauOptions().factor(0.5).patience(2).cooldown(1));
  if (id == "plateau_max_abs")
    return std::make_unique<sched::ReduceLROnPlateau<T>>(
        opt, sched::ReduceLROnPlateauOptions().mode("max").factor(0.1).patience(1).threshold(0.05)
                 .threshold_mode("abs").min_lr(0.002));
  if (id == "plateau_groups")
    return std::make_unique<sched::ReduceLROnPlateau<T>>(
        opt, sched::ReduceLROnPlateauOptions().factor(0.5).patience(0).min_lr(std::vector<double>{0.03, 0.0}));
  return nullptr;
}

/// The case's optimizer: one group per lr, each holding a 2-element parameter (i + 1) * [1, -2].
template <class T>
struct Setup {
  std::vector<et::Tensor<T>> params;
  std::unique_ptr<optim::Optimizer<T>> opt;
};

template <class T>
Setup<T> make_setup(const ref::Case& c) {
  Setup<T> s;
  const std::size_t groups = c.lrs[0].size();
  for (std::size_t g = 0; g < groups; ++g)
    s.params.push_back(et::tensor<T>({T(1) * T(g + 1), T(-2) * T(g + 1)}).requires_grad_());
  if (c.id.rfind("onecycle_adam", 0) == 0) {
    std::vector<typename optim::Adam<T>::Group> gs;
    for (std::size_t g = 0; g < groups; ++g) gs.emplace_back(std::vector{s.params[g]}, optim::AdamOptions(c.initial_lrs[g]));
    s.opt = std::make_unique<optim::Adam<T>>(gs, optim::AdamOptions(c.initial_lrs[0]));
  } else {
    std::vector<typename optim::SGD<T>::Group> gs;
    for (std::size_t g = 0; g < groups; ++g)
      gs.emplace_back(std::vector{s.params[g]}, optim::SGDOptions(c.initial_lrs[g]).momentum(0.9));
    s.opt = std::make_unique<optim::SGD<T>>(gs, optim::SGDOptions(c.initial_lrs[0]).momentum(0.9));
  }
  return s;
}

/// A group's momentum: SGD's momentum, or Adam's beta1.
template <class T>
double momentum_of(const optim::Optimizer<T>& opt, std::size_t g) {
  return opt.has_group_option("betas") ? opt.group_option(g, "beta1") : opt.group_option(g, "momentum");
}

}  // namespace

namespace {

/// A case's optimizer and scheduler, stepped as the reference script steps them.
template <class T>
struct Run {
  const ref::Case& c;
  Setup<T> s;
  std::unique_ptr<sched::LRScheduler<T>> scheduler;
  std::unique_ptr<sched::ReduceLROnPlateau<T>> plateau;

  explicit Run(const ref::Case& c) : c(c), s(make_setup<T>(c)) {
    scheduler = make_scheduler<T>(c.id, *s.opt);
    plateau = make_plateau<T>(c.id, *s.opt);
    REQUIRE((scheduler || plateau));
  }
  /// The optimizer's step on the gradient of sum(p^2), then the scheduler's step number `step`.
  void step(std::size_t step) {
    s.opt->zero_grad();
    et::Tensor<T> loss = (s.params[0] * s.params[0]).sum();
    for (std::size_t g = 1; g < s.params.size(); ++g) loss = loss + (s.params[g] * s.params[g]).sum();
    loss.backward();
    s.opt->step();
    if (scheduler)
      scheduler->step();
    else
      plateau->step(c.metrics[step - 1]);
  }
  /// The groups' lr and momentum, and get_last_lr(), against the reference after step `step`.
  void check(std::size_t step) const {
    CAPTURE(step);
    const optim::Optimizer<T>& opt = *s.opt;
    for (std::size_t g = 0; g < opt.num_param_groups(); ++g) {
      CHECK(opt.group_option(g, "lr") == c.lrs[step][g]);
      CHECK(momentum_of(opt, g) == c.momenta[step][g]);
      CHECK((scheduler ? scheduler->get_last_lr() : plateau->get_last_lr())[g] == c.lrs[step][g]);
    }
  }
  void check_params() const {
    for (std::size_t g = 0; g < s.params.size(); ++g)
      et::testing::check_allclose(s.params[g].to_vector(), c.params[g], 1e-5, 1e-6);
  }
  et::Value state_dict() const { return scheduler ? scheduler->state_dict() : plateau->state_dict(); }
};

}  // namespace

TEST_CASE_TEMPLATE("schedulers write PyTorch's learning rates and momenta, step by step", T, float, double) {
  for (const ref::Case& c : ref::cases) {
    CAPTURE(c.id);
    Run<T> run(c);
    run.check(0);
    for (std::size_t step = 1; step < c.lrs.size(); ++step) {
      run.step(step);
      run.check(step);
    }
    run.check_params();
  }
}

TEST_CASE("a scheduler's state_dict has PyTorch's keys, in its order") {
  for (const ref::Case& c : ref::cases) {
    CAPTURE(c.id);
    Run<double> run(c);
    for (std::size_t step = 1; step < c.lrs.size(); ++step) run.step(step);
    std::vector<std::string> keys;
    const et::Value sd = run.state_dict();
    for (const auto& [key, value] : sd.entries()) keys.push_back(std::get<std::string>(key));
    CHECK(keys == c.state_keys);
  }
}

TEST_CASE_TEMPLATE("a run resumed from state dicts continues exactly where it stopped", T, float, double) {
  for (const ref::Case& c : ref::cases) {
    CAPTURE(c.id);
    const std::size_t steps = c.lrs.size() - 1, half = steps / 2;
    Run<T> first(c);
    for (std::size_t step = 1; step <= half; ++step) first.step(step);
    const et::Value opt_state = first.s.opt->state_dict(), sched_state = first.state_dict();
    // a fresh run, as a training script resumed from a checkpoint makes it: the same construction,
    // the parameters loaded, then the optimizer's state, then the scheduler's
    Run<T> resumed(c);
    for (std::size_t g = 0; g < resumed.s.params.size(); ++g) {
      et::NoGradGuard no_grad;
      resumed.s.params[g].copy_(first.s.params[g]);
    }
    resumed.s.opt->load_state_dict(opt_state);
    if (resumed.scheduler)
      resumed.scheduler->load_state_dict(sched_state);
    else
      resumed.plateau->load_state_dict(sched_state);
    resumed.check(half);
    for (std::size_t step = half + 1; step <= steps; ++step) {
      resumed.step(step);
      resumed.check(step);
    }
    resumed.check_params();
  }
}

TEST_CASE("load_state_dict refuses a dict missing a field, and changes nothing") {
  et::Tensor<double> p = et::tensor<double>({1.0}).requires_grad_();
  optim::SGD<double> opt(std::vector{p}, optim::SGDOptions(0.1).momentum(0.9));
  sched::StepLR<double> s(opt, 2, 0.5);
  et::Value sd = s.state_dict();
  sd.entries().erase(sd.entries().begin() + 3);  // last_epoch
  sd.insert("step_size", et::Value(7));
  CHECK_THROWS_WITH_AS(s.load_state_dict(sd), "'last_epoch'", et::KeyError);
  CHECK(s.state_dict().at("step_size").as_int() == 2);
  sched::ReduceLROnPlateau<double> plateau(opt);
  et::Value psd = plateau.state_dict();
  psd.insert("mode", "sideways");
  CHECK_THROWS_WITH_AS(plateau.load_state_dict(psd), "mode sideways is unknown!", et::ValueError);
  CHECK(plateau.state_dict().at("mode").as_string() == "min");
}

TEST_CASE("schedulers refuse bad settings in PyTorch's words") {
  const auto message = [](const std::string& id) {
    for (const auto& e : ref::errors)
      if (e.id == id) return e.message;
    FAIL("no reference error ", id);
    return std::string();
  };
  et::Tensor<float> p = et::tensor<float>({1.0f, -2.0f}).requires_grad_();
  optim::SGD<float> opt({p}, optim::SGDOptions(0.1).momentum(0.9));
  using O = sched::OneCycleLROptions;
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0)), message("onecycle_no_steps").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0, -3)), message("onecycle_total").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0, 0)), message("onecycle_total_zero").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0).epochs(-1).steps_per_epoch(2)),
                       message("onecycle_epochs").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0).epochs(2).steps_per_epoch(0)),
                       message("onecycle_spe").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0, 10).pct_start(1.5)), message("onecycle_pct").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(1.0, 10).anneal_strategy("step")),
                       message("onecycle_anneal").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::OneCycleLR<float>(opt, O(std::vector<double>{1.0, 2.0}, 10)),
                       message("onecycle_groups").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::LinearLR<float>(opt, 1.5), message("linear_start").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::LinearLR<float>(opt, 1.0 / 3, -0.5), message("linear_end").c_str(), et::ValueError);
  using L = sched::LambdaLR<float>::Lambda;
  CHECK_THROWS_WITH_AS(sched::LambdaLR<float>(opt, std::vector<L>{[](int64_t) { return 1.0; }, [](int64_t) { return 1.0; }}),
                       message("lambda_count").c_str(), et::ValueError);
  using P = sched::ReduceLROnPlateauOptions;
  CHECK_THROWS_WITH_AS(sched::ReduceLROnPlateau<float>(opt, P().factor(1.0)), message("plateau_factor").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(sched::ReduceLROnPlateau<float>(opt, P().mode("up")), message("plateau_mode").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(sched::ReduceLROnPlateau<float>(opt, P().threshold_mode("pct")),
                       message("plateau_threshold_mode").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(sched::ReduceLROnPlateau<float>(opt, P().min_lr(std::vector<double>{0.1, 0.2})),
                       message("plateau_min_lrs").c_str(), et::ValueError);
  // a refused scheduler left the optimizer's learning rate alone
  CHECK(opt.group_option(0, "lr") == 0.1);
  CHECK(opt.group_option(0, "momentum") == 0.9);
}

TEST_CASE("OneCycleLR refuses to step past its total steps, in PyTorch's words") {
  et::Tensor<double> p = et::tensor<double>({1.0}).requires_grad_();
  optim::SGD<double> opt({p}, optim::SGDOptions(0.1).momentum(0.9));
  sched::OneCycleLR<double> s(opt, sched::OneCycleLROptions(1.0, 3));
  for (int i = 0; i < 3; ++i) {
    opt.step();
    s.step();
  }
  opt.step();
  std::string expected;
  for (const auto& e : ref::errors)
    if (e.id == "onecycle_past_end") expected = e.message;
  CHECK_THROWS_WITH_AS(s.step(), expected.c_str(), et::ValueError);
}

TEST_CASE("a scheduler resumed with last_epoch needs the groups' initial_lr") {
  et::Tensor<float> p = et::tensor<float>({1.0f}).requires_grad_();
  optim::SGD<float> opt({p}, 0.1);
  std::string expected;
  for (const auto& e : ref::errors)
    if (e.id == "resume_without_initial_lr") expected = e.message;
  CHECK_THROWS_WITH_AS(sched::StepLR<float>(opt, 3, 0.1, 4), expected.c_str(), et::KeyError);
}

TEST_CASE("class template argument deduction takes the optimizer's scalar type") {
  et::Tensor<double> p = et::tensor<double>({1.0}).requires_grad_();
  optim::SGD opt(std::vector{p}, 0.1);
  sched::StepLR s(opt, 2);
  static_assert(std::is_same_v<decltype(s), sched::StepLR<double>>);
  sched::ReduceLROnPlateau plateau(opt);
  static_assert(std::is_same_v<decltype(plateau), sched::ReduceLROnPlateau<double>>);
  CHECK(s.get_last_lr() == std::vector<double>{0.1});
}
