// Tests for ops/reduce.hpp and detail/sum_order.hpp: sum and mean, whole and per dim, keepdim and
// negative dims, against PyTorch 1.13 (tests/reference/ops_cases.hpp). Float means over 11, 100 and
// 1000 values must equal PyTorch's bit for bit (ATen's SumKernel order). max, min, prod, var, std,
// logsumexp, norm and cumsum against tests/reference/reduce_cases.hpp.
#include <eigentorch/eigentorch.hpp>
#include <eigentorch/graph.hpp>

#include <doctest/doctest.h>

#include <cmath>        // isnan
#include <cstdint>      // int64_t
#include <cstring>      // strcmp
#include <exception>
#include <limits>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "ops/op_harness.hpp"
#include "reference/ops_cases.hpp"
#include "reference/reduce_cases.hpp"
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
    check_same_bits(run<float>(in, c).to_vector(), ref_values(c.output));
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

// ---- max, min, prod, var, std, logsumexp, norm, cumsum (tests/reference/reduce_cases.hpp) -------------

namespace rr = eigentorch::reference::reduce;

et::Size case_shape(const rr::TensorRef& r) { return et::Size(std::vector<int64_t>(r.shape, r.shape + r.ndim)); }
std::vector<double> case_values(const rr::TensorRef& r) {
  const int64_t n = case_shape(r).numel();
  return std::vector<double>(rr::values + r.offset, rr::values + r.offset + n);
}
template <class T>
Tensor<T> case_tensor(const rr::TensorRef& r) {
  std::vector<T> v;
  for (double x : case_values(r)) v.push_back(static_cast<T>(x));
  return et::from_vector(v, case_shape(r));
}
template <class T>
void check_case_values(const Tensor<T>& actual, const rr::TensorRef& expected) {
  CHECK(actual.shape() == case_shape(expected));
  if (std::is_same_v<T, float>)
    et::testing::check_allclose(actual.to_vector(), case_values(expected), 1e-5, 1e-6);
  else
    et::testing::check_allclose(actual.to_vector(), case_values(expected), 1e-10, 1e-12);
}

template <class T>
Tensor<T> run_more(const Tensor<T>& x, const rr::Case& c) {
  const std::string op = c.op;
  if (op == "max") return x.max();
  if (op == "min") return x.min();
  if (op == "prod") return x.prod();
  if (op == "prod_dim") return x.prod(c.dim, c.keepdim);
  if (op == "var") return x.var(c.unbiased);
  if (op == "var_dim") return x.var(c.dim, c.unbiased, c.keepdim);
  if (op == "std") return x.std(c.unbiased);
  if (op == "std_dim") return x.std(c.dim, c.unbiased, c.keepdim);
  if (op == "logsumexp") return x.logsumexp(c.dim, c.keepdim);
  if (op == "norm") return x.norm(c.p);
  if (op == "cumsum") return x.cumsum(c.dim);
  FAIL("unknown op " << op);
  return {};
}

template <class T>
bool is_dtype(const rr::Case& c) { return c.is_double == std::is_same_v<T, double>; }

/// Runs every case of T's dtype that pick(c) selects: its op on the input (requiring grad), then
/// backward from the case's upstream gradient; check(c, x, y) compares. Returns how many ran.
template <class T, class Pick, class Check>
int run_cases(Pick pick, Check check) {
  int n = 0;
  for (const rr::Case& c : rr::cases) {
    if (!is_dtype<T>(c) || !pick(c)) continue;
    const std::string name = c.name;
    CAPTURE(name);
    Tensor<T> x = case_tensor<T>(c.input);
    x.requires_grad_();
    const Tensor<T> y = run_more(x, c);
    y.backward(case_tensor<T>(c.grad_output));
    check(c, x, y);
    ++n;
  }
  return n;
}

