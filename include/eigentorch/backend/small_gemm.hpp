// Small matrix products in PyTorch's rounding: each C(i, j) accumulated over p in order, one rounding
// per fused multiply-add, as PyTorch's BLAS kernels do, so that small models (the tour) reproduce
// PyTorch's float digits. backend/gemm.hpp sends products of up to kSmallGemm multiply-adds here.
//
// With FMA instructions (AVX2 or AVX-512) the kernel works on Eigen's packets: one vector of columns
// per accumulator, tiles of 4 rows, and partial vectors (13 columns, say) read and written with
// masked loads and stores, never through a scalar-filled buffer (a vector load of data just written
// by scalar stores stalls until they drain: it cost 3x on the tour's products). Elsewhere (no FMA,
// or FMA without AVX2, or other architectures) it runs lane by lane with std::fma: the same
// roundings, slower. NOTE: like Eigen's own code, the choice is made per translation unit; link
// files built with different -m flags into one program only if they agree on AVX2 and FMA.
#pragma once

#include "config.hpp"  // before Eigen

#include <Eigen/Core>

#include <algorithm>  // min
#include <cmath>      // fma
#include <cstdint>    // int64_t
#include <vector>

namespace eigentorch::detail {

#if defined(EIGEN_VECTORIZE_FMA) && defined(EIGEN_VECTORIZE_AVX2)
#define EIGENTORCH_SMALL_GEMM_SIMD 1
#else
#define EIGENTORCH_SMALL_GEMM_SIMD 0
#endif

/// The small-product kernel's vector of T, its lane count, and its operations.
template <class T>
struct SmallPacket {
#if EIGENTORCH_SMALL_GEMM_SIMD
  using type = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int64_t lanes = Eigen::internal::packet_traits<T>::size;
  static type fma(const type& x, const type& y, const type& z) { return Eigen::internal::pmadd(x, y, z); }
  static type load(const T* p) { return Eigen::internal::ploadu<type>(p); }
  static void store(T* p, const type& v) { Eigen::internal::pstoreu(p, v); }
  /// Lanes [0, count) from p, the others 0; nothing past p + count is read.
  static type load_first(const T* p, int64_t count);
  /// Lanes [0, count) of v to p; nothing past p + count is written. (AVX-512 has masked stores; the
  /// AVX2 ones, vmaskmov, are microcoded and slow on AMD processors, so the lanes go through the stack.)
  static void store_first(T* p, const type& v, int64_t count) {
    T out[lanes];
    Eigen::internal::pstoreu(out, v);
    for (int64_t l = 0; l < count; ++l) p[l] = out[l];
  }
#else
  using type = T;
  static constexpr int64_t lanes = 1;
  static type fma(T x, T y, T z) { return std::fma(x, y, z); }
  static type load(const T* p) { return *p; }
  static void store(T* p, T v) { *p = v; }
  static type load_first(const T* p, int64_t) { return *p; }
  static void store_first(T* p, T v, int64_t) { *p = v; }
#endif
};

#if EIGENTORCH_SMALL_GEMM_SIMD
#ifdef EIGEN_VECTORIZE_AVX512
template <> inline __m512 SmallPacket<float>::load_first(const float* p, int64_t count) {
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1), p);
}
template <> inline void SmallPacket<float>::store_first(float* p, const __m512& v, int64_t count) {
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), v);
}
template <> inline __m512d SmallPacket<double>::load_first(const double* p, int64_t count) {
  return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << count) - 1), p);
}
template <> inline void SmallPacket<double>::store_first(double* p, const __m512d& v, int64_t count) {
  _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << count) - 1), v);
}
#else
/// AVX2 lane masks: lane l is all ones when l < count.
inline __m256i lanes_below32(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline __m256i lanes_below64(int64_t count) {
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3));
}
template <> inline __m256 SmallPacket<float>::load_first(const float* p, int64_t count) {
  return _mm256_maskload_ps(p, lanes_below32(count));
}
template <> inline __m256d SmallPacket<double>::load_first(const double* p, int64_t count) {
  return _mm256_maskload_pd(p, lanes_below64(count));
}
#endif
#endif

/// The operands of a small product: element (i, p) of A is a[i * a_rs + p * a_cs], (p, j) of B is
/// b[p * b_rs + j], bias(j) is bias[j * bias_s] (no bias when null); C is row-major [n, m].
template <class T>
struct SmallGemmArgs {
  int64_t n, m, k;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs;
  T* c;
  const T* bias;
  int64_t bias_s;
};

