// Tests of optim/optimizer.hpp: the parameter list it keeps (the model's own handles), zero_grad
// (to none by default, as PyTorch 2; or to zeros) and its argument checks.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <memory>  // unique_ptr
#include <vector>

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
