// More elementwise math (issue 15): clamp, square, rsqrt, reciprocal, erfinv, sin, cos, log1p, expm1,
// log2, floor, ceil, round, sign as rules over ops::pointwise (pointwise.hpp), and maximum / minimum, two
// inputs broadcast together, with their node. Derivatives as PyTorch 1.13's derivatives.yaml writes
// them (so rounded as PyTorch rounds them); then the free functions and the Tensor methods.
#pragma once

#include "../autograd/node.hpp"
#include "arithmetic.hpp"  // BinaryBackward
#include "kernels.hpp"
#include "pointwise.hpp"

#include <algorithm>  // min, max
#include <cmath>
#include <limits>
#include <optional>

namespace eigentorch {
namespace ops {

// d clamp(x, lo, hi)/dx = 1 where lo <= x <= hi (bounds included; 0 at nan), else 0. An absent
// bound is an infinity; `fill` is PyTorch's nan bound that makes every element nan.
// NOTE: std::max(x, lo) keeps x on a tie (clamp(-0., 0.) is -0., as PyTorch's); a nan x stays nan.
template <class T>
struct ClampRule {
  static constexpr Saves saves = Saves::input;
  T lo = -std::numeric_limits<T>::infinity(), hi = std::numeric_limits<T>::infinity();
  bool fill = false;
  T forward(T x) const {
    return fill ? std::numeric_limits<T>::quiet_NaN() : x != x ? x : std::min(std::max(x, lo), hi);
  }
  T backward(T g, T x) const { return x >= lo && x <= hi ? g : T(0); }
};
template <class T>
struct Clamp : ClampRule<T> { static constexpr const char* name = "ClampBackward1"; };
template <class T>
struct ClampMin : ClampRule<T> { static constexpr const char* name = "ClampMinBackward0"; };
template <class T>
struct ClampMax : ClampRule<T> { static constexpr const char* name = "ClampMaxBackward0"; };

// d rsqrt(x)/dx = -x^(-3/2) / 2 = (-0.5 g) y^3
template <class T>
struct Rsqrt {
  static constexpr const char* name = "RsqrtBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return T(1) / std::sqrt(x); }
  T backward(T g, T y) const { return (T(-0.5) * g) * (y * y * y); }
};

// d (1/x)/dx = -1/x^2 = -y^2
template <class T>
struct Reciprocal {
  static constexpr const char* name = "ReciprocalBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return T(1) / x; }
  T backward(T g, T y) const { return -g * (y * y); }
};

// d erfinv(x)/dx = sqrt(pi)/2 exp(erfinv(x)^2) = (0.5 sqrt(pi)) exp(y^2)
// NOTE: the forward is ATen's calc_erfinv (a rational first guess, then two Newton steps) with its
// multiply-adds fused, as the AVX2 build PyTorch dispatches to compiles them: bit for bit PyTorch's.
template <class T>
struct Erfinv {
  static constexpr const char* name = "ErfinvBackward0";
  static constexpr Saves saves = Saves::output;
  T forward(T y) const {
    static constexpr T a[4] = {T(0.886226899), T(-1.645349621), T(0.914624893), T(-0.140543331)};
    static constexpr T b[4] = {T(-2.118377725), T(1.442710462), T(-0.329097515), T(0.012229801)};
    static constexpr T c[4] = {T(-1.970840454), T(-1.624906493), T(3.429567803), T(1.641345311)};
    static constexpr T d[2] = {T(3.543889200), T(1.637067800)};
    const T y_abs = std::abs(y);
    if (y_abs > T(1)) return std::numeric_limits<T>::quiet_NaN();
    if (y_abs == T(1)) return std::copysign(std::numeric_limits<T>::infinity(), y);
    T x;
    if (y_abs <= T(0.7)) {
      const T z = y * y;
      const T num = std::fma(std::fma(std::fma(a[3], z, a[2]), z, a[1]), z, a[0]);
      const T dem = std::fma(std::fma(std::fma(std::fma(b[3], z, b[2]), z, b[1]), z, b[0]), z, T(1));
      x = y * num / dem;
    } else {
      const T z = std::sqrt(-std::log((T(1) - y_abs) / T(2)));
      const T num = std::fma(std::fma(std::fma(c[3], z, c[2]), z, c[1]), z, c[0]);
      const T dem = std::fma(std::fma(d[1], z, d[0]), z, T(1));
      x = std::copysign(num, y) / dem;
    }
    const T k = T(2) / static_cast<T>(std::sqrt(3.14159265358979323846));  // 2 / sqrt(pi)
    x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
    x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
    return x;
  }
  T backward(T g, T y) const { return T(0.88622692545275801365) * std::exp(y * y) * g; }
};

// d sin(x)/dx = cos(x)
template <class T>
struct Sin {
  static constexpr const char* name = "SinBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::sin(x); }
  T backward(T g, T x) const { return g * std::cos(x); }
};

// d cos(x)/dx = -sin(x)
template <class T>
struct Cos {
  static constexpr const char* name = "CosBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::cos(x); }
  T backward(T g, T x) const { return g * -std::sin(x); }
};

// d log(1 + x)/dx = 1/(x + 1)
template <class T>
struct Log1p {
  static constexpr const char* name = "Log1PBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::log1p(x); }
  T backward(T g, T x) const { return g / (x + T(1)); }
};

// d (exp(x) - 1)/dx = exp(x) = y + 1
template <class T>
struct Expm1 {
  static constexpr const char* name = "Expm1Backward0";
  static constexpr Saves saves = Saves::output;
  T forward(T x) const { return std::expm1(x); }
  T backward(T g, T y) const { return g * (y + T(1)); }
};

// d log2(x)/dx = 1/(x ln 2)
template <class T>
struct Log2 {
  static constexpr const char* name = "Log2Backward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::log2(x); }
  T backward(T g, T x) const { return g / (x * T(0.6931471805599453)); }
};

// Piecewise constant: the derivative is 0 everywhere (PyTorch's zeros_like(grad), nan included).
template <class T>
struct Constant {
  static constexpr Saves saves = Saves::nothing;
  T backward(T) const { return T(0); }
};
template <class T>
struct Floor : Constant<T> { static constexpr const char* name = "FloorBackward0"; T forward(T x) const { return std::floor(x); } };
template <class T>
struct Ceil : Constant<T> { static constexpr const char* name = "CeilBackward0"; T forward(T x) const { return std::ceil(x); } };
// NOTE: nearbyint in the default rounding mode: halves to even, as PyTorch (std::round would not).
template <class T>
struct Round : Constant<T> { static constexpr const char* name = "RoundBackward0"; T forward(T x) const { return std::nearbyint(x); } };
// sign(nan) and sign(-0.) are 0., as PyTorch's
template <class T>
struct Sign : Constant<T> { static constexpr const char* name = "SignBackward0"; T forward(T x) const { return T((T(0) < x) - (x < T(0))); } };

/// maximum(a, b) (Max) or minimum(a, b): nan where either is nan.
// NOTE: on a tie the first operand, as PyTorch's scalar loop (its vector loop, 8 floats at a time,
// gives the second: maximum(0., -0.) is -0. there); the values are equal either way.
template <class T, bool Max>
struct Extremum {
  T operator()(T a, T b) const {
    if (a != a || b != b) return std::numeric_limits<T>::quiet_NaN();
    return Max ? std::max(a, b) : std::min(a, b);
  }
};

// d maximum(a, b) = g to the larger input, g/2 to each on a tie, g to both where one is nan
// (PyTorch's where(a == b, g / 2, g).masked_fill_(a < b, 0), and a > b for b); minimum mirrored.
template <class T, bool Max>
struct ExtremumBackward final : BinaryBackward<T> {
  const char* name() const override { return Max ? "MaximumBackward0" : "MinimumBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    // the gradient of `self` against `other`: 0 where self loses
    const auto part = [](T gv, T self, T other) {
      return self == other ? gv / T(2) : (Max ? self < other : self > other) ? T(0) : gv;
    };
    if (this->next[0]) out[0] = detail::sum_to(detail::map(part, g, this->a.get(), this->b.get()), this->a_shape);
    if (this->next[1]) out[1] = detail::sum_to(detail::map(part, g, this->b.get(), this->a.get()), this->b_shape);
  }
};

template <class T, bool Max>
Tensor<T> extremum(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> y = detail::map(Extremum<T, Max>{}, a, b);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<ExtremumBackward<T, Max>>();
    node->a.save(a);
    node->b.save(b);
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(y, node, {&a, &b});
  }
  return y;
}

}  // namespace ops