TEST_CASE_TEMPLATE("reduce: max, min, prod, var, std, logsumexp, norm, cumsum: values, gradients, names", T, float,
                   double) {
  const int n = run_cases<T>([](const rr::Case&) { return true; }, [](const rr::Case& c, const Tensor<T>& x, const Tensor<T>& y) {
    check_case_values(y, c.output);
    CHECK(std::string(y.grad_fn()->display_name()) == c.grad_fn);
    if (c.grad.ndim == -2) {
      CHECK_MESSAGE(!x.grad().defined(), "PyTorch leaves the gradient None");
    } else {
      REQUIRE(x.grad().defined());
      check_case_values(x.grad(), c.grad);
    }
  });
  CHECK(n == 116);
}

/// Every element of actual equals PyTorch's exactly (no tolerance).
template <class T>
void check_bits(const Tensor<T>& actual, const rr::TensorRef& expected) {
  const std::vector<double> e = case_values(expected);
  const std::vector<T> a = actual.to_vector();
  REQUIRE(a.size() == e.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != static_cast<T>(e[i]);
  CHECK_MESSAGE(differ == 0, differ << " of " << a.size() << " elements differ from PyTorch's bits");
}

TEST_CASE_TEMPLATE("reduce: prod, var, std, norm, cumsum: results and gradients PyTorch's to the bit", T, float,
                   double) {
  const int n = run_cases<T>([](const rr::Case& c) { return c.exact; }, [](const rr::Case& c, const Tensor<T>& x, const Tensor<T>& y) {
    check_bits(y, c.output);
    check_bits(x.grad(), c.grad);
  });
  CHECK(n == 16);
}

TEST_CASE("reduce: gradcheck on max, min, prod, var, std, logsumexp, norm, cumsum") {
  int n = 0;
  for (const rr::Case& c : rr::cases) {
    if (!c.is_double || !c.gradcheck) continue;
    const std::string name = c.name;
    CAPTURE(name);
    Tensor<double> x = case_tensor<double>(c.input);
    x.requires_grad_();
    CHECK(et::autograd::gradcheck([&](std::vector<Tensor<double>>& v) { return run_more(v[0], c); }, {x}));
    ++n;
  }
  CHECK(n == 61);
}

const char* reduce_message(const char* key) {
  for (const rr::Error& e : rr::errors)
    if (std::strcmp(e.key, key) == 0) return e.message;
  FAIL("no reference message " << std::string(key));
  return "";
}

TEST_CASE("reduce: max, min, prod, var, std, logsumexp, cumsum errors are PyTorch's") {
  CHECK_THROWS_WITH_AS(et::zeros({0}).max(), reduce_message("max empty"), et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({2, 0}).min(), reduce_message("min empty"), et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({2, 3}).prod(2), reduce_message("prod [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({2, 3}).var(-3), reduce_message("var [2,3] dim -3"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({2, 3}).std(2), reduce_message("std [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({2, 3}).logsumexp(2), reduce_message("logsumexp [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({2, 3}).cumsum(-3), reduce_message("cumsum [2,3] dim -3"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros(et::Size{}).cumsum(1), reduce_message("cumsum 0-d dim 1"), et::IndexError);
  // PyTorch 1.13's var_backward returns a 0-d gradient when n <= correction, which its engine refuses
  Tensor<float> one = et::full({1}, 1.5f), one_one = et::full({1, 1}, 1.5f);
  one.requires_grad_();
  one_one.requires_grad_();
  CHECK_THROWS_WITH_AS(one.var().backward(), reduce_message("var [1] backward"), et::Error);
  CHECK_THROWS_WITH_AS(one_one.std().backward(), reduce_message("std [1,1] backward"), et::Error);
}

TEST_CASE_TEMPLATE("reduce: no elements give PyTorch's values", T, float, double) {
  const Tensor<T> none = et::zeros<T>({0}), rows = et::zeros<T>({2, 0});
  for (const rr::Empty& e : rr::empties) {
    const std::string op = e.op;
    CAPTURE(op);
    const Tensor<T> r = op == "prod" ? none.prod() : op == "var" ? none.var() : op == "std" ? none.std()
                        : op == "norm" ? none.norm() : op == "logsumexp" ? rows.logsumexp(1)
                        : op == "prod_dim" ? rows.prod(1) : rows.var(1);
    CHECK(et::testing::close(r.to_vector()[0], e.value, 0, 0));
  }
  // along a dim of no elements, each output is that value; along another, there is no output
  const Tensor<T> none_by_3 = et::zeros<T>({0, 3});
  CHECK(none_by_3.prod(0).to_vector() == std::vector<T>(3, T(1)));
  CHECK(none_by_3.logsumexp(0).to_vector() == std::vector<T>(3, -std::numeric_limits<T>::infinity()));
  for (T v : none_by_3.var(0).to_vector()) CHECK(std::isnan(v));
  for (T v : none_by_3.std(0, false, true).to_vector()) CHECK(std::isnan(v));
  CHECK(none_by_3.std(0, false, true).shape() == et::Size({1, 3}));
  CHECK(none_by_3.var(1).shape() == et::Size({0}));
  CHECK(none_by_3.prod(1, true).shape() == et::Size({0, 1}));
  CHECK(none_by_3.cumsum(1).shape() == et::Size({0, 3}));
}

TEST_CASE_TEMPLATE("reduce: free functions agree with methods, var(1) reduces dim 1", T, float, double) {
  et::manual_seed(2);
  Tensor<T> x = et::randn<T>({3, 4});
  CHECK(et::max(x).item() == x.max().item());
  CHECK(et::min(x).item() == x.min().item());
  CHECK(et::prod(x).item() == x.prod().item());
  CHECK(et::prod(x, 1, true).to_vector() == x.prod(1, true).to_vector());
  CHECK(et::var(x).item() == x.var().item());
  CHECK(et::var(x, false).item() == x.var(false).item());
  CHECK(et::var(x, 1).to_vector() == x.var(1).to_vector());
  CHECK(x.var(1).shape() == et::Size({3}));
  CHECK(x.std(int64_t{0}, false, true).shape() == et::Size({1, 4}));
  CHECK(et::std(x, 0, false, true).to_vector() == x.std(0, false, true).to_vector());
  CHECK(et::std(x).item() == x.std().item());
  CHECK(et::logsumexp(x, -1).to_vector() == x.logsumexp(-1).to_vector());
  CHECK(et::norm(x, 3.0).item() == x.norm(3.0).item());
  CHECK(et::cumsum(x, 0).to_vector() == x.cumsum(0).to_vector());
}

TEST_CASE("reduce: a CPUGraph replay of the reductions and their gradients, fed new inputs, equals eager") {
  // prod's gradient chooses between its two formulas inside its kernels: xs[2] holds a zero
  auto f = [](const Tensor<float>& x) {
    return x.prod(1).sum() + x.prod() + x.var(0).sum() + x.std() + x.var(1, false).sum() + x.logsumexp(1).sum() +
           x.norm() + x.norm(3) + x.max() + x.min() + x.cumsum(0).sum();
  };
  std::vector<Tensor<float>> xs;
  for (uint64_t i = 0; i < 4; ++i) {
    et::manual_seed(7 + i);
    xs.push_back(et::randn({5, 4}));
  }
  xs[2].data()[3] = 0;
  Tensor<float> x = xs[0].clone(), y;
  x.requires_grad_();
  et::CPUGraph graph;
  {
    et::GraphCaptureGuard capture(graph);
    y = f(x);
    y.backward();
  }
  REQUIRE(graph.captured());
  for (const Tensor<float>& xi : xs) {
    x.detach().copy_(xi);
    graph.replay();
    Tensor<float> e = xi.clone();
    e.requires_grad_();
    const Tensor<float> ye = f(e);
    ye.backward();
    CHECK(y.item() == ye.item());
    CHECK(x.grad().to_vector() == e.grad().to_vector());
  }
}

}  // namespace
