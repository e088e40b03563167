// nn::Dropout and nn::Dropout2d: zero each element (Dropout) or each whole channel (Dropout2d) with
// probability p while training (PyTorch's mask draws, after the same manual_seed), the identity in
// evaluation mode.
#pragma once

#include "../detail/py_repr.hpp"
#include "functional.hpp"
#include "module.hpp"

#include <string>

namespace eigentorch::nn {

namespace detail {
/// Dropout and Dropout2d: p and inplace, checked and printed as PyTorch's _DropoutNd.
template <class T>
class DropoutBase : public Module<T> {
 public:
  std::string extra_repr() const override {
    return "p=" + eigentorch::detail::py_float(p_) + ", inplace=" + eigentorch::detail::py_bool(inplace_);
  }
  double p() const { return p_; }

 protected:
  DropoutBase(double p, bool inplace) : p_(p), inplace_(inplace) {
    if (!(p >= 0.0 && p <= 1.0))
      eigentorch::detail::fail<ValueError>({"dropout probability has to be between 0 and 1, but got ",
                                            eigentorch::detail::py_float(p)});
  }
  double p_;
  bool inplace_;
};
}  // namespace detail

/// Dropout(p): `nn::Dropout drop(0.1); auto y = drop(x);` scales the kept elements by 1 / (1 - p).
template <class T = float>
class Dropout : public detail::DropoutBase<T> {
 public:
  explicit Dropout(double p = 0.5, bool inplace = false) : detail::DropoutBase<T>(p, inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return functional::dropout(x, this->p_, this->is_training(), this->inplace_);
  }
  std::string name() const override { return "Dropout"; }
};

/// Dropout2d(p): `nn::Dropout2d drop(0.2); auto y = drop(x);` (x: [N, C, H, W]) zeroes whole
/// channels, scaling the kept ones by 1 / (1 - p).
template <class T = float>
class Dropout2d : public detail::DropoutBase<T> {
 public:
  explicit Dropout2d(double p = 0.5, bool inplace = false) : detail::DropoutBase<T>(p, inplace) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return functional::dropout2d(x, this->p_, this->is_training(), this->inplace_);
  }
  std::string name() const override { return "Dropout2d"; }
};

}  // namespace eigentorch::nn
