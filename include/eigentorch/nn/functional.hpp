// nn::functional: the stateless forms of the layers and losses, composed from primitive ops (no
// backward code here: every derivative lives with its op in ops/). The activations are
// eigentorch::activations' functions, taken in whole: F::tanh(x) is et::tanh(x).
#pragma once

#include "../detail/py_repr.hpp"
#include "../ops/activation.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/compare.hpp"  // ==, masked_fill: cross_entropy's ignored targets, kl_div
#include "../ops/conv.hpp"
#include "../ops/gather.hpp"   // gather, index: cross_entropy's weights of the targets
#include "../ops/linear.hpp"
#include "../ops/embedding.hpp"
#include "../ops/inplace.hpp"  // bernoulli_, div_, mul_
#include "../ops/loss.hpp"
#include "../ops/normalization.hpp"
#include "../ops/pointwise.hpp"
#include "../ops/pooling.hpp"
#include "../ops/reduce.hpp"
#include "../tensor/factories.hpp"  // arange: one_hot

#include <cstdint>
#include <limits>   // quiet_NaN
#include <optional>
#include <sstream>  // ostringstream
#include <string>
#include <tuple>
#include <type_traits>  // is_same_v
#include <vector>

namespace eigentorch::nn::functional {

using namespace eigentorch::activations;  // tanh, sigmoid, relu, leaky_relu, elu, gelu, softmax, ...

namespace detail {
/// PyTorch's reduction argument: "mean", "sum" or "none" (its ValueError for anything else).
inline ops::Reduction reduction(const std::string& name) {
  if (name == "mean") return ops::Reduction::Mean;
  if (name == "sum") return ops::Reduction::Sum;
  if (name == "none") return ops::Reduction::None;
  eigentorch::detail::fail<ValueError>({name, " is not a valid value for reduction"});
}
}  // namespace detail

/// x W^T + b (F.linear); b may be undefined.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>()) {
  return ops::linear(x, weight, bias);
}

/// The 1-D convolution of x ([N, C, L] or [C, L]) with weight ([O, C / groups, K]) plus bias ([O]
/// or undefined), F.conv1d: `functional::conv1d(x, w, b, /*stride*/ 2, /*padding*/ 1)`; padding may
/// be "same" or "valid".
template <class T>
Tensor<T> conv1d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                 const ExpandingArray<1>& stride = 1, const ConvPadding<1>& padding = 0,
                 const ExpandingArray<1>& dilation = 1, int64_t groups = 1) {
  return ops::conv1d(input, weight, bias, stride, padding, dilation, groups);
}

/// The 2-D convolution of x ([N, C, H, W] or [C, H, W]) with weight ([O, C / groups, KH, KW]) plus
/// bias, F.conv2d; stride, padding and dilation as one number or {h, w}, padding also "same" / "valid".
template <class T>
Tensor<T> conv2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                 const ExpandingArray<2>& stride = 1, const ConvPadding<2>& padding = 0,
                 const ExpandingArray<2>& dilation = 1, int64_t groups = 1) {
  return ops::conv2d(input, weight, bias, stride, padding, dilation, groups);
}

/// Mean (or summed, or unreduced) squared error, F.mse_loss. Unlike PyTorch, which only warns and
/// broadcasts, input and target of different shapes throw: it is almost always a bug.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean") {
  return ops::mse_loss(input, target, detail::reduction(reduction));
}


// ---- losses of issue 16 --------------------------------------------------------------------------
// The primitive losses are ops (ops/loss.hpp, each with its node); cross_entropy, l1_loss and kl_div
// are compositions, as PyTorch composes them (their graphs end in PyTorch's nodes: AddBackward0,
// MeanBackward0, ...). Arguments in PyTorch's order, its deprecated size_average and reduce left out.

