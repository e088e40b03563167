// The one matrix product every op uses: C = op(A) op(B) (+ a bias row), row-major.
// Small products accumulate each output element over k in order with fused multiply-adds, which is
// how PyTorch's BLAS kernels round, so small models (the tour) reproduce PyTorch's float digits.
// Large products go to Eigen's blocked kernels (or an external BLAS with EIGENTORCH_USE_BLAS), which
// agree with PyTorch to float rounding.
#pragma once

#include "config.hpp"  // before Eigen

#include <Eigen/Core>

#include <cmath>    // fma
#include <cstdint>  // int64_t

namespace eigentorch::detail {

/// Products with at most this many multiply-adds take the exact-order loop.
inline constexpr int64_t kSmallGemm = 1 << 15;

/// A row-major matrix operand, optionally transposed: element (i, j) of op(M).
template <class T>
struct Operand {
  const T* data;
  int64_t ld;      // row stride of the stored matrix
  bool transposed;
  T operator()(int64_t i, int64_t j) const { return transposed ? data[j * ld + i] : data[i * ld + j]; }
};

/// C[n, m] = op(A)[n, k] * op(B)[k, m], plus bias[m] on every row when bias is not null.
/// A is stored [n, k] (or [k, n] when trans_a), B is stored [k, m] (or [m, k] when trans_b).
template <class T>
void gemm(int64_t n, int64_t m, int64_t k, const T* a, bool trans_a, const T* b, bool trans_b, T* c,
          const T* bias = nullptr) {
  if (n == 0 || m == 0) return;
  if (n * m * k <= kSmallGemm) {
    const Operand<T> A{a, trans_a ? n : k, trans_a}, B{b, trans_b ? k : m, trans_b};
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        T acc = T(0);
        for (int64_t p = 0; p < k; ++p) acc = std::fma(A(i, p), B(p, j), acc);
        c[i * m + j] = bias ? acc + bias[j] : acc;
      }
    return;
  }
  using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CMap = Eigen::Map<const RowMat>;
  Eigen::Map<RowMat> C(c, n, m);
  if (k == 0) {
    C.setZero();
  } else {
    // NOTE: a transposed operand is an Eigen expression over the same memory, never a copy.
    if (!trans_a && !trans_b) C.noalias() = CMap(a, n, k) * CMap(b, k, m);
    if (!trans_a && trans_b) C.noalias() = CMap(a, n, k) * CMap(b, m, k).transpose();
    if (trans_a && !trans_b) C.noalias() = CMap(a, k, n).transpose() * CMap(b, k, m);
    if (trans_a && trans_b) C.noalias() = CMap(a, k, n).transpose() * CMap(b, m, k).transpose();
  }
  if (bias) C.rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(bias, m);
}

}  // namespace eigentorch::detail