// ---- the public ops: free functions, and the Tensor methods that forward to them -------------------

/// x limited to [min, max] (either may be absent, not both); a nan bound, when both are given, makes
/// every element nan (PyTorch's rule; with one bound, a nan bound leaves x as it is).
template <class T>
Tensor<T> clamp(const Tensor<T>& x, std::optional<double> min, std::optional<double> max = std::nullopt) {
  if (!min && !max) detail::fail({"torch.clamp: At least one of 'min' or 'max' must not be None"});
  ops::Clamp<T> rule;
  if (min) rule.lo = static_cast<T>(*min);
  if (max) rule.hi = static_cast<T>(*max);
  rule.fill = min && max && (std::isnan(*min) || std::isnan(*max));
  return ops::pointwise(x, rule);
}
/// max(x, min); a nan min makes every element nan.
template <class T>
Tensor<T> clamp_min(const Tensor<T>& x, double min) {
  return ops::pointwise(x, ops::ClampMin<T>{{static_cast<T>(min), std::numeric_limits<T>::infinity(), std::isnan(min)}});
}
/// min(x, max); a nan max makes every element nan.
template <class T>
Tensor<T> clamp_max(const Tensor<T>& x, double max) {
  return ops::pointwise(x, ops::ClampMax<T>{{-std::numeric_limits<T>::infinity(), static_cast<T>(max), std::isnan(max)}});
}
/// x * x (PyTorch's pow(x, 2), hence PowBackward0).
template <class T> Tensor<T> square(const Tensor<T>& x) { return ops::pointwise(x, ops::Pow<T>{T(2)}); }
template <class T> Tensor<T> rsqrt(const Tensor<T>& x) { return ops::pointwise(x, ops::Rsqrt<T>{}); }
template <class T> Tensor<T> reciprocal(const Tensor<T>& x) { return ops::pointwise(x, ops::Reciprocal<T>{}); }
/// The inverse of erf on [-1, 1] (+-inf at +-1, nan outside).
template <class T> Tensor<T> erfinv(const Tensor<T>& x) { return ops::pointwise(x, ops::Erfinv<T>{}); }
template <class T> Tensor<T> sin(const Tensor<T>& x) { return ops::pointwise(x, ops::Sin<T>{}); }
template <class T> Tensor<T> cos(const Tensor<T>& x) { return ops::pointwise(x, ops::Cos<T>{}); }
template <class T> Tensor<T> log1p(const Tensor<T>& x) { return ops::pointwise(x, ops::Log1p<T>{}); }
template <class T> Tensor<T> expm1(const Tensor<T>& x) { return ops::pointwise(x, ops::Expm1<T>{}); }
template <class T> Tensor<T> log2(const Tensor<T>& x) { return ops::pointwise(x, ops::Log2<T>{}); }
template <class T> Tensor<T> floor(const Tensor<T>& x) { return ops::pointwise(x, ops::Floor<T>{}); }
template <class T> Tensor<T> ceil(const Tensor<T>& x) { return ops::pointwise(x, ops::Ceil<T>{}); }
/// Halves to even: round(0.5) = 0, round(1.5) = 2.
template <class T> Tensor<T> round(const Tensor<T>& x) { return ops::pointwise(x, ops::Round<T>{}); }
template <class T> Tensor<T> sign(const Tensor<T>& x) { return ops::pointwise(x, ops::Sign<T>{}); }
/// The larger (smaller) of a and b elementwise, broadcasting; nan where either is nan.
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) { return ops::extremum<T, true>(a, b); }
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) { return ops::extremum<T, false>(a, b); }

