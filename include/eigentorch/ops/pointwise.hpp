// Elementwise ops as rules, PyTorch's derivatives.yaml in C++: a rule is a struct with the forward
// scalar function, the derivative (in terms of the incoming gradient g and the saved input x or
// result y), PyTorch's node name and what the node saves. pointwise(x, rule) runs the forward through
// detail::map and records one PointwiseBackward<Rule>, the node every rule shares. Here: exp, log,
// sqrt, abs, tanh, sigmoid, relu, pow, and the tensor-scalar arithmetic; activations in activation.hpp.
#pragma once

#include "../autograd/node.hpp"
#include "../backend/vector_math.hpp"
#include "kernels.hpp"

#include <cmath>
#include <type_traits>

namespace eigentorch {
namespace ops {

/// What a rule's node keeps for its derivative: the input x, the result y, nothing, or (PyTorch's
/// x * c and x / c) the number c, kept only so that a second backward fails as PyTorch's does.
enum class Saves { input, output, nothing, number };

/// The node of every rule: dx = rule.backward(g, saved) elementwise (rule.backward(g) when nothing
/// is saved).
template <class T, class Rule>
struct PointwiseBackward final : autograd::Node<T> {
  Rule rule;
  autograd::SavedTensor<T> saved;
  explicit PointwiseBackward(const Rule& r) : rule(r) {}
  const char* name() const override { return Rule::name; }
  void release() override { saved.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if constexpr (Rule::saves == Saves::input || Rule::saves == Saves::output) {
      out[0] = detail::zip([r = rule](T gv, T v) { return r.backward(gv, v); }, g, saved.get());
    } else {
      if (saved.was_saved()) (void)saved.get();  // throws the second-backward message once released
      out[0] = detail::map([r = rule](T gv) { return r.backward(gv); }, g);
    }
  }
};

template <class R, class = void>
struct has_block_forward : std::false_type {};
template <class R>
struct has_block_forward<R, std::void_t<decltype(&R::forward_block)>> : std::true_type {};

/// y = rule.forward(x) elementwise (or rule.forward_block over the whole array) and, when
/// recording, a PointwiseBackward<Rule> with what the rule saves.
template <class T, class Rule>
Tensor<T> pointwise(const Tensor<T>& x, const Rule& rule) {
  Tensor<T> y;
  if constexpr (has_block_forward<Rule>::value)
    y = detail::map_block([](const T* in, T* out, int64_t n) { Rule::forward_block(in, out, n); }, x);
  else
    y = detail::map([r = rule](T v) { return r.forward(v); }, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<PointwiseBackward<T, Rule>>(rule);
    if constexpr (Rule::saves == Saves::input) node->saved.save(x);
    if constexpr (Rule::saves == Saves::output) node->saved.save(y, Rule::name);
    if constexpr (Rule::saves == Saves::number) node->saved.save(Tensor<T>(Size{}, detail::uninitialized));
    autograd::connect(y, node, {&x});
  }
  return y;
}

// ---- the rules -----------------------------------------------------------------------------------

// d exp(x)/dx = exp(x) = y
template <class T>
struct Exp {
  static constexpr const char* name = "ExpBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return std::exp(x); }
  T backward(T g, T y) const { return g * y; }
};

// d log(x)/dx = 1/x
template <class T>
struct Log {
  static constexpr const char* name = "LogBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::log(x); }
  T backward(T g, T x) const { return g / x; }
};

// d sqrt(x)/dx = 1/(2 sqrt(x)) = 1/(2y)
template <class T>
struct Sqrt {
  static constexpr const char* name = "SqrtBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return std::sqrt(x); }
  T backward(T g, T y) const { return g / (T(2) * y); }
};

// d |x|/dx = sign(x), 0 at 0
template <class T>
struct Abs {
  static constexpr const char* name = "AbsBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::abs(x); }
  T backward(T g, T x) const { return g * T((x > 0) - (x < 0)); }
};

// d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2
// NOTE: the float forward is PyTorch's vectorised (SLEEF) tanhf, a whole block at a time; 1 - y^2 is
// one fused multiply-add, as in PyTorch's AVX2 build, so the rounding is PyTorch's.
template <class T>
struct Tanh {
  static constexpr const char* name = "TanhBackward0";
  static constexpr Saves saves = Saves::output;
  static void forward_block(const T* x, T* y, int64_t n) { detail::tanh_values(x, y, n); }
  T backward(T g, T y) const { return g * std::fma(-y, y, T(1)); }
};

// d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x)) = y (1 - y)
template <class T>
struct Sigmoid {
  static constexpr const char* name = "SigmoidBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return T(1) / (T(1) + std::exp(-x)); }
  T backward(T g, T y) const { return g * ((T(1) - y) * y); }
};

// d relu(x)/dx = 0 where the output is <= 0, else 1 (so a nan passes its gradient, as in PyTorch)
// NOTE: `x < 0 ? 0 : x` keeps nan as nan, as PyTorch's relu does.
template <class T>
struct Relu {
  static constexpr const char* name = "ReluBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return x < 0 ? T(0) : x; }
  T backward(T g, T y) const { return y <= 0 ? T(0) : g; }
};

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
struct Pow {
  static constexpr const char* name = "PowBackward0";
  static constexpr Saves saves = Saves::input;
  T p;
  T forward(T x) const { return pow_scalar_value(x, p); }
  T backward(T g, T x) const { return p == T(0) ? T(0) : g * (p * pow_scalar_value(x, p - T(1))); }
};

// Tensor-scalar arithmetic (the number cast to T first, as PyTorch casts a Python number).
// d(x + c)/dx = 1
template <class T>
struct AddScalar {
  static constexpr const char* name = "AddBackward0";
  static constexpr Saves saves = Saves::nothing;
  T c;
  T forward(T x) const { return x + c; }
  T backward(T g) const { return g; }
};

// x - c is x + (-c) in IEEE arithmetic, bit for bit (signed zeros too): AddScalar{-c} under
// PyTorch's other node name.
template <class T>
struct SubScalar : AddScalar<T> {
  static constexpr const char* name = "SubBackward0";
};

// d(c - x)/dx = -1 (not -(x - c), which would turn c - c into -0)
template <class T>
struct RsubScalar {
  static constexpr const char* name = "RsubBackward1";
  static constexpr Saves saves = Saves::nothing;
  T c;
  T forward(T x) const { return c - x; }
  T backward(T g) const { return -g; }
};

// d(x c)/dx = c; d(x / c)/dx = 1/c (divided by c, not multiplied by a rounded 1/c)
template <class T, bool Div>
struct MulDivScalar {
  static constexpr const char* name = Div ? "DivBackward0" : "MulBackward0";
  static constexpr Saves saves = Saves::number;
  T c;
  T forward(T x) const { return Div ? x / c : x * c; }
  T backward(T g) const { return Div ? g / c : g * c; }
};
template <class T>
using MulScalar = MulDivScalar<T, false>;
template <class T>
using DivScalar = MulDivScalar<T, true>;

// d(c / x)/dx = -c/x^2 (PyTorch: c * x.reciprocal(), hence the name)
template <class T>
struct ScalarDiv {
  static constexpr const char* name = "MulBackward0";
  static constexpr Saves saves = Saves::input;
  T c;
  T forward(T x) const { return c / x; }
  T backward(T g, T x) const { return -c * g / (x * x); }
};

// d(-x)/dx = -1
template <class T>
struct Neg {
  static constexpr const char* name = "NegBackward0";
  static constexpr Saves saves = Saves::nothing;
  T forward(T x) const { return -x; }
  T backward(T g) const { return g * T(-1); }
};

// d a^b/da = b a^(b-1);  d a^b/db = a^b log(a), taken as 0 where a = 0 and b >= 0 (PyTorch's mask)
template <class T>
struct PowBackward1 final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b, y;
  Size a_shape, b_shape;
  const char* name() const override { return "PowBackward1"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    // NOTE: taken as 0 where the exponent is 0 (PyTorch's where(exponent == 0, 0, ...)), not 0 * 0^-1
    if (this->next[0])
      out[0] = detail::sum_to(
          detail::map([](T gv, T av, T bv) { return gv * (bv == T(0) ? T(0) : bv * std::pow(av, bv - T(1))); }, g,
                      a.get(), b.get()),
          a_shape);
    if (this->next[1])
      out[1] = detail::sum_to(
          detail::map([](T gv, T yv, T av, T bv) { return gv * (av == T(0) && bv >= T(0) ? T(0) : yv * std::log(av)); },
                      g, y.get(), a.get(), b.get()),
          b_shape);
  }
  void release() override { a.release(); b.release(); y.release(); }
};

}  // namespace ops

