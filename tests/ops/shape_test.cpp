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

TEST_CASE_TEMPLATE("shape: reshape, view, unsqueeze, squeeze and flatten share storage; clone does not", T, float,
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