// Min and Max: a number, std::optional<double> or std::nullopt (x.clamp(0.) is clamp(min=0.)).
template <class T> template <class Min>
Tensor<T> Tensor<T>::clamp(const Min& min) const { return eigentorch::clamp(*this, std::optional<double>(min)); }
template <class T> template <class Min, class Max>
Tensor<T> Tensor<T>::clamp(const Min& min, const Max& max) const {
  return eigentorch::clamp(*this, std::optional<double>(min), std::optional<double>(max));
}
template <class T> Tensor<T> Tensor<T>::clamp_min(double min) const { return eigentorch::clamp_min(*this, min); }
template <class T> Tensor<T> Tensor<T>::clamp_max(double max) const { return eigentorch::clamp_max(*this, max); }
template <class T> Tensor<T> Tensor<T>::square() const { return eigentorch::square(*this); }
template <class T> Tensor<T> Tensor<T>::rsqrt() const { return eigentorch::rsqrt(*this); }
template <class T> Tensor<T> Tensor<T>::reciprocal() const { return eigentorch::reciprocal(*this); }
template <class T> Tensor<T> Tensor<T>::erfinv() const { return eigentorch::erfinv(*this); }
template <class T> Tensor<T> Tensor<T>::sin() const { return eigentorch::sin(*this); }
template <class T> Tensor<T> Tensor<T>::cos() const { return eigentorch::cos(*this); }
template <class T> Tensor<T> Tensor<T>::log1p() const { return eigentorch::log1p(*this); }
template <class T> Tensor<T> Tensor<T>::expm1() const { return eigentorch::expm1(*this); }
template <class T> Tensor<T> Tensor<T>::log2() const { return eigentorch::log2(*this); }
template <class T> Tensor<T> Tensor<T>::floor() const { return eigentorch::floor(*this); }
template <class T> Tensor<T> Tensor<T>::ceil() const { return eigentorch::ceil(*this); }
template <class T> Tensor<T> Tensor<T>::round() const { return eigentorch::round(*this); }
template <class T> Tensor<T> Tensor<T>::sign() const { return eigentorch::sign(*this); }
template <class T> Tensor<T> Tensor<T>::maximum(const Tensor& other) const { return eigentorch::maximum(*this, other); }
template <class T> Tensor<T> Tensor<T>::minimum(const Tensor& other) const { return eigentorch::minimum(*this, other); }

}  // namespace eigentorch
