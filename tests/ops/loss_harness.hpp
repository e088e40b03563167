// The harness shared by tests/ops/loss_test.cpp and tests/nn/loss_test.cpp: turns
// tests/reference/loss_cases.hpp (PyTorch's losses) into tensors and checks a loss's value, grad_fn
// name, gradients and gradcheck against it.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <cstring>  // strcmp
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/loss_cases.hpp"
#include "test_util.hpp"

namespace eigentorch::testing::loss_harness {

namespace et = eigentorch;
namespace lr = eigentorch::testing::loss_reference;
using et::Tensor;

inline et::Size shape_of(const lr::TensorRef& r) { return et::Size(std::vector<int64_t>(r.shape, r.shape + r.ndim)); }
inline std::vector<double> values_of(const lr::TensorRef& r) {
  return std::vector<double>(lr::loss_values + r.offset, lr::loss_values + r.offset + shape_of(r).numel());
}
/// The stored tensor as T (undefined when the case has none).
template <class T>
Tensor<T> tensor_of(const lr::TensorRef& r) {
  if (r.ndim < 0) return Tensor<T>();
  std::vector<T> v;
  for (double x : values_of(r)) v.push_back(static_cast<T>(x));
  return et::from_vector(v, shape_of(r));
}

/// A loss case's tensors: x requires grad; t (the target as numbers) requires grad where PyTorch's
/// did; index: the target as class indices.
template <class T>
struct Inputs {
  Tensor<T> x, t, w, pw;
  Tensor<int64_t> index;
  explicit Inputs(const lr::LossCase& c)
      : x(tensor_of<T>(c.x).requires_grad_()), t(tensor_of<T>(c.t)), w(tensor_of<T>(c.w)), pw(tensor_of<T>(c.pw)) {
    if (c.index) index = t.template to<int64_t>();
    if (c.gt.ndim >= 0) t.requires_grad_();
  }
};

template <class T>
using Run = Tensor<T> (*)(const lr::LossCase&, const Inputs<T>&);

template <class T>
void check_values(const Tensor<T>& actual, const lr::TensorRef& expected) {
  CHECK(actual.shape() == shape_of(expected));
  if (std::is_same_v<T, float>)
    check_allclose(actual.to_vector(), values_of(expected), 1e-5, 1e-6);
  else
    check_allclose(actual.to_vector(), values_of(expected), 1e-10, 1e-12);
}

/// The case's loss through run: its value, grad_fn name and the gradients of input and target.
template <class T>
void check_case(const lr::LossCase& c, Run<T> run) {
  const std::string name = c.name;
  CAPTURE(name);
  try {
    Inputs<T> in(c);
    Tensor<T> out = run(c, in);
    check_values(out, c.out);
    // NOTE: one known difference: PyTorch's C++ composition of cross_entropy with probabilities divides
    // its mean by a number with div(Tensor, Scalar), DivBackward1; eigentorch's division by a number
    // is named as Python's `t / n` names it, DivBackward0 (the values and gradients are the same).
    const std::string expected = std::string(c.grad_fn) == "DivBackward1" ? "DivBackward0" : c.grad_fn;
    CHECK(std::string(out.grad_fn() ? out.grad_fn()->display_name() : "") == expected);
    out.backward(tensor_of<T>(c.go));
    REQUIRE(in.x.grad().defined());
    check_values(in.x.grad(), c.gx);
    if (c.gt.ndim >= 0) {
      REQUIRE(in.t.grad().defined());
      check_values(in.t.grad(), c.gt);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK(name << " threw: " << std::string(e.what()));
  }
}

/// Every case of T whose op is in `ops` (names each between spaces: " nll bce "), through run.
template <class T>
int check_cases(const char* ops, Run<T> run) {
  int n = 0;
  for (const lr::LossCase& c : lr::loss_cases) {
    if (c.is_double != std::is_same_v<T, double> || !std::strstr(ops, (" " + std::string(c.op) + " ").c_str())) continue;
    check_case<T>(c, run);
    ++n;
  }
  return n;
}

/// gradcheck in double of every case of those ops on which PyTorch's gradcheck passed: the gradient of
/// the input, and of the target where it requires grad.
inline int gradcheck_cases(const char* ops, Run<double> run) {
  int n = 0;
  for (const lr::LossCase& c : lr::loss_cases) {
    if (!c.is_double || !c.gradcheck || !std::strstr(ops, (" " + std::string(c.op) + " ").c_str())) continue;
    const std::string name = c.name;
    CAPTURE(name);
    const Inputs<double> in(c);
    const bool with_target = c.gt.ndim >= 0;
    std::vector<Tensor<double>> args{in.x.detach().requires_grad_()};
    if (with_target) args.push_back(in.t.detach().requires_grad_());
    try {
      CHECK(et::autograd::gradcheck(
          [&](std::vector<Tensor<double>>& v) {
            Inputs<double> at = in;
            at.x = v[0];
            if (with_target) at.t = v[1];
            return run(c, at);
          },
          args));
    } catch (const std::exception& e) {
      FAIL_CHECK(name << " failed gradcheck: " << std::string(e.what()));
    }
    ++n;
  }
  return n;
}

/// PyTorch's message for an error key.
inline std::string torch_message(const char* key) {
  for (const lr::LossError& e : lr::loss_errors)
    if (std::strcmp(e.key, key) == 0) return e.message;
  FAIL("no reference message " << std::string(key));
  return "";
}

}  // namespace eigentorch::testing::loss_harness
