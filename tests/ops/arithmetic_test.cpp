// Tests for ops/arithmetic.hpp: + - * / with broadcasting and with scalars, and unary minus, against
// PyTorch 1.13 (tests/reference/ops_cases.hpp): values, gradients, grad_fn names, gradcheck, messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <cstring>      // strcmp
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "ops/op_harness.hpp"
#include "reference/ops_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
using et::Tensor;

using namespace eigentorch::testing::ops_harness;  // ref_inputs, check_group, gradcheck_group, ...

// ---- the ops, by the names the reference script gives them -------------------------------------------

template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  const double s = c.s;
  if (op == "add") return in[0] + in[1];
  if (op == "sub") return in[0] - in[1];
  if (op == "mul") return in[0] * in[1];
  if (op == "div") return in[0] / in[1];
  if (op == "add_scalar") return in[0] + s;
  if (op == "radd_scalar") return s + in[0];
  if (op == "sub_scalar") return in[0] - s;
  if (op == "rsub_scalar") return s - in[0];
  if (op == "mul_scalar") return in[0] * s;
  if (op == "rmul_scalar") return s * in[0];
  if (op == "div_scalar") return in[0] / s;
  if (op == "rdiv_scalar") return s / in[0];
  if (op == "neg") return -in[0];
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("arithmetic: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("arithmetic", run<T>) >= 80);
}

TEST_CASE("arithmetic: gradcheck on every op, broadcasting and scalar forms") {
  CHECK(gradcheck_group("arithmetic", run<double>) >= 80);
}

TEST_CASE_TEMPLATE("arithmetic: methods and free functions compute what the operators do", T, float, double) {
  et::manual_seed(3);
  Tensor<T> a = et::randn<T>({2, 3}), b = et::rand<T>({3}) + 0.5;
  CHECK(a.add(b).to_vector() == (a + b).to_vector());
  CHECK(a.sub(b).to_vector() == (a - b).to_vector());
  CHECK(a.mul(b).to_vector() == (a * b).to_vector());
  CHECK(a.div(b).to_vector() == (a / b).to_vector());
  CHECK(et::add(a, b).to_vector() == (a + b).to_vector());
  CHECK(et::sub(a, b).to_vector() == (a - b).to_vector());
  CHECK(et::mul(a, b).to_vector() == (a * b).to_vector());
  CHECK(et::div(a, b).to_vector() == (a / b).to_vector());
  CHECK(et::neg(a).to_vector() == (-a).to_vector());
  CHECK(a.neg().to_vector() == (-a).to_vector());
  // An int scalar is a Python int: cast to T, as a float 2.0 would be.
  CHECK((a + 2).to_vector() == (a + 2.0).to_vector());
  CHECK((2 - a).to_vector() == (2.0 - a).to_vector());
  CHECK((a * 3).to_vector() == (a * 3.0f).to_vector());
}

TEST_CASE_TEMPLATE("arithmetic: nothing is recorded without requires_grad or under NoGradGuard", T, float, double) {
  Tensor<T> a = et::tensor<T>({1.0, 2.0}), b = et::tensor<T>({3.0, 4.0});
  Tensor<T> plain = a * b + 1.0;
  CHECK_FALSE(plain.requires_grad());
  CHECK(plain.grad_fn() == nullptr);
  a.requires_grad_();
  {
    et::NoGradGuard no_grad;
    Tensor<T> c = a * b - a / b;
    CHECK_FALSE(c.requires_grad());
    CHECK(c.is_leaf());
  }
  Tensor<T> d = a * b;
  CHECK(d.requires_grad());
  CHECK_FALSE(d.is_leaf());
}

TEST_CASE_TEMPLATE("arithmetic: a tensor used twice gets both gradients summed", T, float, double) {
  Tensor<T> x = et::tensor<T>({1.5, -2.0, 0.25});
  x.requires_grad_();
  Tensor<T> y = (x * x + x / 2.0 - 3.0 * x).sum();  // dy/dx = 2x + 1/2 - 3
  y.backward();
  et::testing::check_allclose(x.grad().to_vector(), std::vector<double>{0.5, -6.5, -2.0}, 1e-6, 1e-7);
}

TEST_CASE("arithmetic: shape mismatches throw PyTorch's message") {
  et::manual_seed(0);
  CHECK_THROWS_WITH_AS(et::randn({2, 3}) + et::randn({4}), torch_message("add [2,3] [4]"), et::Error);
  CHECK_THROWS_WITH_AS(et::randn({3, 2}) * et::randn({3}), torch_message("mul [3,2] [3]"), et::Error);
  CHECK_THROWS_WITH_AS(et::randn({2, 3, 4}) - et::randn({3, 1, 5}), torch_message("sub [2,3,4] [3,1,5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::randn({5}) / et::randn({2, 4}), torch_message("div [5] [2,4]"), et::Error);
}

}  // namespace