namespace detail {
/// A number as PyTorch's messages print it (C++ stream defaults: 1.5, 1e+10).
[[gnu::cold]] inline std::string number_str(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
/// weight viewed along the class dim of an input of `dim` dims ([C] -> [1, C, 1, ...]).
template <class T>
Tensor<T> along_class_dim(const Tensor<T>& weight, int64_t dim, int64_t class_dim) {
  std::vector<int64_t> shape(static_cast<std::size_t>(dim), 1);
  if (dim == 0) return weight;
  shape[static_cast<std::size_t>(class_dim)] = weight.size(0);
  return weight.view(Size(shape));
}
}  // namespace detail

/// The negative log likelihood of the target classes (F.nll_loss): input [C], [N, C] or
/// [N, C, d1, ...] of log-probabilities, target class indices [], [N] or [N, d1, ...]; an optional
/// weight per class; targets equal to ignore_index count for nothing.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<int64_t>& target, const Tensor<T>& weight = Tensor<T>(),
                   int64_t ignore_index = -100, const std::string& reduction = "mean") {
  return ops::nll_loss(input, target, weight, detail::reduction(reduction), ignore_index);
}

/// Cross entropy of logits and class indices (F.cross_entropy): nll_loss(log_softmax(input, 1), ...),
/// and with label_smoothing s, (1 - s) of that plus s / C of the loss against uniform targets.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<int64_t>& target, const Tensor<T>& weight = Tensor<T>(),
                        int64_t ignore_index = -100, const std::string& reduction = "mean",
                        double label_smoothing = 0.0) {
  const ops::Reduction r = detail::reduction(reduction);
  if (input.shape() == target.shape())  // PyTorch takes a target shaped like the input for probabilities
    eigentorch::detail::fail({"Expected floating point type for target with class probabilities, got Long"});
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  if (!(label_smoothing > 0.0)) return ops::nll_loss(log_softmax(input, class_dim), target, weight, r, ignore_index);
  if (label_smoothing > 1.0)
    eigentorch::detail::fail(
        {"label_smoothing must be between 0.0 and 1.0. Got: ", detail::number_str(label_smoothing)});
  const Tensor<T> logp = log_softmax(input, class_dim);
  const Tensor<T> nll = ops::nll_loss(logp, target, weight, r, ignore_index);
  const int64_t n_classes = logp.size(class_dim);
  Tensor<T> smooth = weight.defined() ? -(logp * detail::along_class_dim(weight, logp.dim(), class_dim)).sum(class_dim)
                                      : -logp.sum(class_dim);
  const Tensor<bool> ignored = target == ignore_index;
  smooth = smooth.masked_fill(ignored, 0.0);
  Tensor<T> ret;
  if (r == ops::Reduction::Mean) {
    // divided by the weights of the targets not ignored (or their count), as nll_loss's mean is
    const Tensor<bool> kept = ignored.logical_not();
    ret = weight.defined() ? smooth.sum() / weight.gather(0, target.index(kept).flatten()).sum()
                           : smooth.sum() / kept.sum().template to<T>();
  } else {
    ret = r == ops::Reduction::Sum ? smooth.sum() : smooth;
  }
  return (1 - label_smoothing) * nll + ret * (label_smoothing / static_cast<double>(n_classes));
}

