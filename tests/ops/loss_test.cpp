// Tests for ops/loss.hpp: mse_loss with every reduction against PyTorch 1.13
// (tests/reference/ops_cases.hpp, group "loss"), float bit for bit where the case says so, gradcheck
// in double, and the misuse it rejects; the other loss ops (nll_loss, binary_cross_entropy,
// binary_cross_entropy_with_logits, smooth_l1_loss, huber_loss) against
// tests/reference/loss_cases.hpp (make_loss_reference.py): values, grad_fn names, the gradients of
// input and target, gradcheck in double, PyTorch's errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // isnan
#include <string>
#include <vector>

#include "ops/loss_harness.hpp"
#include "ops/op_harness.hpp"
#include "reference/nn_cases.hpp"  // kMseShapeWarning: PyTorch's words
#include "reference/ops_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
using et::Tensor;
using et::ops::Reduction;

using namespace eigentorch::testing::ops_harness;  // ref_inputs, check_group, gradcheck_group, ...

template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  if (op == "mse_mean") return et::ops::mse_loss(in[0], in[1], Reduction::Mean);
  if (op == "mse_sum") return et::ops::mse_loss(in[0], in[1], Reduction::Sum);
  if (op == "mse_none") return et::ops::mse_loss(in[0], in[1], Reduction::None);
  FAIL("unknown op " << op);
  return {};
}

}  // namespace

TEST_CASE_TEMPLATE("loss: mse_loss values, gradients of input and target, and grad_fn names equal PyTorch's", T,
                   float, double) {
  CHECK(check_group<T>("loss", run<T>) == 18);
}

TEST_CASE("loss: gradcheck on mse_loss for every reduction, input and target") {
  CHECK(gradcheck_group("loss", run<double>) == 12);
}

TEST_CASE("loss: float mse_loss and its gradients equal PyTorch's bit for bit, for an upstream gradient other than 1") {
  int checked = 0;
  for (const ref::OpCase& c : ref::op_cases) {
    if (std::string(c.group) != "loss" || !c.exact) continue;
    const std::string name = c.name;
    CAPTURE(name);
    std::vector<Tensor<float>> in = ref_inputs<float>(c);
    Tensor<float> out = run<float>(in, c);
    check_same_bits(out.to_vector(), ref_values(c.output));
    out.backward(ref_tensor<float>(c.grad_output));
    check_same_bits(in[0].grad().to_vector(), ref_values(c.grads[0]));
    check_same_bits(in[1].grad().to_vector(), ref_values(c.grads[1]));
    ++checked;
  }
  CHECK(checked == 9);
}

TEST_CASE_TEMPLATE("loss: the mean of no squared differences is nan and their sum is 0, as in PyTorch", T, float,
                   double) {
  Tensor<T> x = et::zeros<T>({0});
  CHECK(std::isnan(et::ops::mse_loss(x, x, Reduction::Mean).item()));
  CHECK(et::ops::mse_loss(x, x, Reduction::Sum).item() == T(0));
  CHECK(et::ops::mse_loss(x, x, Reduction::None).numel() == 0);
}

TEST_CASE("loss: input and target of different shapes throw with PyTorch's warning words") {
  CHECK_THROWS_WITH_AS(et::ops::mse_loss(et::zeros({3, 1}), et::zeros({3}), Reduction::Mean),
                       eigentorch::testing::nn_reference::kMseShapeWarning, et::Error);
}

// ---- nll_loss, binary_cross_entropy(_with_logits), smooth_l1_loss, huber_loss ---------------------

