// linear: x W^T + b in one pass (PyTorch's addmm), for inputs of any rank, with its derivative.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "linalg.hpp"  // dims_str

#include <vector>

namespace eigentorch {
namespace ops {

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
      detail::product(n, in, o, g, false, vw, false, out[0]);
    }
    if (this->next[1]) {
      const Tensor<T>& vx = x.get();
      const int64_t in = vx.size(1);
      out[1] = Tensor<T>(Size{o, in}, detail::uninitialized);
      detail::product(o, in, n, g, true, vx, false, out[1]);
    }
    if (has_bias && this->next[2]) {
      // column sums of G; for a spread bias, the sum of all of G: G seen as one row ([n o] into a 0-d
      // bias, [1, n o] into a [1] one), summed along it
      out[2] = !bias_spread ? detail::sum_along(g, 0, false, false)
               : bias_0d    ? detail::sum_along(detail::alias(g, Size{n * o}), 0, false, false)
                            : detail::sum_along(detail::alias(g, Size{1, n * o}), 1, false, false);
    }
  }
  void release() override { x.release(); w.release(); }
};

/// x W^T + b for 2-D x [n, in], W [out, in], b [out] (or undefined), in one pass (PyTorch's addmm).
template <class T>
Tensor<T> linear2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  if (w.dim() != 2) detail::fail({"linear(): weight must be 2-D, but got ", w.dim(), "-D"});
  if (x.size(1) != w.size(1))
    detail::fail({"mat1 and mat2 shapes cannot be multiplied (", detail::dims_str(x.shape()), " and ",
                  detail::dims_str(Size{w.size(1), w.size(0)}), ")"});
  const int64_t n = x.size(0), in = x.size(1), o = w.size(0);
  const bool has_bias = b.defined();
  if (has_bias && !(b.dim() == 1 && (b.numel() == o || b.numel() == 1)) && !(b.dim() == 0))
    detail::fail({"The expanded size of the tensor (", o, ") must match the existing size (", b.size(-1),
                  ") at non-singleton dimension ", b.dim(), ".  Target sizes: [", n, ", ", o, "].  Tensor sizes: ",
                  b.shape().list_str()});
  Tensor<T> out(Size{n, o}, detail::uninitialized);
  const bool bias_spread = has_bias && (b.dim() == 0 || b.numel() != o);  // one element for every output
  detail::product(n, o, in, x, false, w, true, out, b);
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
  if (x.dim() == 0) detail::fail({"both arguments to linear need to be at least 1D, but they are 0D and 2D"});
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
}  // namespace eigentorch
