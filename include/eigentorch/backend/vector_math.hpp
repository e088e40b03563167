// Vector math in PyTorch's rounding: tanh of floats as PyTorch's vectorised (SLEEF) tanhf rounds it.
// Scalar code the compiler vectorises; no tensors here (ops/pointwise.hpp calls it).
#pragma once

#include <algorithm>  // copy
#include <cmath>
#include <cstdint>  // int32_t, int64_t, uint64_t
#include <cstring>  // memcpy
#include <type_traits>

namespace eigentorch::detail {


template <class To, class From>
inline To bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To t;
  std::memcpy(&t, &v, sizeof t);
  return t;
}

inline constexpr int kTanhBlock = 16;

/// tanh of 16 floats: exp(2|x|) in double (Cody-Waite reduction by ln 2, degree-12 Taylor series,
/// error near 1e-16), then (e - 1) / (e + 1), or below |x| < 1e-3, where that quotient cancels, the
/// series x - x^3/3 + ...; rounded once to float. The result is the correctly rounded tanh except,
/// with probability near 1e-7, at a rounding tie.
// NOTE: beyond |x| > 8.664339742 SLEEF's tanhf (PyTorch's AVX2 path) returns exactly +-1, where tanh
// is within one float step of 1; we do the same. nan stays nan.
// NOTE: local arrays, a fixed trip count and selections made with integer masks (no branch for the
// compiler to keep) let g++ vectorise the loop even at -O2; 2x faster than Eigen's array exp here.
inline void tanh_block(const float* xp, float* yp) {
  float x[kTanhBlock], y[kTanhBlock];
  std::memcpy(x, xp, sizeof x);
  for (int i = 0; i < kTanhBlock; ++i) {
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



/// tanh of n floats, as PyTorch's vectorised (SLEEF) tanhf rounds them: see tanh_block.
inline void tanh_float(const float* x, float* y, int64_t n) {
  constexpr int64_t B = kTanhBlock;
  int64_t i = 0;
  for (; i + B <= n; i += B) tanh_block(x + i, y + i);
  if (i < n) {
    float in[B] = {}, out[B];
    std::copy(x + i, x + n, in);
    tanh_block(in, out);
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


}  // namespace eigentorch::detail
