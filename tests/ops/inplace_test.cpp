// Tests for ops/inplace.hpp: in-place ops recorded on non-leaf tensors (values, gradients, grad_fn
// names against PyTorch 1.13, tests/reference/ops_cases.hpp), version counters, the refusal on leaves
// that require grad, NoGradGuard, saved tensors modified before backward, and views sharing storage.
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

/// Each op runs on a clone of the first input (a non-leaf), as the reference script does.
template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  Tensor<T> x = in[0].clone();
  if (op == "add_") return x.add_(in[1]);
  if (op == "add_alpha_") return x.add_(in[1], static_cast<T>(c.s));
  if (op == "sub_") return x.sub_(in[1]);
  if (op == "mul_") return x.mul_(in[1]);
  if (op == "div_") return x.div_(in[1]);
  if (op == "add_scalar_") return x.add_(c.s);
  if (op == "sub_scalar_") return x.sub_(c.s);
  if (op == "mul_scalar_") return x.mul_(c.s);
  if (op == "div_scalar_") return x.div_(c.s);
  if (op == "fill_") return x.fill_(static_cast<T>(c.s));
  if (op == "zero_") return x.zero_();
  if (op == "copy_") return x.copy_(in[1]);
  if (op == "chain_") {
    Tensor<T> y = in[0] * 2;
    y.add_(in[1]);
    y.mul_(in[1]);
    return y.tanh();
  }
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("inplace: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("inplace", run<T>) >= 14);
}

TEST_CASE("inplace: gradcheck on in-place ops recorded on non-leaf tensors") {
  CHECK(gradcheck_group("inplace", run<double>) >= 14);
}

TEST_CASE("inplace: every in-place op bumps the version counter, a view's too, as PyTorch counts") {
  Tensor<float> x = et::zeros({2, 3});
  Tensor<float> v = x.view({6});
  std::vector<int> actual{static_cast<int>(x.version())};
  x.add_(1);
  actual.push_back(static_cast<int>(x.version()));
  x.mul_(et::ones({3}));
  actual.push_back(static_cast<int>(x.version()));
  v.fill_(2);
  actual.push_back(static_cast<int>(x.version()));
  x.zero_();
  actual.push_back(static_cast<int>(x.version()));
  x.copy_(et::ones({2, 3}));
  actual.push_back(static_cast<int>(x.version()));
  x.div_(2);
  actual.push_back(static_cast<int>(x.version()));
  x.sub_(et::ones({1}));
  actual.push_back(static_cast<int>(x.version()));
  std::vector<int> expected;
  for (const ref::VersionStep& s : ref::version_steps) expected.push_back(s.version);
  CHECK(actual == expected);
  CHECK(v.version() == x.version());
}

TEST_CASE_TEMPLATE("inplace: a leaf that requires grad refuses in-place ops with PyTorch's message", T, float, double) {
  Tensor<T> w = et::ones<T>({2, 3});
  w.requires_grad_();
  const Tensor<T> other = et::ones<T>({2, 3});
  CHECK_THROWS_WITH_AS(w.add_(1), torch_message("leaf add_"), et::Error);
  CHECK_THROWS_WITH_AS(w.mul_(other), torch_message("leaf mul_"), et::Error);
  CHECK_THROWS_WITH_AS(w.fill_(T(1)), torch_message("leaf fill_"), et::Error);
  CHECK_THROWS_WITH_AS(w.zero_(), torch_message("leaf zero_"), et::Error);
  CHECK_THROWS_WITH_AS(w.copy_(other), torch_message("leaf copy_"), et::Error);
  CHECK_THROWS_WITH_AS(w.sub_(other), torch_message("leaf add_"), et::Error);
  CHECK_THROWS_WITH_AS(w.div_(2), torch_message("leaf add_"), et::Error);
  CHECK_THROWS_WITH_AS(w += other, torch_message("leaf add_"), et::Error);
  CHECK_THROWS_WITH_AS(w.uniform_(0, 1), torch_message("leaf add_"), et::Error);
  CHECK_THROWS_WITH_AS(w.normal_(0, 1), torch_message("leaf add_"), et::Error);
  CHECK(w.version() == 0);  // refused before writing anything
  CHECK(w.to_vector() == std::vector<T>(6, T(1)));
}

