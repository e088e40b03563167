// Normalisation layers: nn::LayerNorm (over the last dims of each sample), nn::BatchNorm1d and
// nn::BatchNorm2d (per channel over the batch, and the spatial dims, with running statistics as
// buffers under PyTorch's names, so that state_dict() has PyTorch's keys in PyTorch's order). All
// start at weight 1, bias 0 (no draws).
#pragma once

#include "../detail/py_repr.hpp"
#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eigentorch::nn {

/// `nn::LayerNorm norm({4}); auto y = norm(x);` normalises x over its last dims (x: [*, 4]).
template <class T = float>
class LayerNorm : public Module<T> {
 public:
  Tensor<T> weight;  ///< normalized_shape, undefined without elementwise_affine
  Tensor<T> bias;

  LayerNorm(const Size& normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
      : shape_(normalized_shape), eps_(eps), affine_(elementwise_affine) {
    if (affine_) {
      weight = this->register_parameter("weight", Tensor<T>(shape_));
      bias = this->register_parameter("bias", Tensor<T>(shape_));
    } else {
      this->register_parameter("weight", Tensor<T>());
      this->register_parameter("bias", Tensor<T>());
    }
    this->initialize();
  }

  /// weight 1, bias 0, as LayerNorm.reset_parameters.
  void reset_parameters() override {
    if (!affine_) return;
    init::ones_(weight);
    init::zeros_(bias);
  }

  Tensor<T> forward(const Tensor<T>& x) override { return functional::layer_norm(x, shape_, weight, bias, eps_); }

  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override {
    std::string s = "(";
    for (std::size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
    s += shape_.size() == 1 ? ",)" : ")";
    return s + ", eps=" + eigentorch::detail::py_float(eps_) +
           ", elementwise_affine=" + eigentorch::detail::py_bool(affine_);
  }
  const Size& normalized_shape() const { return shape_; }

 private:
  Size shape_;
  double eps_;
  bool affine_;
};

namespace detail {

/// What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm): parameters, running statistics as
/// buffers, batch statistics while training (running_mean / running_var updated with momentum, or a
/// cumulative average when momentum is nullopt), the running statistics in evaluation mode; one op,
/// batch_norm, over the channel dim 1. The derived class names itself and checks the input's dims.
// NOTE: num_batches_tracked is a 0-d Tensor<T> holding the count (PyTorch's is int64): exact up to
// 2^24 batches in float.
template <class T>
class BatchNormBase : public Module<T> {
 public:
  Tensor<T> weight, bias;                                  ///< [C], undefined without affine
  Tensor<T> running_mean, running_var, num_batches_tracked;  ///< buffers, undefined without tracking

  /// running_mean 0, running_var 1, num_batches_tracked 0 (reset_running_stats).
  void reset_running_stats() {
    if (!track_) return;
    NoGradGuard no_grad;
    running_mean.zero_();
    running_var.fill_(T(1));
    num_batches_tracked.zero_();
  }
  /// The running statistics reset, weight 1, bias 0.
  void reset_parameters() override {
    reset_running_stats();
    if (!affine_) return;
    init::ones_(weight);
    init::zeros_(bias);
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    check_input_dim(x);
    double factor = momentum_.value_or(0.0);
    const bool training = this->is_training();
    if (training && track_) {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);
      if (!momentum_) factor = 1.0 / static_cast<double>(num_batches_tracked.item());  // a cumulative average
    }
    // Evaluation without running statistics normalises with the batch's, as PyTorch does.
    const bool use_batch = training || !track_;
    const Tensor<T> none;
    return functional::batch_norm(x, (!training || track_) ? running_mean : none,
                                  (!training || track_) ? running_var : none, weight, bias, use_batch, factor, eps_);
  }

  std::string extra_repr() const override {
    return std::to_string(num_features_) + ", eps=" + eigentorch::detail::py_float(eps_) +
           ", momentum=" + (momentum_ ? eigentorch::detail::py_float(*momentum_) : std::string("None")) +
           ", affine=" + eigentorch::detail::py_bool(affine_) +
           ", track_running_stats=" + eigentorch::detail::py_bool(track_);
  }
  int64_t num_features() const { return num_features_; }

 protected:
  BatchNormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine, bool track_running_stats)
      : num_features_(num_features), eps_(eps), momentum_(momentum), affine_(affine), track_(track_running_stats) {
    const Size c{num_features};
    if (affine_) {
      weight = this->register_parameter("weight", Tensor<T>(c));
      bias = this->register_parameter("bias", Tensor<T>(c));
    } else {
      this->register_parameter("weight", Tensor<T>());
      this->register_parameter("bias", Tensor<T>());
    }
    if (track_) {
      running_mean = this->register_buffer("running_mean", Tensor<T>(c));
      running_var = this->register_buffer("running_var", Tensor<T>(c));
      num_batches_tracked = this->register_buffer("num_batches_tracked", Tensor<T>(Size{}));
    } else {
      this->register_buffer("running_mean", Tensor<T>());
      this->register_buffer("running_var", Tensor<T>());
      this->register_buffer("num_batches_tracked", Tensor<T>());
    }
    this->initialize();
  }
  /// PyTorch's _check_input_dim: its ValueError for an input of the wrong rank.
  virtual void check_input_dim(const Tensor<T>& x) const = 0;

 private:
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
  bool affine_, track_;
};

}  // namespace detail

/// `nn::BatchNorm1d bn(4); auto y = bn(x);` (x: [N, 4] or [N, 4, L]): batch statistics while
/// training (running_mean / running_var updated with momentum, or a cumulative average when momentum
/// is nullopt), the running statistics in evaluation mode.
template <class T = float>
class BatchNorm1d : public detail::BatchNormBase<T> {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : detail::BatchNormBase<T>(num_features, eps, momentum, affine, track_running_stats) {}
  std::string name() const override { return "BatchNorm1d"; }

 protected:
  void check_input_dim(const Tensor<T>& x) const override {
    if (x.dim() != 2 && x.dim() != 3)
      eigentorch::detail::fail<ValueError>({"expected 2D or 3D input (got ", x.dim(), "D input)"});
  }
};

/// `nn::BatchNorm2d bn(8); auto y = bn(x);` (x: [N, 8, H, W]): BatchNorm1d's statistics per channel
/// over the batch and both spatial dims.
template <class T = float>
class BatchNorm2d : public detail::BatchNormBase<T> {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : detail::BatchNormBase<T>(num_features, eps, momentum, affine, track_running_stats) {}
  std::string name() const override { return "BatchNorm2d"; }

 protected:
  void check_input_dim(const Tensor<T>& x) const override {
    if (x.dim() != 4) eigentorch::detail::fail<ValueError>({"expected 4D input (got ", x.dim(), "D input)"});
  }
};

}  // namespace eigentorch::nn
