// Large products with a dimension of 1: a matrix times a vector, a vector times a matrix, and the
// outer product of two vectors (a batch of one through a wide Linear, and its gradients). These are
// memory-bound: the matrix is read once, in storage order, and nothing is packed or copied (the
// blocked GEMM kernel would copy the whole matrix into its panels first, which cost more than the
// arithmetic: measured 2x on a batch of one through 2048-wide layers). detail/gemm.hpp sends them
// here when they are above its small-product size; they agree with PyTorch to float rounding.
#pragma once

#include "config.hpp"  // before Eigen

#include <Eigen/Core>

#include <cstdint>  // int64_t

namespace eigentorch::detail {

/// Eigen's packet of T (its widest vector for T in this build) and its lane count.
template <class T>
struct Vec {
  using P = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int64_t L = Eigen::internal::packet_traits<T>::size;
};

/// y[i] = dot(A[i, 0..k), x) for the n rows of A (row stride lda), four rows at a time, each summed in
/// a vector of partial sums along k.
template <class T>
void gemv_rows(int64_t n, int64_t k, const T* a, int64_t lda, const T* x, T* y) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  const int64_t kv = k / L * L;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T* r0 = a + i * lda;
    const T* r1 = r0 + lda;
    const T* r2 = r1 + lda;
    const T* r3 = r2 + lda;
    P s0 = pset1<P>(T(0)), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t p = 0; p < kv; p += L) {
      const P xp = ploadu<P>(x + p);
      s0 = pmadd(ploadu<P>(r0 + p), xp, s0);
      s1 = pmadd(ploadu<P>(r1 + p), xp, s1);
      s2 = pmadd(ploadu<P>(r2 + p), xp, s2);
      s3 = pmadd(ploadu<P>(r3 + p), xp, s3);
    }
    T t0 = predux(s0), t1 = predux(s1), t2 = predux(s2), t3 = predux(s3);
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
  for (; i < n; ++i) {
    const T* r = a + i * lda;
    P s = pset1<P>(T(0));
    for (int64_t p = 0; p < kv; p += L) s = pmadd(ploadu<P>(r + p), ploadu<P>(x + p), s);
    T t = predux(s);
    for (int64_t p = kv; p < k; ++p) t += r[p] * x[p];
    y[i] = t;
  }
}

/// y[0..m) = sum over p of x[p] * B[p, 0..m) for the k rows of B (row stride ldb): B is read row by
/// row, four rows per pass over y.
template <class T>
void gevm_rows(int64_t k, int64_t m, const T* x, const T* b, int64_t ldb, T* y) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  const int64_t mv = m / L * L;
  for (int64_t j = 0; j < m; ++j) y[j] = T(0);
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const T* r0 = b + p * ldb;
    const T* r1 = r0 + ldb;
    const T* r2 = r1 + ldb;
    const T* r3 = r2 + ldb;
    const P x0 = pset1<P>(x[p]), x1 = pset1<P>(x[p + 1]), x2 = pset1<P>(x[p + 2]), x3 = pset1<P>(x[p + 3]);
    for (int64_t j = 0; j < mv; j += L) {
      P acc = ploadu<P>(y + j);
      acc = pmadd(x0, ploadu<P>(r0 + j), acc);
      acc = pmadd(x1, ploadu<P>(r1 + j), acc);
      acc = pmadd(x2, ploadu<P>(r2 + j), acc);
      acc = pmadd(x3, ploadu<P>(r3 + j), acc);
      pstoreu(y + j, acc);
    }
    for (int64_t j = mv; j < m; ++j) y[j] += x[p] * r0[j] + x[p + 1] * r1[j] + x[p + 2] * r2[j] + x[p + 3] * r3[j];
  }
  for (; p < k; ++p) {
    const T* r = b + p * ldb;
    const P xs = pset1<P>(x[p]);
    for (int64_t j = 0; j < mv; j += L) pstoreu(y + j, pmadd(xs, ploadu<P>(r + j), ploadu<P>(y + j)));
    for (int64_t j = mv; j < m; ++j) y[j] += x[p] * r[j];
  }
}

/// C[i, j] = u[i] * v[j] for i < n, j < m (row-major C, row stride m).
template <class T>
void outer(int64_t n, int64_t m, const T* u, const T* v, T* c) {
  using namespace Eigen::internal;
  using P = typename Vec<T>::P;
  constexpr int64_t L = Vec<T>::L;
  const int64_t mv = m / L * L;
  for (int64_t i = 0; i < n; ++i) {
    T* row = c + i * m;
    const P ui = pset1<P>(u[i]);
    for (int64_t j = 0; j < mv; j += L) pstoreu(row + j, pmul(ui, ploadu<P>(v + j)));
    for (int64_t j = mv; j < m; ++j) row[j] = u[i] * v[j];
  }
}

}  // namespace eigentorch::detail
