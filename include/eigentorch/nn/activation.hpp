// Activation modules, by PyTorch's names: each forwards to its op in nn::functional and prints
// PyTorch's repr; none holds parameters.
#pragma once

#include "functional.hpp"
#include "../detail/py_repr.hpp"
#include "module.hpp"

#include <array>
#include <string>
#include <tuple>  // apply

namespace eigentorch::detail {

/// The activations without options: forward is the functional form F, the repr is the class name.
template <class T, Tensor<T> (*F)(const Tensor<T>&)>
class Elementwise : public nn::Module<T> {
 public:
  explicit Elementwise(const char* name) : name_(name) {}
  Tensor<T> forward(const Tensor<T>& x) override { return F(x); }
  std::string name() const override { return name_; }

 private:
  const char* name_;
};

/// The activations with number options (LeakyReLU, ELU, Softplus, Hardtanh): forward is
/// F(x, values...), the repr lists "option=value" (integral values as Python ints where PyTorch's
/// defaults are ints, as_int).
template <class T, auto F, std::size_t N>
class WithOptions : public nn::Module<T> {
 public:
  WithOptions(const char* name, std::array<const char*, N> options, std::array<double, N> values, bool as_int = false)
      : name_(name), options_(options), values_(values), as_int_(as_int) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return std::apply([&x](auto... v) { return F(x, v...); }, values_);
  }
  std::string name() const override { return name_; }
  std::string extra_repr() const override {
    std::string out;
    for (std::size_t i = 0; i < N; ++i)
      out += (i ? ", " : "") + (options_[i] + ("=" + (as_int_ ? py_number(values_[i]) : py_float(values_[i]))));
    return out;
  }

 private:
  const char* name_;
  std::array<const char*, N> options_;
  std::array<double, N> values_;
  bool as_int_;
};

/// Softmax and LogSoftmax: one option, the dimension.
template <class T, bool Log>
class AlongDim : public nn::Module<T> {
 public:
  explicit AlongDim(int64_t dim) : dim_(dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return Log ? nn::functional::log_softmax(x, dim_) : nn::functional::softmax(x, dim_); }
  std::string name() const override { return Log ? "LogSoftmax" : "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

 private:
  int64_t dim_;
};

}  // namespace eigentorch::detail

namespace eigentorch::nn {

// The activations without options, one line each: forward is functional::f, the string is the repr.
// Tanh: tanh(x). Sigmoid: 1 / (1 + e^-x). ReLU: max(x, 0). ReLU6: min(max(x, 0), 6). SiLU: x sigmoid(x).
// Mish: x tanh(softplus(x)). LogSigmoid: log(sigmoid(x)). Hardswish: x relu6(x + 3) / 6.
// Softsign: x / (1 + |x|). Tanhshrink: x - tanh(x).
template <class T = float> struct Tanh : detail::Elementwise<T, functional::tanh<T>> { Tanh() : Tanh::Elementwise("Tanh") {} };
template <class T = float> struct Sigmoid : detail::Elementwise<T, functional::sigmoid<T>> { Sigmoid() : Sigmoid::Elementwise("Sigmoid") {} };
template <class T = float> struct ReLU : detail::Elementwise<T, functional::relu<T>> { ReLU() : ReLU::Elementwise("ReLU") {} };
template <class T = float> struct ReLU6 : detail::Elementwise<T, functional::relu6<T>> { ReLU6() : ReLU6::Elementwise("ReLU6") {} };
template <class T = float> struct SiLU : detail::Elementwise<T, functional::silu<T>> { SiLU() : SiLU::Elementwise("SiLU") {} };
template <class T = float> struct Mish : detail::Elementwise<T, functional::mish<T>> { Mish() : Mish::Elementwise("Mish") {} };
template <class T = float> struct LogSigmoid : detail::Elementwise<T, functional::logsigmoid<T>> { LogSigmoid() : LogSigmoid::Elementwise("LogSigmoid") {} };
template <class T = float> struct Hardswish : detail::Elementwise<T, functional::hardswish<T>> { Hardswish() : Hardswish::Elementwise("Hardswish") {} };
template <class T = float> struct Softsign : detail::Elementwise<T, functional::softsign<T>> { Softsign() : Softsign::Elementwise("Softsign") {} };
template <class T = float> struct Tanhshrink : detail::Elementwise<T, functional::tanhshrink<T>> { Tanhshrink() : Tanhshrink::Elementwise("Tanhshrink") {} };

/// x for x > 0, negative_slope * x otherwise.
template <class T = float>
struct LeakyReLU : detail::WithOptions<T, functional::leaky_relu<T>, 1> {
  explicit LeakyReLU(double negative_slope = 0.01)
      : LeakyReLU::WithOptions("LeakyReLU", {"negative_slope"}, {negative_slope}) {}
};

/// x for x > 0, alpha (e^x - 1) otherwise.
template <class T = float>
struct ELU : detail::WithOptions<T, functional::elu<T>, 1> {
  explicit ELU(double alpha = 1.0) : ELU::WithOptions("ELU", {"alpha"}, {alpha}) {}
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
struct Softplus : detail::WithOptions<T, functional::softplus<T>, 2> {
  explicit Softplus(double beta = 1.0, double threshold = 20.0)
      : Softplus::WithOptions("Softplus", {"beta", "threshold"}, {beta, threshold}, true) {}
};

/// x clamped to [min_val, max_val].
template <class T = float>
struct Hardtanh : detail::WithOptions<T, functional::hardtanh<T>, 2> {
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0)
      : Hardtanh::WithOptions("Hardtanh", {"min_val", "max_val"}, {min_val, max_val}) {
    if (!(min_val <= max_val)) eigentorch::detail::fail({"min_val cannot be greater than max_val"});
  }
};

/// e^x / sum(e^x) along `dim`.
template <class T = float>
class Softmax : public eigentorch::detail::AlongDim<T, false> {
 public:
  using eigentorch::detail::AlongDim<T, false>::AlongDim;
};

/// log(softmax(x)) along `dim`, computed stably.
template <class T = float>
class LogSoftmax : public eigentorch::detail::AlongDim<T, true> {
 public:
  using eigentorch::detail::AlongDim<T, true>::AlongDim;
};

/// The input, unchanged (a placeholder layer).
template <class T = float>
class Identity : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return x; }
  std::string name() const override { return "Identity"; }
};

}  // namespace eigentorch::nn
