// Elementwise loops shared by the ops: a binary map with broadcasting, and its adjoint sum_to, which
// folds a broadcast gradient back onto an input's shape.
#pragma once

#include "../tensor/tensor.hpp"
#include "../backend/sum_order.hpp"

#include <algorithm>  // equal, fill
#include <cstdint>
#include <vector>

namespace eigentorch::detail {

/// Strides (in elements) of `shape` seen through the broadcast `out` shape: 0 along broadcast dims.
inline std::vector<int64_t> broadcast_strides(const Size& shape, const Size& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const std::size_t d = shape.size() - 1 - i;  // from the last dim
    const std::size_t od = out.size() - 1 - i;
    strides[od] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

/// Calls visit(out_index, a_index, b_index) for every element of the broadcast shape `out`, in
/// row-major order, keeping the operands' offsets with an odometer instead of divisions.
template <class Visit>
void for_each_broadcast(const Size& out, const Size& a, const Size& b, Visit visit) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const std::vector<int64_t> sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  const std::size_t nd = out.size();
  std::vector<int64_t> counter(nd, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    visit(i, ia, ib);
    for (std::size_t d = nd; d-- > 0;) {  // advance the odometer
      if (++counter[d] < out[d]) {
        ia += sa[d];
        ib += sb[d];
        break;
      }
      ia -= sa[d] * (out[d] - 1);
      ib -= sb[d] * (out[d] - 1);
      counter[d] = 0;
    }
  }
}

/// out[i] = f(a[i], b[i]) with broadcasting; no autograd. f is copied into the kernel (capture its
/// state by value).
template <class T, class F>
Tensor<T> map2(const Tensor<T>& a, const Tensor<T>& b, F f) {
  Tensor<T> out = a.shape() == b.shape() ? Tensor<T>(a.shape(), uninitialized)
                                         : Tensor<T>(broadcast_shapes(a.shape(), b.shape()), uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& out) {
        const T* pa = a.data();
        const T* pb = b.data();
        T* po = out.data();
        const int64_t n = out.numel();
        if (a.shape() == b.shape()) {
          for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
        } else if (b.numel() == 1 && out.shape() == a.shape()) {
          const T vb = pb[0];
          for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
        } else if (a.numel() == 1 && out.shape() == b.shape()) {
          const T va = pa[0];
          for (int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
        } else {
          for_each_broadcast(out.shape(), a.shape(), b.shape(),
                             [&](int64_t i, int64_t ia, int64_t ib) { po[i] = f(pa[ia], pb[ib]); });
        }
      },
      f, a, b, out);
  return out;
}

/// out[i] = f(a[i]); no autograd. f is copied into the kernel (capture its state by value).
template <class T, class F>
Tensor<T> map1(const Tensor<T>& a, F f) {
  Tensor<T> out(a.shape(), uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& a, const Tensor<T>& out) {
        const T* pa = a.data();
        T* po = out.data();
        for (int64_t i = 0, n = a.numel(); i < n; ++i) po[i] = f(pa[i]);
      },
      f, a, out);
  return out;
}

/// Sums g over the dims that broadcasting expanded, so the result has `shape` (the adjoint of
/// broadcasting). Returns g itself when nothing was broadcast.
template <class T>
Tensor<T> sum_to(const Tensor<T>& g, const Size& shape) {
  if (g.shape() == shape) return g;
  Tensor<T> out(shape, uninitialized);
  kernel(
      [](const Tensor<T>& g, const Tensor<T>& out) {
        const Size& shape = out.shape();
        // Common case, a bias-like operand: shape (less leading 1s) equals g's trailing dims.
        std::size_t lead = 0;
        while (lead < shape.size() && shape[lead] == 1) ++lead;
        const std::size_t rest = shape.size() - lead;
        if (rest <= g.shape().size() && std::equal(shape.begin() + static_cast<std::ptrdiff_t>(lead), shape.end(),
                                                   g.shape().end() - static_cast<std::ptrdiff_t>(rest))) {
          const int64_t cols = shape.numel();
          detail::sum_columns(g.data(), cols ? g.numel() / cols : 0, cols, out.data());
          return;
        }
        T* po = out.data();
        const T* pg = g.data();
        std::fill(po, po + out.numel(), T(0));
        for_each_broadcast(g.shape(), g.shape(), shape, [&](int64_t i, int64_t, int64_t io) { po[io] += pg[i]; });
      },
      g, out);
  return out;
}

}  // namespace eigentorch::detail
