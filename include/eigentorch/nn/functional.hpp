// nn::functional: the stateless forms of the layers and losses, composed from primitive ops (no
// backward code here: every derivative lives with its op in ops/).
#pragma once

#include "../ops/activation.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/linalg.hpp"
#include "../ops/loss.hpp"
#include "../ops/pointwise.hpp"
#include "../ops/reduce.hpp"

#include <string>

namespace eigentorch::nn::functional {

/// x W^T + b (F.linear); b may be undefined.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>()) {
  return ops::linear(x, weight, bias);
}
template <class T> Tensor<T> tanh(const Tensor<T>& x) { return ops::tanh(x); }
template <class T> Tensor<T> sigmoid(const Tensor<T>& x) { return ops::sigmoid(x); }
template <class T> Tensor<T> relu(const Tensor<T>& x) { return ops::relu(x); }
template <class T> Tensor<T> leaky_relu(const Tensor<T>& x, double negative_slope = 0.01) { return ops::leaky_relu(x, negative_slope); }
template <class T> Tensor<T> elu(const Tensor<T>& x, double alpha = 1.0) { return ops::elu(x, alpha); }
template <class T> Tensor<T> gelu(const Tensor<T>& x, const std::string& approximate = "none") { return ops::gelu(x, approximate); }
template <class T> Tensor<T> silu(const Tensor<T>& x) { return ops::silu(x); }
template <class T> Tensor<T> mish(const Tensor<T>& x) { return ops::mish(x); }
template <class T> Tensor<T> softplus(const Tensor<T>& x, double beta = 1.0, double threshold = 20.0) {
  return ops::softplus(x, beta, threshold);
}
template <class T> Tensor<T> hardtanh(const Tensor<T>& x, double min_val = -1.0, double max_val = 1.0) {
  return ops::hardtanh(x, min_val, max_val);
}
template <class T> Tensor<T> relu6(const Tensor<T>& x) { return ops::hardtanh(x, 0.0, 6.0); }
template <class T> Tensor<T> logsigmoid(const Tensor<T>& x) { return ops::logsigmoid(x); }
/// x / (1 + |x|), composed (as PyTorch composes it).
template <class T> Tensor<T> softsign(const Tensor<T>& x) { return x / (ops::abs(x) + T(1)); }
/// x - tanh(x), composed (as PyTorch composes it).
template <class T> Tensor<T> tanhshrink(const Tensor<T>& x) { return x - ops::tanh(x); }
template <class T> Tensor<T> softmax(const Tensor<T>& x, int64_t dim) { return ops::softmax(x, dim); }
template <class T> Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) { return ops::log_softmax(x, dim); }

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