namespace {

namespace lh = eigentorch::testing::loss_harness;
namespace lr = eigentorch::testing::loss_reference;

Reduction reduction_of(const lr::LossCase& c) {
  const std::string r = c.reduction;
  return r == "mean" ? Reduction::Mean : r == "sum" ? Reduction::Sum : Reduction::None;
}

template <class T>
Tensor<T> run_op(const lr::LossCase& c, const lh::Inputs<T>& in) {
  const std::string op = c.op;
  const Reduction r = reduction_of(c);
  if (op == "nll") return et::ops::nll_loss(in.x, in.index, in.w, r, c.ignore_index);
  if (op == "bce") return et::ops::binary_cross_entropy(in.x, in.t, in.w, r);
  if (op == "bce_logits") return et::ops::binary_cross_entropy_with_logits(in.x, in.t, in.w, in.pw, r);
  if (op == "smooth_l1") return et::ops::smooth_l1_loss(in.x, in.t, r, c.number);
  if (op == "huber") return et::ops::huber_loss(in.x, in.t, r, c.number);
  FAIL("unknown op " << op);
  return {};
}

constexpr const char* kOps = " nll bce bce_logits smooth_l1 huber ";

}  // namespace

TEST_CASE_TEMPLATE("loss: nll_loss, binary_cross_entropy(_with_logits), smooth_l1_loss and huber_loss equal PyTorch's "
                   "values, grad_fn names and gradients of input and target",
                   T, float, double) {
  CHECK(lh::check_cases<T>(kOps, run_op<T>) == 62);
}

TEST_CASE("loss: gradcheck on nll_loss, binary_cross_entropy(_with_logits), smooth_l1_loss and huber_loss") {
  CHECK(lh::gradcheck_cases(kOps, run_op<double>) == 60);
}

TEST_CASE("loss: float nll_loss sums in PyTorch's cascade order: its values are PyTorch's bit for bit") {
  int checked = 0;
  for (const lr::LossCase& c : lr::loss_cases) {
    if (std::string(c.op) != "nll" || c.is_double || std::isnan(lh::values_of(c.out)[0])) continue;
    const std::string name = c.name;
    CAPTURE(name);
    lh::Inputs<float> in(c);
    const Tensor<float> out = run_op<float>(c, in);
    check_same_bits(out.to_vector(), lh::values_of(c.out));
    ++checked;
  }
  CHECK(checked == 26);
}

TEST_CASE("loss: nll_loss rejects misuse with PyTorch's messages and exception types") {
  const auto x = et::zeros({3, 5});
  const Tensor<int64_t> t = et::tensor<int64_t>({0, 1, 2});
  const Tensor<float> none;
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, et::tensor<int64_t>({0, 1}), none, Reduction::Mean, -100),
                       lh::torch_message("batch_size").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, et::tensor<int64_t>({0, 5, 1}), none, Reduction::Mean, -100),
                       lh::torch_message("target_out_of_bounds").c_str(), et::IndexError);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, et::tensor<int64_t>({0, 1, -1}), none, Reduction::None, -100),
                       lh::torch_message("target_negative").c_str(), et::IndexError);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 5, 2, 2}), et::full<int64_t>({2, 2, 2}, 7), none,
                                         Reduction::Mean, -100),
                       lh::torch_message("target_out_of_bounds_2d").c_str(), et::IndexError);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, t, et::ones({4}), Reduction::Mean, -100),
                       lh::torch_message("weight_size").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 3, 4, 4}), et::zeros<int64_t>({2, 4, 4}), et::ones({4}),
                                         Reduction::Mean, -100),
                       lh::torch_message("weight_size_2d").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 3, 4, 4}), et::zeros<int64_t>({2, 4, 5}), none,
                                         Reduction::Mean, -100),
                       lh::torch_message("size_mismatch_2d").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 3, 4, 4}), et::zeros<int64_t>({2, 16}), none,
                                         Reduction::Mean, -100),
                       lh::torch_message("spatial_target_dims").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 3, 4}), et::zeros<int64_t>({2, 5}), none, Reduction::Mean, -100),
                       lh::torch_message("target_size_nd").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, et::zeros<int64_t>({3, 2}), none, Reduction::Mean, -100),
                       lh::torch_message("multi_target").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({5}), et::zeros<int64_t>({3}), none, Reduction::Mean, -100),
                       lh::torch_message("size_mismatch_1d").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros<float>({}), et::zeros<int64_t>({}), none, Reduction::Mean, -100),
                       lh::torch_message("no_dims").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(x, t, et::ones({5}).requires_grad_(), Reduction::Mean, -100),
                       lh::torch_message("weight_requires_grad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::nll_loss(et::zeros({2, 3, 2, 2}), et::zeros<int64_t>({2, 2, 2}),
                                         et::ones({3}).requires_grad_(), Reduction::Mean, -100),
                       lh::torch_message("weight_requires_grad_2d").c_str(), et::Error);
  {
    et::NoGradGuard no_grad;  // PyTorch only refuses a weight that requires grad while grad mode is on
    CHECK(et::ops::nll_loss(x, t, et::ones({5}).requires_grad_(), Reduction::Sum, -100).item() == 0.0f);
  }
}

