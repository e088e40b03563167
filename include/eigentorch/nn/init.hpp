// nn::init: PyTorch's parameter initialisers, computing their bounds in double as Python does, so a
// seeded tensor gets PyTorch's exact values: uniform_, normal_, constant_, zeros_, ones_, eye_,
// xavier_uniform_ / _normal_, kaiming_uniform_ / _normal_, trunc_normal_, orthogonal_, calculate_gain.
// Each works in place, outside the graph, and returns its argument.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../ops/inplace.hpp"  // uniform_, normal_, fill_, copy_, mul_
#include "../ops/math.hpp"     // erfinv, clamp
#include "../ops/qr.hpp"       // orthonormal_columns
#include "../ops/shape.hpp"    // view
#include "../tensor/factories.hpp"
#include "../tensor/tensor.hpp"

#include <cctype>  // tolower
#include <cmath>
#include <cstdint>  // int64_t
#include <string>
#include <utility>
#include <vector>

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

/// fan_in or fan_out of a weight, as `mode` (either case) names it.
template <class T>
int64_t calculate_correct_fan(const Tensor<T>& w, std::string mode) {
  for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (mode != "fan_in" && mode != "fan_out")
    detail::fail<ValueError>({"Mode ", mode, " not supported, please use one of ['fan_in', 'fan_out']"});
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(w);
  return mode == "fan_in" ? fan_in : fan_out;
}

/// The identity matrix, in a 2-D tensor (ones on the leading diagonal of a non-square one).
template <class T>
Tensor<T>& eye_(Tensor<T>& t) {
  if (t.dim() != 2) detail::fail<ValueError>({"Only tensors with 2 dimensions are supported"});
  const int64_t rows = t.size(0), cols = t.size(1);
  std::vector<T> values(static_cast<std::size_t>(rows * cols), T(0));
  for (int64_t i = 0; i < rows && i < cols; ++i) values[static_cast<std::size_t>(i * cols + i)] = T(1);
  NoGradGuard no_grad;
  return t.copy_(from_vector(std::move(values), t.shape()));
}

/// He-uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from `nonlinearity` and `a`. A tensor
/// with no elements is left as it is (PyTorch warns).
template <class T>
Tensor<T>& kaiming_uniform_(Tensor<T>& t, double a = 0.0, const std::string& mode = "fan_in",
                            const std::string& nonlinearity = "leaky_relu") {
  if (t.numel() == 0) return t;
  const double fan = static_cast<double>(calculate_correct_fan(t, mode));
  const double gain = calculate_gain(nonlinearity, a);
  const double std = gain / std::sqrt(fan);
  const double bound = std::sqrt(3.0) * std;
  return uniform_(t, -bound, bound);
}

/// He-normal: N(0, std^2) with std = gain / sqrt(fan).
template <class T>
Tensor<T>& kaiming_normal_(Tensor<T>& t, double a = 0.0, const std::string& mode = "fan_in",
                           const std::string& nonlinearity = "leaky_relu") {
  if (t.numel() == 0) return t;
  const double fan = static_cast<double>(calculate_correct_fan(t, mode));
  const double gain = calculate_gain(nonlinearity, a);
  return normal_(t, 0.0, gain / std::sqrt(fan));
}

/// Glorot-uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
Tensor<T>& xavier_uniform_(Tensor<T>& t, double gain = 1.0) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return uniform_(t, -a, a);
}

/// Glorot-normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
template <class T>
Tensor<T>& xavier_normal_(Tensor<T>& t, double gain = 1.0) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(t, 0.0, std);
}

/// N(mean, std^2) truncated to [a, b], by PyTorch's inverse-CDF method: U(2 cdf(a) - 1, 2 cdf(b) - 1)
/// drawn, then erfinv, times std sqrt(2), plus mean, clamped to [a, b].
template <class T>
Tensor<T>& trunc_normal_(Tensor<T>& t, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0) {
  const auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf((a - mean) / std), u = norm_cdf((b - mean) / std);
  NoGradGuard no_grad;
  t.uniform_(2 * l - 1, 2 * u - 1);
  t.copy_(t.erfinv());
  t.mul_(std * std::sqrt(2.0));
  t.add_(mean);
  return t.copy_(t.clamp(a, b));
}

/// A (semi-)orthogonal matrix times gain: the Q of a normal draw's QR factorisation, signed so that
/// R's diagonal is positive; a tensor of more dims is seen as [size(0), the rest].
template <class T>
Tensor<T>& orthogonal_(Tensor<T>& t, double gain = 1.0) {
  if (t.dim() < 2) detail::fail<ValueError>({"Only tensors with 2 or more dimensions are supported"});
  if (t.numel() == 0) return t;
  const int64_t rows = t.size(0), cols = t.numel() / rows;
  NoGradGuard no_grad;
  Tensor<T> flat(Size{rows, cols});
  flat.normal_(0.0, 1.0);
  t.copy_(ops::orthonormal_columns(flat).view(t.shape()));
  return t.mul_(gain);
}

}  // namespace eigentorch::nn::init
