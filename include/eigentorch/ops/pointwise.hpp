// Elementwise functions (exp, log, sqrt, abs, tanh, sigmoid, relu, pow), each with its derivative.
#pragma once

#include "../autograd/node.hpp"
#include "../backend/vector_math.hpp"
#include "kernels.hpp"

#include <algorithm>  // min
#include <cmath>
#include <cstdint>  // int32_t, int64_t
#include <cstring>  // memcpy
#include <type_traits>

namespace eigentorch {
namespace ops {

/// A node for y = f(x) whose derivative needs one saved tensor (x or y): dx = g * df(saved).
/// `Rule` is a stateless functor: T operator()(T g, T saved).
template <class T, class Rule>
struct PointwiseBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> saved;
  const char* name_;
  explicit PointwiseBackward(const char* n) : name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::map2(g, saved.get(), Rule{}); }
  void release() override { saved.release(); }
};

/// Applies f elementwise and, when recording, a PointwiseBackward<Rule> that saves x (or the output y).
template <class Rule, class T, class F>
Tensor<T> pointwise(const Tensor<T>& x, F f, const char* name, bool save_output) {
  Tensor<T> y = detail::map1(x, f);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<PointwiseBackward<T, Rule>>(name);
    if (save_output)
      node->saved.save(y, name);
    else
      node->saved.save(x);
    autograd::connect(y, node, {&x});
  }
  return y;
}

// d exp(x)/dx = exp(x) = y
struct ExpRule { template <class T> T operator()(T g, T y) const { return g * y; } };
// d log(x)/dx = 1/x
struct LogRule { template <class T> T operator()(T g, T x) const { return g / x; } };
// d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2y)
struct SqrtRule { template <class T> T operator()(T g, T y) const { return g / (T(2) * y); } };
// d |x|/dx = sign(x), 0 at 0
struct AbsRule { template <class T> T operator()(T g, T x) const { return g * T((x > 0) - (x < 0)); } };
// d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2
// NOTE: 1 - y^2 is one fused multiply-add, as in PyTorch's AVX2 build, so the rounding is PyTorch's.
struct TanhRule { template <class T> T operator()(T g, T y) const { return g * std::fma(-y, y, T(1)); } };
// d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x)) = y (1 - y)
struct SigmoidRule { template <class T> T operator()(T g, T y) const { return g * ((T(1) - y) * y); } };
// d relu(x)/dx = 0 where the output is <= 0, else 1 (so a nan passes its gradient, as in PyTorch)
struct ReluRule { template <class T> T operator()(T g, T y) const { return y <= 0 ? T(0) : g; } };

template <class T> Tensor<T> exp(const Tensor<T>& x) {
  return pointwise<ExpRule>(x, [](T v) { return std::exp(v); }, "ExpBackward0", true);
}
template <class T> Tensor<T> log(const Tensor<T>& x) {
  return pointwise<LogRule>(x, [](T v) { return std::log(v); }, "LogBackward0", false);
}
template <class T> Tensor<T> sqrt(const Tensor<T>& x) {
  return pointwise<SqrtRule>(x, [](T v) { return std::sqrt(v); }, "SqrtBackward0", true);
}
template <class T> Tensor<T> abs(const Tensor<T>& x) {
  return pointwise<AbsRule>(x, [](T v) { return std::abs(v); }, "AbsBackward0", false);
}
template <class T> Tensor<T> tanh(const Tensor<T>& x) {
  Tensor<T> y(x.shape(), detail::uninitialized);
  detail::kernel([](const Tensor<T>& x, const Tensor<T>& y) { detail::tanh_values(x.data(), y.data(), x.numel()); }, x, y);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<PointwiseBackward<T, TanhRule>>("TanhBackward0");
    node->saved.save(y, "TanhBackward0");
    autograd::connect(y, node, {&x});
  }
  return y;
}
template <class T> Tensor<T> sigmoid(const Tensor<T>& x) {
  return pointwise<SigmoidRule>(x, [](T v) { return T(1) / (T(1) + std::exp(-v)); }, "SigmoidBackward0", true);
}
template <class T> Tensor<T> relu(const Tensor<T>& x) {
  // NOTE: `v < 0 ? 0 : v` keeps nan as nan, as PyTorch's relu does.
  return pointwise<ReluRule>(x, [](T v) { return v < 0 ? T(0) : v; }, "ReluBackward0", true);
}

/// x^p with PyTorch's special cases (p = 2 and 3 as products, 0.5 as sqrt, -1 as a reciprocal...),
/// so the rounding is PyTorch's.
template <class T>
T pow_scalar_value(T x, T p) {
  if (p == T(1)) return x;
  if (p == T(2)) return x * x;
  if (p == T(3)) return x * x * x;
  if (p == T(0.5)) return std::sqrt(x);
  if (p == T(-0.5)) return T(1) / std::sqrt(x);
  if (p == T(-1)) return T(1) / x;
  if (p == T(-2)) return T(1) / (x * x);
  return std::pow(x, p);
}

