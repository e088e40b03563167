// Loss modules: MSELoss, with PyTorch's reductions ("mean", "sum", "none").
#pragma once

#include "functional.hpp"
#include "module.hpp"

#include <string>

namespace eigentorch::nn {

/// Squared error between input and target, reduced by mean (default), sum or not at all.
template <class T = float>
class MSELoss : public Module<T> {
 public:
  explicit MSELoss(std::string reduction = "mean") : reduction_(std::move(reduction)) {
    if (reduction_ != "mean" && reduction_ != "sum" && reduction_ != "none")
      eigentorch::detail::fail<ValueError>({reduction_, " is not a valid value for reduction"});
  }
  /// The loss of any scalar type: an MSELoss has no parameters, so one object serves float and double.
  template <class U>
  Tensor<U> forward(const Tensor<U>& input, const Tensor<U>& target) const {
    return functional::mse_loss(input, target, reduction_);
  }
  template <class U>
  Tensor<U> operator()(const Tensor<U>& input, const Tensor<U>& target) const { return forward(input, target); }
  std::string name() const override { return "MSELoss"; }
  std::string extra_repr() const override { return ""; }
  const std::string& reduction() const { return reduction_; }

 private:
  std::string reduction_;
};

}  // namespace eigentorch::nn
