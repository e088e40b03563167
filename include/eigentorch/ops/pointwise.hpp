// Elementwise functions (exp, log, sqrt, abs, tanh, sigmoid, relu, pow), each with its derivative.
#pragma once

#include "../autograd/node.hpp"
#include "../detail/broadcast.hpp"

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
namespace detail_tanh {

template <class To, class From>
inline To bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To t;
  std::memcpy(&t, &v, sizeof t);
  return t;
}

inline constexpr int kBlock = 16;

/// tanh of 16 floats: exp(2|x|) in double (Cody-Waite reduction by ln 2, degree-12 Taylor series,
/// error near 1e-16), then (e - 1) / (e + 1), or below |x| < 1e-3, where that quotient cancels, the
/// series x - x^3/3 + ...; rounded once to float. The result is the correctly rounded tanh except,
/// with probability near 1e-7, at a rounding tie.
// NOTE: beyond |x| > 8.664339742 SLEEF's tanhf (PyTorch's AVX2 path) returns exactly +-1, where tanh
// is within one float step of 1; we do the same. nan stays nan.
// NOTE: local arrays, a fixed trip count and selections made with integer masks (no branch for the
// compiler to keep) let g++ vectorise the loop even at -O2; 2x faster than Eigen's array exp here.
inline void tanh_block(const float* xp, float* yp) {
  float x[kBlock], y[kBlock];
  std::memcpy(x, xp, sizeof x);
  for (int i = 0; i < kBlock; ++i) {
    const int32_t xb = bits<int32_t>(x[i]);
    const int32_t ab = xb & 0x7fffffff;                                   // |x| as bits
    const int32_t big = -static_cast<int32_t>(ab > 0x41100000);           // |x| > 9 or nan
    const double a = static_cast<double>(bits<float>((0x41100000 & big) | (ab & ~big)));  // min(|x|, 9)
    const double t = 2.0 * a;
    const double kd = t * 1.4426950408889634 + 6755399441055744.0;  // + 1.5 * 2^52 rounds t / ln 2
    const double k = kd - 6755399441055744.0;
    const double r = (t - k * 0.6931471803691238) - k * 1.9082149292705877e-10;  // ln 2 in two parts
    double p = 1.0 / 479001600;
    p = p * r + 1.0 / 39916800;
    p = p * r + 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const double e = bits<double>(bits<uint64_t>(p) + (bits<uint64_t>(kd) << 52));  // p * 2^k (mod 2^64)
    const double q = (e - 1.0) / (e + 1.0);
    const double a2 = a * a;
    const double s = a * (1.0 + a2 * (-1.0 / 3 + a2 * (2.0 / 15 + a2 * (-17.0 / 315))));
    const int32_t tiny = -static_cast<int32_t>(ab < 0x3a83126f);  // |x| < 1e-3f
    const int32_t sat = -static_cast<int32_t>(ab > 0x410aa123);   // |x| > 8.664339742f
    const int32_t nan = -static_cast<int32_t>(ab > 0x7f800000);
    int32_t m = (bits<int32_t>(static_cast<float>(s)) & tiny) | (bits<int32_t>(static_cast<float>(q)) & ~tiny);
    m = (0x3f800000 & sat) | (m & ~sat);  // 1.0f
    const int32_t signed_m = (xb & static_cast<int32_t>(0x80000000u)) | m;
    y[i] = bits<float>((xb & nan) | (signed_m & ~nan));
  }
  std::memcpy(yp, y, sizeof y);
}

}  // namespace detail_tanh

/// tanh of n floats, as PyTorch's vectorised (SLEEF) tanhf rounds them: see detail_tanh::tanh_block.
inline void tanh_float(const float* x, float* y, int64_t n) {
  constexpr int64_t B = detail_tanh::kBlock;
  int64_t i = 0;
  for (; i + B <= n; i += B) detail_tanh::tanh_block(x + i, y + i);
  if (i < n) {
    float in[B] = {}, out[B];
    std::copy(x + i, x + n, in);
    detail_tanh::tanh_block(in, out);
    std::copy(out, out + (n - i), y + i);
  }
}

/// tanh as PyTorch computes it: float through SLEEF-like tanh_float, double through the C library.
template <class T>
void tanh_values(const T* x, T* y, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    tanh_float(x, y, n);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
  }
}

template <class T> Tensor<T> tanh(const Tensor<T>& x) {
  Tensor<T> y(x.shape(), detail::uninitialized);
  detail::kernel([](const Tensor<T>& x, const Tensor<T>& y) { tanh_values(x.data(), y.data(), x.numel()); }, x, y);
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
