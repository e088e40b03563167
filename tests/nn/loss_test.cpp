// Tests of nn/loss.hpp against PyTorch 1.13: MSELoss (the loss and the gradients of input and target
// for reductions mean, sum and none, in float and double, and the printed loss); the other loss
// modules (CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, L1Loss, SmoothL1Loss, HuberLoss,
// KLDivLoss) on every case of tests/reference/loss_cases.hpp, through their options (values, grad_fn
// names, gradients, gradcheck in double of the composed ones), their reprs, buffers and errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "ops/loss_harness.hpp"
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

// ---- the losses of issue 16 ----------------------------------------------------------------------

namespace {

namespace lh = eigentorch::testing::loss_harness;
namespace lr = eigentorch::testing::loss_reference;

/// The case's loss through its module, every option set from the case.
template <class T>
et::Tensor<T> run_module(const lr::LossCase& c, const lh::Inputs<T>& in) {
  const std::string op = c.op;
  const std::string r = c.reduction;
  if (op == "nll")
    return nn::NLLLoss<T>(nn::NLLLossOptions().weight(in.w).ignore_index(c.ignore_index).reduction(r))(in.x, in.index);
  if (op == "cross_entropy") {
    nn::CrossEntropyLoss<T> loss_fn(
        nn::CrossEntropyLossOptions().weight(in.w).ignore_index(c.ignore_index).reduction(r).label_smoothing(c.number));
    return c.index ? loss_fn(in.x, in.index) : loss_fn(in.x, in.t);
  }
  if (op == "bce") return nn::BCELoss<T>(nn::BCELossOptions().weight(in.w).reduction(r))(in.x, in.t);
  if (op == "bce_logits")
    return nn::BCEWithLogitsLoss<T>(nn::BCEWithLogitsLossOptions().weight(in.w).reduction(r).pos_weight(in.pw))(in.x,
                                                                                                               in.t);
  if (op == "l1") return nn::L1Loss(r)(in.x, in.t);
  if (op == "smooth_l1") return nn::SmoothL1Loss(nn::SmoothL1LossOptions().reduction(r).beta(c.number))(in.x, in.t);
  if (op == "huber") return nn::HuberLoss(nn::HuberLossOptions().reduction(r).delta(c.number))(in.x, in.t);
  if (op == "kl_div") return nn::KLDivLoss(nn::KLDivLossOptions().reduction(r).log_target(c.flag))(in.x, in.t);
  FAIL("unknown op " << op);
  return {};
}

constexpr const char* kAll = " nll cross_entropy bce bce_logits l1 smooth_l1 huber kl_div ";

}  // namespace

TEST_CASE_TEMPLATE("every loss module equals PyTorch's loss, grad_fn name and gradients for each option", T, float,
                   double) {
  CHECK(lh::check_cases<T>(kAll, run_module<T>) == 108);
}

TEST_CASE("gradcheck on the composed losses: cross_entropy (indices, smoothing, probabilities), l1_loss, kl_div") {
  CHECK(lh::gradcheck_cases(" cross_entropy l1 kl_div ", run_module<double>) == 46);
}

TEST_CASE("the loss modules print PyTorch's reprs and keep their weights as PyTorch's buffers") {
  std::vector<std::string> printed{str(nn::CrossEntropyLoss()), str(nn::NLLLoss()),   str(nn::BCELoss()),
                                   str(nn::BCEWithLogitsLoss()), str(nn::L1Loss()),   str(nn::SmoothL1Loss()),
                                   str(nn::HuberLoss()),         str(nn::KLDivLoss())};
  REQUIRE(std::size(lr::loss_reprs) == printed.size());
  for (std::size_t i = 0; i < printed.size(); ++i) CHECK(printed[i] == lr::loss_reprs[i][1]);
  const auto keys = [](const auto& module) {
    std::string joined;
    for (const auto& item : module.state_dict()) joined += (joined.empty() ? "" : " ") + item.first;
    return joined;
  };
  auto w = et::tensor({1.0f, 2.0f, 3.0f});
  const std::vector<std::string> actual{
      keys(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().weight(w))), keys(nn::CrossEntropyLoss()),
      keys(nn::BCEWithLogitsLoss(nn::BCEWithLogitsLossOptions().weight(w).pos_weight(w))),
      keys(nn::BCEWithLogitsLoss(nn::BCEWithLogitsLossOptions().pos_weight(w))),
      keys(nn::NLLLoss(nn::NLLLossOptions().weight(w))), keys(nn::BCELoss(nn::BCELossOptions().weight(w)))};
  REQUIRE(std::size(lr::loss_state_keys) == actual.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(lr::loss_state_keys[i][0]);
    CHECK(actual[i] == lr::loss_state_keys[i][1]);
  }
  // The buffer is the weight passed in (shared, as in PyTorch) and the forward reads it.
  nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().weight(w).reduction("sum"));
  CHECK(ce.weight.data() == w.data());
  CHECK(ce.buffers().size() == 1);
  CHECK(ce.parameters().empty());
  const auto x = et::zeros({1, 3});
  CHECK(ce(x, et::tensor<int64_t>({2})).item() == doctest::Approx(3.0 * std::log(3.0)));
  {
    et::NoGradGuard no_grad;
    w.fill_(1.0f);
  }
  CHECK(ce(x, et::tensor<int64_t>({2})).item() == doctest::Approx(std::log(3.0)));
}

