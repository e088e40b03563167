// Vector math in PyTorch's rounding: tanh of floats as PyTorch's vectorised (SLEEF) tanhf rounds it;
// exp of floats as its SLEEF expf_u10 computes it (softmax's). Scalar code the compiler vectorises; no tensors here
// (ops/pointwise.hpp and ops/activation.hpp call it).
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


inline constexpr int kExpBlock = 16;

/// e^x of one float as PyTorch's vectorised exp (SLEEF's expf_u10, AVX2 with FMA) computes it, bit
/// for bit: q = round(x / ln 2), s = x - q ln 2 (ln 2 in two parts), a degree-7 polynomial in s,
/// times 2^q in two steps; 0 below -104, inf above 104, nan stays nan. Error within 1 ulp.
// NOTE: the fused multiply-adds are SLEEF's (std::fma: one instruction with FMA hardware, a library
// call without, same result); x is clamped to [-105, 105] first (selected by integer masks, no branch:
// the block's loop vectorises), which changes nothing that is not replaced by 0 or inf at the end.
inline float exp_float(float x) {
  const int32_t xb = bits<int32_t>(x);
  const int32_t nan = -static_cast<int32_t>((xb & 0x7fffffff) > 0x7f800000);
  const int32_t low = -static_cast<int32_t>(x < -105.0f), high = -static_cast<int32_t>(x > 105.0f);
  const float d = bits<float>((bits<int32_t>(-105.0f) & low) | (bits<int32_t>(105.0f) & high) | (xb & ~(low | high)));
  const float kd = d * 1.442695040888963407359924681001892137f + 12582912.0f;  // + 1.5 * 2^23 rounds to an integer
  const int32_t q = bits<int32_t>(kd) - bits<int32_t>(12582912.0f);
  const float qf = kd - 12582912.0f;
  float s = std::fma(qf, -0.693145751953125f, d);
  s = std::fma(qf, -1.428606765330187045e-06f, s);
  float u = 0.000198527617612853646278381f;
  u = std::fma(u, s, 0.00139304355252534151077271f);
  u = std::fma(u, s, 0.00833336077630519866943359f);
  u = std::fma(u, s, 0.0416664853692054748535156f);
  u = std::fma(u, s, 0.166666671633720397949219f);
  u = std::fma(u, s, 0.5f);
  u = 1.0f + std::fma(s * s, u, s);
  const int32_t h = q >> 1;  // rounding down (an arithmetic shift in GCC and Clang)
  u = u * bits<float>((static_cast<uint32_t>(h) + 0x7fu) << 23) * bits<float>((static_cast<uint32_t>(q - h) + 0x7fu) << 23);
  const int32_t zero = -static_cast<int32_t>(x < -104.0f), inf = -static_cast<int32_t>(x > 104.0f);
  const int32_t y = (bits<int32_t>(u) & ~(zero | inf)) | (0x7f800000 & inf);
  return bits<float>((xb & nan) | (y & ~nan));
}

/// exp_float of 16 floats (local arrays and a fixed trip count: g++ vectorises it).
inline void exp_block(const float* xp, float* yp) {
  float x[kExpBlock], y[kExpBlock];
  std::memcpy(x, xp, sizeof x);
  for (int i = 0; i < kExpBlock; ++i) y[i] = exp_float(x[i]);
  std::memcpy(yp, y, sizeof y);
}

/// e^x of n values (y may be x): floats by exp_block / exp_float, doubles by the C library.
template <class T>
void exp_values(const T* x, T* y, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    int64_t i = 0;
    for (; i + kExpBlock <= n; i += kExpBlock) exp_block(x + i, y + i);
    for (; i < n; ++i) y[i] = exp_float(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
  }
}

/// e^x of one value, the same bits as exp_values gives.
template <class T>
T exp_value(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_float(x);
  } else {
    return std::exp(x);
  }
}

/// The sum of v[0..n) in the order of PyTorch's vectorised vec::reduce_all / map_reduce_all on AVX2
/// (softmax's sums along a contiguous dim): 8 float (4 double) lanes accumulated across the array,
/// the tail added into the first lanes, then the lanes combined, floats as a tree ((0+4)+(2+6)) +
/// ((1+5)+(3+7)), doubles in order; fewer values than lanes are added in order.
template <class T>
T sum_lanes(const T* v, int64_t n) {
  constexpr int64_t W = std::is_same_v<T, float> ? 8 : 4;
  if (n < W) {
    T s = n > 0 ? v[0] : T(0);
    for (int64_t i = 1; i < n; ++i) s += v[i];
    return s;
  }
  T acc[W];
  for (int64_t j = 0; j < W; ++j) acc[j] = v[j];
  int64_t d = W;
  for (; d + W <= n; d += W)
    for (int64_t j = 0; j < W; ++j) acc[j] += v[d + j];
  for (int64_t j = 0; d + j < n; ++j) acc[j] += v[d + j];
  if constexpr (W == 8) {
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  } else {
    return ((acc[0] + acc[1]) + acc[2]) + acc[3];
  }
}


}  // namespace eigentorch::detail
