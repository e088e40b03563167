// Loss ops with their derivatives. mse_loss is one op in PyTorch (MseLossBackward0), not a
// composition: one result tensor and one graph node per loss, and PyTorch's backward rounding,
// norm * (input - target) * grad with norm = 2 / numel (mean) or 2.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

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
    // NOTE: the factor is computed in double and rounded once to T, as PyTorch does.
    const T norm = static_cast<T>(reduction == Reduction::Mean ? 2.0 / static_cast<double>(x.numel()) : 2.0);
    const auto d = [norm](T a, T b, T gv) { return norm * (a - b) * gv; };  // g: one value unless "none"
    if (this->next[0]) out[0] = detail::zip(d, x, y, g);
    if (this->next[1]) out[1] = detail::zip(d, y, x, g);
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
    detail::fail({"Using a target size (", target.shape().str(), ") that is different to the input size (",
                  input.shape().str(),
                  "). This will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size."});
  const auto square = [](T a, T b) { return (a - b) * (a - b); };
  // NOTE: the mean of no elements is nan, as in PyTorch
  Tensor<T> out = reduction == Reduction::None
                      ? detail::zip(square, input, target)
                      : detail::reduce_all(
                            [square, mean = reduction == Reduction::Mean](int64_t n, const T* a, const T* b) {
                              const T sum = detail::sum_of<T>(n, [&](int64_t i) { return square(a[i], b[i]); });
                              return mean ? sum / static_cast<T>(n) : sum;
                            },
                            input, target);
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