/// Cross entropy of logits and class probabilities shaped like the input (F.cross_entropy with a
/// float target): -sum(target log_softmax(input)) per sample, weighted per class; with
/// label_smoothing s the target is target (1 - s) + s / C. ignore_index must stay negative.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& weight = Tensor<T>(),
                        int64_t ignore_index = -100, const std::string& reduction = "mean",
                        double label_smoothing = 0.0) {
  const ops::Reduction r = detail::reduction(reduction);
  if (input.shape() != target.shape()) {
    // PyTorch reads such a target as class indices: its shape errors, else its dtype error
    (void)ops::nll_loss(input.detach(), Tensor<int64_t>(target.shape()), weight.defined() ? weight.detach() : weight,
                        r, ignore_index);
    eigentorch::detail::fail(
        {"expected scalar type Long but found ", std::is_same_v<T, float> ? "Float" : "Double"});
  }
  if (ignore_index >= 0) eigentorch::detail::fail({"ignore_index is not supported for floating point target"});
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const int64_t n_classes = input.dim() == 0 ? 1 : input.size(class_dim);
  if (weight.defined() && (weight.dim() != 1 || weight.numel() != n_classes))
    eigentorch::detail::fail({"cross_entropy: weight tensor should be defined either for all ", n_classes,
                              " classes or no classes but got weight tensor of shape: ", weight.shape().list_str()});
  const Tensor<T> logp = log_softmax(input, class_dim);
  Tensor<T> t = target;
  if (label_smoothing > 0.0) {
    if (label_smoothing > 1.0)
      eigentorch::detail::fail(
          {"label_smoothing must be between 0.0 and 1.0. Got: ", detail::number_str(label_smoothing)});
    t = target * (1 - label_smoothing) + label_smoothing / static_cast<double>(n_classes);
  }
  const Tensor<T> terms = weight.defined() ? logp * t * detail::along_class_dim(weight, logp.dim(), 1) : logp * t;
  if (r == ops::Reduction::None) return -terms.sum(class_dim);
  const Tensor<T> total = -terms.sum();
  if (r == ops::Reduction::Sum) return total;
  if (input.numel() == 0) return total * std::numeric_limits<T>::quiet_NaN();  // the mean of nothing
  return total / (input.numel() / n_classes);
}

/// -w (y log x + (1 - y) log(1 - x)) for probabilities x (F.binary_cross_entropy); each log clamped
/// at -100; weight broadcasts to the input.
template <class T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& weight = Tensor<T>(),
                               const std::string& reduction = "mean") {
  return ops::binary_cross_entropy(input, target, weight, detail::reduction(reduction));
}

/// binary_cross_entropy(sigmoid(input), target), computed stably from the logits
/// (F.binary_cross_entropy_with_logits); pos_weight weighs the positive term, per class (last dim).
template <class T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           const Tensor<T>& weight = Tensor<T>(), const std::string& reduction = "mean",
                                           const Tensor<T>& pos_weight = Tensor<T>()) {
  return ops::binary_cross_entropy_with_logits(input, target, weight, pos_weight, detail::reduction(reduction));
}

/// |input - target|, reduced (F.l1_loss), composed as PyTorch composes it; shapes must agree.
template <class T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean") {
  const ops::Reduction r = detail::reduction(reduction);
  ops::check_same_size(input, target);
  const Tensor<T> d = eigentorch::abs(input - target);
  return r == ops::Reduction::Mean ? d.mean() : r == ops::Reduction::Sum ? d.sum() : d;
}

/// Squared error below beta, absolute error above (F.smooth_l1_loss); beta = 0 is l1_loss.
template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean",
                         double beta = 1.0) {
  return ops::smooth_l1_loss(input, target, detail::reduction(reduction), beta);
}

/// Squared error below delta, delta times the absolute error above (F.huber_loss).
template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean",
                     double delta = 1.0) {
  return ops::huber_loss(input, target, detail::reduction(reduction), delta);
}

/// Kullback-Leibler divergence of target from input, input holding log-probabilities (F.kl_div):
/// target (log target - input), or with log_target e^target (target - input); reduction "mean"
/// (over every element, as PyTorch's), "batchmean" (the sum over the batch size), "sum" or "none".
template <class T>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, const std::string& reduction = "mean",
                 bool log_target = false) {
  const bool batchmean = reduction == "batchmean";
  const ops::Reduction r = batchmean ? ops::Reduction::Sum : detail::reduction(reduction);
  // xlogy(target, target) is 0 where target is 0
  const Tensor<T> out = log_target ? eigentorch::exp(target) * (target - input)
                                   : (target * eigentorch::log(target)).masked_fill(target == 0, 0.0) - target * input;
  if (r == ops::Reduction::None) return out;
  if (r == ops::Reduction::Mean) return out.mean();
  return batchmean && input.dim() != 0 ? out.sum() / input.size(0) : out.sum();
}

