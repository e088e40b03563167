// optim::Optimizer<T>: holds the parameters it updates; zero_grad() clears their gradients.
#pragma once

#include "../tensor/tensor.hpp"

#include <vector>

namespace eigentorch::optim {

/// The base of optimisers: the parameter list, zero_grad and step.
template <class T = float>
class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor<T>> params);
  virtual ~Optimizer() = default;

  /// Clears every parameter's gradient: to none by default (PyTorch 2), or to zeros.
  void zero_grad(bool set_to_none = true);
  /// One update of every parameter from its gradient.
  virtual void step() = 0;

  const std::vector<Tensor<T>>& parameters() const { return params_; }

 protected:
  std::vector<Tensor<T>> params_;
};

template <class T>
Optimizer<T>::Optimizer(std::vector<Tensor<T>> params) : params_(std::move(params)) {
  if (params_.empty()) detail::fail<ValueError>({"optimizer got an empty parameter list"});
  for (const auto& p : params_)
    if (!p.defined())
      detail::fail({"optimizer can only optimize Tensors, but one of the params is undefined"});
    else if (!p.is_leaf())
      detail::fail<ValueError>({"can't optimize a non-leaf Tensor"});
}

template <class T>
void Optimizer<T>::zero_grad(bool set_to_none) {
  for (auto& p : params_) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor<T>());
    } else {
      NoGradGuard no_grad;
      p.grad().zero_();
    }
  }
}

}  // namespace eigentorch::optim
