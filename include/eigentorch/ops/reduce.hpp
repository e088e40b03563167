// Reductions: sum and mean, over everything or along one dim, with their derivatives (the gradient
// is spread back over the reduced elements).
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "../backend/sum_order.hpp"

namespace eigentorch {
namespace ops {
namespace detail_reduce {

/// g (shape `kept`, with the reduced dims of size 1 or absent) spread over `shape`, times `scale`.
template <class T>
Tensor<T> expand_scaled(const Tensor<T>& g, const Size& kept, const Size& shape, T scale, bool divide) {
  Tensor<T> out(shape, detail::uninitialized);
  detail::kernel(
      [](const Tensor<T>& g, const Tensor<T>& out, const Size& kept, T scale, bool divide) {
        T* po = out.data();
        const T* pg = g.data();
        auto value = [&](T v) { return divide ? v / scale : v * scale; };
        if (g.numel() == 1) {
          const T v = value(pg[0]);
          for (int64_t i = 0, n = out.numel(); i < n; ++i) po[i] = v;
        } else {
          detail::for_each_broadcast(out.shape(), out.shape(), kept,
                                     [&](int64_t i, int64_t, int64_t ig) { po[i] = value(pg[ig]); });
        }
      },
      g, out, kept, scale, divide);
  return out;
}

/// The shape with dim d set to 1 (keepdim) or removed.
inline Size reduced_shape(const Size& shape, int64_t d, bool keepdim) {
  std::vector<int64_t> dims = shape.vec();
  if (keepdim)
    dims[static_cast<std::size_t>(d)] = 1;
  else
    dims.erase(dims.begin() + d);
  return Size(std::move(dims));
}

}  // namespace detail_reduce

// d sum(x)/dx = 1 everywhere; d mean(x)/dx = 1/n everywhere
template <class T>
struct ReduceBackward final : autograd::Node<T> {
  Size input_shape, kept_shape;  // kept_shape: the output with reduced dims as size 1
  T count = T(1);                // the mean divides by the number of reduced elements
  bool is_mean = false;
  const char* name_ = "SumBackward0";
  autograd::SavedTensor<T> result;  // MeanBackward1 keeps its output (PyTorch reads result.numel())
  const char* name() const override { return name_; }
  void release() override { result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (result.was_saved()) (void)result.get();  // a second backward fails, as in PyTorch
    out[0] = detail_reduce::expand_scaled(g, kept_shape, input_shape, is_mean ? count : T(1), is_mean);
  }
};

template <class T>
Tensor<T> reduce_all(const Tensor<T>& x, bool mean) {
  Tensor<T> out(Size{}, detail::uninitialized);
  const T n = static_cast<T>(x.numel());
  detail::kernel(
      [](const Tensor<T>& x, const Tensor<T>& out, bool mean) {
        const T sum = detail::sum_contiguous(x.data(), x.numel());
        // NOTE: the mean of no elements is nan, as in PyTorch
        out.data()[0] = mean ? sum / static_cast<T>(x.numel()) : sum;
      },
      x, out, mean);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = x.shape();  // every dim reduced: all ones (no allocation up to Size::kInline dims)
    for (std::size_t i = 0; i < node->kept_shape.size(); ++i) node->kept_shape[i] = 1;
    node->count = n;
    node->is_mean = mean;
    node->name_ = mean ? "MeanBackward0" : "SumBackward0";
    autograd::connect(out, node, {&x});
  }
  return out;
}

template <class T>
Tensor<T> reduce_dim(const Tensor<T>& x, int64_t dim, bool keepdim, bool mean) {
  const int64_t d = detail::wrap_dim(dim, x.dim());
  if (x.dim() == 0) {  // a 0-d tensor has one element; the node keeps the per-dim name
    Tensor<T> out = reduce_all(x, mean);
    if (out.grad_fn()) out.grad_fn()->set_display_name(mean ? "MeanBackward1" : "SumBackward1");
    return out;
  }
  int64_t outer = 1, inner = 1;
  const int64_t n = x.shape()[static_cast<std::size_t>(d)];
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[static_cast<std::size_t>(i)];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[static_cast<std::size_t>(i)];
  Tensor<T> out(detail_reduce::reduced_shape(x.shape(), d, keepdim), detail::uninitialized);
  detail::kernel(
      [](const Tensor<T>& x, const Tensor<T>& out, int64_t outer, int64_t n, int64_t inner, bool mean) {
        const T* px = x.data();
        T* po = out.data();
        for (int64_t o = 0; o < outer; ++o) {
          if (inner == 1)
            po[o] = detail::sum_contiguous(px + o * n, n);
          else
            detail::sum_columns(px + o * n * inner, n, inner, po + o * inner);
        }
        if (mean)
          for (int64_t i = 0, m = out.numel(); i < m; ++i) po[i] /= static_cast<T>(n);
      },
      x, out, outer, n, inner, mean);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = detail_reduce::reduced_shape(x.shape(), d, true);
    node->count = static_cast<T>(n);
    node->is_mean = mean;
    node->name_ = mean ? "MeanBackward1" : "SumBackward1";
    if (mean) node->result.save(out, "MeanBackward1");
    autograd::connect(out, node, {&x});
  }
  return out;
}

}  // namespace ops

template <class T> Tensor<T> Tensor<T>::sum() const { return ops::reduce_all(*this, false); }
template <class T> Tensor<T> Tensor<T>::mean() const { return ops::reduce_all(*this, true); }
template <class T> Tensor<T> Tensor<T>::sum(int64_t d, bool keepdim) const { return ops::reduce_dim(*this, d, keepdim, false); }
template <class T> Tensor<T> Tensor<T>::mean(int64_t d, bool keepdim) const { return ops::reduce_dim(*this, d, keepdim, true); }

template <class T> Tensor<T> sum(const Tensor<T>& x) { return x.sum(); }
template <class T> Tensor<T> sum(const Tensor<T>& x, int64_t d, bool keepdim = false) { return x.sum(d, keepdim); }
template <class T> Tensor<T> mean(const Tensor<T>& x) { return x.mean(); }
template <class T> Tensor<T> mean(const Tensor<T>& x, int64_t d, bool keepdim = false) { return x.mean(d, keepdim); }

}  // namespace eigentorch
