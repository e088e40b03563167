// Tests for ops/pointwise.hpp: exp, log, sqrt, abs, tanh, sigmoid, relu and pow (scalar and tensor
// exponents, and a scalar base), against PyTorch 1.13 (tests/reference/ops_cases.hpp), with edge values.
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
  if (op == "exp") return et::exp(in[0]);
  if (op == "log") return et::log(in[0]);
  if (op == "sqrt") return et::sqrt(in[0]);
  if (op == "abs") return et::abs(in[0]);
  if (op == "tanh") return et::tanh(in[0]);
  if (op == "sigmoid") return et::sigmoid(in[0]);
  if (op == "relu") return et::relu(in[0]);
  if (op == "pow_scalar") return in[0].pow(c.s);
  if (op == "pow_tensor") return in[0].pow(in[1]);
  if (op == "rpow_scalar") return et::pow(c.s, in[0]);
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("pointwise: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("pointwise", run<T>) >= 47);
}

TEST_CASE("pointwise: gradcheck on every op, pow with scalar and tensor exponents") {
  CHECK(gradcheck_group("pointwise", run<double>) >= 30);
}

TEST_CASE_TEMPLATE("pointwise: methods and free functions agree", T, float, double) {
  et::manual_seed(5);
  Tensor<T> x = et::rand<T>({3, 4}) + 0.1;
  Tensor<T> e = et::randn<T>({3, 4});
  CHECK(x.exp().to_vector() == et::exp(x).to_vector());
  CHECK(x.log().to_vector() == et::log(x).to_vector());
  CHECK(x.sqrt().to_vector() == et::sqrt(x).to_vector());
  CHECK(e.abs().to_vector() == et::abs(e).to_vector());
  CHECK(e.tanh().to_vector() == et::tanh(e).to_vector());
  CHECK(e.sigmoid().to_vector() == et::sigmoid(e).to_vector());
  CHECK(e.relu().to_vector() == et::relu(e).to_vector());
  CHECK(x.pow(2.5).to_vector() == et::pow(x, 2.5).to_vector());
  CHECK(x.pow(3).to_vector() == et::pow(x, 3).to_vector());
  CHECK(x.pow(e).to_vector() == et::pow(x, e).to_vector());
  CHECK(et::nn::functional::tanh(e).to_vector() == et::tanh(e).to_vector());
  CHECK(et::nn::functional::sigmoid(e).to_vector() == et::sigmoid(e).to_vector());
  CHECK(et::nn::functional::relu(e).to_vector() == et::relu(e).to_vector());
}

TEST_CASE("pointwise: pow with exponents that do not broadcast throws PyTorch's message") {
  et::manual_seed(0);
  CHECK_THROWS_WITH_AS(et::randn({3}).pow(et::randn({4})), torch_message("pow [3] [4]"), et::Error);
}

}  // namespace