// ---- the public ops: free functions, and the Tensor methods that forward to them -------------------

template <class T> Tensor<T> exp(const Tensor<T>& x) { return ops::pointwise(x, ops::Exp<T>{}); }
template <class T> Tensor<T> log(const Tensor<T>& x) { return ops::pointwise(x, ops::Log<T>{}); }
template <class T> Tensor<T> sqrt(const Tensor<T>& x) { return ops::pointwise(x, ops::Sqrt<T>{}); }
template <class T> Tensor<T> abs(const Tensor<T>& x) { return ops::pointwise(x, ops::Abs<T>{}); }
/// a^b elementwise, broadcasting.
template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> y = detail::map([](T av, T bv) { return std::pow(av, bv); }, a, b);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<ops::PowBackward1<T>>();
    node->a.save(a);
    node->b.save(b);
    node->y.save(y, "PowBackward1");
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(y, node, {&a, &b});
  }
  return y;
}

template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> pow(const Tensor<T>& x, U p) { return ops::pointwise(x, ops::Pow<T>{static_cast<T>(p)}); }
/// c^x, as `2 ** x` (PowBackward1; only the exponent gets a gradient).
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> pow(U c, const Tensor<T>& x) {
  Tensor<T> base(Size{}, detail::uninitialized);
  detail::fill(base, static_cast<T>(c));
  return eigentorch::pow(base, x);
}