TEST_CASE_TEMPLATE("inplace: NoGradGuard lets a leaf that requires grad be updated in place", T, float, double) {
  Tensor<T> w = et::tensor<T>({1.0, 2.0, 3.0});
  w.requires_grad_();
  (w * w).sum().backward();
  {
    et::NoGradGuard no_grad;
    w.sub_(w.grad(), T(0.5));  // an SGD step: w -= 0.5 * 2w
    w.mul_(2);
    w.add_(et::tensor<T>({1.0, 1.0, 1.0}));
  }
  CHECK(w.to_vector() == std::vector<T>{1, 1, 1});
  CHECK(w.version() == 3);
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
  CHECK(w.grad_fn() == nullptr);
  // The graph still works, from the new values.
  w.set_grad(Tensor<T>());
  (w * 3.0).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<T>{3, 3, 3});
}

TEST_CASE_TEMPLATE("inplace: on a tensor outside any graph nothing is recorded", T, float, double) {
  Tensor<T> x = et::ones<T>({2, 2});
  x.add_(1).mul_(3).sub_(et::ones<T>({2}));
  x += 1;
  x *= et::full<T>({2, 2}, 2);
  x /= 4;
  x -= et::ones<T>({1});
  CHECK(x.to_vector() == std::vector<T>(4, T(2)));
  CHECK_FALSE(x.requires_grad());
  CHECK(x.grad_fn() == nullptr);
  CHECK(x.version() == 7);
}

TEST_CASE("inplace: modifying a saved tensor then calling backward throws PyTorch's version message") {
  et::manual_seed(0);
  SUBCASE("the output exp saved") {
    Tensor<float> x = et::randn({2, 3});
    x.requires_grad_();
    Tensor<float> y = x.exp();
    y.add_(1);
    CHECK_THROWS_WITH_AS(y.sum().backward(), torch_message("version: output of ExpBackward0"), et::Error);
  }
  SUBCASE("a leaf log saved, changed under NoGradGuard") {
    Tensor<float> x = et::rand({2, 3});
    x.requires_grad_();
    Tensor<float> y = x.log();
    {
      et::NoGradGuard no_grad;
      x.mul_(2);
    }
    CHECK_THROWS_WITH_AS(y.sum().backward(), torch_message("version: leaf saved by log"), et::Error);
  }
  SUBCASE("a non-leaf mul saved") {
    Tensor<float> a = et::randn({2, 3});
    a.requires_grad_();
    Tensor<float> b = a * 2;
    Tensor<float> c = a * b;
    b.add_(1);
    CHECK_THROWS_WITH_AS(c.sum().backward(), torch_message("version: non-leaf saved by mul"), et::Error);
  }
  SUBCASE("the output tanh saved, changed twice") {
    Tensor<float> x = et::randn({4});
    x.requires_grad_();
    Tensor<float> y = x.tanh();
    y.mul_(2);
    y.add_(1);
    CHECK_THROWS_WITH_AS(y.sum().backward(), torch_message("version: output of TanhBackward0 twice"), et::Error);
  }
}

TEST_CASE_TEMPLATE("inplace: an in-place op through a view changes its base, and the other way round", T, float,
                   double) {
  Tensor<T> x = et::zeros<T>({2, 3});
  Tensor<T> row = x.view({6});
  Tensor<T> col = x.reshape({6, 1});
  row.fill_(T(2));
  CHECK(x.to_vector() == std::vector<T>(6, T(2)));
  col.mul_(et::tensor<T>({3.0}));
  CHECK(x.to_vector() == std::vector<T>(6, T(6)));
  x.sub_(5);
  CHECK(row.to_vector() == std::vector<T>(6, T(1)));
  CHECK(x.version() == 3);
  CHECK(row.version() == 3);
  CHECK(col.version() == 3);
  Tensor<T> copy = x.clone();
  copy.zero_();
  CHECK(x.to_vector() == std::vector<T>(6, T(1)));  // a clone does not share
  CHECK(x.version() == 3);
}

TEST_CASE("inplace: an operand that does not broadcast to self throws PyTorch's message") {
  et::manual_seed(0);
  Tensor<float> a = et::randn({3});
  Tensor<float> b = et::randn({2, 1});
  Tensor<float> c = et::randn({2, 3});
  CHECK_THROWS_WITH_AS(a.add_(et::randn({2, 3})), torch_message("add_ [3] [2,3]"), et::Error);
  CHECK_THROWS_WITH_AS(b.mul_(et::randn({2, 3})), torch_message("mul_ [2,1] [2,3]"), et::Error);
  CHECK_THROWS_WITH_AS(c.copy_(et::randn({4})), torch_message("copy_ [2,3] [4]"), et::Error);
  CHECK(a.version() == 0);
  CHECK(b.version() == 0);
  CHECK(c.version() == 0);
}

}  // namespace
