// The harness shared by the tests/ops files: turns tests/reference/ops_cases.hpp (PyTorch's values)
// into tensors and checks an op's forward value, grad_fn name, gradients and gradcheck against it.
#pragma once

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

namespace eigentorch::testing::ops_harness {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
using et::Tensor;


template <class T>
using Op = Tensor<T> (*)(std::vector<Tensor<T>>&, const ref::OpCase&);

inline int64_t ref_numel(const ref::TensorRef& r) {
  int64_t n = 1;
  for (int i = 0; i < r.ndim; ++i) n *= r.shape[i];
  return n;
}
inline et::Size ref_shape(const ref::TensorRef& r) { return et::Size(std::vector<int64_t>(r.shape, r.shape + r.ndim)); }
inline std::vector<double> ref_values(const ref::TensorRef& r) {
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
inline int gradcheck_group(const char* group, Op<double> op) {
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

inline const char* torch_message(const char* key) {
  for (const ref::OpError& e : ref::op_errors)
    if (std::strcmp(e.key, key) == 0) return e.message;
  FAIL("no reference message " << std::string(key));
  return "";
}

/// Every element of actual equals PyTorch's float exactly; reports how many differ and the first.
inline void check_same_bits(const std::vector<float>& actual, const std::vector<double>& expected) {
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
}

}  // namespace eigentorch::testing::ops_harness