TEST_CASE("a double loss module takes options with a float weight, converted") {
  nn::CrossEntropyLoss<double> ce(nn::CrossEntropyLossOptions().weight(et::tensor({1.0f, 3.0f})).reduction("sum"));
  const auto loss = ce(et::zeros<double>({2, 2}), et::tensor<int64_t>({1, 1}));
  static_assert(std::is_same_v<decltype(loss), const et::Tensor<double>>);
  CHECK(loss.item() == doctest::Approx(6.0 * std::log(2.0)));
  CHECK(nn::NLLLossOptions().weight(et::tensor<double>({2.0})).weight().item() == 2.0f);
}

TEST_CASE("the loss modules and cross_entropy reject misuse with PyTorch's messages") {
  CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().reduction("foo")),
                       lh::torch_message("module_reduction").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(nn::KLDivLoss("foo"), lh::torch_message("kl_reduction").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(nn::L1Loss("foo"), lh::torch_message("bad_reduction").c_str(), et::ValueError);
  CHECK_NOTHROW(nn::KLDivLoss("batchmean"));
  nn::CrossEntropyLoss ce;
  const auto x = et::zeros({3, 5});
  CHECK_THROWS_WITH_AS(ce(x, et::tensor<int64_t>({0, 1})), lh::torch_message("batch_size").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(ce(x, et::tensor<int64_t>({0, 5, 1})), lh::torch_message("target_out_of_bounds").c_str(),
                       et::IndexError);
  CHECK_THROWS_WITH_AS(ce(x, et::zeros<int64_t>({3, 5})), lh::torch_message("index_shaped_like_input").c_str(),
                       et::Error);
  CHECK_THROWS_WITH_AS(ce(x, et::zeros({3, 4})), lh::torch_message("prob_shape").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(ce(x, et::zeros({3})), lh::torch_message("prob_dtype").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().weight(et::ones({4})))(x, et::zeros({3, 5})),
                       lh::torch_message("prob_weight").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().ignore_index(1))(x, et::zeros({3, 5})),
                       lh::torch_message("prob_ignore_index").c_str(), et::Error);
  const auto smoothing = nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(1.5));
  CHECK_THROWS_WITH_AS(smoothing(x, et::tensor<int64_t>({0, 1, 2})), lh::torch_message("label_smoothing").c_str(),
                       et::Error);
  CHECK_THROWS_WITH_AS(smoothing(x, et::zeros({3, 5})), lh::torch_message("label_smoothing_prob").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().weight(et::ones({4})))(
                           x, et::tensor<int64_t>({0, 1, 2})),
                       lh::torch_message("weight_size").c_str(), et::Error);
  // As in PyTorch, a negative label_smoothing smooths nothing.
  CHECK(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(-0.5))(x, et::tensor<int64_t>({0, 1, 2}))
            .item() == doctest::Approx(std::log(5.0)));
}

TEST_CASE("CrossEntropyLoss of a model's logits back-propagates into the model") {
  et::manual_seed(0);
  nn::Linear model(4, 3);
  const auto x = et::randn({5, 4});
  const auto y = et::tensor<int64_t>({0, 2, 1, 1, 0});
  nn::CrossEntropyLoss ce;
  auto loss = ce(model(x), y);
  loss.backward();
  // d/db mean CE = mean over samples of (softmax(logits) - one_hot(y))
  const auto expected = (et::softmax(model(x).detach(), 1) - nn::functional::one_hot(y, 3).to<float>()).mean(0, false);
  check_allclose(model.bias.grad().to_vector(), expected.to_vector(), 1e-5, 1e-6);
}
