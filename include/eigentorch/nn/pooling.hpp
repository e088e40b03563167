// Pooling layers: nn::MaxPool1d, nn::MaxPool2d, nn::AvgPool2d, nn::AdaptiveAvgPool2d, each with
// an options struct of PyTorch's keyword arguments (chained setters; a getter of the same name) and
// PyTorch's repr. No parameters: forward is the nn::functional form.
#pragma once

#include "../detail/py_repr.hpp"
#include "functional.hpp"
#include "module.hpp"

#include <cstddef>  // size_t
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace eigentorch::nn {

#define EIGENTORCH_POOL_OPTION(Self, Type, name, initial) \
 public:                                                 \
  Self& name(Type v) {                                   \
    name##_ = std::move(v);                              \
    return *this;                                        \
  }                                                      \
  const Type& name() const { return name##_; }           \
                                                         \
 private:                                                \
  Type name##_ = initial;

/// A max pooling's arguments over D dims (MaxPool1dOptions, MaxPool2dOptions):
/// `MaxPool2dOptions(3).stride(2).padding(1).dilation(1).ceil_mode(true)`; sizes as an int or a list
/// ({h, w}); the stride is the kernel size unless set.
template <std::size_t D>
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT: from a size
  EIGENTORCH_POOL_OPTION(MaxPoolOptions, ExpandingArray<D>, kernel_size, {})
  EIGENTORCH_POOL_OPTION(MaxPoolOptions, ExpandingArray<D>, stride, {})
  EIGENTORCH_POOL_OPTION(MaxPoolOptions, ExpandingArray<D>, padding, 0)
  EIGENTORCH_POOL_OPTION(MaxPoolOptions, ExpandingArray<D>, dilation, 1)
  EIGENTORCH_POOL_OPTION(MaxPoolOptions, bool, ceil_mode, false)
};
using MaxPool1dOptions = MaxPoolOptions<1>;
using MaxPool2dOptions = MaxPoolOptions<2>;

/// AvgPool2d's arguments: `AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(true)
/// .count_include_pad(false).divisor_override(4)`.
struct AvgPool2dOptions {
  AvgPool2dOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT: from a size
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, ExpandingArray<2>, kernel_size, {})
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, ExpandingArray<2>, stride, {})
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, ExpandingArray<2>, padding, 0)
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, bool, ceil_mode, false)
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, bool, count_include_pad, true)
  EIGENTORCH_POOL_OPTION(AvgPool2dOptions, std::optional<int64_t>, divisor_override, std::nullopt)
};

#undef EIGENTORCH_POOL_OPTION

/// The maximum of each window of the last D dims: MaxPool1d ([N, C, L] or [C, L]) and MaxPool2d
/// ([N, C, H, W] or [C, H, W]) are this with D = 1 and 2.
template <std::size_t D, class T>
class MaxPoolNd : public Module<T> {
 public:
  MaxPoolNd(ExpandingArray<D> kernel_size) : options_(kernel_size) {}    // NOLINT: MaxPool2d(2), as PyTorch's
  MaxPoolNd(MaxPoolOptions<D> options) : options_(std::move(options)) {}  // NOLINT: from its options
  Tensor<T> forward(const Tensor<T>& x) override { return std::get<0>(pool(x, false)); }
  /// The output and the indices of the maxima (PyTorch's return_indices=True).
  std::tuple<Tensor<T>, Tensor<int64_t>> forward_with_indices(const Tensor<T>& x) { return pool(x, true); }
  std::string name() const override { return D == 1 ? "MaxPool1d" : "MaxPool2d"; }
  std::string extra_repr() const override {
    const auto& o = options_;
    return "kernel_size=" + o.kernel_size().str() + ", stride=" + o.stride().str() + ", padding=" + o.padding().str() +
           ", dilation=" + o.dilation().str() + ", ceil_mode=" + eigentorch::detail::py_bool(o.ceil_mode());
  }
  const MaxPoolOptions<D>& options() const { return options_; }

