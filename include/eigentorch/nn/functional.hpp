// nn::functional: the stateless forms of the layers and losses, composed from primitive ops (no
// backward code here: every derivative lives with its op in ops/). The activations are
// eigentorch::activations' functions, taken in whole: F::tanh(x) is et::tanh(x).
#pragma once

#include "../ops/activation.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/linear.hpp"
#include "../ops/loss.hpp"
#include "../ops/pointwise.hpp"
#include "../ops/reduce.hpp"

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
