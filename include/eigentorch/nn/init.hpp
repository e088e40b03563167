// nn::init: PyTorch's parameter initialisers, computing their bounds in double as Python does, so a
// seeded model draws PyTorch's exact values.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../tensor/tensor.hpp"

#include <cmath>
#include <string>
#include <utility>

namespace eigentorch::nn::init {

/// (fan_in, fan_out) of a weight: [out, in, *receptive field].
template <class T>
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor<T>& w) {
  if (w.dim() < 2)
    detail::fail<ValueError>({"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"});
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

/// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).
inline double calculate_gain(const std::string& nonlinearity, double param = 0.01) {
  for (const char* linear : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                             "conv_transpose3d", "sigmoid"})
    if (nonlinearity == linear) return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4.0;
  detail::fail<ValueError>({"Unsupported nonlinearity ", nonlinearity});
}

template <class T>
Tensor<T>& uniform_(Tensor<T>& t, double a = 0.0, double b = 1.0) {
  NoGradGuard no_grad;
  return t.uniform_(a, b);
}
template <class T>
Tensor<T>& normal_(Tensor<T>& t, double mean = 0.0, double std = 1.0) {
  NoGradGuard no_grad;
  return t.normal_(mean, std);
}
template <class T>
Tensor<T>& constant_(Tensor<T>& t, double v) {
  NoGradGuard no_grad;
  return t.fill_(static_cast<T>(v));
}
template <class T> Tensor<T>& zeros_(Tensor<T>& t) { return constant_(t, 0.0); }
template <class T> Tensor<T>& ones_(Tensor<T>& t) { return constant_(t, 1.0); }

/// He-uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from `nonlinearity` and `a`.
template <class T>
Tensor<T>& kaiming_uniform_(Tensor<T>& t, double a = 0.0, const std::string& mode = "fan_in",
                            const std::string& nonlinearity = "leaky_relu") {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double fan = static_cast<double>(mode == "fan_in" ? fan_in : fan_out);
  const double gain = calculate_gain(nonlinearity, a);
  const double std = gain / std::sqrt(fan);
  const double bound = std::sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}

/// Glorot-uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
Tensor<T>& xavier_uniform_(Tensor<T>& t, double gain = 1.0) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return uniform_(t, -a, a);
}

}  // namespace eigentorch::nn::init
