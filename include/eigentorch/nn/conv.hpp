// nn::Conv1d and nn::Conv2d with their options (Conv1dOptions, Conv2dOptions), initialised as
// PyTorch does (kaiming_uniform_ with a = sqrt(5) on the weight, then the bias from
// U(-1/sqrt(fan_in), 1/sqrt(fan_in))), in PyTorch's order, with PyTorch's reprs. Zero padding only
// (PyTorch's padding_mode "zeros").
#pragma once

#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

#include <cmath>  // sqrt
#include <cstdint>
#include <string>
#include <vector>

namespace eigentorch::nn {

/// A convolution's settings: `Conv2dOptions(in, out, 3).stride(2).padding(1).dilation(1).groups(1)
/// .bias(false)`; each setter has a getter of the same name.
template <std::size_t D>
class ConvOptions {
 public:
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_(in_channels), out_(out_channels), kernel_(std::move(kernel_size)) {}
  ConvOptions& stride(ExpandingArray<D> v) { return stride_ = std::move(v), *this; }
  ConvOptions& padding(ConvPadding<D> v) { return padding_ = std::move(v), *this; }
  ConvOptions& dilation(ExpandingArray<D> v) { return dilation_ = std::move(v), *this; }
  ConvOptions& groups(int64_t v) { return groups_ = v, *this; }
  ConvOptions& bias(bool v) { return bias_ = v, *this; }
  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  const ExpandingArray<D>& kernel_size() const { return kernel_; }
  const ExpandingArray<D>& stride() const { return stride_; }
  const ConvPadding<D>& padding() const { return padding_; }
  const ExpandingArray<D>& dilation() const { return dilation_; }
  int64_t groups() const { return groups_; }
  bool bias() const { return bias_; }

 private:
  int64_t in_, out_;
  ExpandingArray<D> kernel_;
  ExpandingArray<D> stride_ = 1;
  ConvPadding<D> padding_ = 0;
  ExpandingArray<D> dilation_ = 1;
  int64_t groups_ = 1;
  bool bias_ = true;
};

using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

}  // namespace eigentorch::nn

namespace eigentorch::detail {

/// What Conv1d and Conv2d share: the parameters, their initialisation, the checks and the repr.
template <std::size_t D, class T>
class ConvNd : public nn::Module<T> {
 public:
  Tensor<T> weight;  ///< [out_channels, in_channels / groups, kernel...]
  Tensor<T> bias;    ///< [out_channels], undefined without bias

  /// Draws fresh initial values, as _ConvNd.reset_parameters.
  void reset_parameters() override;
  [[gnu::cold]] std::string extra_repr() const override;
  const nn::ConvOptions<D>& options() const { return options_; }

 protected:
  explicit ConvNd(const nn::ConvOptions<D>& options);
  nn::ConvOptions<D> options_;
};

template <std::size_t D, class T>
ConvNd<D, T>::ConvNd(const nn::ConvOptions<D>& o) : options_(o) {
  if (o.groups() <= 0) fail<ValueError>({"groups must be a positive integer"});
  if (o.in_channels() % o.groups() != 0) fail<ValueError>({"in_channels must be divisible by groups"});
  if (o.out_channels() % o.groups() != 0) fail<ValueError>({"out_channels must be divisible by groups"});
  const std::string& mode = o.padding().mode();
  if (!mode.empty() && mode != "same" && mode != "valid")
    fail<ValueError>({"Invalid padding string '", mode, "', should be one of {'valid', 'same'}"});
  if (mode == "same")
    for (int64_t s : o.stride().values())
      if (s != 1) fail<ValueError>({"padding='same' is not supported for strided convolutions"});
  std::vector<int64_t> shape{o.out_channels(), o.in_channels() / o.groups()};
  for (int64_t k : o.kernel_size().values()) shape.push_back(k);
  weight = this->register_parameter("weight", Tensor<T>(Size(shape)));
  if (o.bias()) bias = this->register_parameter("bias", Tensor<T>(Size{o.out_channels()}));
  this->initialize();
}

template <std::size_t D, class T>
void ConvNd<D, T>::reset_parameters() {
  nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = nn::init::calculate_fan_in_and_fan_out(weight).first;
    if (fan_in != 0) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      nn::init::uniform_(bias, -bound, bound);
    }
  }
}

/// A list of sizes as a Python tuple prints: (3, 3), (3,).
[[gnu::cold]] inline std::string conv_tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

template <std::size_t D, class T>
std::string ConvNd<D, T>::extra_repr() const {
  const nn::ConvOptions<D>& o = options_;
  // PyTorch's _ConvNd.extra_repr: padding, dilation and groups only when not their defaults
  std::string s = std::to_string(o.in_channels()) + ", " + std::to_string(o.out_channels()) +
                  ", kernel_size=" + conv_tuple(o.kernel_size().values()) + ", stride=" + conv_tuple(o.stride().values());
  const std::string& mode = o.padding().mode();
  bool zeros = true, ones = true;
  for (int64_t p : o.padding().values()) zeros = zeros && p == 0;
  for (int64_t d : o.dilation().values()) ones = ones && d == 1;
  if (!mode.empty())
    s += ", padding=" + mode;
  else if (!zeros)
    s += ", padding=" + conv_tuple(o.padding().values());
  if (!ones) s += ", dilation=" + conv_tuple(o.dilation().values());
  if (o.groups() != 1) s += ", groups=" + std::to_string(o.groups());
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace eigentorch::detail

namespace eigentorch::nn {

/// A 1-D convolution layer: `nn::Conv1d conv(4, 8, 3); auto y = conv(x);` (x: [N, 4, L] or [4, L]).
template <class T = float>
class Conv1d : public detail::ConvNd<1, T> {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, ExpandingArray<1> kernel_size)
      : Conv1d(Conv1dOptions(in_channels, out_channels, std::move(kernel_size))) {}
  explicit Conv1d(const Conv1dOptions& options) : detail::ConvNd<1, T>(options) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string name() const override { return "Conv1d"; }
};

/// A 2-D convolution layer: `nn::Conv2d conv(1, 8, 3);` or
/// `nn::Conv2d conv(nn::Conv2dOptions(1, 8, {3, 5}).stride(2).padding(1));` (x: [N, 1, H, W] or [1, H, W]).
template <class T = float>
class Conv2d : public detail::ConvNd<2, T> {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2d(Conv2dOptions(in_channels, out_channels, std::move(kernel_size))) {}
  explicit Conv2d(const Conv2dOptions& options) : detail::ConvNd<2, T>(options) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string name() const override { return "Conv2d"; }
};

template <class T>
Tensor<T> Conv1d<T>::forward(const Tensor<T>& x) {
  const Conv1dOptions& o = this->options_;
  return functional::conv1d(x, this->weight, this->bias, o.stride(), o.padding(), o.dilation(), o.groups());
}

template <class T>
Tensor<T> Conv2d<T>::forward(const Tensor<T>& x) {
  const Conv2dOptions& o = this->options_;
  return functional::conv2d(x, this->weight, this->bias, o.stride(), o.padding(), o.dilation(), o.groups());
}

}  // namespace eigentorch::nn
