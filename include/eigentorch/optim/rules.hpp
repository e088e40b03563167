// The element-wise pieces of PyTorch's optimizer updates, each rounded as ATen's CPU kernels round
// it (checked against PyTorch 1.13's AVX2 kernels, element by element, in float and double):
//   a.add_(b, alpha=s)          fma(s, b, a)         its vectorised add is one fused multiply-add
//   a.addcmul_(b, c, value=s)   fma(s * b, c, a)     s * b rounded, then the product and sum fused
//   a.addcdiv_(b, c, value=s)   a + s * b / c        nothing fused (a quotient)
//   a / x, a.mul_(x), a.sqrt()  one rounding each, x rounded to T first
// An update loop applies them per element in PyTorch's order: one pass over memory instead of one
// per tensor operation, with the same digits. It is written once over "lanes" L: Wide<T> (AVX2 and
// FMA registers, when the compiler targets them) for the bulk and Scalar<T> for the tail; both round
// every operation once, as IEEE requires, so the lanes give the same digits.
// NOTE: not Eigen's packets: with EIGEN_FAST_MATH (its default) its float psqrt is an approximation.
#pragma once

#include <cmath>    // fma, sqrt
#include <cstdint>  // int64_t

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define EIGENTORCH_OPTIM_WIDE 1
#endif

namespace eigentorch::detail::rule {

/// One element at a time.
template <class T>
struct Scalar {
  using V = T;
  static constexpr int64_t size = 1;
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V set(T x) { return x; }
  static V neg(V a) { return -a; }
  static V add(V a, V b) { return a + b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fma(V a, V b, V c) { return std::fma(a, b, c); }
  static V sqrt(V a) { return std::sqrt(a); }
  /// torch.maximum: a NaN on either side wins; b when equal.
  static V maximum(V a, V b) { return a != a ? a : a > b ? a : b; }
};

#ifdef EIGENTORCH_OPTIM_WIDE
template <class T>
struct Wide;

#ifdef __AVX512F__
template <>
struct Wide<float> {  // 16 lanes
  using V = __m512;
  static constexpr int64_t size = 16;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set(float x) { return _mm512_set1_ps(x); }
  static V neg(V a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN))); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static V maximum(V a, V b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), _mm512_max_ps(a, b), a); }
};
#else
template <>
struct Wide<float> {
  using V = __m256;
  static constexpr int64_t size = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set(float x) { return _mm256_set1_ps(x); }
  static V neg(V a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  static V maximum(V a, V b) {  // vmaxps gives b when either is NaN; then a where a is NaN
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
  }
};
#endif

template <>
struct Wide<double> {
  using V = __m256d;
  static constexpr int64_t size = 4;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V set(double x) { return _mm256_set1_pd(x); }
  static V neg(V a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V div(V a, V b) { return _mm256_div_pd(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V sqrt(V a) { return _mm256_sqrt_pd(a); }
  static V maximum(V a, V b) {
    return _mm256_blendv_pd(_mm256_max_pd(a, b), a, _mm256_cmp_pd(a, a, _CMP_UNORD_Q));
  }
};
#endif

/// body(L{}, j) for j = 0, L::size, ... over n elements: wide lanes for the bulk, then one by one.
template <class T, class Body>
void for_lanes(int64_t n, Body body) {
  int64_t j = 0;
#ifdef EIGENTORCH_OPTIM_WIDE
  for (; j + Wide<T>::size <= n; j += Wide<T>::size) body(Wide<T>{}, j);
#endif
  for (; j < n; ++j) body(Scalar<T>{}, j);
}

/// a.add_(b, alpha=s)
template <class L, class V> V add(V a, V s, V b) { return L::fma(s, b, a); }
/// a.addcmul_(b, c, value=s)
template <class L, class V> V addcmul(V a, V s, V b, V c) { return L::fma(L::mul(s, b), c, a); }
/// a.addcdiv_(b, c, value=s)
template <class L, class V> V addcdiv(V a, V s, V b, V c) { return L::add(a, L::div(L::mul(s, b), c)); }
/// The gradient as the update rules use it: negated by maximize, then weight decay (L2) added,
/// `grad = -grad; grad = grad.add(param, alpha=weight_decay)` (weight_decay 0: left out, as PyTorch).
template <class L, class V, class T>
V direction(V g, V p, T weight_decay, bool maximize) {
  const V d = maximize ? L::neg(g) : g;
  return weight_decay != T(0) ? add<L>(d, L::set(weight_decay), p) : d;
}
/// A step count kept as PyTorch 1.13 keeps it in a float32 tensor: `step_t += 1`.
inline double next_float_step(double step) { return static_cast<double>(static_cast<float>(step) + 1.0f); }

}  // namespace eigentorch::detail::rule
