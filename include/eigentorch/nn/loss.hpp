// Loss modules, PyTorch's names, options and reprs: MSELoss, L1Loss, SmoothL1Loss (beta), HuberLoss
// (delta), KLDivLoss (log_target), CrossEntropyLoss, NLLLoss, BCELoss and BCEWithLogitsLoss (a weight
// per class or element, kept as the buffer "weight", and pos_weight, as PyTorch registers them).
// Each forward is its nn::functional form.
#pragma once

#include "functional.hpp"
#include "module.hpp"

#include <cstdint>
#include <string>
#include <type_traits>  // is_same_v
#include <utility>  // move

namespace eigentorch::nn {

namespace detail {
/// PyTorch's check of a reduction name ("mean", "sum", "none"; KLDivLoss also "batchmean").
inline std::string checked_reduction(std::string reduction, bool batchmean = false) {
  if (!(batchmean && reduction == "batchmean")) (void)functional::detail::reduction(reduction);
  return reduction;
}
}  // namespace detail

// An option of an options struct: `o.name(v)` sets it and returns the struct, `o.name()` reads it.
#define EIGENTORCH_LOSS_OPTION(Self, Type, name, initial) \
 public:                                                 \
  Self& name(Type v) {                                   \
    name##_ = std::move(v);                              \
    return *this;                                        \
  }                                                      \
  const Type& name() const { return name##_; }           \
                                                         \
 private:                                                \
  Type name##_ = initial;

// A tensor option (a weight): set as a float or a double tensor, read as the module's type
// (`o.weight()` reads float, `o.template weight<double>()` double; another type is converted).
#define EIGENTORCH_LOSS_TENSOR_OPTION(Self, name)                       \
 public:                                                                \
  Self& name(const Tensor<float>& v) {                                  \
    name##_ = detail::AnyTensor{v, Tensor<double>()};                   \
    return *this;                                                       \
  }                                                                     \
  Self& name(const Tensor<double>& v) {                                 \
    name##_ = detail::AnyTensor{Tensor<float>(), v};                    \
    return *this;                                                       \
  }                                                                     \
  template <class T = float>                                            \
  Tensor<T> name() const { return name##_.template get<T>(); }          \
                                                                        \
 private:                                                               \
  detail::AnyTensor name##_;

namespace detail {
/// A float or a double tensor (or none), read as either type.
struct AnyTensor {
  Tensor<float> f;
  Tensor<double> d;
  template <class T>
  Tensor<T> get() const {
    if constexpr (std::is_same_v<T, float>) {
      return f.defined() || !d.defined() ? f : d.template to<float>();
    } else {
      return d.defined() || !f.defined() ? d : f.template to<double>();
    }
  }
};
}  // namespace detail

/// CrossEntropyLoss's keyword arguments: `CrossEntropyLossOptions().weight(w).ignore_index(0)
/// .reduction("sum").label_smoothing(0.1)`.
struct CrossEntropyLossOptions {
  EIGENTORCH_LOSS_TENSOR_OPTION(CrossEntropyLossOptions, weight)
  EIGENTORCH_LOSS_OPTION(CrossEntropyLossOptions, int64_t, ignore_index, -100)
  EIGENTORCH_LOSS_OPTION(CrossEntropyLossOptions, std::string, reduction, "mean")
  EIGENTORCH_LOSS_OPTION(CrossEntropyLossOptions, double, label_smoothing, 0.0)
};
/// NLLLoss's keyword arguments: weight, ignore_index, reduction.
struct NLLLossOptions {
  EIGENTORCH_LOSS_TENSOR_OPTION(NLLLossOptions, weight)
  EIGENTORCH_LOSS_OPTION(NLLLossOptions, int64_t, ignore_index, -100)
  EIGENTORCH_LOSS_OPTION(NLLLossOptions, std::string, reduction, "mean")
};
/// BCELoss's keyword arguments: weight, reduction.
struct BCELossOptions {
  EIGENTORCH_LOSS_TENSOR_OPTION(BCELossOptions, weight)
  EIGENTORCH_LOSS_OPTION(BCELossOptions, std::string, reduction, "mean")
};
/// BCEWithLogitsLoss's keyword arguments: weight, reduction, pos_weight.
struct BCEWithLogitsLossOptions {
  EIGENTORCH_LOSS_TENSOR_OPTION(BCEWithLogitsLossOptions, weight)
  EIGENTORCH_LOSS_OPTION(BCEWithLogitsLossOptions, std::string, reduction, "mean")
  EIGENTORCH_LOSS_TENSOR_OPTION(BCEWithLogitsLossOptions, pos_weight)
};
/// SmoothL1Loss's keyword arguments: reduction, beta.
struct SmoothL1LossOptions {
  EIGENTORCH_LOSS_OPTION(SmoothL1LossOptions, std::string, reduction, "mean")
  EIGENTORCH_LOSS_OPTION(SmoothL1LossOptions, double, beta, 1.0)
};
/// HuberLoss's keyword arguments: reduction, delta.
struct HuberLossOptions {
  EIGENTORCH_LOSS_OPTION(HuberLossOptions, std::string, reduction, "mean")
  EIGENTORCH_LOSS_OPTION(HuberLossOptions, double, delta, 1.0)
};
/// KLDivLoss's keyword arguments: reduction ("batchmean" too), log_target.
struct KLDivLossOptions {
  EIGENTORCH_LOSS_OPTION(KLDivLossOptions, std::string, reduction, "mean")
  EIGENTORCH_LOSS_OPTION(KLDivLossOptions, bool, log_target, false)
};

#undef EIGENTORCH_LOSS_OPTION
#undef EIGENTORCH_LOSS_TENSOR_OPTION

/// Squared error between input and target, reduced by mean (default), sum or not at all.
template <class T = float>
class MSELoss : public Module<T> {
 public:
  explicit MSELoss(std::string reduction = "mean") : reduction_(detail::checked_reduction(std::move(reduction))) {}
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

/// Absolute error between input and target, reduced.
template <class T = float>
class L1Loss : public Module<T> {
 public:
  explicit L1Loss(std::string reduction = "mean") : reduction_(detail::checked_reduction(std::move(reduction))) {}
  /// Any scalar type, as MSELoss.
  template <class U>
  Tensor<U> forward(const Tensor<U>& input, const Tensor<U>& target) const {
    return functional::l1_loss(input, target, reduction_);
  }
  template <class U>
  Tensor<U> operator()(const Tensor<U>& input, const Tensor<U>& target) const { return forward(input, target); }
  std::string name() const override { return "L1Loss"; }
  const std::string& reduction() const { return reduction_; }

 private:
  std::string reduction_;
};

/// Squared error below beta, absolute error above, reduced.
template <class T = float>
class SmoothL1Loss : public Module<T> {
 public:
  explicit SmoothL1Loss(SmoothL1LossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
  }
  explicit SmoothL1Loss(std::string reduction) : SmoothL1Loss(SmoothL1LossOptions().reduction(std::move(reduction))) {}
  template <class U>
  Tensor<U> forward(const Tensor<U>& input, const Tensor<U>& target) const {
    return functional::smooth_l1_loss(input, target, options.reduction(), options.beta());
  }
  template <class U>
  Tensor<U> operator()(const Tensor<U>& input, const Tensor<U>& target) const { return forward(input, target); }
  std::string name() const override { return "SmoothL1Loss"; }
  SmoothL1LossOptions options;
};

/// Squared error below delta, delta times the absolute error above, reduced.
template <class T = float>
class HuberLoss : public Module<T> {
 public:
  explicit HuberLoss(HuberLossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
  }
  explicit HuberLoss(std::string reduction) : HuberLoss(HuberLossOptions().reduction(std::move(reduction))) {}
  template <class U>
  Tensor<U> forward(const Tensor<U>& input, const Tensor<U>& target) const {
    return functional::huber_loss(input, target, options.reduction(), options.delta());
  }
  template <class U>
  Tensor<U> operator()(const Tensor<U>& input, const Tensor<U>& target) const { return forward(input, target); }
  std::string name() const override { return "HuberLoss"; }
  HuberLossOptions options;
};

/// Kullback-Leibler divergence of the target from the input (log-probabilities), reduced.
template <class T = float>
class KLDivLoss : public Module<T> {
 public:
  explicit KLDivLoss(KLDivLossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction(), true);
  }
  explicit KLDivLoss(std::string reduction) : KLDivLoss(KLDivLossOptions().reduction(std::move(reduction))) {}
  template <class U>
  Tensor<U> forward(const Tensor<U>& input, const Tensor<U>& target) const {
    return functional::kl_div(input, target, options.reduction(), options.log_target());
  }
  template <class U>
  Tensor<U> operator()(const Tensor<U>& input, const Tensor<U>& target) const { return forward(input, target); }
  std::string name() const override { return "KLDivLoss"; }
  KLDivLossOptions options;
};

/// Cross entropy of logits [N, C] or [N, C, d1, ...] (or [C]) with class indices (int64 [N] or
/// [N, d1, ...]) or class probabilities shaped like the input.
template <class T = float>
class CrossEntropyLoss : public Module<T> {
 public:
  Tensor<T> weight;  ///< the buffer "weight" (one per class), undefined without one
  explicit CrossEntropyLoss(CrossEntropyLossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
    if (this->options.template weight<T>().defined())
      weight = this->register_buffer("weight", this->options.template weight<T>());
  }
  explicit CrossEntropyLoss(std::string reduction)
      : CrossEntropyLoss(CrossEntropyLossOptions().reduction(std::move(reduction))) {}
  Tensor<T> forward(const Tensor<T>& input, const Tensor<int64_t>& target) const {
    return functional::cross_entropy(input, target, weight, options.ignore_index(), options.reduction(),
                                     options.label_smoothing());
  }
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) const {
    return functional::cross_entropy(input, target, weight, options.ignore_index(), options.reduction(),
                                     options.label_smoothing());
  }
  template <class Target>
  Tensor<T> operator()(const Tensor<T>& input, const Target& target) const { return forward(input, target); }
  std::string name() const override { return "CrossEntropyLoss"; }
  CrossEntropyLossOptions options;
};

/// The negative log likelihood of log-probabilities [N, C] or [N, C, d1, ...] (or [C]) at class
/// indices (int64 [N] or [N, d1, ...]).
template <class T = float>
class NLLLoss : public Module<T> {
 public:
  Tensor<T> weight;  ///< the buffer "weight" (one per class), undefined without one
  explicit NLLLoss(NLLLossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
    if (this->options.template weight<T>().defined())
      weight = this->register_buffer("weight", this->options.template weight<T>());
  }
  explicit NLLLoss(std::string reduction) : NLLLoss(NLLLossOptions().reduction(std::move(reduction))) {}
  Tensor<T> forward(const Tensor<T>& input, const Tensor<int64_t>& target) const {
    return functional::nll_loss(input, target, weight, options.ignore_index(), options.reduction());
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<int64_t>& target) const { return forward(input, target); }
  std::string name() const override { return "NLLLoss"; }
  NLLLossOptions options;
};

/// Binary cross entropy of probabilities and targets of one shape.
template <class T = float>
class BCELoss : public Module<T> {
 public:
  Tensor<T> weight;  ///< the buffer "weight" (broadcast to the input), undefined without one
  explicit BCELoss(BCELossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
    if (this->options.template weight<T>().defined())
      weight = this->register_buffer("weight", this->options.template weight<T>());
  }
  explicit BCELoss(std::string reduction) : BCELoss(BCELossOptions().reduction(std::move(reduction))) {}
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) const {
    return functional::binary_cross_entropy(input, target, weight, options.reduction());
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const { return forward(input, target); }
  std::string name() const override { return "BCELoss"; }
  BCELossOptions options;
};

/// Binary cross entropy of logits and targets of one shape, computed stably.
template <class T = float>
class BCEWithLogitsLoss : public Module<T> {
 public:
  Tensor<T> weight;      ///< the buffer "weight", undefined without one
  Tensor<T> pos_weight;  ///< the buffer "pos_weight", undefined without one
  explicit BCEWithLogitsLoss(BCEWithLogitsLossOptions options = {}) : options(std::move(options)) {
    detail::checked_reduction(this->options.reduction());
    if (this->options.template weight<T>().defined())
      weight = this->register_buffer("weight", this->options.template weight<T>());
    if (this->options.template pos_weight<T>().defined())
      pos_weight = this->register_buffer("pos_weight", this->options.template pos_weight<T>());
  }
  explicit BCEWithLogitsLoss(std::string reduction)
      : BCEWithLogitsLoss(BCEWithLogitsLossOptions().reduction(std::move(reduction))) {}
  Tensor<T> forward(const Tensor<T>& input, const Tensor<T>& target) const {
    return functional::binary_cross_entropy_with_logits(input, target, weight, options.reduction(), pos_weight);
  }
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const { return forward(input, target); }
  std::string name() const override { return "BCEWithLogitsLoss"; }
  BCEWithLogitsLossOptions options;
};

}  // namespace eigentorch::nn
