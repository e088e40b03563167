// Matrix products: mm, matmul (PyTorch's 1-D / 2-D / batched rules), bmm, and linear (x W^T + b in
// one pass, as addmm), each with its derivative. Products run through detail::gemm (small ones in
// PyTorch's rounding, large ones with a dimension of 1 by streaming loops, the other large ones
// through Eigen or, with EIGENTORCH_USE_BLAS, an external BLAS);
// transposes are operand layouts, never copies.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "../backend/gemm.hpp"
#include "../backend/sum_order.hpp"
#include "shape.hpp"

#include <Eigen/Core>

#include <algorithm>  // max

namespace eigentorch {
namespace ops {
namespace detail_linalg {


[[gnu::cold]] inline std::string dims_str(const Size& s) {
  std::string r;
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

inline void check_mm(const Size& a, const Size& b) {
  if (a.size() != 2) throw Error("self must be a matrix");
  if (b.size() != 2) throw Error("mat2 must be a matrix");
  if (a[1] != b[0])
    detail::fail({"mat1 and mat2 shapes cannot be multiplied (", dims_str(a), " and ", dims_str(b), ")"});
}

/// c = op(a) op(b) (+ bias on every row), as a kernel; `batch` products of consecutive matrices.
template <class T>
void product(int64_t n, int64_t m, int64_t k, const Tensor<T>& a, bool trans_a, const Tensor<T>& b, bool trans_b,
             const Tensor<T>& c, const Tensor<T>& bias = Tensor<T>(), int64_t batch = 1) {
  detail::kernel(
      [](int64_t n, int64_t m, int64_t k, const Tensor<T>& a, bool ta, const Tensor<T>& b, bool tb, const Tensor<T>& c,
         const Tensor<T>& bias, int64_t batch) {
        const T* pa = a.data();
        const T* pb = b.data();
        T* pc = c.data();
        const T* pbias = bias.defined() ? bias.data() : nullptr;
        for (int64_t i = 0; i < batch; ++i)
          detail::gemm(n, m, k, pa + i * n * k, ta, pb + i * k * m, tb, pc + i * n * m, pbias);
      },
      n, m, k, a, trans_a, b, trans_b, c, bias, batch);
}

}  // namespace detail_linalg
using detail_linalg::check_mm;
using detail_linalg::product;
using detail_linalg::dims_str;

// d(A B) = G B^T (for A), A^T G (for B)
template <class T>
struct MmBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  const char* name() const override { return "MmBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const int64_t n = g.size(0), m = g.size(1);
    if (this->next[0]) {
      const Tensor<T>& vb = b.get();
      const int64_t k = vb.size(0);
      out[0] = Tensor<T>(Size{n, k}, detail::uninitialized);
      product(n, k, m, g, false, vb, true, out[0]);
    }
    if (this->next[1]) {
      const Tensor<T>& va = a.get();
      const int64_t k = va.size(1);
      out[1] = Tensor<T>(Size{k, m}, detail::uninitialized);
      product(k, m, n, va, true, g, false, out[1]);
    }
  }
  void release() override { a.release(); b.release(); }
};

template <class T>
Tensor<T> mm(const Tensor<T>& a, const Tensor<T>& b) {
  check_mm(a.shape(), b.shape());
  const int64_t n = a.size(0), k = a.size(1), m = b.size(1);
  Tensor<T> out(Size{n, m}, detail::uninitialized);
  product(n, m, k, a, false, b, false, out);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<MmBackward<T>>();
    if (b.requires_grad()) node->a.save(a);
    if (a.requires_grad()) node->b.save(b);
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

// d(a . b) = g b, g a
template <class T>
struct DotBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  const char* name() const override { return "DotBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    // g is 0-d: broadcast over the other operand
    if (this->next[0]) out[0] = detail::map2(b.get(), g, [](T v, T gv) { return gv * v; });
    if (this->next[1]) out[1] = detail::map2(a.get(), g, [](T v, T gv) { return gv * v; });
  }
  void release() override { a.release(); b.release(); }
};

template <class T>
Tensor<T> dot(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.dim() != 1 || b.dim() != 1)
    detail::fail({"1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors"});
  if (a.numel() != b.numel())
    detail::fail({"inconsistent tensor size, expected tensor [", a.numel(), "] and src [", b.numel(),
                  "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
                  " elements respectively"});
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  Tensor<T> out(Size{}, detail::uninitialized);
  detail::kernel(
      [](const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& out) {
        out.data()[0] = Eigen::Map<const Vec>(a.data(), a.numel()).dot(Eigen::Map<const Vec>(b.data(), b.numel()));
      },
      a, b, out);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<DotBackward<T>>();
    if (b.requires_grad()) node->a.save(a);
    if (a.requires_grad()) node->b.save(b);
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

// d(A v) = g v^T (for A), A^T g (for v)
template <class T>
struct MvBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, v;
  const char* name() const override { return "MvBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const int64_t n = g.numel();
    if (this->next[0]) {
      const Tensor<T>& vv = v.get();
      const int64_t k = vv.numel();
      out[0] = Tensor<T>(Size{n, k}, detail::uninitialized);
      product(n, k, int64_t(1), g, false, vv, false, out[0]);
    }
    if (this->next[1]) {
      const Tensor<T>& va = a.get();
      const int64_t k = va.size(1);
      out[1] = Tensor<T>(Size{k}, detail::uninitialized);
      product(k, int64_t(1), n, va, true, g, false, out[1]);
    }
  }
  void release() override { a.release(); v.release(); }
};

template <class T>
Tensor<T> mv(const Tensor<T>& a, const Tensor<T>& v) {
  if (a.dim() != 2 || v.dim() != 1) detail::fail({"vector + matrix @ vector expected, got ", a.dim(), ", ", v.dim()});
  const int64_t n = a.size(0), k = a.size(1);
  if (k != v.numel())
    detail::fail({"size mismatch, got ", n, ", ", dims_str(a.shape()), ",", v.numel()});
  Tensor<T> out(Size{n}, detail::uninitialized);
  product(n, int64_t(1), k, a, false, v, false, out);
  if (autograd::needs_grad(a, v)) {
    auto node = detail::make_pooled<MvBackward<T>>();
    if (v.requires_grad()) node->a.save(a);
    if (a.requires_grad()) node->v.save(v);
    autograd::connect(out, node, {&a, &v});
  }
  return out;
}

// d(A_i B_i) per batch i, as MmBackward
template <class T>
struct BmmBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  const char* name() const override { return "BmmBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const int64_t batch = g.size(0), n = g.size(1), m = g.size(2);
    if (this->next[0]) {
      const Tensor<T>& vb = b.get();
      const int64_t k = vb.size(1);
      out[0] = Tensor<T>(Size{batch, n, k}, detail::uninitialized);
      product(n, k, m, g, false, vb, true, out[0], Tensor<T>(), batch);
    }
    if (this->next[1]) {
      const Tensor<T>& va = a.get();
      const int64_t k = va.size(2);
      out[1] = Tensor<T>(Size{batch, k, m}, detail::uninitialized);
      product(k, m, n, va, true, g, false, out[1], Tensor<T>(), batch);
    }
  }
  void release() override { a.release(); b.release(); }
};

