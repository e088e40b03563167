// nn::Linear: y = x W^T + b, initialised as PyTorch does (kaiming_uniform_ with a = sqrt(5), then the
// bias from U(-1/sqrt(in), 1/sqrt(in))), drawn in PyTorch's order.
#pragma once

#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

#include <cmath>
#include <string>

namespace eigentorch::nn {

/// A fully connected layer: `nn::Linear model(1, 13); auto y = model(x);` (x: [batch, in]).
template <class T = float>
class Linear : public Module<T> {
 public:
  Tensor<T> weight;  ///< [out_features, in_features]
  Tensor<T> bias;    ///< [out_features], undefined without bias

  Linear(int64_t in_features, int64_t out_features, bool with_bias = true);

  /// Draws fresh initial values, as Linear.reset_parameters.
  void reset_parameters() override;

  Tensor<T> forward(const Tensor<T>& x) override { return functional::linear(x, weight, bias); }

  std::string name() const override { return "Linear"; }
  [[gnu::cold]] std::string extra_repr() const override;
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_, out_features_;
};

template <class T>
Linear<T>::Linear(int64_t in_features, int64_t out_features, bool with_bias)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features < 0 || out_features < 0)
    detail::fail({"Trying to create tensor with negative dimension: Linear(in_features=", in_features,
                  ", out_features=", out_features, ")"});
  weight = this->register_parameter("weight", Tensor<T>(Size{out_features, in_features}));
  if (with_bias) bias = this->register_parameter("bias", Tensor<T>(Size{out_features}));
  this->initialize();
}

template <class T>
void Linear<T>::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = in_features_;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

template <class T>
std::string Linear<T>::extra_repr() const {
  return "in_features=" + std::to_string(in_features_) + ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace eigentorch::nn
