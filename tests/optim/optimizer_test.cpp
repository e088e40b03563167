// Tests of optim/optimizer.hpp: the parameter list it keeps (the model's own handles), zero_grad
// (to none by default, as PyTorch 2; or to zeros) and its argument checks.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <memory>  // unique_ptr
#include <vector>

// This file compiles the optimizers' reference table for all of tests/optim/ (see optim_cases.hpp).
#define EIGENTORCH_OPTIM_REFERENCE_TABLE
#include "optim/optim_test_util.hpp"
#include "reference/nn_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;

}  // namespace

TEST_CASE_TEMPLATE("an optimizer holds the model's own parameters", T, float, double) {
  nn::Sequential<T> model(nn::Linear<T>(2, 3), nn::Tanh<T>(), nn::Linear<T>(3, 1));
  optim::SGD<T> sgd(model.parameters(), 0.1);
  const optim::Optimizer<T>& base = sgd;
  const auto params = model.parameters();
  REQUIRE(base.parameters().size() == 4);
  for (std::size_t i = 0; i < params.size(); ++i) CHECK(base.parameters()[i].is_same(params[i]));
}

TEST_CASE_TEMPLATE("Optimizer::zero_grad makes gradients undefined, or zero", T, float, double) {
  nn::Sequential<T> model(nn::Linear<T>(2, 3), nn::Tanh<T>(), nn::Linear<T>(3, 1));
  std::unique_ptr<optim::Optimizer<T>> opt = std::make_unique<optim::SGD<T>>(model.parameters(), 0.1);
  model(et::rand<T>({4, 2})).sum().backward();
  for (const auto& p : model.parameters()) REQUIRE(p.grad().defined());
  SUBCASE("to none") {
    opt->zero_grad();
    for (const auto& p : model.parameters()) CHECK_FALSE(p.grad().defined());
    const auto before = model.parameters()[0].to_vector();
    opt->step();  // nothing to apply
    check_allclose(model.parameters()[0].to_vector(), before, 0.0, 0.0);
  }
  SUBCASE("to zeros") {
    opt->zero_grad(false);
    for (const auto& p : model.parameters()) {
      REQUIRE(p.grad().defined());
      check_allclose(p.grad().to_vector(), std::vector<double>(static_cast<std::size_t>(p.numel()), 0.0), 0.0, 0.0);
    }
  }
  SUBCASE("gradients accumulate until zeroed") {
    const auto g1 = model.parameters()[0].grad().to_vector();
    auto x = et::rand<T>({4, 2});
    opt->zero_grad();
    model(x).sum().backward();
    const auto once = model.parameters()[0].grad().to_vector();
    model(x).sum().backward();
    const auto twice = model.parameters()[0].grad().to_vector();
    std::vector<T> doubled;
    for (T v : once) doubled.push_back(v + v);
    check_allclose(twice, doubled, 1e-6, 1e-7);
    (void)g1;
  }
}

TEST_CASE("an optimizer refuses an empty list, undefined tensors and non-leaves") {
  CHECK_THROWS_WITH_AS(optim::SGD<float>(std::vector<et::Tensor<float>>{}, 0.1), ref::kSgdEmptyMessage,
                       et::ValueError);
  CHECK_THROWS_AS(optim::SGD<float>(std::vector<et::Tensor<float>>{et::Tensor<float>()}, 0.1), std::exception);
  auto leaf = et::ones({2}).requires_grad_();
  CHECK_THROWS_WITH_AS(optim::SGD<float>(std::vector<et::Tensor<float>>{leaf * 2.0f}, 0.1),
                       "can't optimize a non-leaf Tensor", et::ValueError);
}

// ---- parameter groups, keyed options, state dicts ------------------------------------------------------

namespace {

namespace oref = eigentorch::testing::optim_reference;
using eigentorch::testing::iris;
using eigentorch::testing::iris_model;
using eigentorch::testing::make;

/// n steps of the iris model's MSE fit with `opt`.
template <class T>
void train(nn::Sequential<T>& model, optim::Optimizer<T>& opt, int n) {
  const auto& d = iris();
  const auto x = make<T>(d.features, {d.rows, 4});
  const auto y = make<T>(d.one_hot, {d.rows, 3});
  nn::MSELoss loss_fn;
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    loss_fn(model(x), y).backward();
    opt.step();
  }
}

template <class T>
std::vector<std::vector<T>> values_of(const std::vector<et::Tensor<T>>& ts) {
  std::vector<std::vector<T>> out;
  for (const auto& t : ts) out.push_back(t.to_vector());
  return out;
}

