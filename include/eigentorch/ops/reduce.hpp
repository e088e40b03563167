// Reductions: sum and mean, over everything or along one dim, with their derivatives (the gradient
// is spread back over the reduced elements).
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "../backend/sum_order.hpp"

#include <numeric>  // accumulate

namespace eigentorch {
namespace ops {

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
    // g seen with the reduced dims as size 1, broadcast over the input's shape
    const Tensor<T> kept = g.numel() == 1 || g.shape() == kept_shape ? g : detail::alias(g, kept_shape);
    out[0] = is_mean ? detail::map_to(input_shape, [n = count](T v) { return v / n; }, kept)
                     : detail::map_to(input_shape, [](T v) { return v * T(1); }, kept);
  }
};

template <class T>
Tensor<T> reduce_all(const Tensor<T>& x, bool mean) {
  // NOTE: the mean of no elements is nan, as in PyTorch
  Tensor<T> out = mean ? detail::reduce_all([](int64_t n, const T* v) { return detail::sum_contiguous(v, n) / static_cast<T>(n); }, x)
                       : detail::reduce_all(detail::SumAll{}, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = x.shape();  // every dim reduced: all ones (no allocation up to Size::kInline dims)
    for (std::size_t i = 0; i < node->kept_shape.size(); ++i) node->kept_shape[i] = 1;
    node->count = static_cast<T>(x.numel());
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
  Tensor<T> out = detail::sum_along(x, d, keepdim, mean);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = x.shape();
    node->kept_shape[static_cast<std::size_t>(d)] = 1;
    node->count = static_cast<T>(x.shape()[static_cast<std::size_t>(d)]);
    node->is_mean = mean;
    node->name_ = mean ? "MeanBackward1" : "SumBackward1";
    if (mean) node->result.save(out, "MeanBackward1");
    autograd::connect(out, node, {&x});
  }
  return out;
}

}  // namespace ops

/// The sum of the elements (of an integer or bool tensor: an int64 one, as in PyTorch).
template <class T>
Tensor<detail::sum_t<T>> sum(const Tensor<T>& x) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::reduce_all(x, false);
  else
    return detail::reduce_all<int64_t>([](int64_t n, const T* p) { return std::accumulate(p, p + n, int64_t(0)); }, x);
}
template <class T>
Tensor<detail::sum_t<T>> sum(const Tensor<T>& x, int64_t d, bool keepdim = false) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::reduce_dim(x, d, keepdim, false);
  else
    return detail::sum_along(x.template to<int64_t>(), detail::wrap_dim(d, x.dim()), keepdim, false);
}
template <class T> Tensor<T> mean(const Tensor<T>& x) { return ops::reduce_all(x, true); }
template <class T> Tensor<T> mean(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::reduce_dim(x, d, keepdim, true); }

template <class T> Tensor<detail::sum_t<T>> Tensor<T>::sum() const { return eigentorch::sum(*this); }
template <class T> Tensor<T> Tensor<T>::mean() const { return eigentorch::mean(*this); }
template <class T>
Tensor<detail::sum_t<T>> Tensor<T>::sum(int64_t d, bool keepdim) const { return eigentorch::sum(*this, d, keepdim); }
template <class T> Tensor<T> Tensor<T>::mean(int64_t d, bool keepdim) const { return eigentorch::mean(*this, d, keepdim); }

namespace ops {

/// The index of the first extreme element of x along dim (Max: the largest); a NaN beats any number.
template <bool Max, class T>
Tensor<int64_t> arg_extreme(const Tensor<T>& x, int64_t dim, bool keepdim, bool flat, const char* name) {
  if (flat && x.numel() == 0) detail::fail<IndexError>({name, ": Expected reduction dim to be specified for input.numel() == 0."});
  const Tensor<T> in = flat ? detail::alias(x, Size{x.numel()}) : x;
  const int64_t d = x.dim() == 0 ? 0 : detail::wrap_dim(dim, in.dim());
  if (in.dim() == 0) return Tensor<int64_t>(keepdim ? in.shape() : Size{});
  if (in.size(d) == 0) detail::fail<IndexError>({name, ": Expected reduction dim ", d, " to have non-zero size."});
  return detail::reduce_lanes<int64_t>(d, keepdim && !flat, [](const auto& lane) {
    int64_t best = 0;
    for (int64_t k = 1; k < lane.size(); ++k) {
      const T v = lane[k], b = lane[best];
      if (b != b) break;  // a NaN is already the answer
      if (v != v || (Max ? v > b : v < b)) best = k;
    }
    return best;
  }, in);
}

}  // namespace ops

template <class T> Tensor<int64_t> argmax(const Tensor<T>& x) { return ops::arg_extreme<true>(x, 0, false, true, "argmax()"); }
template <class T> Tensor<int64_t> argmin(const Tensor<T>& x) { return ops::arg_extreme<false>(x, 0, false, true, "argmin()"); }
template <class T>
Tensor<int64_t> argmax(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::arg_extreme<true>(x, d, keepdim, false, "argmax()"); }
template <class T>
Tensor<int64_t> argmin(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::arg_extreme<false>(x, d, keepdim, false, "argmin()"); }
template <class T> Tensor<int64_t> Tensor<T>::argmax() const { return eigentorch::argmax(*this); }
template <class T> Tensor<int64_t> Tensor<T>::argmin() const { return eigentorch::argmin(*this); }
template <class T> Tensor<int64_t> Tensor<T>::argmax(int64_t d, bool keepdim) const { return eigentorch::argmax(*this, d, keepdim); }
template <class T> Tensor<int64_t> Tensor<T>::argmin(int64_t d, bool keepdim) const { return eigentorch::argmin(*this, d, keepdim); }

}  // namespace eigentorch
