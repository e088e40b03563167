// Tests for ops/reduce.hpp and detail/sum_order.hpp: sum and mean, whole and per dim, keepdim and
// negative dims, against PyTorch 1.13 (tests/reference/ops_cases.hpp). Float means over 11, 100 and
// 1000 values must equal PyTorch's bit for bit (ATen's SumKernel order).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // isnan
#include <cstdint>      // int64_t
#include <cstring>      // strcmp
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/ops_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
using et::Tensor;

// ---- the reference harness (each tests/ops file carries this copy) ---------------------------------

template <class T>
using Op = Tensor<T> (*)(std::vector<Tensor<T>>&, const ref::OpCase&);

int64_t ref_numel(const ref::TensorRef& r) {
  int64_t n = 1;
  for (int i = 0; i < r.ndim; ++i) n *= r.shape[i];
  return n;
}
et::Size ref_shape(const ref::TensorRef& r) { return et::Size(std::vector<int64_t>(r.shape, r.shape + r.ndim)); }
std::vector<double> ref_values(const ref::TensorRef& r) {
  return std::vector<double>(ref::ops_values + r.offset, ref::ops_values + r.offset + ref_numel(r));
}
template <class T>
Tensor<T> ref_tensor(const ref::TensorRef& r, bool requires_grad = false) {
  std::vector<T> v;
  for (double x : ref_values(r)) v.push_back(static_cast<T>(x));
  Tensor<T> t = et::from_vector(v, ref_shape(r));
  t.requires_grad_(requires_grad);
  return t;
}
template <class T>
std::vector<Tensor<T>> ref_inputs(const ref::OpCase& c) {
  std::vector<Tensor<T>> in;
  for (int i = 0; i < c.n_inputs; ++i) in.push_back(ref_tensor<T>(c.inputs[i], c.requires_grad[i]));
  return in;
}
template <class T>
bool in_group(const ref::OpCase& c, const char* group) {
  return std::strcmp(c.group, group) == 0 && c.is_double == std::is_same_v<T, double>;
}
template <class T>
void check_values(const Tensor<T>& actual, const ref::TensorRef& expected) {
  CHECK(actual.shape() == ref_shape(expected));
  if (std::is_same_v<T, float>)
    et::testing::check_allclose(actual.to_vector(), ref_values(expected), 1e-5, 1e-6);
  else
    et::testing::check_allclose(actual.to_vector(), ref_values(expected), 1e-10, 1e-12);
}