/// Trains 4 steps, saves, trains 5 more; then a fresh model and optimizer load the parameters and the
/// state dict and train the same 5 steps: both end bit for bit equal.
template <class T, class Make>
void check_resume(Make make_optimizer) {
  auto model = iris_model<T>();
  auto opt = make_optimizer(model.parameters());
  train(model, *opt, 4);
  const et::Value saved = opt->state_dict();
  const auto saved_params = values_of(model.parameters());
  train(model, *opt, 5);

  auto resumed = iris_model<T>();
  {
    et::NoGradGuard no_grad;
    auto ps = resumed.parameters();
    for (std::size_t i = 0; i < ps.size(); ++i)
      ps[i].copy_(et::from_vector(saved_params[i], ps[i].shape()));
  }
  auto opt2 = make_optimizer(resumed.parameters());
  opt2->load_state_dict(saved);
  train(resumed, *opt2, 5);
  const auto a = values_of(model.parameters()), b = values_of(resumed.parameters());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
}

}  // namespace

TEST_CASE("parameter groups: a group without options takes the optimizer's") {
  nn::Linear<float> first(2, 3), last(3, 1);
  optim::SGD<float> opt({{first.parameters()}, {last.parameters(), optim::SGDOptions(1e-3).momentum(0.5)}},
                        optim::SGDOptions(0.1).weight_decay(0.01));
  REQUIRE(opt.param_groups().size() == 2);
  CHECK(opt.num_param_groups() == 2);
  CHECK(opt.param_groups()[0].options.lr() == 0.1);
  CHECK(opt.param_groups()[0].options.weight_decay() == 0.01);
  CHECK_FALSE(opt.param_groups()[0].has_own_options());
  CHECK(opt.param_groups()[1].options.lr() == 1e-3);
  CHECK(opt.param_groups()[1].options.momentum() == 0.5);
  CHECK(opt.param_groups()[1].options.weight_decay() == 0.0);
  CHECK(opt.param_groups()[1].params[0].is_same(last.weight));
  CHECK(opt.parameters().size() == 4);
  // options.lr(x) writes, options.lr() reads; the step uses the group's lr
  opt.param_groups()[1].options.lr(0.5);
  CHECK(opt.group_option(1, "lr") == 0.5);
  last.bias.set_grad(et::ones({1}));
  const float before = last.bias.item();
  opt.step();
  CHECK(last.bias.item() == before - 0.5f);
}

TEST_CASE("groups are refused as PyTorch refuses them") {
  auto a = et::zeros({2}).requires_grad_();
  auto b = et::zeros({3}).requires_grad_();
  using G = optim::ParamGroup<float, optim::AdamOptions>;
  CHECK_THROWS_WITH_AS(optim::Adam<float>(std::vector<G>{G({a}), G({b, a})}), oref::kDuplicateMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<float>(std::vector<G>{}), oref::kEmptyMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<float>(std::vector<et::Tensor<float>>{}), oref::kEmptyMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<float>(std::vector<G>{G({a}), G({b * 2.0f})}), oref::kNonLeafMessage,
                       et::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<float>(std::vector<G>{G({a}), G({b}, optim::AdamOptions(-1.0))}),
                       "Invalid learning rate: -1.0", et::ValueError);
  CHECK_NOTHROW(optim::Adam<float>(std::vector<G>{G({a}), G({b})}));
}

