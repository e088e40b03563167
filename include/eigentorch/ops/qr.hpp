// ops::orthonormal_columns: the Q of a QR factorisation with its columns signed so that R's diagonal
// is positive, what nn::init::orthogonal_ makes of a normal draw (torch.linalg.qr, then q *= sign(diag r)).
// An initialiser's tool, without autograd; kept out of <eigentorch/tensor.hpp> (Eigen's QR is heavy).
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

#include <Eigen/QR>

#include <cstdint>  // int64_t

namespace eigentorch::ops {

/// For a [rows, cols] tensor a: Q of a (rows >= cols) or of a^T (rows < cols, then transposed back),
/// each column times the sign of R's diagonal entry (0 for a zero entry, as torch.sign). The result
/// has a's shape and orthonormal columns (rows) spanning a's. Eigen's Householder QR: Q is PyTorch's
/// (LAPACK's geqrf) up to rounding, the sign fix making the factorisation unique.
template <class T>
Tensor<T> orthonormal_columns(const Tensor<T>& a) {
  if (a.dim() != 2) detail::fail({"orthonormal_columns: expected a 2-D tensor, got ", a.dim(), "-D"});
  if (autograd::needs_grad(a)) detail::fail({"orthonormal_columns: no autograd (an initialiser's tool)"});
  const int64_t rows = a.size(0), cols = a.size(1);
  return detail::map_block(
      [rows, cols](const T* in, T* out, int64_t) {
        using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
        using RowMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
        const RowMap m(in, rows, cols);
        const bool wide = rows < cols;
        const Matrix x = wide ? Matrix(m.transpose()) : Matrix(m);
        const Eigen::HouseholderQR<Matrix> qr(x);
        Matrix q = qr.householderQ() * Matrix::Identity(x.rows(), x.cols());
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
          const T r = qr.matrixQR()(j, j);
          q.col(j) *= r > T(0) ? T(1) : r < T(0) ? T(-1) : T(0);
        }
        Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> o(out, rows, cols);
        if (wide)
          o = q.transpose();
        else
          o = q;
      },
      a);
}

}  // namespace eigentorch::ops
