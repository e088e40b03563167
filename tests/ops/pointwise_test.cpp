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