TEST_CASE("group options by key: what lr schedulers read and write") {
  auto a = et::zeros({2}).requires_grad_();
  auto b = et::zeros({3}).requires_grad_();
  using G = optim::ParamGroup<float, optim::AdamOptions>;
  optim::Adam<float> adam(std::vector<G>{G({a}), G({b}, optim::AdamOptions(0.5).betas({0.8, 0.9}))});
  optim::Optimizer<float>& opt = adam;
  CHECK(opt.num_param_groups() == 2);
  for (const char* key : {"lr", "betas", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"}) {
    CAPTURE(key);
    CHECK(opt.has_group_option(key));
  }
  CHECK_FALSE(opt.has_group_option("momentum"));
  CHECK_FALSE(opt.has_group_option("initial_lr"));
  CHECK(opt.group_option(0, "lr") == 1e-3);
  CHECK(opt.group_option(1, "lr") == 0.5);
  CHECK(opt.group_option(1, "beta1") == 0.8);
  CHECK(opt.group_option(1, "beta2") == 0.9);
  CHECK(opt.group_option(0, "amsgrad") == 0.0);
  opt.set_group_option(1, "beta1", 0.95);
  CHECK(adam.param_groups()[1].options.betas().first == 0.95);
  opt.set_group_option(0, "lr", 0.25);
  CHECK(adam.param_groups()[0].options.lr() == 0.25);
  CHECK(adam.param_groups()[1].options.lr() == 0.5);
  opt.set_group_option(0, "amsgrad", 1.0);
  CHECK(adam.param_groups()[0].options.amsgrad());
  // a scheduler's own keys
  opt.set_group_option(0, "initial_lr", 0.25);
  opt.set_group_option(1, "initial_lr", 0.5);
  CHECK(opt.has_group_option("initial_lr"));
  CHECK(opt.group_option(1, "initial_lr") == 0.5);
  opt.set_group_option(1, "initial_lr", 0.75);
  CHECK(opt.group_option(1, "initial_lr") == 0.75);
  CHECK_THROWS_WITH_AS(opt.group_option(0, "max_lr"), "'max_lr'", et::KeyError);
  CHECK_THROWS_WITH_AS(opt.group_option(0, "betas"), "the group option 'betas' is not a number (read 'beta1' and 'beta2')",
                       et::ValueError);
  CHECK_THROWS_WITH_AS(opt.group_option(0, "foreach"), "the group option 'foreach' is not a number", et::ValueError);
  CHECK_THROWS_WITH_AS(opt.group_option(2, "lr"), "param group 2 is out of range for an optimizer with 2 group(s)",
                       et::IndexError);
  // step_count: PyTorch's optimizer._step_count
  CHECK(opt.step_count() == 0);
  opt.step();
  opt.step();
  CHECK(opt.step_count() == 2);
  optim::SGD<float> sgd({a}, 0.1);
  CHECK(sgd.has_group_option("momentum"));
  CHECK_FALSE(sgd.has_group_option("betas"));
  CHECK_FALSE(sgd.has_group_option("beta1"));
  CHECK_THROWS_WITH_AS(sgd.group_option(0, "beta1"), "'beta1'", et::KeyError);
}

TEST_CASE("state_dict holds PyTorch's structure, keys and values") {
  // PyTorch's state dicts after 3 steps in which 2.bias has no gradient (tests/reference/optim_cases.hpp)
  const auto& d = iris();
  const auto x = make<float>(d.features, {d.rows, 4});
  const auto y = make<float>(d.one_hot, {d.rows, 3});
  for (const auto& c : oref::kStateDictCases) {
    const std::string name = c.optimizer;
    CAPTURE(name);
    auto model = iris_model<float>();
    auto ps = model.parameters();
    std::unique_ptr<optim::Optimizer<float>> opt;
    if (name == "SGD") opt = std::make_unique<optim::SGD<float>>(ps, optim::SGDOptions(0.1).momentum(0.9));
    if (name == "Adam") opt = std::make_unique<optim::Adam<float>>(ps, optim::AdamOptions().amsgrad(true));
    if (name == "AdamW") opt = std::make_unique<optim::AdamW<float>>(ps, optim::AdamWOptions().amsgrad(true));
    if (name == "RMSprop")
      opt = std::make_unique<optim::RMSprop<float>>(ps, optim::RMSpropOptions().centered(true).momentum(0.5));
    if (name == "Adagrad") opt = std::make_unique<optim::Adagrad<float>>(ps);
    REQUIRE(opt);
    for (int i = 0; i < 3; ++i) {
      opt->zero_grad();
      nn::functional::mse_loss(model(x), y).backward();
      ps[3].set_grad(et::Tensor<float>());
      opt->step();
    }
    const et::Value sd = opt->state_dict();
    REQUIRE(sd.entries().size() == 2);
    CHECK(std::get<std::string>(sd.entries()[0].first) == "state");
    CHECK(std::get<std::string>(sd.entries()[1].first) == "param_groups");
    const et::Value& state = sd.at("state");
    for (int64_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const auto& keys = c.state_keys[static_cast<std::size_t>(i)];
      const et::Value* entry = state.find(i);
      REQUIRE((entry != nullptr) == !keys.empty());
      if (!entry) continue;
      REQUIRE(entry->entries().size() == keys.size());
      for (std::size_t k = 0; k < keys.size(); ++k) {
        const std::string key = std::get<std::string>(entry->entries()[k].first);
        CHECK(key == keys[k]);
        const et::Value& v = entry->entries()[k].second;
        if (key == "step") {
          const double step = name == "RMSprop" ? static_cast<double>(v.as_int()) : v.as_tensor<float>().item();
          CHECK(step == c.steps[static_cast<std::size_t>(i)]);
          if (name != "RMSprop") CHECK(v.as_tensor<float>().dim() == 0);
        } else if (v.is_tensor()) {
          CHECK(v.as_tensor<float>().shape() == ps[static_cast<std::size_t>(i)].shape());
        }
      }
    }
    const auto& groups = sd.at("param_groups").items();
    REQUIRE(groups.size() == 1);
    const auto& group = groups[0].entries();
    REQUIRE(group.size() == c.group_keys.size());
    std::vector<double> numbers;
    for (std::size_t k = 0; k < group.size(); ++k) {
      CHECK(std::get<std::string>(group[k].first) == c.group_keys[k]);
      const et::Value& v = group[k].second;
      if (v.kind() == et::Value::Kind::real) numbers.push_back(v.as_double());
      if (v.kind() == et::Value::Kind::tuple)
        for (const auto& item : v.items()) numbers.push_back(item.as_double());
    }
    CHECK(numbers == c.group_numbers);
    const auto& params = groups[0].at("params").items();
    REQUIRE(params.size() == 4);
    for (int64_t i = 0; i < 4; ++i) CHECK(params[static_cast<std::size_t>(i)].as_int() == i);
  }
}

TEST_CASE_TEMPLATE("a run resumed from state_dict continues bit for bit", T, float, double) {
  using P = std::vector<et::Tensor<T>>;
  check_resume<T>([](P p) { return std::make_unique<optim::SGD<T>>(p, optim::SGDOptions(0.05).momentum(0.9).nesterov(true)); });
  check_resume<T>([](P p) { return std::make_unique<optim::Adam<T>>(p, optim::AdamOptions(0.01).amsgrad(true)); });
  check_resume<T>([](P p) { return std::make_unique<optim::AdamW<T>>(p, optim::AdamWOptions(0.01)); });
  check_resume<T>([](P p) {
    return std::make_unique<optim::RMSprop<T>>(p, optim::RMSpropOptions(0.01).centered(true).momentum(0.5));
  });
  check_resume<T>([](P p) { return std::make_unique<optim::Adagrad<T>>(p, optim::AdagradOptions(0.1).lr_decay(0.01)); });
}

TEST_CASE("load_state_dict restores the groups' options and scheduler keys, and checks like PyTorch") {
  auto a = et::zeros({2}).requires_grad_();
  auto b = et::zeros({3}).requires_grad_();
  using G = optim::ParamGroup<float, optim::AdamOptions>;
  optim::Adam<float> source(std::vector<G>{G({a}), G({b}, optim::AdamOptions(0.5).betas({0.8, 0.9}).amsgrad(true))});
  source.set_group_option(1, "initial_lr", 0.5);
  a.set_grad(et::ones({2}));
  source.step();
  const et::Value sd = source.state_dict();

  optim::Adam<float> target(std::vector<G>{G({a}), G({b})});
  target.load_state_dict(sd);
  CHECK(target.param_groups()[1].options.lr() == 0.5);
  CHECK(target.param_groups()[1].options.betas().second == 0.9);
  CHECK(target.param_groups()[1].options.amsgrad());
  CHECK(target.group_option(1, "initial_lr") == 0.5);
  CHECK_FALSE(target.exp_avg(1).defined());
  REQUIRE(target.exp_avg(0).defined());
  CHECK(target.exp_avg(0).to_vector() == source.exp_avg(0).to_vector());
  CHECK_FALSE(target.exp_avg(0).is_same(source.exp_avg(0)));  // a copy

  optim::Adam<float> one({a, b});
  const auto before = one.state_dict();
  CHECK_THROWS_WITH_AS(one.load_state_dict(sd), oref::kGroupCountMessage, et::ValueError);
  optim::Adam<float> sizes(std::vector<G>{G({a}), G({b, et::zeros({1}).requires_grad_()})});
  CHECK_THROWS_WITH_AS(sizes.load_state_dict(sd), oref::kGroupSizeMessage, et::ValueError);
  // a buffer of the wrong shape is refused before anything changes
  optim::Adam<float> shapes(std::vector<G>{G({et::zeros({5}).requires_grad_()}), G({b}, optim::AdamOptions(0.125))});
  CHECK_THROWS_WITH_AS(shapes.load_state_dict(sd),
                       "loaded state dict has 'exp_avg' of shape Size([2]) for parameter 0 of shape Size([5])", et::ValueError);
  CHECK(shapes.param_groups()[1].options.lr() == 0.125);
  CHECK_FALSE(shapes.has_group_option("initial_lr"));
  CHECK_THROWS_WITH_AS(one.load_state_dict(et::Value::dict()), "'param_groups'", et::KeyError);
  CHECK(one.state_dict().at("param_groups").items().size() == before.at("param_groups").items().size());
}