/// One-hot encoding (F.one_hot): labels [...] -> [..., num_classes], 1 at each label's class;
/// num_classes = -1 takes the largest label + 1.
inline Tensor<int64_t> one_hot(const Tensor<int64_t>& labels, int64_t num_classes = -1) {
  std::vector<int64_t> shape = labels.shape().vec();
  if (labels.numel() == 0) {
    if (num_classes <= 0) eigentorch::detail::fail({"Can not infer total number of classes from empty tensor."});
    shape.push_back(num_classes);
    return Tensor<int64_t>(Size(shape));
  }
  if (labels.min().item() < 0) eigentorch::detail::fail({"Class values must be non-negative."});
  const int64_t largest = labels.max().item();
  if (num_classes == -1)
    num_classes = largest + 1;
  else if (num_classes <= largest)
    eigentorch::detail::fail({"Class values must be smaller than num_classes."});
  return (labels.unsqueeze(-1) == eigentorch::arange<int64_t>(static_cast<double>(num_classes))).to<int64_t>();
}

}  // namespace eigentorch::nn::functional

// ---- layers that need ops: dropout, embedding, layer_norm, batch_norm ----------------------------
namespace eigentorch::nn::functional {

namespace detail {
/// PyTorch's _dropout_impl: the mask drawn with bernoulli_(1 - p) on a tensor of x's shape, or for
/// feature dropout of [N, C, 1, ...], divided by 1 - p, then x * mask (MulBackward0). p = 0,
/// evaluation and empty x return x itself; p = 1 gives x * 0 (nothing drawn).
template <class T>
Tensor<T> dropout_impl(const Tensor<T>& x, double p, bool training, bool inplace, bool feature) {
  if (!(p >= 0.0 && p <= 1.0))
    eigentorch::detail::fail<ValueError>({"dropout probability has to be between 0 and 1, but got ",
                                          eigentorch::detail::py_float(p)});
  if (p == 0.0 || !training || x.numel() == 0) return x;
  Tensor<T> mask;
  if (p == 1.0) {
    mask = zeros<T>(Size{});
  } else {
    Size shape = x.shape();
    if (feature) {
      if (x.dim() < 2) eigentorch::detail::fail({"Feature dropout requires at least 2 dimensions in the input"});
      for (std::size_t d = 2; d < shape.size(); ++d) shape[d] = 1;
    }
    mask = empty<T>(shape);
    mask.bernoulli_(1.0 - p);
    mask.div_(1.0 - p);
  }
  if (!inplace) return x * mask;
  Tensor<T> self = x;
  return self.mul_(mask);
}
}  // namespace detail

/// Zeroes each element with probability p and scales the rest by 1 / (1 - p), when training
/// (F.dropout). The mask is PyTorch's draw: bernoulli_(1 - p) on a tensor of x's shape, divided by
/// 1 - p, then x * mask (MulBackward0). p = 0, evaluation and empty x return x itself; p = 1 gives
/// x * 0. inplace multiplies x itself.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p = 0.5, bool training = true, bool inplace = false) {
  return detail::dropout_impl(x, p, training, inplace, false);
}

/// Rows of weight picked by indices of any shape: indices.shape() + [embedding_dim] (F.embedding).
/// The row padding_idx gets no gradient.
template <class T>
Tensor<T> embedding(const Tensor<int64_t>& input, const Tensor<T>& weight, std::optional<int64_t> padding_idx = {}) {
  return ops::embedding(input, weight, padding_idx);
}

/// Normalises over the last dims (normalized_shape), then weight * y + bias (F.layer_norm).
template <class T>
Tensor<T> layer_norm(const Tensor<T>& input, const Size& normalized_shape, const Tensor<T>& weight = Tensor<T>(),
                     const Tensor<T>& bias = Tensor<T>(), double eps = 1e-5) {
  return ops::layer_norm(input, normalized_shape, weight, bias, eps);
}

