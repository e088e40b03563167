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
#include <vector>

namespace eigentorch::detail {

/// Products with at most this many multiply-adds take the exact-order loop.
inline constexpr int64_t kSmallGemm = 1 << 15;

/// C[n, m] = op(A)[n, k] * op(B)[k, m], plus bias[m] on every row when bias is not null.
/// A is stored [n, k] (or [k, n] when trans_a), B is stored [k, m] (or [m, k] when trans_b).
template <class T>
void gemm(int64_t n, int64_t m, int64_t k, const T* a, bool trans_a, const T* b, bool trans_b, T* c,
          const T* bias = nullptr) {
  if (n == 0 || m == 0) return;
  if (n * m * k <= kSmallGemm) {
    // Each C(i, j) is accumulated over p in order, one rounding per fused multiply-add; the loop runs
    // along rows of C so that the compiler can vectorise it across j without changing that order.
    if (m == 1) {  // a matrix-vector product: one running sum per row
      const int64_t a_row = trans_a ? 1 : k, a_col = trans_a ? n : 1;
      for (int64_t i = 0; i < n; ++i) {
        T acc = T(0);
        for (int64_t p = 0; p < k; ++p) acc = std::fma(a[i * a_row + p * a_col], b[p], acc);
        c[i] = bias ? acc + bias[0] : acc;
      }
      return;
    }
    const T* bt = b;
    if (trans_b) {  // lay op(B) out as [k, m] rows first (small, so cheap)
      thread_local std::vector<T> scratch;
      scratch.resize(static_cast<std::size_t>(k * m));
      for (int64_t j = 0; j < m; ++j)
        for (int64_t p = 0; p < k; ++p) scratch[static_cast<std::size_t>(p * m + j)] = b[j * k + p];
      bt = scratch.data();
    }
    for (int64_t i = 0; i < n; ++i) {
      T* ci = c + i * m;
      for (int64_t j = 0; j < m; ++j) ci[j] = T(0);
      for (int64_t p = 0; p < k; ++p) {
        const T aip = trans_a ? a[p * n + i] : a[i * k + p];
        const T* bp = bt + p * m;
        for (int64_t j = 0; j < m; ++j) ci[j] = std::fma(aip, bp[j], ci[j]);
      }
      if (bias)
        for (int64_t j = 0; j < m; ++j) ci[j] += bias[j];
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
