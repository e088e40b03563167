// nn::functional: the stateless forms of the layers and losses, composed from primitive ops (no
// backward code here: every derivative lives with its op in ops/). The activations are
// eigentorch::activations' functions, taken in whole: F::tanh(x) is et::tanh(x).
#pragma once

#include "../detail/py_repr.hpp"
#include "../ops/activation.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/linear.hpp"
#include "../ops/embedding.hpp"
#include "../ops/inplace.hpp"  // bernoulli_, div_, mul_
#include "../ops/loss.hpp"
#include "../ops/normalization.hpp"
#include "../ops/pointwise.hpp"
#include "../ops/reduce.hpp"
#include "../tensor/factories.hpp"

#include <optional>
#include <string>

namespace eigentorch::nn::functional {

using namespace eigentorch::activations;  // tanh, sigmoid, relu, leaky_relu, elu, gelu, softmax, ...

/// x W^T + b (F.linear); b may be undefined.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>()) {
  return ops::linear(x, weight, bias);
}

/// Mean (or summed, or unreduced) squared error, F.mse_loss. Unlike PyTorch, which only warns and
/// broadcasts, input and target of different shapes throw: it is almost always a bug.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean") {
  if (reduction == "mean") return ops::mse_loss(input, target, ops::Reduction::Mean);
  if (reduction == "sum") return ops::mse_loss(input, target, ops::Reduction::Sum);
  if (reduction == "none") return ops::mse_loss(input, target, ops::Reduction::None);
  eigentorch::detail::fail<ValueError>({reduction, " is not a valid value for reduction"});
}

}  // namespace eigentorch::nn::functional

// ---- layers that need ops: dropout, embedding, layer_norm, batch_norm ----------------------------
namespace eigentorch::nn::functional {

/// Zeroes each element with probability p and scales the rest by 1 / (1 - p), when training
/// (F.dropout). The mask is PyTorch's draw: bernoulli_(1 - p) on a tensor of x's shape, divided by
/// 1 - p, then x * mask (MulBackward0). p = 0, evaluation and empty x return x itself; p = 1 gives
/// x * 0. inplace multiplies x itself.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p = 0.5, bool training = true, bool inplace = false) {
  if (!(p >= 0.0 && p <= 1.0))
    eigentorch::detail::fail<ValueError>({"dropout probability has to be between 0 and 1, but got ",
                                          eigentorch::detail::py_float(p)});
  if (p == 0.0 || !training || x.numel() == 0) return x;
  Tensor<T> mask;
  if (p == 1.0) {
    mask = zeros<T>(Size{});
  } else {
    mask = empty<T>(x.shape());
    mask.bernoulli_(1.0 - p);
    mask.div_(1.0 - p);
  }
  if (!inplace) return x * mask;
  Tensor<T> self = x;
  return self.mul_(mask);
}

/// Rows of weight picked by indices of any shape: indices.shape() + [embedding_dim] (F.embedding).
/// The row padding_idx gets no gradient.
template <class T>
Tensor<T> embedding(const Tensor<int64_t>& input, const Tensor<T>& weight, std::optional<int64_t> padding_idx = {}) {
  return ops::embedding(input, weight, padding_idx);
}

/// Normalises over the last dims (normalized_shape), then weight * y + bias (F.layer_norm).
template <class T>
Tensor<T> layer_norm(const Tensor<T>& input, const Size& normalized_shape, const Tensor<T>& weight = Tensor<T>(),
                     const Tensor<T>& bias = Tensor<T>(), double eps = 1e-5) {
  return ops::layer_norm(input, normalized_shape, weight, bias, eps);
}

/// Normalises each channel (dim 1) with the batch's statistics when training (updating the running
/// ones, when given), else with running_mean and running_var (F.batch_norm).
template <class T>
Tensor<T> batch_norm(const Tensor<T>& input, const Tensor<T>& running_mean, const Tensor<T>& running_var,
                     const Tensor<T>& weight = Tensor<T>(), const Tensor<T>& bias = Tensor<T>(), bool training = false,
                     double momentum = 0.1, double eps = 1e-5) {
  if (training) {
    int64_t per_channel = 1;
    for (int64_t d = 0; d < input.dim(); ++d)
      if (d != 1) per_channel *= input.size(d);
    if (per_channel == 1)
      eigentorch::detail::fail<ValueError>({"Expected more than 1 value per channel when training, got input size Size(",
                                            input.shape().list_str(), ")"});
  }
  return ops::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
}

}  // namespace eigentorch::nn::functional
