// Tests for ops/shape.hpp: reshape, view, unsqueeze, squeeze, flatten, t, transpose and clone, against
// PyTorch 1.13 (tests/reference/ops_cases.hpp), and which of them share storage with their input.
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
  const et::Size arg(std::vector<int64_t>(c.arg, c.arg + c.arg_len));
  if (op == "reshape") return in[0].reshape(arg);
  if (op == "view") return in[0].view(arg);
  if (op == "unsqueeze") return in[0].unsqueeze(c.dim);
  if (op == "squeeze") return in[0].squeeze();
  if (op == "squeeze_dim") return in[0].squeeze(c.dim);
  if (op == "flatten" && c.arg_len == 0) return in[0].flatten();
  if (op == "flatten" && c.arg_len == 1) return in[0].flatten(c.arg[0]);
  if (op == "flatten") return in[0].flatten(c.arg[0], c.arg[1]);
  if (op == "t") return in[0].t();
  if (op == "transpose") return in[0].transpose(c.arg[0], c.arg[1]);
  if (op == "clone") return in[0].clone();
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("shape: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("shape", run<T>) >= 28);
}

TEST_CASE("shape: gradcheck on every shape op") {
  CHECK(gradcheck_group("shape", run<double>) >= 28);
}

TEST_CASE_TEMPLATE("shape: reshape, view, unsqueeze, squeeze and flatten share storage, clone does not", T, float,
                   double) {
  Tensor<T> x = et::arange<T>(6).reshape({2, 3});
  const std::vector<Tensor<T>> views = {x.reshape({3, 2}), x.view({-1}), x.unsqueeze(0), x.unsqueeze(0).squeeze(),
                                        x.unsqueeze(1).squeeze(1), x.flatten()};
  Tensor<T> copy = x.clone();
  x.data()[4] = T(40);
  for (const Tensor<T>& v : views) CHECK(v.data()[4] == T(40));
  CHECK(copy.data()[4] == T(4));
  views[1].data()[0] = T(-1);  // and the other way round
  CHECK(x.data()[0] == T(-1));
}

TEST_CASE_TEMPLATE("shape: free functions agree with methods", T, float, double) {
  et::manual_seed(2);
  Tensor<T> x = et::randn<T>({2, 1, 3});
  CHECK(et::reshape(x, {3, 2}).to_vector() == x.reshape({3, 2}).to_vector());
  CHECK(et::unsqueeze(x, -1).shape() == et::Size({2, 1, 3, 1}));
  CHECK(et::squeeze(x).shape() == et::Size({2, 3}));
  CHECK(et::squeeze(x, 1).shape() == et::Size({2, 3}));
  CHECK(et::flatten(x).shape() == et::Size({6}));
  CHECK(et::flatten(x, 1).shape() == et::Size({2, 3}));
  CHECK(et::transpose(x, 0, 2).to_vector() == x.transpose(0, 2).to_vector());
  Tensor<T> m = x.squeeze();
  CHECK(et::t(m).to_vector() == m.t().to_vector());
  CHECK(m.t().shape() == et::Size({3, 2}));
  const T* v = m.data();
  CHECK(m.t().to_vector() == std::vector<T>{v[0], v[3], v[1], v[4], v[2], v[5]});
}

TEST_CASE("shape: bad shapes and dims throw PyTorch's messages") {
  et::manual_seed(0);
  Tensor<float> x = et::randn({2, 3});
  CHECK_THROWS_WITH_AS(x.reshape({4, -1}), torch_message("reshape [2,3] [4,-1]"), et::Error);
  CHECK_THROWS_WITH_AS(x.reshape({5}), torch_message("reshape [2,3] [5]"), et::Error);
  CHECK_THROWS_WITH_AS(x.reshape({-1, -1}), torch_message("reshape [2,3] [-1,-1]"), et::Error);
  CHECK_THROWS_WITH_AS(x.view({4}), torch_message("view [2,3] [4]"), et::Error);
  CHECK_THROWS_WITH_AS(et::randn({3}).unsqueeze(2), torch_message("unsqueeze [3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(x.squeeze(2), torch_message("squeeze [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(x.transpose(0, 2), torch_message("transpose [2,3] 0 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn({2, 3, 4}).flatten(2, 0), torch_message("flatten [2,3,4] 2 0"), et::Error);
  CHECK_THROWS_WITH_AS(x.flatten(0, 5), torch_message("flatten [2,3] 0 5"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn({2, 3, 4}).t(), torch_message("t [2,3,4]"), et::Error);
}

}  // namespace
