// The one matrix product every op uses: C = op(A) op(B) (+ a bias row), row-major.
// Small products accumulate each output element over k in order with fused multiply-adds, which is
// how PyTorch's BLAS kernels round, so small models (the tour) reproduce PyTorch's float digits.
// Large products go to Eigen's blocked kernels (or an external BLAS with EIGENTORCH_USE_BLAS), those
// with a dimension of 1 to the streaming loops of gemv.hpp; both agree with PyTorch to float rounding.
#pragma once

#include "config.hpp"  // before Eigen
#include "gemv.hpp"
#include "small_gemm.hpp"

#include <Eigen/Core>

#include <algorithm>  // min
#include <cmath>    // fma
#include <cstdint>  // int64_t
#include <vector>

namespace eigentorch::detail {

/// Products with at most this many multiply-adds take the exact-order loop.
inline constexpr int64_t kSmallGemm = 1 << 15;

/// What Eigen's parallelizer calls for blocked_gemm: one block of columns [col, col + ncols) of the
/// result.
template <class T, int LhsOrder, int RhsOrder, class Kernel, class Blocking>
struct BlockedGemmFunctor {
  using Index = Eigen::Index;
  using Traits = typename Kernel::Traits;
  const T* lhs;
  Index ld_lhs;
  const T* rhs;
  Index ld_rhs;
  T* res;
  Index ld_res;  // = rows of the result
  Index cols;
  Index depth;
  Blocking& blocking;
  void initParallelSession(Index threads) const {
    blocking.initParallel(ld_res, cols, depth, threads);
    blocking.allocateA();
  }
  void operator()(Index row, Index nrows, Index col = 0, Index ncols = -1,
                  Eigen::internal::GemmParallelInfo<Index>* info = nullptr) const {
    if (ncols < 0) ncols = cols;
    const T* l = lhs + (LhsOrder == Eigen::ColMajor ? row : row * ld_lhs);
    const T* r = rhs + (RhsOrder == Eigen::ColMajor ? col * ld_rhs : col);
    Kernel::run(nrows, ncols, depth, l, ld_lhs, r, ld_rhs, res + row + col * ld_res, 1, ld_res, T(1), blocking,
                info);
  }
};

/// C += L R for column-major C[rows, cols] (leading dimension rows), L[rows, depth] and
/// R[depth, cols] stored in the given orders with the given leading dimensions: Eigen's blocked
/// kernel called directly (with EIGEN_USE_BLAS Eigen routes it to ?gemm), split across OpenMP
/// threads as Eigen's own products are.
template <class T, int LhsOrder, int RhsOrder>
void blocked_gemm(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, const T* lhs, Eigen::Index ld_lhs,
                  const T* rhs, Eigen::Index ld_rhs, T* res) {
  // NOTE: Eigen::Index throughout, not int64_t: the parallelizer takes its index type from these
  // arguments, and int64_t is another type than Eigen::Index on some platforms (long long vs long).
  using Index = Eigen::Index;
  using Kernel = Eigen::internal::general_matrix_matrix_product<Index, T, LhsOrder, false, T, RhsOrder, false,
                                                                Eigen::ColMajor, 1>;
  using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, T, T, Eigen::Dynamic, Eigen::Dynamic,
                                                        Eigen::Dynamic>;
  Blocking blocking(rows, cols, depth, 1, true);
  using Functor = BlockedGemmFunctor<T, LhsOrder, RhsOrder, Kernel, Blocking>;
  Eigen::internal::parallelize_gemm<true>(Functor{lhs, ld_lhs, rhs, ld_rhs, res, rows, cols, depth, blocking}, rows, cols,
                                          depth, false);
}

/// C[n, m] = op(A)[n, k] * op(B)[k, m], plus bias[m] on every row when bias is not null.
/// A is stored [n, k] (or [k, n] when trans_a), B is stored [k, m] (or [m, k] when trans_b).
template <class T>
void gemm(int64_t n, int64_t m, int64_t k, const T* a, bool trans_a, const T* b, bool trans_b, T* c,
          const T* bias = nullptr) {
  if (n == 0 || m == 0) return;
  if (n * m * k <= kSmallGemm) {
    if (k == 0) {
      for (int64_t i = 0; i < n * m; ++i) c[i] = bias ? T(0) + bias[i % m] : T(0);
      return;
    }
    const int64_t a_rs = trans_a ? 1 : k, a_cs = trans_a ? n : 1;  // A(i, p) = a[i * a_rs + p * a_cs]
    if (m == 1 && n > 1) {
      if (a_rs == 1) {
        // The transposed product C^T[1, n] = op(B)^T op(A)^T, whose B operand, op(A)^T, has unit
        // column stride: the n outputs fill the vector lanes. Same multiply-adds in the same order
        // (fma(x, y, z) = fma(y, x, z)).
        small_gemm(SmallGemmArgs<T>{1, n, k, b, 0, 1, a, a_cs, c, bias, 0});
        return;
      }
      // A matrix-vector product with A's rows contiguous: one running sum per row, 8 rows interleaved.
      for (int64_t i0 = 0; i0 < n; i0 += 8) {
        const int64_t rows = std::min<int64_t>(8, n - i0);
        T acc[8] = {};
        if (rows == 8) {  // a fixed count, so the compiler unrolls it
          for (int64_t p = 0; p < k; ++p)
            for (int64_t r = 0; r < 8; ++r) acc[r] = std::fma(a[(i0 + r) * k + p], b[p], acc[r]);
        } else {
          for (int64_t p = 0; p < k; ++p)
            for (int64_t r = 0; r < rows; ++r) acc[r] = std::fma(a[(i0 + r) * k + p], b[p], acc[r]);
        }
        for (int64_t r = 0; r < rows; ++r) c[i0 + r] = bias ? acc[r] + bias[0] : acc[r];
      }
      return;
    }
    const T* bt = b;  // op(B) as [k, m] rows
    if (trans_b && k > 1 && m > 1) {  // laid out rows first (small, so cheap)
      thread_local std::vector<T> scratch;
      scratch.resize(static_cast<std::size_t>(k * m));
      for (int64_t j = 0; j < m; ++j)
        for (int64_t p = 0; p < k; ++p) scratch[static_cast<std::size_t>(p * m + j)] = b[j * k + p];
      bt = scratch.data();
    }
    small_gemm(SmallGemmArgs<T>{n, m, k, a, a_rs, a_cs, bt, m, c, bias, 1});
    return;
  }
  // A transposition with a dimension of 1 leaves the memory as it is: drop it (unit strides).
  if (k == 1 || n == 1) trans_a = false;
  if (k == 1 || m == 1) trans_b = false;
  if (n == 1 || m == 1 || k == 1) {  // memory-bound: stream the matrix once, no packing (gemv.hpp)
    if (k == 1)
      outer(n, m, a, b, c);
    else if (m == 1)
      trans_a ? gevm_rows(k, n, b, a, n, c) : gemv_rows(n, k, a, k, b, c);
    else
      trans_b ? gemv_rows(m, k, b, k, a, c) : gevm_rows(k, m, a, b, m, c);
    if (bias)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) c[i * m + j] += bias[j];
    return;
  }
  // The blocked kernel adds into C: the bias goes in first and the product is added to it (as addmm
  // does with beta = 1). (The paths above add the bias to the finished product instead.)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) c[i * m + j] = bias ? bias[j] : T(0);
  if (k == 0) return;
  // Row-major C[n, m] is column-major C^T[m, n] = op(B)^T op(A)^T over the same memory: B is the
  // left operand, column-major with stride m unless transposed (then row-major, stride k); A is the
  // right operand, column-major with stride k unless transposed (then row-major, stride n).
  // Nothing is copied, and only Eigen's kernel and packing routines are instantiated, which keeps
  // compile times down (the expression-template product costs seconds per operand layout).
  const Eigen::Index in = n, im = m, ik = k;
  if (!trans_b && !trans_a) return blocked_gemm<T, Eigen::ColMajor, Eigen::ColMajor>(im, in, ik, b, im, a, ik, c);
  if (!trans_b && trans_a) return blocked_gemm<T, Eigen::ColMajor, Eigen::RowMajor>(im, in, ik, b, im, a, in, c);
  if (trans_b && !trans_a) return blocked_gemm<T, Eigen::RowMajor, Eigen::ColMajor>(im, in, ik, b, ik, a, ik, c);
  // Both transposed, which no op of the library asks for: B is laid out untransposed first, so that
  // Eigen's kernel is compiled for three operand layouts instead of four (about 0.1 s each, in every
  // program that includes eigentorch). Packing gives the kernel the same panels either way.
  std::vector<T> b_untransposed(static_cast<std::size_t>(k * m));
  for (int64_t j = 0; j < m; ++j)
    for (int64_t p = 0; p < k; ++p) b_untransposed[static_cast<std::size_t>(p * m + j)] = b[j * k + p];
  blocked_gemm<T, Eigen::ColMajor, Eigen::RowMajor>(im, in, ik, b_untransposed.data(), im, a, in, c);
}

}  // namespace eigentorch::detail
