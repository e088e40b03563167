// Loss ops with their derivatives. mse_loss is one op in PyTorch (MseLossBackward0), not a
// composition: one result tensor and one graph node per loss, and PyTorch's backward rounding,
// norm * (input - target) * grad with norm = 2 / numel (mean) or 2.
#pragma once

#include "../autograd/node.hpp"
#include "../error.hpp"
#include "../backend/sum_order.hpp"
#include "../tensor/tensor.hpp"

namespace eigentorch {
namespace ops {

/// How a loss reduces its elementwise values: PyTorch's reduction="none" / "mean" / "sum".
enum class Reduction { None, Mean, Sum };

// d/d input = norm (input - target) grad,  d/d target = norm (target - input) grad
template <class T>
struct MseLossBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, target;
  Reduction reduction = Reduction::Mean;
  const char* name() const override { return "MseLossBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& x = input.get();
    const Tensor<T>& y = target.get();
    const int64_t n = x.numel();
    // NOTE: the factor is computed in double and rounded once to T, as PyTorch does.
    const T norm = static_cast<T>(reduction == Reduction::Mean ? 2.0 / static_cast<double>(n) : 2.0);
    const bool scalar_grad = reduction != Reduction::None;  // then g is one value for every element
    for (int side = 0; side < 2; ++side) {
      if (!this->next[static_cast<std::size_t>(side)]) continue;
      Tensor<T> grad(x.shape(), detail::uninitialized);
      detail::kernel(
          [](const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& g, const Tensor<T>& out, T norm, bool scalar_grad) {
            const T* pa = a.data();
            const T* pb = b.data();
            const T* pg = g.data();
            T* po = out.data();
            for (int64_t i = 0, n = out.numel(); i < n; ++i) po[i] = norm * (pa[i] - pb[i]) * pg[scalar_grad ? 0 : i];
          },
          side == 0 ? x : y, side == 0 ? y : x, g, grad, norm, scalar_grad);
      out[static_cast<std::size_t>(side)] = std::move(grad);
    }
  }
  void release() override {
    input.release();
    target.release();
  }
};

/// The squared differences of input and target (same shape), reduced: PyTorch's mse_loss. The mean
/// and the sum add the squares in PyTorch's order.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  if (input.shape() != target.shape())
    eigentorch::detail::fail({"Using a target size (", target.shape().str(), ") that is different to the input size (",
                              input.shape().str(),
                              "). This will likely lead to incorrect results due to broadcasting. "
                              "Please ensure they have the same size."});
  // The squares: the result itself for "none"; else summed from the stack (short inputs, as in a
  // small model's step: no tensor made for them) or from a temporary tensor.
  constexpr int64_t kOnStack = 256;
  const int64_t n = input.numel();
  Tensor<T> out = reduction == Reduction::None ? Tensor<T>(input.shape(), detail::uninitialized)
                                               : Tensor<T>(Size{}, detail::uninitialized);
  const Tensor<T> squares = reduction != Reduction::None && n > kOnStack ? Tensor<T>(input.shape(), detail::uninitialized)
                                                                        : Tensor<T>();
  detail::kernel(
      [](const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& out, const Tensor<T>& squares,
         Reduction reduction) {
        const int64_t n = input.numel();
        const T* px = input.data();
        const T* py = target.data();
        T on_stack[kOnStack];
        T* ps = reduction == Reduction::None ? out.data() : squares.defined() ? squares.data() : on_stack;
        for (int64_t i = 0; i < n; ++i) ps[i] = (px[i] - py[i]) * (px[i] - py[i]);
        if (reduction == Reduction::None) return;
        const T sum = detail::sum_contiguous(ps, n);
        // NOTE: the mean of no elements is nan, as in PyTorch
        out.data()[0] = reduction == Reduction::Mean ? sum / static_cast<T>(n) : sum;
      },
      input, target, out, squares, reduction);
  if (autograd::needs_grad(input, target)) {
    auto node = detail::make_pooled<MseLossBackward<T>>();
    node->input.save(input);
    node->target.save(target);
    node->reduction = reduction;
    autograd::connect(out, node, {&input, &target});
  }
  return out;
}

}  // namespace ops
}  // namespace eigentorch