TEST_CASE("loss: the mean nll_loss of no targets, or only ignored ones, is nan, and its gradient zeros") {
  auto x = et::zeros({0, 3}).requires_grad_();
  const Tensor<float> none;
  CHECK(std::isnan(et::ops::nll_loss(x, et::zeros<int64_t>({0}), none, Reduction::Mean, -100).item()));
  CHECK(et::ops::nll_loss(x, et::zeros<int64_t>({0}), none, Reduction::Sum, -100).item() == 0.0f);
  auto y = et::ones({2, 3}).requires_grad_();
  auto loss = et::ops::nll_loss(y, et::full<int64_t>({2}, -100), none, Reduction::Mean, -100);
  CHECK(std::isnan(loss.item()));
  loss.backward();
  CHECK(y.grad().to_vector() == std::vector<float>(6, 0.0f));
}

TEST_CASE("loss: binary cross entropy, smooth_l1_loss and huber_loss reject misuse with PyTorch's messages") {
  const auto a = et::full({3}, 0.5f);
  const Tensor<float> none;
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy(a, et::zeros({4}), none, Reduction::Mean),
                       lh::torch_message("bce_size").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy(a, a, et::ones({4}), Reduction::Mean),
                       lh::torch_message("bce_weight").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy(et::full({1}, 1.5f), et::zeros({1}), none, Reduction::Mean),
                       lh::torch_message("bce_range").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy(a, a, et::ones({3}).requires_grad_(), Reduction::Mean),
                       lh::torch_message("bce_weight_requires_grad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy_with_logits(a, et::zeros({4}), none, none, Reduction::Mean),
                       lh::torch_message("bce_logits_size").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy_with_logits(a, a, et::ones({4}), none, Reduction::Mean),
                       lh::torch_message("bce_logits_weight").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::binary_cross_entropy_with_logits(a, a, none, et::ones({4}), Reduction::Mean),
                       lh::torch_message("bce_logits_pos_weight").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(
      et::ops::binary_cross_entropy_with_logits(a, a, et::ones({3}).requires_grad_(), none, Reduction::Mean),
      lh::torch_message("bce_logits_weight_requires_grad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(
      et::ops::binary_cross_entropy_with_logits(a, a, none, et::ones({3}).requires_grad_(), Reduction::Mean),
      lh::torch_message("bce_logits_pos_weight_requires_grad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::smooth_l1_loss(a, a, Reduction::Mean, -1.0), lh::torch_message("smooth_l1_beta").c_str(),
                       et::Error);
  CHECK_THROWS_WITH_AS(et::ops::huber_loss(a, a, Reduction::Mean, 0.0), lh::torch_message("huber_delta").c_str(),
                       et::Error);
  CHECK_THROWS_WITH_AS(et::ops::huber_loss(et::zeros({3, 1}), et::zeros({3}), Reduction::Mean, 1.0),
                       eigentorch::testing::nn_reference::kMseShapeWarning, et::Error);
}
