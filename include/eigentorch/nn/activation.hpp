// Activation modules, by PyTorch's names: each forwards to its op in nn::functional and prints
// PyTorch's repr; none holds parameters.
#pragma once

#include "functional.hpp"
#include "../detail/py_repr.hpp"
#include "module.hpp"

#include <string>

namespace eigentorch::nn {

/// tanh, elementwise.
template <class T = float>
class Tanh : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::tanh(x); }
  std::string name() const override { return "Tanh"; }
};

/// 1 / (1 + exp(-x)), elementwise.
template <class T = float>
class Sigmoid : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::sigmoid(x); }
  std::string name() const override { return "Sigmoid"; }
};

/// max(x, 0), elementwise.
template <class T = float>
class ReLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::relu(x); }
  std::string name() const override { return "ReLU"; }
};

/// x for x > 0, negative_slope * x otherwise.
template <class T = float>
class LeakyReLU : public Module<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : slope_(negative_slope) {}
  Tensor<T> forward(const Tensor<T>& x) override { return functional::leaky_relu(x, slope_); }
  std::string name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override { return "negative_slope=" + eigentorch::detail::py_float(slope_); }

 private:
  double slope_;
};

/// x for x > 0, alpha (e^x - 1) otherwise.
template <class T = float>
class ELU : public Module<T> {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  Tensor<T> forward(const Tensor<T>& x) override { return functional::elu(x, alpha_); }
  std::string name() const override { return "ELU"; }
  std::string extra_repr() const override { return "alpha=" + eigentorch::detail::py_float(alpha_); }

 private:
  double alpha_;
};

/// x Phi(x); approximate = "none" (erf) or "tanh".
template <class T = float>
class GELU : public Module<T> {
 public:
  explicit GELU(std::string approximate = "none") : approximate_(std::move(approximate)) {
    if (approximate_ != "none" && approximate_ != "tanh")
      eigentorch::detail::fail<ValueError>({"approximate argument must be either none or tanh."});
  }
  Tensor<T> forward(const Tensor<T>& x) override { return functional::gelu(x, approximate_); }
  std::string name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='" + approximate_ + "'"; }

 private:
  std::string approximate_;
};

/// log(1 + e^(beta x)) / beta, linear above beta x > threshold.
template <class T = float>
class Softplus : public Module<T> {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta_(beta), threshold_(threshold) {}
  Tensor<T> forward(const Tensor<T>& x) override { return functional::softplus(x, beta_, threshold_); }
  std::string name() const override { return "Softplus"; }
  std::string extra_repr() const override {
    return "beta=" + eigentorch::detail::py_number(beta_) + ", threshold=" + eigentorch::detail::py_number(threshold_);
  }

 private:
  double beta_, threshold_;
};

/// x clamped to [min_val, max_val].
template <class T = float>
class Hardtanh : public Module<T> {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0) : min_(min_val), max_(max_val) {
    if (!(min_val <= max_val)) eigentorch::detail::fail({"min_val cannot be greater than max_val"});
  }
  Tensor<T> forward(const Tensor<T>& x) override { return functional::hardtanh(x, min_, max_); }
  std::string name() const override { return "Hardtanh"; }
  std::string extra_repr() const override {
    return "min_val=" + eigentorch::detail::py_float(min_) + ", max_val=" + eigentorch::detail::py_float(max_);
  }

 private:
  double min_, max_;
};

/// min(max(x, 0), 6).
template <class T = float>
class ReLU6 : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::relu6(x); }
  std::string name() const override { return "ReLU6"; }
};

/// x sigmoid(x).
template <class T = float>
class SiLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::silu(x); }
  std::string name() const override { return "SiLU"; }
};

/// x tanh(softplus(x)).
template <class T = float>
class Mish : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::mish(x); }
  std::string name() const override { return "Mish"; }
};

/// log(sigmoid(x)).
template <class T = float>
class LogSigmoid : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::logsigmoid(x); }
  std::string name() const override { return "LogSigmoid"; }
};

/// x relu6(x + 3) / 6.
template <class T = float>
class Hardswish : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::hardswish(x); }
  std::string name() const override { return "Hardswish"; }
};

/// x / (1 + |x|).
template <class T = float>
class Softsign : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::softsign(x); }
  std::string name() const override { return "Softsign"; }
};

/// x - tanh(x).
template <class T = float>
class Tanhshrink : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::tanhshrink(x); }
  std::string name() const override { return "Tanhshrink"; }
};

/// e^x / sum(e^x) along `dim`.
template <class T = float>
class Softmax : public Module<T> {
 public:
  explicit Softmax(int64_t dim) : dim_(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return functional::softmax(x, dim_); }
  std::string name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

/// log(softmax(x)) along `dim`, computed stably.
template <class T = float>
class LogSoftmax : public Module<T> {
 public:
  explicit LogSoftmax(int64_t dim) : dim_(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return functional::log_softmax(x, dim_); }
  std::string name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

/// The input, unchanged (a placeholder layer).
template <class T = float>
class Identity : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return x; }
  std::string name() const override { return "Identity"; }
};

}  // namespace eigentorch::nn