 private:
  std::tuple<Tensor<T>, Tensor<int64_t>> pool(const Tensor<T>& x, bool indices) const {
    const auto& o = options_;
    if constexpr (D == 1) {
      if (!indices) return {functional::max_pool1d(x, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode()), {}};
      return functional::max_pool1d_with_indices(x, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
    } else {
      if (!indices) return {functional::max_pool2d(x, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode()), {}};
      return functional::max_pool2d_with_indices(x, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
    }
  }
  MaxPoolOptions<D> options_;
};

/// `nn::MaxPool2d pool(2);` or `nn::MaxPool2d pool(nn::MaxPool2dOptions(3).stride(2).padding(1));`.
template <class T = float>
class MaxPool2d : public MaxPoolNd<2, T> {
  using MaxPoolNd<2, T>::MaxPoolNd;
};
MaxPool2d(MaxPool2dOptions)->MaxPool2d<float>;
MaxPool2d(int64_t)->MaxPool2d<float>;
MaxPool2d(ExpandingArray<2>)->MaxPool2d<float>;

/// `nn::MaxPool1d pool(2);` or `nn::MaxPool1d pool(nn::MaxPool1dOptions(3).stride(2));`.
template <class T = float>
class MaxPool1d : public MaxPoolNd<1, T> {
  using MaxPoolNd<1, T>::MaxPoolNd;
};
MaxPool1d(MaxPool1dOptions)->MaxPool1d<float>;
MaxPool1d(int64_t)->MaxPool1d<float>;

/// `nn::AvgPool2d pool(2);` or `nn::AvgPool2d pool(nn::AvgPool2dOptions(3).stride(2).padding(1));`:
/// the mean of each window of [N, C, H, W] (or [C, H, W]).
template <class T = float>
class AvgPool2d : public Module<T> {
 public:
  AvgPool2d(ExpandingArray<2> kernel_size) : options_(kernel_size) {}  // NOLINT: AvgPool2d(2), as PyTorch's
  AvgPool2d(AvgPool2dOptions options) : options_(options) {}  // NOLINT: from its options
  Tensor<T> forward(const Tensor<T>& x) override {
    const auto& o = options_;
    return functional::avg_pool2d(x, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                                  o.divisor_override());
  }
  std::string name() const override { return "AvgPool2d"; }
  /// PyTorch 1.13 prints kernel_size, stride and padding only.
  std::string extra_repr() const override {
    const auto& o = options_;
    return "kernel_size=" + o.kernel_size().str() + ", stride=" + o.stride().str() + ", padding=" + o.padding().str();
  }
  const AvgPool2dOptions& options() const { return options_; }

 private:
  AvgPool2dOptions options_;
};
AvgPool2d(AvgPool2dOptions)->AvgPool2d<float>;
AvgPool2d(int64_t)->AvgPool2d<float>;
AvgPool2d(ExpandingArray<2>)->AvgPool2d<float>;

/// `nn::AdaptiveAvgPool2d pool({2, 3});` (or `pool(1)`): the mean over each of output_size's windows
/// of [N, C, H, W] (or [C, H, W]), whatever H and W.
template <class T = float>
class AdaptiveAvgPool2d : public Module<T> {
 public:
  AdaptiveAvgPool2d(ExpandingArray<2> output_size) : output_size_(output_size) {}  // NOLINT: from a size
  Tensor<T> forward(const Tensor<T>& x) override { return functional::adaptive_avg_pool2d(x, output_size_); }
  std::string name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override { return "output_size=" + output_size_.str(); }
  const ExpandingArray<2>& output_size() const { return output_size_; }

 private:
  ExpandingArray<2> output_size_;
};
AdaptiveAvgPool2d(ExpandingArray<2>)->AdaptiveAvgPool2d<float>;
AdaptiveAvgPool2d(int64_t)->AdaptiveAvgPool2d<float>;

}  // namespace eigentorch::nn