/// The activations, also nn::functional's (which takes this namespace in whole): see activation.hpp.
inline namespace activations {
template <class T> Tensor<T> tanh(const Tensor<T>& x) { return ops::pointwise(x, ops::Tanh<T>{}); }
template <class T> Tensor<T> sigmoid(const Tensor<T>& x) { return ops::pointwise(x, ops::Sigmoid<T>{}); }
template <class T> Tensor<T> relu(const Tensor<T>& x) { return ops::pointwise(x, ops::Relu<T>{}); }
}  // namespace activations

template <class T> Tensor<T> Tensor<T>::exp() const { return eigentorch::exp(*this); }
template <class T> Tensor<T> Tensor<T>::log() const { return eigentorch::log(*this); }
template <class T> Tensor<T> Tensor<T>::sqrt() const { return eigentorch::sqrt(*this); }
template <class T> Tensor<T> Tensor<T>::abs() const { return eigentorch::abs(*this); }
template <class T> Tensor<T> Tensor<T>::tanh() const { return eigentorch::tanh(*this); }
template <class T> Tensor<T> Tensor<T>::sigmoid() const { return eigentorch::sigmoid(*this); }
template <class T> Tensor<T> Tensor<T>::relu() const { return eigentorch::relu(*this); }
template <class T> Tensor<T> Tensor<T>::pow(double p) const { return eigentorch::pow(*this, p); }
template <class T> Tensor<T> Tensor<T>::pow(const Tensor& e) const { return eigentorch::pow(*this, e); }

}  // namespace eigentorch