/// ROWS rows of C from row i0, columns [j0, j0 + COLS vectors), of which the first `width` exist.
template <class T, int ROWS, int COLS>
EIGEN_ALWAYS_INLINE void small_gemm_tile(const SmallGemmArgs<T>& g, int64_t i0, int64_t j0, int64_t width,
                                         const typename SmallPacket<T>::type* bias) {
  using V = SmallPacket<T>;
  using P = typename V::type;
  constexpr int64_t W = V::lanes;
  const auto load_b = [&](int64_t p, int c) {
    const T* at = g.b + p * g.b_rs + j0 + c * W;
    const int64_t lanes = std::min<int64_t>(W, width - c * W);
    return lanes == W ? V::load(at) : V::load_first(at, lanes);
  };
  const T* ai = g.a + i0 * g.a_rs;
  P acc[ROWS][COLS];
  for (int c = 0; c < COLS; ++c) {
    const P b0 = load_b(0, c);
    for (int r = 0; r < ROWS; ++r)
      acc[r][c] = V::fma(Eigen::internal::pset1<P>(ai[r * g.a_rs]), b0, Eigen::internal::pset1<P>(T(0)));
  }
  for (int64_t p = 1; p < g.k; ++p) {
    P bp[COLS];
    for (int c = 0; c < COLS; ++c) bp[c] = load_b(p, c);
    for (int r = 0; r < ROWS; ++r) {
      const P arp = Eigen::internal::pset1<P>(ai[r * g.a_rs + p * g.a_cs]);
      for (int c = 0; c < COLS; ++c) acc[r][c] = V::fma(arp, bp[c], acc[r][c]);
    }
  }
  // A vector that runs past the end of its row may still be stored whole when C is one tile wide:
  // its extra lanes land in the next row, which is stored after it. Never past the end of C.
  const int64_t end = g.n * g.m;
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c) {
      const int64_t lanes = std::min<int64_t>(W, width - c * W);
      const int64_t at = (i0 + r) * g.m + j0 + c * W;
      const P v = g.bias ? Eigen::internal::padd(acc[r][c], bias[c]) : acc[r][c];
      if (lanes == W || (g.m <= COLS * W && at + W <= end)) V::store(g.c + at, v);
      else V::store_first(g.c + at, v, lanes);
    }
}

/// Columns [j0, j0 + width) of C, width > (COLS - 1) vectors, in tiles of 4 rows, then single rows.
template <class T, int COLS>
void small_gemm_rows(const SmallGemmArgs<T>& g, int64_t j0, int64_t width, const typename SmallPacket<T>::type* bias) {
  int64_t i0 = 0;
  for (; i0 + 4 <= g.n; i0 += 4) small_gemm_tile<T, 4, COLS>(g, i0, j0, width, bias);
  for (; i0 < g.n; ++i0) small_gemm_tile<T, 1, COLS>(g, i0, j0, width, bias);
}

/// The product in tiles of COLS vectors of columns.
template <class T, int COLS>
void small_gemm_cols(const SmallGemmArgs<T>& g) {
  using V = SmallPacket<T>;
  using P = typename V::type;
  constexpr int64_t W = V::lanes;
  for (int64_t j0 = 0; j0 < g.m; j0 += COLS * W) {
    const int64_t width = std::min<int64_t>(COLS * W, g.m - j0);
    P bias[COLS];
    for (int c = 0; c < COLS; ++c) {
      const int64_t lanes = std::min<int64_t>(W, width - c * W);
      if (!g.bias || lanes <= 0) bias[c] = Eigen::internal::pset1<P>(T(0));
      else if (g.bias_s == 0) bias[c] = Eigen::internal::pset1<P>(g.bias[0]);
      else bias[c] = lanes == W ? V::load(g.bias + j0 + c * W) : V::load_first(g.bias + j0 + c * W, lanes);
    }
    if (COLS > 1 && width <= W) {  // the last columns fill one vector
      small_gemm_rows<T, 1>(g, j0, width, bias);
      break;
    }
    small_gemm_rows<T, COLS>(g, j0, width, bias);
  }
}

/// C(i, j) = sum over p of A(i, p) B(p, j), accumulated in p order, one rounding per fused
/// multiply-add, starting from fma(A(i, 0), B(0, j), +0) (so a -0 product gives +0), then + bias(j).
/// Requires k >= 1 and bias_s of 0 (one value for every column) or 1.
// NOTE: tiles of 4 rows keep four independent FMA chains in flight; when a row is wider than one
// vector, tiles take two vectors of columns, so that even a single row (a vector-matrix product) runs
// two chains at once.
template <class T>
void small_gemm(const SmallGemmArgs<T>& g) {
  if (g.m > SmallPacket<T>::lanes) small_gemm_cols<T, 2>(g);
  else small_gemm_cols<T, 1>(g);
}

}  // namespace eigentorch::detail
