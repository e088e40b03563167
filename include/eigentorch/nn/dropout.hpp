// nn::Dropout: zeroes each element with probability p while training (PyTorch's mask draws, after
// the same manual_seed), the identity in evaluation mode.
#pragma once

#include "../detail/py_repr.hpp"
#include "functional.hpp"
#include "module.hpp"

#include <string>

namespace eigentorch::nn {

/// Dropout(p): `nn::Dropout drop(0.1); auto y = drop(x);` scales the kept elements by 1 / (1 - p).
template <class T = float>
class Dropout : public Module<T> {
 public:
  explicit Dropout(double p = 0.5, bool inplace = false) : p_(p), inplace_(inplace) {
    if (!(p >= 0.0 && p <= 1.0))
      eigentorch::detail::fail<ValueError>({"dropout probability has to be between 0 and 1, but got ",
                                            eigentorch::detail::py_float(p)});
  }
  Tensor<T> forward(const Tensor<T>& x) override { return functional::dropout(x, p_, this->is_training(), inplace_); }
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override {
    return "p=" + eigentorch::detail::py_float(p_) + ", inplace=" + (inplace_ ? "True" : "False");
  }
  double p() const { return p_; }

 private:
  double p_;
  bool inplace_;
};

}  // namespace eigentorch::nn
