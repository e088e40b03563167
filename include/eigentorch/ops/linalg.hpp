// Matrix products: mm, matmul (PyTorch's 1-D / 2-D / batched rules), bmm, dot, mv, each with its
// derivative (linear, x W^T + b in one pass, is in linear.hpp). Products run through detail::product
// (kernels.hpp) and detail::gemm (small ones in PyTorch's rounding, large ones with a dimension of 1
// by streaming loops, the other large ones through Eigen or, with EIGENTORCH_USE_BLAS, an external
// BLAS); transposes are operand layouts, never copies.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "shape.hpp"

#include <Eigen/Core>

#include <algorithm>  // max
#include <string>

namespace eigentorch {
namespace detail {

[[gnu::cold]] inline std::string dims_str(const Size& s) {
  std::string r;
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

inline void check_mm(const Size& a, const Size& b) {
  if (a.size() != 2) fail({"self must be a matrix"});
  if (b.size() != 2) fail({"mat2 must be a matrix"});
  if (a[1] != b[0]) fail({"mat1 and mat2 shapes cannot be multiplied (", dims_str(a), " and ", dims_str(b), ")"});
}

}  // namespace detail

namespace ops {

// d(A B) = G B^T (for A), A^T G (for B): mm, and with the shapes of the operands mv (B a k x 1
// column) and bmm (`batch` consecutive products).
template <class T>
struct ProductBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  Size a_shape, b_shape;
  int64_t batch = 1, n = 0, k = 0, m = 0;
  const char* name_ = "MmBackward0";
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) {
      out[0] = Tensor<T>(a_shape, detail::uninitialized);
      detail::product(n, k, m, g, false, b.get(), true, out[0], Tensor<T>(), batch);
    }
    if (this->next[1]) {
      out[1] = Tensor<T>(b_shape, detail::uninitialized);
      detail::product(k, m, n, a.get(), true, g, false, out[1], Tensor<T>(), batch);
    }
  }
  void release() override { a.release(); b.release(); }
};

// d(a . b) = g b, g a
template <class T>
struct DotBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  const char* name() const override { return "DotBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    // g is 0-d: broadcast over the other operand
    if (this->next[0]) out[0] = detail::map([](T v, T gv) { return gv * v; }, b.get(), g);
    if (this->next[1]) out[1] = detail::map([](T v, T gv) { return gv * v; }, a.get(), g);
  }
  void release() override { a.release(); b.release(); }
};

/// Records a two-operand product's node: each operand is saved only when the other one needs its
/// gradient (the derivative for one side reads the other).
template <class T, class NodeT>
void record_product(const Tensor<T>& out, const Tensor<T>& a, const Tensor<T>& b, NodeT node) {
  if (b.requires_grad()) node->a.save(a);
  if (a.requires_grad()) node->b.save(b);
  autograd::connect(out, node, {&a, &b});
}

/// `batch` products of n x k and k x m matrices into a tensor of `shape`, with its node.
template <class T>
Tensor<T> product(const char* name, const Tensor<T>& a, const Tensor<T>& b, const Size& shape, int64_t batch,
                  int64_t n, int64_t k, int64_t m) {
  Tensor<T> out(shape, detail::uninitialized);
  detail::product(n, m, k, a, false, b, false, out, Tensor<T>(), batch);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<ProductBackward<T>>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    node->batch = batch, node->n = n, node->k = k, node->m = m;
    node->name_ = name;
    record_product(out, a, b, node);
  }
  return out;
}

}  // namespace ops

/// The product of two matrices.
template <class T>
Tensor<T> mm(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_mm(a.shape(), b.shape());
  const int64_t n = a.size(0), k = a.size(1), m = b.size(1);
  return ops::product("MmBackward0", a, b, Size{n, m}, 1, n, k, m);
}

/// The dot product of two 1-D tensors.
template <class T>
Tensor<T> dot(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.dim() != 1 || b.dim() != 1)
    detail::fail({"1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors"});
  if (a.numel() != b.numel())
    detail::fail({"inconsistent tensor size, expected tensor [", a.numel(), "] and src [", b.numel(),
                  "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
                  " elements respectively"});
  Tensor<T> out = detail::reduce_all(
      [](int64_t n, const T* pa, const T* pb) {
        using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
        return Eigen::Map<const Vec>(pa, n).dot(Eigen::Map<const Vec>(pb, n));
      },
      a, b);
  if (autograd::needs_grad(a, b)) ops::record_product(out, a, b, detail::make_pooled<ops::DotBackward<T>>());
  return out;
}