/// Batched product of [B, n, k] and [B, k, m].
template <class T>
Tensor<T> bmm(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.dim() != 3) throw Error("batch1 must be a 3D tensor");
  if (b.dim() != 3) throw Error("batch2 must be a 3D tensor");
  if (a.size(0) != b.size(0) || a.size(2) != b.size(1))
    detail::fail({"Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
                  "] but got: [", b.size(0), ", ", b.size(1), "]."});
  const int64_t batch = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  Tensor<T> out(Size{batch, n, m}, detail::uninitialized);
  product(n, m, k, a, false, b, false, out, Tensor<T>(), batch);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<BmmBackward<T>>();
    if (b.requires_grad()) node->a.save(a);
    if (a.requires_grad()) node->b.save(b);
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

// d expand(x) = the gradient summed back over the expanded dims
template <class T>
struct ExpandBackward final : autograd::Node<T> {
  Size input_shape;
  const char* name() const override { return "ExpandBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::sum_to(g, input_shape); }
};

/// x broadcast to `shape` (copied; PyTorch's expand is a view, but only reading it is meaningful).
template <class T>
Tensor<T> expand(const Tensor<T>& x, const Size& shape) {
  if (x.shape() == shape) return x;
  if (detail::broadcast_shapes(x.shape(), shape) != shape || shape.size() < x.shape().size())
    detail::fail({"The expanded size of the tensor must match the existing size ", x.shape().list_str(),
                  " at non-singleton dimensions. Target sizes: ", shape.list_str()});
  Tensor<T> zero(shape);
  Tensor<T> out = detail::map2(x, zero, [](T v, T) { return v; });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ExpandBackward<T>>();
    node->input_shape = x.shape();
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// torch.matmul: dot for 1-D x 1-D, mv, mm, and batched products with broadcast batch dims.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  const int64_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0)
    detail::fail({"both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db, "D"});
  if (da == 1 && db == 1) return ops::dot(a, b);
  if (da == 2 && db == 1) return ops::mv(a, b);
  if (da == 2 && db == 2) return ops::mm(a, b);
  if (da == 1 && db == 2) {
    Tensor<T> out = ops::mm(a.unsqueeze(0), b).squeeze(0);
    if (out.grad_fn()) out.grad_fn()->set_display_name("SqueezeBackward3");
    return out;
  }
  if (db == 2 && b.size(0) != a.size(-1)) {  // PyTorch folds a into a matrix and calls mm
    const int64_t rows = a.numel() / std::max<int64_t>(a.size(-1), 1);
    check_mm(Size{rows, a.size(-1)}, b.shape());
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
  Tensor<T> prod = ops::bmm(ops::expand(a2, Size(ea)).reshape({nb, n, k}), ops::expand(b2, Size(eb)).reshape({nb, k, m}));
  if (da > 1) eo.push_back(n);
  if (db > 1) eo.push_back(m);
  Tensor<T> out = prod.view(Size(eo));
  // PyTorch's last node here is an unsafe view (or, for a matrix times a batch, a clone).
  if (out.grad_fn()) out.grad_fn()->set_display_name(da == 2 && db >= 3 ? "CloneBackward0" : "UnsafeViewBackward0");
  return out;
}

/// A 1-D tensor of n copies of b's one element (a one-element bias spread over the outputs).
template <class T>
Tensor<T> full_row(const Tensor<T>& b, int64_t n) {
  Tensor<T> out(Size{n}, detail::uninitialized);
  detail::kernel([](const Tensor<T>& b, const Tensor<T>& out) { std::fill(out.data(), out.data() + out.numel(), b.data()[0]); },
                 b, out);
  return out;
}

// d(x W^T + b) = G W (for x), G^T x (for W), column sums of G (for b); a one-element bias (0-d or
// [1]) was spread over every output, so its gradient is the sum of all of G (PyTorch's sum_to).
template <class T>
struct LinearBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, w;
  bool has_bias = true;
  bool bias_spread = false;  // a one-element bias added to every output
  bool bias_0d = false;
  const char* name() const override { return has_bias ? "AddmmBackward0" : "MmBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const int64_t n = g.size(0), o = g.size(1);
    if (this->next[0]) {
      const Tensor<T>& vw = w.get();
      const int64_t in = vw.size(1);
      out[0] = Tensor<T>(Size{n, in}, detail::uninitialized);
      product(n, in, o, g, false, vw, false, out[0]);
    }
    if (this->next[1]) {
      const Tensor<T>& vx = x.get();
      const int64_t in = vx.size(1);
      out[1] = Tensor<T>(Size{o, in}, detail::uninitialized);
      product(o, in, n, g, true, vx, false, out[1]);
    }
    if (has_bias && this->next[2]) {
      // one sum of all of G for a spread bias, else column sums: the kernel tells them by out's size
      out[2] = Tensor<T>(bias_spread ? (bias_0d ? Size{} : Size{1}) : Size{o}, detail::uninitialized);
      detail::kernel(
          [](const Tensor<T>& g, const Tensor<T>& b, bool spread) {
            const int64_t n = g.size(0), o = g.size(1);
            if (spread)
              b.data()[0] = detail::sum_contiguous(g.data(), n * o);
            else
              detail::sum_columns(g.data(), n, o, b.data());
          },
          g, out[2], bias_spread);
    }
  }
  void release() override { x.release(); w.release(); }
};

/// x W^T + b for 2-D x [n, in], W [out, in], b [out] (or undefined), in one pass (PyTorch's addmm).
template <class T>
Tensor<T> linear2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  if (w.dim() != 2) detail::fail({"linear(): weight must be 2-D, but got ", w.dim(), "-D"});
  if (x.size(1) != w.size(1))
    detail::fail({"mat1 and mat2 shapes cannot be multiplied (", dims_str(x.shape()), " and ",
                  dims_str(Size{w.size(1), w.size(0)}), ")"});
  const int64_t n = x.size(0), in = x.size(1), o = w.size(0);
  const bool has_bias = b.defined();
  if (has_bias && !(b.dim() == 1 && (b.numel() == o || b.numel() == 1)) && !(b.dim() == 0))
    detail::fail({"The expanded size of the tensor (", o, ") must match the existing size (", b.size(-1),
                  ") at non-singleton dimension ", b.dim(), ".  Target sizes: [", n, ", ", o, "].  Tensor sizes: ",
                  b.shape().list_str()});
  Tensor<T> out(Size{n, o}, detail::uninitialized);
  const bool bias_spread = has_bias && (b.dim() == 0 || b.numel() != o);  // one element for every output
  if (bias_spread)
    product(n, o, in, x, false, w, true, out, full_row(b, o));
  else
    product(n, o, in, x, false, w, true, out, b);
  const bool bias_grad = has_bias && b.requires_grad();
  if (is_grad_enabled() && (x.requires_grad() || w.requires_grad() || bias_grad)) {
    auto node = detail::make_pooled<LinearBackward<T>>();
    if (w.requires_grad()) node->x.save(x);
    if (x.requires_grad()) node->w.save(w);
    node->has_bias = has_bias;
    node->bias_spread = bias_spread;
    node->bias_0d = has_bias && b.dim() == 0;
    if (has_bias)
      autograd::connect(out, node, {&x, &w, &b});
    else
      autograd::connect(out, node, {&x, &w});
  }
  return out;
}

/// F.linear for any input rank: 1-D and >2-D inputs are folded into 2-D and unfolded after.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>()) {
  if (x.dim() == 2) return linear2d(x, w, b);
  if (x.dim() == 0) throw Error("both arguments to linear need to be at least 1D, but they are 0D and 2D");
  const int64_t in = x.size(-1);
  // PyTorch names the last node of these folded forms: a 1-D input ends in the bias addition
  // (AddBackward0, or the squeeze without bias); a batch input without bias in an unsafe view.
  if (x.dim() == 1) {
    Tensor<T> out = linear2d(x.unsqueeze(0), w, b).squeeze(0);
    if (out.grad_fn()) out.grad_fn()->set_display_name(b.defined() ? "AddBackward0" : "SqueezeBackward3");
    return out;
  }
  std::vector<int64_t> shape(x.shape().begin(), x.shape().end() - 1);
  shape.push_back(w.size(0));
  Tensor<T> out = linear2d(x.reshape({-1, in}), w, b).view(Size(shape));
  if (out.grad_fn() && !b.defined()) out.grad_fn()->set_display_name("UnsafeViewBackward0");
  return out;
}

}  // namespace ops

template <class T> Tensor<T> Tensor<T>::matmul(const Tensor& o) const { return ops::matmul(*this, o); }
template <class T> Tensor<T> Tensor<T>::mm(const Tensor& o) const { return ops::mm(*this, o); }

template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) { return ops::matmul(a, b); }
template <class T> Tensor<T> mm(const Tensor<T>& a, const Tensor<T>& b) { return ops::mm(a, b); }
template <class T> Tensor<T> bmm(const Tensor<T>& a, const Tensor<T>& b) { return ops::bmm(a, b); }
template <class T> Tensor<T> dot(const Tensor<T>& a, const Tensor<T>& b) { return ops::dot(a, b); }
template <class T> Tensor<T> mv(const Tensor<T>& a, const Tensor<T>& b) { return ops::mv(a, b); }

}  // namespace eigentorch
