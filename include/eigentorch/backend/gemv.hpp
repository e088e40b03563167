// Large products with a dimension of 1: a matrix times a vector, a vector times a matrix, and the
// outer product of two vectors (a batch of one through a wide Linear, and its gradients). These are
// memory-bound: the matrix is read once, in storage order, and nothing is packed or copied (the
// blocked GEMM kernel would copy the whole matrix into its panels first, which cost more than the
// arithmetic: a batch of one through 64-2048-2048-10 took 11.8 ms a step that way, 4.4 ms streamed,
// single-threaded). Packets are Eigen's widest for T, in any build (unlike small_gemm.hpp's
// SmallPacket, which needs FMA: these sums need no particular rounding). backend/gemm.hpp sends them
// here when they are above its small-product size; they agree with PyTorch to float rounding.
#pragma once

#include "config.hpp"  // before Eigen

#include <Eigen/Core>

#include <algorithm>  // fill, min
#include <cstdint>  // int64_t
#include <vector>

namespace eigentorch::detail {

/// Eigen's packet of T (its widest vector for T in this build) and its lane count.
template <class T>
struct Vec {
  using P = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int64_t L = Eigen::internal::packet_traits<T>::size;
};

/// Long sums run in stretches of this many terms per partial sum, each stretch's sum then added to
/// the total, as a blocked product sums: the rounding error grows like kRun + k / kRun, not like k.
inline constexpr int64_t kRun = 1024;

/// y[i] = dot(A[i, 0..k), x) for the n rows of A (row stride lda), four rows at a time, each summed in
/// a vector of partial sums along k, stretch by stretch.
template <class T>
void gemv_rows(int64_t n, int64_t k, const T* a, int64_t lda, const T* x, T* y) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  static_assert(kRun % L == 0);
  const int64_t kv = k / L * L;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T* r0 = a + i * lda;
    const T* r1 = r0 + lda;
    const T* r2 = r1 + lda;
    const T* r3 = r2 + lda;
    T t0 = T(0), t1 = T(0), t2 = T(0), t3 = T(0);
    for (int64_t p0 = 0; p0 < kv; p0 += kRun) {
      const int64_t p1 = std::min(kv, p0 + kRun);
      P s0 = pset1<P>(T(0)), s1 = s0, s2 = s0, s3 = s0;
      for (int64_t p = p0; p < p1; p += L) {
        const P xp = ploadu<P>(x + p);
        s0 = pmadd(ploadu<P>(r0 + p), xp, s0);
        s1 = pmadd(ploadu<P>(r1 + p), xp, s1);
        s2 = pmadd(ploadu<P>(r2 + p), xp, s2);
        s3 = pmadd(ploadu<P>(r3 + p), xp, s3);
      }
      t0 += predux(s0);
      t1 += predux(s1);
      t2 += predux(s2);
      t3 += predux(s3);
    }
    for (int64_t p = kv; p < k; ++p) {
      t0 += r0[p] * x[p];
      t1 += r1[p] * x[p];
      t2 += r2[p] * x[p];
      t3 += r3[p] * x[p];
    }
    y[i] = t0;
    y[i + 1] = t1;
    y[i + 2] = t2;
    y[i + 3] = t3;
  }
  for (; i < n; ++i) {  // the last rows (and a lone dot product): two chains of partial sums
    const T* r = a + i * lda;
    T t = T(0);
    for (int64_t p0 = 0; p0 < kv; p0 += kRun) {
      const int64_t p1 = std::min(kv, p0 + kRun);
      P s = pset1<P>(T(0)), s2 = s;
      int64_t p = p0;
      for (; p + 2 * L <= p1; p += 2 * L) {
        s = pmadd(ploadu<P>(r + p), ploadu<P>(x + p), s);
        s2 = pmadd(ploadu<P>(r + p + L), ploadu<P>(x + p + L), s2);
      }
      if (p < p1) s = pmadd(ploadu<P>(r + p), ploadu<P>(x + p), s);
      t += predux(padd(s, s2));
    }
    for (int64_t p = kv; p < k; ++p) t += r[p] * x[p];
    y[i] = t;
  }
}

/// acc[0..m) += sum over p in [p0, p1) of x[p] * B[p, 0..m): B read row by row, four rows per pass.
template <class T>
void add_rows(int64_t p0, int64_t p1, int64_t m, const T* x, const T* b, int64_t ldb, T* acc) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  const int64_t mv = m / L * L;
  int64_t p = p0;
  for (; p + 4 <= p1; p += 4) {
    const T* r0 = b + p * ldb;
    const T* r1 = r0 + ldb;
    const T* r2 = r1 + ldb;
    const T* r3 = r2 + ldb;
    const P x0 = pset1<P>(x[p]), x1 = pset1<P>(x[p + 1]), x2 = pset1<P>(x[p + 2]), x3 = pset1<P>(x[p + 3]);
    for (int64_t j = 0; j < mv; j += L) {
      P v = ploadu<P>(acc + j);
      v = pmadd(x0, ploadu<P>(r0 + j), v);
      v = pmadd(x1, ploadu<P>(r1 + j), v);
      v = pmadd(x2, ploadu<P>(r2 + j), v);
      v = pmadd(x3, ploadu<P>(r3 + j), v);
      pstoreu(acc + j, v);
    }
    for (int64_t j = mv; j < m; ++j) acc[j] += x[p] * r0[j] + x[p + 1] * r1[j] + x[p + 2] * r2[j] + x[p + 3] * r3[j];
  }
  for (; p < p1; ++p) {
    const T* r = b + p * ldb;
    const P xs = pset1<P>(x[p]);
    for (int64_t j = 0; j < mv; j += L) pstoreu(acc + j, pmadd(xs, ploadu<P>(r + j), ploadu<P>(acc + j)));
    for (int64_t j = mv; j < m; ++j) acc[j] += x[p] * r[j];
  }
}

/// y[0..m) = sum over p of x[p] * B[p, 0..m) for the k rows of B (row stride ldb): B is read row by
/// row; more than kRun rows are summed stretch by stretch (each into a scratch row, then added to y).
template <class T>
void gevm_rows(int64_t k, int64_t m, const T* x, const T* b, int64_t ldb, T* y) {
  for (int64_t j = 0; j < m; ++j) y[j] = T(0);
  if (k <= kRun) return add_rows(0, k, m, x, b, ldb, y);
  thread_local std::vector<T> run;  // reused across calls: a training step asks for the same sizes
  run.resize(static_cast<std::size_t>(m));
  for (int64_t p0 = 0; p0 < k; p0 += kRun) {
    std::fill(run.begin(), run.end(), T(0));
    add_rows(p0, std::min(k, p0 + kRun), m, x, b, ldb, run.data());
    for (int64_t j = 0; j < m; ++j) y[j] += run[static_cast<std::size_t>(j)];
  }
}

/// C[i, j] = u[i] * v[j] for i < n, j < m (row-major C, row stride m); + 0, so that a product -0 is
/// written +0, as the other product paths write it.
template <class T>
void outer(int64_t n, int64_t m, const T* u, const T* v, T* c) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  const int64_t mv = m / L * L;
  const P zero = pset1<P>(T(0));
  for (int64_t i = 0; i < n; ++i) {
    T* row = c + i * m;
    const P ui = pset1<P>(u[i]);
    for (int64_t j = 0; j < mv; j += L) pstoreu(row + j, pmadd(ui, ploadu<P>(v + j), zero));
    for (int64_t j = mv; j < m; ++j) row[j] = u[i] * v[j] + T(0);
  }
}

}  // namespace eigentorch::detail