// d x^p/dx = p x^(p-1) (0 when p = 0)
template <class T>
struct PowBackward0 final : autograd::Node<T> {
  autograd::SavedTensor<T> x;
  T p;
  const char* name() const override { return "PowBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (p == T(0)) {
      out[0] = Tensor<T>(g.shape());
      return;
    }
    out[0] = detail::map2(g, x.get(), [p = p](T gv, T xv) { return gv * (p * pow_scalar_value(xv, p - T(1))); });
  }
  void release() override { x.release(); }
};

template <class T>
Tensor<T> pow(const Tensor<T>& x, T p) {
  Tensor<T> y = detail::map1(x, [p](T v) { return pow_scalar_value(v, p); });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<PowBackward0<T>>();
    node->x.save(x);
    node->p = p;
    autograd::connect(y, node, {&x});
  }
  return y;
}

// d a^b/da = b a^(b-1);  d a^b/db = a^b log(a), taken as 0 where a = 0 and b >= 0 (PyTorch's mask)
template <class T>
struct PowBackward1 final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b, y;
  Size a_shape, b_shape;
  const char* name() const override { return "PowBackward1"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& vb = b.get();
    if (this->next[0]) {
      // NOTE: taken as 0 where the exponent is 0 (PyTorch's where(exponent == 0, 0, ...)), not 0 * 0^-1
      Tensor<T> d = detail::map2(a.get(), vb, [](T av, T bv) { return bv == T(0) ? T(0) : bv * std::pow(av, bv - T(1)); });
      out[0] = detail::sum_to(detail::map2(g, d, [](T gv, T dv) { return gv * dv; }), a_shape);
    }
    if (this->next[1]) {
      Tensor<T> d = detail::map2(y.get(), a.get(), [](T yv, T av) { return yv * std::log(av); });
      // mask where a == 0 and b >= 0: evaluated on the broadcast shape
      Tensor<T> mask = detail::map2(a.get(), vb, [](T av, T bv) { return T(av == T(0) && bv >= T(0)); });
      d = detail::map2(d, mask, [](T dv, T m) { return m != T(0) ? T(0) : dv; });
      out[1] = detail::sum_to(detail::map2(g, d, [](T gv, T dv) { return gv * dv; }), b_shape);
    }
  }
  void release() override { a.release(); b.release(); y.release(); }
};

template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> y = detail::map2(a, b, [](T av, T bv) { return std::pow(av, bv); });
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<PowBackward1<T>>();
    node->a.save(a);
    node->b.save(b);
    node->y.save(y, "PowBackward1");
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(y, node, {&a, &b});
  }
  return y;
}

}  // namespace ops

template <class T> Tensor<T> Tensor<T>::exp() const { return ops::exp(*this); }
template <class T> Tensor<T> Tensor<T>::log() const { return ops::log(*this); }
template <class T> Tensor<T> Tensor<T>::sqrt() const { return ops::sqrt(*this); }
template <class T> Tensor<T> Tensor<T>::abs() const { return ops::abs(*this); }
template <class T> Tensor<T> Tensor<T>::tanh() const { return ops::tanh(*this); }
template <class T> Tensor<T> Tensor<T>::sigmoid() const { return ops::sigmoid(*this); }
template <class T> Tensor<T> Tensor<T>::relu() const { return ops::relu(*this); }
template <class T> Tensor<T> Tensor<T>::pow(double p) const { return ops::pow(*this, static_cast<T>(p)); }
template <class T> Tensor<T> Tensor<T>::pow(const Tensor& e) const { return ops::pow(*this, e); }

template <class T> Tensor<T> exp(const Tensor<T>& x) { return ops::exp(x); }
template <class T> Tensor<T> log(const Tensor<T>& x) { return ops::log(x); }
template <class T> Tensor<T> sqrt(const Tensor<T>& x) { return ops::sqrt(x); }
template <class T> Tensor<T> abs(const Tensor<T>& x) { return ops::abs(x); }
template <class T> Tensor<T> tanh(const Tensor<T>& x) { return ops::tanh(x); }
template <class T> Tensor<T> sigmoid(const Tensor<T>& x) { return ops::sigmoid(x); }
template <class T> Tensor<T> relu(const Tensor<T>& x) { return ops::relu(x); }
template <class T> Tensor<T> pow(const Tensor<T>& x, const Tensor<T>& e) { return ops::pow(x, e); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> pow(const Tensor<T>& x, U p) { return ops::pow(x, static_cast<T>(p)); }
/// c^x, as `2 ** x` (PowBackward1; only the exponent gets a gradient).
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> pow(U c, const Tensor<T>& x) {
  Tensor<T> base(Size{});
  detail::kernel([](const Tensor<T>& b, T v) { b.data()[0] = v; }, base, static_cast<T>(c));
  return ops::pow(base, x);
}

}  // namespace eigentorch
