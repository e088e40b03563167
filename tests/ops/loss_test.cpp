// Tests for ops/loss.hpp: mse_loss with every reduction against PyTorch 1.13
// (tests/reference/ops_cases.hpp, group "loss"), float bit for bit where the case says so, gradcheck
// in double, and the misuse it rejects.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // isnan
#include <string>
#include <vector>

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