/// Matrix times vector.
template <class T>
Tensor<T> mv(const Tensor<T>& a, const Tensor<T>& v) {
  if (a.dim() != 2 || v.dim() != 1) detail::fail({"vector + matrix @ vector expected, got ", a.dim(), ", ", v.dim()});
  const int64_t n = a.size(0), k = a.size(1);
  if (k != v.numel())
    detail::fail({"size mismatch, got ", n, ", ", detail::dims_str(a.shape()), ",", v.numel()});
  return ops::product("MvBackward0", a, v, Size{n}, 1, n, k, 1);
}

/// Batched product of [B, n, k] and [B, k, m].
template <class T>
Tensor<T> bmm(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.dim() != 3) detail::fail({"batch1 must be a 3D tensor"});
  if (b.dim() != 3) detail::fail({"batch2 must be a 3D tensor"});
  if (a.size(0) != b.size(0) || a.size(2) != b.size(1))
    detail::fail({"Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
                  "] but got: [", b.size(0), ", ", b.size(1), "]."});
  const int64_t batch = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  return ops::product("BmmBackward0", a, b, Size{batch, n, m}, batch, n, k, m);
}

/// torch.matmul: dot for 1-D x 1-D, mv, mm, and batched products with broadcast batch dims.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  const int64_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0)
    detail::fail({"both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db, "D"});
  if (da == 1 && db == 1) return eigentorch::dot(a, b);
  if (da == 2 && db == 1) return eigentorch::mv(a, b);
  if (da == 2 && db == 2) return eigentorch::mm(a, b);
  if (da == 1 && db == 2) {
    Tensor<T> out = eigentorch::mm(a.unsqueeze(0), b).squeeze(0);
    if (out.grad_fn()) out.grad_fn()->set_display_name("SqueezeBackward3");
    return out;
  }
  if (db == 2 && b.size(0) != a.size(-1)) {  // PyTorch folds a into a matrix and calls mm
    const int64_t rows = a.numel() / std::max<int64_t>(a.size(-1), 1);
    detail::check_mm(Size{rows, a.size(-1)}, b.shape());
  }
  if (db == 1 && b.numel() != a.size(-1))  // PyTorch folds a into a matrix and calls mv
    detail::fail({"size mismatch, got ", a.numel() / std::max<int64_t>(a.size(-1), 1), ", ",
                  a.numel() / std::max<int64_t>(a.size(-1), 1), "x", a.size(-1), ",", b.numel()});
  // Batched: promote 1-D operands, broadcast the batch dims, multiply per batch, drop promoted dims.
  Tensor<T> a2 = da == 1 ? a.unsqueeze(0) : a;
  Tensor<T> b2 = db == 1 ? b.unsqueeze(-1) : b;
  const int64_t n = a2.size(-2), k = a2.size(-1), k2 = b2.size(-2), m = b2.size(-1);
  if (k != k2)
    detail::fail({"Expected size for first two dimensions of batch2 tensor to be: [",
                  a2.numel() / std::max<int64_t>(n * k, 1), ", ", k, "] but got: [",
                  b2.numel() / std::max<int64_t>(k2 * m, 1), ", ", k2, "]."});
  std::vector<int64_t> ba(a2.shape().begin(), a2.shape().end() - 2), bb(b2.shape().begin(), b2.shape().end() - 2);
  const Size batch = detail::broadcast_shapes(Size(ba), Size(bb));
  std::vector<int64_t> ea = batch.vec(), eb = batch.vec(), eo = batch.vec();
  ea.push_back(n);
  ea.push_back(k);
  eb.push_back(k);
  eb.push_back(m);
  const int64_t nb = batch.numel();
  Tensor<T> prod = eigentorch::bmm(ops::expand(a2, Size(ea)).reshape({nb, n, k}), ops::expand(b2, Size(eb)).reshape({nb, k, m}));
  if (da > 1) eo.push_back(n);
  if (db > 1) eo.push_back(m);
  Tensor<T> out = prod.view(Size(eo));
  // PyTorch's last node here is an unsafe view (or, for a matrix times a batch, a clone).
  if (out.grad_fn()) out.grad_fn()->set_display_name(da == 2 && db >= 3 ? "CloneBackward0" : "UnsafeViewBackward0");
  return out;
}

template <class T> Tensor<T> Tensor<T>::matmul(const Tensor& o) const { return eigentorch::matmul(*this, o); }
template <class T> Tensor<T> Tensor<T>::mm(const Tensor& o) const { return eigentorch::mm(*this, o); }

}  // namespace eigentorch