/// Forward value, grad_fn name, and every input's gradient for the fixed upstream gradient.
template <class T>
void check_case(const ref::OpCase& c, Op<T> op) {
  const std::string name = c.name;
  CAPTURE(name);
  try {
    std::vector<Tensor<T>> in = ref_inputs<T>(c);
    Tensor<T> out = op(in, c);
    check_values(out, c.output);
    CHECK(std::string(out.grad_fn() ? out.grad_fn()->display_name() : "") == std::string(c.grad_fn));
    out.backward(ref_tensor<T>(c.grad_output));
    for (int i = 0; i < c.n_inputs; ++i) {
      if (c.grads[i].ndim == -1) continue;
      CAPTURE(i);
      const Tensor<T> grad = in[static_cast<std::size_t>(i)].grad();
      if (c.grads[i].ndim == -2) {
        CHECK_MESSAGE(!grad.defined(), "PyTorch leaves this input's grad None");
        continue;
      }
      CHECK_MESSAGE(grad.defined(), "PyTorch gives this input a gradient; eigentorch leaves grad() undefined");
      if (grad.defined()) check_values(grad, c.grads[i]);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK(name << " threw: " << std::string(e.what()));
  }
}

template <class T>
int check_group(const char* group, Op<T> op) {
  int n = 0;
  for (const ref::OpCase& c : ref::op_cases)
    if (in_group<T>(c, group)) {
      check_case<T>(c, op);
      ++n;
    }
  return n;
}

/// Every double case of the group on which PyTorch's gradcheck passes must pass ours (PyTorch's
/// defaults: eps 1e-6, atol 1e-5, rtol 1e-3).
int gradcheck_group(const char* group, Op<double> op) {
  int n = 0;
  for (const ref::OpCase& c : ref::op_cases) {
    if (!in_group<double>(c, group) || !c.gradcheck) continue;
    const std::string name = c.name;
    CAPTURE(name);
    try {
      CHECK(et::autograd::gradcheck([&](std::vector<Tensor<double>>& v) { return op(v, c); }, ref_inputs<double>(c)));
    } catch (const std::exception& e) {
      FAIL_CHECK(name << " failed gradcheck: " << std::string(e.what()));
    }
    ++n;
  }
  return n;
}

const char* torch_message(const char* key) {
  for (const ref::OpError& e : ref::op_errors)
    if (std::strcmp(e.key, key) == 0) return e.message;
  FAIL("no reference message " << std::string(key));
  return "";
}

// ---- the ops, by the names the reference script gives them -------------------------------------------

template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  if (op == "sum") return in[0].sum();
  if (op == "mean") return in[0].mean();
  if (op == "sum_dim") return in[0].sum(c.dim, c.keepdim);
  if (op == "mean_dim") return in[0].mean(c.dim, c.keepdim);
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("reduce: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("reduce", run<T>) >= 38);
}

TEST_CASE("reduce: gradcheck on sum and mean, whole and per dim") {
  CHECK(gradcheck_group("reduce", run<double>) >= 30);
}

/// Runs the float cases `pick` selects and checks their outputs equal PyTorch's bit for bit.
template <class Pick>
int check_bits(Pick pick) {
  int checked = 0;
  for (const ref::OpCase& c : ref::op_cases) {
    if (!in_group<float>(c, "reduce") || !pick(c)) continue;
    const std::string name = c.name;
    CAPTURE(name);
    std::vector<Tensor<float>> in = ref_inputs<float>(c);
    const std::vector<float> actual = run<float>(in, c).to_vector();
    const std::vector<double> expected = ref_values(c.output);
    REQUIRE(actual.size() == expected.size());
    std::size_t differ = 0, first = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
      if (actual[i] == static_cast<float>(expected[i])) continue;  // exact: no tolerance
      if (differ++ == 0) first = i;
    }
    CAPTURE(first);
    CAPTURE(actual[first]);
    CAPTURE(static_cast<float>(expected[first]));
    CHECK_MESSAGE(differ == 0, differ << " of " << actual.size() << " elements differ from PyTorch's bits");
    ++checked;
  }
  return checked;
}

TEST_CASE("reduce: float sums and means over 11, 100 and 1000 values equal PyTorch's bit for bit") {
  CHECK(check_bits([](const ref::OpCase& c) { return c.exact; }) == 8);
}

TEST_CASE("reduce: float sums and means along a dim of 35 to 1000 values equal PyTorch's bit for bit") {
  // Contiguous rows, one column, and column groups of 32, 8 and 1 (detail::sum_columns).
  auto long_dim = [](const ref::OpCase& c) {
    return ref_numel(c.inputs[0]) >= 500 && std::string(c.op).find("_dim") != std::string::npos;
  };
  CHECK(check_bits(long_dim) == 8);
}

TEST_CASE_TEMPLATE("reduce: free functions agree with methods", T, float, double) {
  et::manual_seed(1);
  Tensor<T> x = et::randn<T>({3, 4, 5});
  CHECK(et::sum(x).to_vector() == x.sum().to_vector());
  CHECK(et::mean(x).to_vector() == x.mean().to_vector());
  CHECK(et::sum(x, 1).to_vector() == x.sum(1).to_vector());
  CHECK(et::mean(x, -1, true).to_vector() == x.mean(-1, true).to_vector());
  CHECK(et::mean(x, -1, true).shape() == et::Size({3, 4, 1}));
  CHECK(x.sum(0).shape() == et::Size({4, 5}));
  CHECK(x.sum().dim() == 0);
}

TEST_CASE_TEMPLATE("reduce: the mean of no elements is nan and their sum is 0, as in PyTorch", T, float, double) {
  Tensor<T> empty = et::zeros<T>({0});
  CHECK(empty.sum().item() == T(0));
  CHECK(std::isnan(empty.mean().item()));
}

TEST_CASE("reduce: a dim out of range throws PyTorch's IndexError") {
  et::manual_seed(0);
  CHECK_THROWS_WITH_AS(et::randn({2, 3}).sum(2), torch_message("sum [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn({2, 3}).mean(-3), torch_message("mean [2,3] dim -3"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn(et::Size{}).sum(1), torch_message("sum 0-d dim 1"), et::IndexError);
}

}  // namespace