/// Normalises each channel (dim 1) with the batch's statistics when training (updating the running
/// ones, when given), else with running_mean and running_var (F.batch_norm).
template <class T>
Tensor<T> batch_norm(const Tensor<T>& input, const Tensor<T>& running_mean, const Tensor<T>& running_var,
                     const Tensor<T>& weight = Tensor<T>(), const Tensor<T>& bias = Tensor<T>(), bool training = false,
                     double momentum = 0.1, double eps = 1e-5) {
  if (training) {
    int64_t per_channel = 1;
    for (int64_t d = 0; d < input.dim(); ++d)
      if (d != 1) per_channel *= input.size(d);
    if (per_channel == 1)
      eigentorch::detail::fail<ValueError>({"Expected more than 1 value per channel when training, got input size Size(",
                                            input.shape().list_str(), ")"});
  }
  return ops::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
}

}  // namespace eigentorch::nn::functional

// ---- convolutional networks' layers: pooling, dropout2d ------------------------------------------
namespace eigentorch::nn::functional {

/// The maximum of each window of x's last two dims (F.max_pool2d): x [N, C, H, W] or [C, H, W];
/// sizes as an int or {h, w}; an omitted stride (`{}`, Python's None) is kernel_size.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, const ExpandingArray<2>& kernel_size, const ExpandingArray<2>& stride = {},
                     const ExpandingArray<2>& padding = 0, const ExpandingArray<2>& dilation = 1,
                     bool ceil_mode = false) {
  return ops::max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode);
}
/// max_pool2d and the indices of the maxima (F.max_pool2d(..., return_indices=True)).
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool2d_with_indices(const Tensor<T>& x, const ExpandingArray<2>& kernel_size,
                                                                const ExpandingArray<2>& stride = {},
                                                                const ExpandingArray<2>& padding = 0,
                                                                const ExpandingArray<2>& dilation = 1,
                                                                bool ceil_mode = false) {
  return ops::max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode);
}
/// The maximum of each window of x's last dim (F.max_pool1d): x [N, C, L] or [C, L].
template <class T>
Tensor<T> max_pool1d(const Tensor<T>& x, const ExpandingArray<1>& kernel_size, const ExpandingArray<1>& stride = {},
                     const ExpandingArray<1>& padding = 0, const ExpandingArray<1>& dilation = 1,
                     bool ceil_mode = false) {
  return ops::max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode);
}
/// max_pool1d and the indices of the maxima (F.max_pool1d(..., return_indices=True)).
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool1d_with_indices(const Tensor<T>& x, const ExpandingArray<1>& kernel_size,
                                                               const ExpandingArray<1>& stride = {},
                                                               const ExpandingArray<1>& padding = 0,
                                                               const ExpandingArray<1>& dilation = 1,
                                                               bool ceil_mode = false) {
  return ops::max_pool1d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode);
}
/// The mean of each window of x's last two dims (F.avg_pool2d).
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, const ExpandingArray<2>& kernel_size, const ExpandingArray<2>& stride = {},
                     const ExpandingArray<2>& padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt) {
  return ops::avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
}
/// The mean over each of output_size's windows of x's last two dims (F.adaptive_avg_pool2d).
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& x, const ExpandingArray<2>& output_size) {
  // Python's check of a tuple against the input's dims (_list_with_default)
  const auto listed = static_cast<int64_t>(output_size.size());
  if (!output_size.single() && x.dim() <= listed)
    eigentorch::detail::fail<ValueError>({"Input dimension should be at least ", listed + 1});
  return ops::adaptive_avg_pool2d(x, output_size);
}

/// Zeroes whole channels with probability p and scales the rest by 1 / (1 - p), when training
/// (F.dropout2d): PyTorch's feature_dropout, bernoulli_(1 - p) drawn on a tensor [N, C, 1, ...] (a
/// 3-D input is read as [N, C, L], as PyTorch 1.13 reads it), divided by 1 - p, then x * mask.
template <class T>
Tensor<T> dropout2d(const Tensor<T>& x, double p = 0.5, bool training = true, bool inplace = false) {
  return detail::dropout_impl(x, p, training, inplace, true);
}

}  // namespace eigentorch::nn::functional
