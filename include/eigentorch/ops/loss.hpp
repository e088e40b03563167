// Loss ops with their derivatives: the losses PyTorch computes as one op with its own node
// (mse_loss, nll_loss, binary_cross_entropy, binary_cross_entropy_with_logits, smooth_l1_loss,
// huber_loss): one result tensor and one graph node per loss, in PyTorch's formulas and rounding
// (mse's backward: norm * (input - target) * grad with norm = 2 / numel (mean) or 2). The losses PyTorch
// composes (cross_entropy, l1_loss, kl_div) are compositions in nn/functional.hpp.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "shape.hpp"  // view: nll_loss of [N, C, d1] and [N, C, d1, d2, d3, ...] inputs

#include <algorithm>  // max, min
#include <cmath>      // log, exp, log1p, abs
#include <cstdint>
#include <string>

namespace eigentorch {
namespace ops {

/// How a loss reduces its elementwise values: PyTorch's reduction="none" / "mean" / "sum".
enum class Reduction { None, Mean, Sum };

// d/d input = norm (input - target) grad,  d/d target = norm (target - input) grad
template <class T>
struct MseLossBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, target;
  Reduction reduction = Reduction::Mean;
  const char* name() const override { return "MseLossBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& x = input.get();
    const Tensor<T>& y = target.get();
    // NOTE: the factor is computed in double and rounded once to T, as PyTorch does.
    const T norm = static_cast<T>(reduction == Reduction::Mean ? 2.0 / static_cast<double>(x.numel()) : 2.0);
    const auto d = [norm](T a, T b, T gv) { return norm * (a - b) * gv; };  // g: one value unless "none"
    if (this->next[0]) out[0] = detail::zip(d, x, y, g);
    if (this->next[1]) out[1] = detail::zip(d, y, x, g);
  }
  void release() override {
    input.release();
    target.release();
  }
};

/// PyTorch's warning for a target of another size than the input, as an error: broadcasting them is
/// almost always a bug.
template <class T>
void check_same_size(const Tensor<T>& input, const Tensor<T>& target) {
  if (input.shape() != target.shape())
    detail::fail({"Using a target size (", target.shape().str(), ") that is different to the input size (",
                  input.shape().str(),
                  "). This will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size."});
}

/// The squared differences of input and target (same shape), reduced: PyTorch's mse_loss. The mean
/// and the sum add the squares in PyTorch's order.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
  check_same_size(input, target);
  const auto square = [](T a, T b) { return (a - b) * (a - b); };
  // NOTE: the mean of no elements is nan, as in PyTorch
  Tensor<T> out = reduction == Reduction::None
                      ? detail::zip(square, input, target)
                      : detail::reduce_all(
                            [square, mean = reduction == Reduction::Mean](int64_t n, const T* a, const T* b) {
                              const T sum = detail::sum_of<T>(n, [&](int64_t i) { return square(a[i], b[i]); });
                              return mean ? sum / static_cast<T>(n) : sum;
                            },
                            input, target);
  if (autograd::needs_grad(input, target)) {
    auto node = detail::make_pooled<MseLossBackward<T>>();
    node->input.save(input);
    node->target.save(target);
    node->reduction = reduction;
    autograd::connect(out, node, {&input, &target});
  }
  return out;
}


// ---- losses of one element pair (and a weight) each ---------------------------------------------
// Each rule gives the loss of one element, x the input, y the target, w its weight and p its
// pos_weight (1 where none was given: multiplying by it is exact), and the derivatives for the
// upstream gradient g, in PyTorch's order of float operations; `n` is the element count a mean
// divides by, `mean` whether it does.

// BCE: -w (y log x + (1 - y) log(1 - x)), each log clamped at -100.
// d/dx = g (x - y) / max((1 - x) x, 1e-12f) w,  d/dy = -logit(x) g w  (over n for a mean)
template <class T>
struct BinaryCrossEntropy {
  static constexpr const char* name = "BinaryCrossEntropyBackward0";
  T n = T(1);
  bool mean = false;
  T loss(T x, T y, T w, T) const {
    if (!(x >= T(0) && x <= T(1))) detail::fail({"all elements of input should be between 0 and 1"});
    return ((y - T(1)) * std::max(T(std::log(T(1) - x)), T(-100)) - y * std::max(T(std::log(x)), T(-100))) * w;
  }
  T d_input(T x, T y, T w, T, T g) const {
    const T d = g * (x - y) / std::max((T(1) - x) * x, T(1e-12f)) * w;  // (PyTorch's EPSILON: a float, also for double)
    return mean ? d / n : d;
  }
  T d_target(T x, T, T w, T, T g) const {
    const T d = -T(std::log(x / (T(1) - x))) * g * w;
    return mean ? d / n : d;
  }
};

// BCE of sigmoid(x), stably: (1 - y) x + l (log(e^-m + e^(-x-m)) + m), m = max(-x, 0), l = 1 + (p - 1) y
// (the pos_weight form; without one, (1 - y) x + m + log(...)), times w.
// d/dx = ((p y + 1 - y) sigmoid(x) - p y) g w,  d/dy = (logsigmoid(-x) - p logsigmoid(x)) g w
// (without pos_weight: (sigmoid(x) - y) g w and -x g w), over n for a mean
template <class T>
struct BinaryCrossEntropyWithLogits {
  static constexpr const char* name = "BinaryCrossEntropyWithLogitsBackward0";
  T n = T(1);
  bool mean = false;
  bool pos_weighted = false;
  static T log_sigmoid(T x) { return std::min(x, T(0)) - T(std::log1p(std::exp(-std::abs(x)))); }
  T loss(T x, T y, T w, T p) const {
    const T m = std::max(-x, T(0));
    const T log_sum = T(std::log(T(std::exp(-m)) + T(std::exp(-x - m))));
    if (pos_weighted) return ((T(1) - y) * x + ((p - T(1)) * y + T(1)) * (log_sum + m)) * w;
    return ((T(1) - y) * x + m + log_sum) * w;
  }
  T d_input(T x, T y, T w, T p, T g) const {
    const T s = T(1) / (T(1) + T(std::exp(-x)));
    T d;
    if (pos_weighted) {
      const T t = p * y;
      d = ((t + T(1) - y) * s - t) * g * w;
    } else {
      d = (s - y) * g * w;
    }
    return mean ? d / n : d;
  }
  T d_target(T x, T, T w, T p, T g) const {
    const T d = (pos_weighted ? (log_sigmoid(-x) - log_sigmoid(x) * p) * g : -x * g) * w;
    return mean ? d / n : d;
  }
};

// smooth L1: |x - y| < beta ? (x - y)^2 / 2 beta : |x - y| - beta / 2.
// d/dx = norm g ((x - y) / beta, or its sign where |x - y| >= beta), norm = 1 / n (mean) or 1; with
// beta = 0 it is l1_loss's derivative, sign(x - y) (g / n). d/dy: the same with x and y swapped.
template <class T>
struct SmoothL1 {
  static constexpr const char* name = "SmoothL1LossBackward0";
  T n = T(1);
  bool mean = false;
  T beta = T(1);
  T loss(T x, T y, T, T) const {
    const T z = std::abs(x - y);
    return z < beta ? T(0.5) * z * z / beta : z - T(0.5) * beta;
  }
  T d(T a, T b, T g) const {
    const T x = a - b;
    if (beta == T(0)) return T((x > T(0)) - (x < T(0))) * (mean ? g / n : g);
    const T norm = static_cast<T>(mean ? 1.0 / static_cast<double>(n) : 1.0);
    return norm * (std::abs(x) >= beta ? (x > T(0) ? T(1) : T(-1)) : x / beta) * g;
  }
  T d_input(T x, T y, T, T, T g) const { return d(x, y, g); }
  T d_target(T x, T y, T, T, T g) const { return d(y, x, g); }
};

// Huber: |x - y| < delta ? (x - y)^2 / 2 : delta (|x - y| - delta / 2).
// d/dx = norm g ((x - y), or delta times its sign where |x - y| >= delta); d/dy swapped.
template <class T>
struct Huber {
  static constexpr const char* name = "HuberLossBackward0";
  T n = T(1);
  bool mean = false;
  T delta = T(1);
  T loss(T x, T y, T, T) const {
    const T z = std::abs(x - y);
    return z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
  }
  T d(T a, T b, T g) const {
    const T x = a - b;
    const T norm = static_cast<T>(mean ? 1.0 / static_cast<double>(n) : 1.0);
    return norm * (std::abs(x) >= delta ? (x > T(0) ? T(1) : T(-1)) * delta : x) * g;
  }
  T d_input(T x, T y, T, T, T g) const { return d(x, y, g); }
  T d_target(T x, T y, T, T, T g) const { return d(y, x, g); }
};

// The node of a rule's loss: d_input and d_target of every element (g one value unless "none").
template <class T, class Rule>
struct ElementwiseLossBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, target;
  Tensor<T> weight, pos_weight;  // not differentiable (PyTorch refuses them requiring grad)
  Rule rule;
  const char* name() const override { return Rule::name; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& x = input.get();
    const Tensor<T>& y = target.get();
    const Rule r = rule;
    if (this->next[0])
      out[0] = detail::zip([r](T a, T b, T w, T p, T gv) { return r.d_input(a, b, w, p, gv); }, x, y, weight, pos_weight, g);
    if (this->next[1])
      out[1] = detail::zip([r](T a, T b, T w, T p, T gv) { return r.d_target(a, b, w, p, gv); }, x, y, weight, pos_weight, g);
  }
  void release() override {
    input.release();
    target.release();
    weight = Tensor<T>();
    pos_weight = Tensor<T>();
  }
};

/// A 0-d tensor holding v (an absent weight's stand-in: multiplying by 1 is exact).
template <class T>
Tensor<T> scalar_tensor(T v) {
  Tensor<T> t(Size{}, detail::uninitialized);
  detail::fill(t, v);
  return t;
}

/// PyTorch's refusal of a weight that requires grad, at the call (`fn`: PyTorch's function name).
template <class T>
void check_not_differentiable(const Tensor<T>& t, const char* fn, const char* arg) {
  if (t.defined() && t.requires_grad() && eigentorch::is_grad_enabled())
    detail::fail({"The function '", fn, "' is not differentiable with respect to argument '", arg,
                  "'. This input cannot have requires_grad True."});
}

/// A weight for the elements of `input`: w broadcast to input's shape, or a 0-d 1 when w is undefined.
/// PyTorch broadcasts shapes a and b (w's and another operand's, in its order) and then needs the
/// input's shape: its messages when they do not broadcast, or not to that.
template <class T>
Tensor<T> weight_for(const Tensor<T>& input, const Tensor<T>& w, const Size& a, const Size& b) {
  if (!w.defined()) return scalar_tensor(T(1));
  const Size shape = detail::broadcast_shapes(a, b);
  if (shape != input.shape())
    detail::fail({"output with shape ", input.shape().list_str(), " doesn't match the broadcast shape ", shape.list_str()});
  return w.shape() == input.shape() ? w.detach() : w.detach().expand(input.shape());
}

/// The loss of each element pair by `rule`, reduced; weight and pos_weight already made by weight_for.
template <class T, class Rule>
Tensor<T> elementwise_loss(Rule rule, const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& weight,
                           const Tensor<T>& pos_weight, Reduction reduction) {
  rule.n = static_cast<T>(input.numel());
  rule.mean = reduction == Reduction::Mean;
  Tensor<T> out;
  if (reduction == Reduction::None) {
    out = detail::zip([rule](T x, T y, T w, T p) { return rule.loss(x, y, w, p); }, input, target, weight, pos_weight);
  } else {
    const bool w_all = weight.numel() != 1, p_all = pos_weight.numel() != 1;  // else one value, read at 0
    out = detail::reduce_all(
        [rule, w_all, p_all](int64_t n, const T* x, const T* y, const T* w, const T* p) {
          const T sum = detail::sum_of<T>(n, [&](int64_t i) { return rule.loss(x[i], y[i], w[w_all ? i : 0], p[p_all ? i : 0]); });
          return rule.mean ? sum / static_cast<T>(n) : sum;  // NOTE: the mean of no elements is nan, as in PyTorch
        },
        input, target, weight, pos_weight);
  }
  if (autograd::needs_grad(input, target)) {
    auto node = detail::make_pooled<ElementwiseLossBackward<T, Rule>>();
    node->input.save(input);
    node->target.save(target);
    node->weight = weight;
    node->pos_weight = pos_weight;
    node->rule = rule;
    autograd::connect(out, node, {&input, &target});
  }
  return out;
}

/// -w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1], each log clamped at -100, reduced:
/// PyTorch's binary_cross_entropy; weight (may be undefined) broadcasts to the input's shape.
template <class T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& weight,
                               Reduction reduction) {
  if (input.shape() != target.shape())
    detail::fail<ValueError>({"Using a target size (", target.shape().str(), ") that is different to the input size (",
                              input.shape().str(), ") is deprecated. Please ensure they have the same size."});
  check_not_differentiable(weight, "binary_cross_entropy", "weight");
  const Tensor<T> w = weight.defined() ? weight_for(input, weight, target.shape(), weight.shape()) : scalar_tensor(T(1));
  return elementwise_loss(BinaryCrossEntropy<T>{}, input, target, w, scalar_tensor(T(1)), reduction);
}

/// binary_cross_entropy(sigmoid(input), target) computed stably from the logits, with an optional
/// weight per element and pos_weight (a weight of the positive term, broadcast along the last dims):
/// PyTorch's binary_cross_entropy_with_logits.
template <class T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target, const Tensor<T>& weight,
                                           const Tensor<T>& pos_weight, Reduction reduction) {
  if (input.shape() != target.shape())
    detail::fail<ValueError>({"Target size (", target.shape().str(), ") must be the same as input size (",
                              input.shape().str(), ")"});
  check_not_differentiable(weight, "binary_cross_entropy_with_logits", "weight");
  check_not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight");
  // PyTorch's order: (pos_weight - 1) * target (pos_weight first), then loss *= weight (the loss first)
  const Tensor<T> p = pos_weight.defined() ? weight_for(input, pos_weight, pos_weight.shape(), target.shape())
                                            : scalar_tensor(T(1));
  const Tensor<T> w = weight.defined() ? weight_for(input, weight, input.shape(), weight.shape()) : scalar_tensor(T(1));
  BinaryCrossEntropyWithLogits<T> rule;
  rule.pos_weighted = pos_weight.defined();
  return elementwise_loss(rule, input, target, w, p, reduction);
}

/// |x - y| < beta ? (x - y)^2 / (2 beta) : |x - y| - beta / 2, reduced: PyTorch's smooth_l1_loss.
template <class T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double beta) {
  check_same_size(input, target);
  if (beta < 0) detail::fail({"smooth_l1_loss does not support negative values for beta."});
  SmoothL1<T> rule;
  rule.beta = static_cast<T>(beta);
  const Tensor<T> one = scalar_tensor(T(1));
  return elementwise_loss(rule, input, target, one, one, reduction);
}

/// |x - y| < delta ? (x - y)^2 / 2 : delta (|x - y| - delta / 2), reduced: PyTorch's huber_loss.
template <class T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction, double delta) {
  check_same_size(input, target);
  if (!(delta > 0)) detail::fail({"huber_loss does not support non-positive values for delta."});
  Huber<T> rule;
  rule.delta = static_cast<T>(delta);
  const Tensor<T> one = scalar_tensor(T(1));
  return elementwise_loss(rule, input, target, one, one, reduction);
}

// ---- nll_loss ------------------------------------------------------------------------------------
// The input seen as [B, C, S]: B samples, C classes, S positions per sample (1 for [N, C] and [C]
// inputs, H W for [N, C, H, W]); the target holds B S class indices, element i = b S + s of it picking
// input[b, t[i], s].

/// ceil(log2(x)), 1 for x <= 2 (PyTorch's utils::CeilLog2, which sizes its cascade's levels).
inline int64_t ceil_log2(int64_t x) {
  if (x <= 2) return 1;
  int64_t bits = 0;
  for (uint64_t v = static_cast<uint64_t>(x - 1); v != 0; v >>= 1) ++bits;
  return bits;
}

/// The sum of -x[b, t[i], s] w[t[i]] (or, when `weights`, of w[t[i]]) over the targets that are not
/// ignore_index, in PyTorch's cascade order (partial sums of 2^4 terms, carried up 8 levels), each
/// target checked (IndexError). w is null when there is no weight; the weight sum is then the count.
template <class T>
T nll_cascade(int64_t B, int64_t C, int64_t S, const T* x, const int64_t* t, const T* w, int64_t ignore_index,
              bool weights) {
  constexpr int64_t levels = 8;
  const int64_t n = B * S;
  const int64_t power = std::max(int64_t(4), ceil_log2(n) / levels);
  const int64_t mask = (int64_t(1) << power) - 1;
  T partial[levels] = {};
  int64_t ignored = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = t[i];
    if (c == ignore_index) {
      ++ignored;
      continue;
    }
    if (c < 0 || c >= C) detail::fail<IndexError>({"Target ", c, " is out of bounds."});
    if (weights) {
      if (w) partial[0] += w[c];
    } else {
      const T v = x[((i / S) * C + c) * S + i % S];
      if (w)
        partial[0] -= v * w[c];
      else
        partial[0] -= v;
    }
    for (int64_t j = 0; j + 1 < levels; ++j) {
      if ((i & (mask << (j * power))) != 0) break;
      partial[j + 1] += partial[j];
      partial[j] = T(0);
    }
  }
  if (weights && !w) return static_cast<T>(n - ignored);
  T sum = T(0);
  for (int64_t j = 0; j < levels; ++j) sum += partial[j];
  return sum;
}

// d nll_loss: zeros but at each picked element, -w[t] g[i] (reduction none) or -w[t] g / total_weight
// (mean; sum: -w[t] g)
template <class T>
struct NllLossBackward final : autograd::Node<T> {
  Tensor<int64_t> target;
  Tensor<T> weight, total_weight;  // weight undefined: no weight (total_weight stands in as an argument)
  Size shape;
  int64_t C = 0, S = 1, ignore_index = -100;
  Reduction reduction = Reduction::Mean;
  bool per_element = false;  // reduction none on a batch: g has one value per target
  bool spatial = false;
  const char* name() const override { return spatial ? "NllLoss2DBackward0" : "NllLossBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const bool weighted = weight.defined();
    out[0] = detail::block_to(
        shape,
        [C = C, S = S, ii = ignore_index, mean = reduction == Reduction::Mean, per = per_element, weighted,
         numel = shape.numel()](T* o, const T* gv, const int64_t* t, const T* w, const T* tw) {
          std::fill(o, o + numel, T(0));
          const int64_t n = numel / C;
          const T grad = -(mean ? gv[0] / tw[0] : gv[0]);
          for (int64_t i = 0; i < n; ++i) {
            const int64_t c = t[i];
            if (c == ii) continue;
            T& at = o[((i / S) * C + c) * S + i % S];
            if (per)
              at = -(weighted ? w[c] : T(1)) * gv[i];
            else
              at = weighted ? w[c] * grad : grad;
          }
        },
        g, target, weighted ? weight : total_weight, total_weight);
  }
  void release() override {
    target = Tensor<int64_t>();
    weight = Tensor<T>();
    total_weight = Tensor<T>();
  }
};

/// nll_loss of an input seen as [B, C, S] (checked by the caller): the values (none: of `out_shape`)
/// and the node.
template <class T>
Tensor<T> nll_loss_bcs(const Tensor<T>& input, const Tensor<int64_t>& target, const Tensor<T>& weight,
                       Reduction reduction, int64_t ignore_index, int64_t B, int64_t C, int64_t S, const Size& out_shape,
                       bool spatial) {
  const bool weighted = weight.defined();
  const Tensor<T>& w = weighted ? weight : input;  // a stand-in argument, not read without a weight
  const bool per_element = reduction == Reduction::None && input.dim() != 1;
  Tensor<T> out, total_weight;
  if (per_element) {
    out = detail::block_to(
        out_shape,
        [B, C, S, ignore_index, weighted](T* o, const T* x, const int64_t* t, const T* w) {
          for (int64_t i = 0; i < B * S; ++i) {
            const int64_t c = t[i];
            if (c == ignore_index) {
              o[i] = T(0);
              continue;
            }
            if (c < 0 || c >= C) detail::fail<IndexError>({"Target ", c, " is out of bounds."});
            o[i] = -x[((i / S) * C + c) * S + i % S] * (weighted ? w[c] : T(1));
          }
        },
        input, target, w);
    total_weight = scalar_tensor(T(0));
  } else {
    total_weight = detail::reduce_all<T>(
        [B, C, S, ignore_index, weighted](int64_t, const int64_t* t, const T* w) {
          return nll_cascade<T>(B, C, S, nullptr, t, weighted ? w : nullptr, ignore_index, true);
        },
        target, w);
    out = detail::reduce_all(
        [B, C, S, ignore_index, weighted, mean = reduction == Reduction::Mean](int64_t, const T* x, const int64_t* t,
                                                                               const T* w, const T* tw) {
          const T sum = nll_cascade<T>(B, C, S, x, t, weighted ? w : nullptr, ignore_index, false);
          return mean ? sum / tw[0] : sum;  // NOTE: no targets, or all ignored: 0 / 0, nan, as in PyTorch
        },
        input, target, w, total_weight);
  }
  if (autograd::needs_grad(input)) {
    auto node = detail::make_pooled<NllLossBackward<T>>();
    node->target = target;
    if (weighted) node->weight = weight.detach();
    node->total_weight = total_weight;
    node->shape = input.shape();
    node->C = C;
    node->S = S;
    node->ignore_index = ignore_index;
    node->reduction = reduction;
    node->per_element = per_element;
    node->spatial = spatial;
    autograd::connect(out, node, {&input});
  }
  return out;
}

/// The negative log likelihood of the target classes: -input[b, target[b, ...], ...] weight[target],
/// reduced (a mean divides by the sum of the targets' weights), targets equal to ignore_index left
/// out: PyTorch's nll_loss for inputs [C], [N, C] and [N, C, d1, ...] (class dim 1) and int64 targets
/// [], [N] and [N, d1, ...]; weight (one per class) may be undefined.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& input, const Tensor<int64_t>& target, const Tensor<T>& weight,
                   Reduction reduction, int64_t ignore_index) {
  const int64_t d = input.dim();
  if (d < 1) detail::fail<ValueError>({"Expected 1 or more dimensions (got ", d, ")"});
  const int64_t target_batch = target.dim() == 0 ? 0 : target.size(0);  // (PyTorch reads a 0-d size as 0)
  if (d != 1 && input.size(0) != target_batch)
    detail::fail<ValueError>({"Expected input batch_size (", input.size(0), ") to match target batch_size (",
                              target_batch, ")."});
  const int64_t C = d == 1 ? input.size(0) : input.size(1);
  if (d <= 2) {
    if (target.dim() > 1) detail::fail({"0D or 1D target tensor expected, multi-target not supported"});
    if (!(d == 1 && target.dim() == 0) && (target.dim() == 0 || input.size(0) != target.size(0)))
      detail::fail({"size mismatch (got input: ", input.shape().list_str(), ", target: ", target.shape().list_str(), ")"});
    if (weight.defined() && (weight.dim() != 1 || weight.numel() != C))
      detail::fail({"weight tensor should be defined either for all ", C,
                    " classes or no classes but got weight tensor of shape: ", weight.shape().list_str()});
    check_not_differentiable(weight, "nll_loss_forward", "weight");
    const int64_t B = d == 1 ? 1 : input.size(0);
    const Size out_shape = reduction == Reduction::None && d == 2 ? Size{B} : Size{};
    return nll_loss_bcs(input, target, weight, reduction, ignore_index, B, C, 1, out_shape, false);
  }
  if (d == 4) {
    if (target.dim() != 3)
      detail::fail({"only batches of spatial targets supported (3D tensors) but got targets of dimension: ", target.dim()});
    if (weight.defined() && weight.numel() != C) detail::fail({"weight tensor should be defined either for all or no classes"});
    if (input.size(0) != target.size(0) || input.size(2) != target.size(1) || input.size(3) != target.size(2))
      detail::fail({"size mismatch (got input: ", input.shape().list_str(), " , target: ", target.shape().list_str()});
    check_not_differentiable(weight, "nll_loss2d_forward", "weight");
    const Size out_shape = reduction == Reduction::None ? Size{input.size(0), input.size(2), input.size(3)} : Size{};
    return nll_loss_bcs(input, target, weight, reduction, ignore_index, input.size(0), C, input.size(2) * input.size(3),
                        out_shape, true);
  }
  // [N, C, d1] or [N, C, d1, d2, d3, ...]: seen as [N, C, 1, d1 d2 ...], as PyTorch's nll_loss_nd does
  std::vector<int64_t> out_size{input.size(0)};
  for (int64_t i = 2; i < d; ++i) out_size.push_back(input.size(i));
  std::vector<int64_t> target_size;
  for (int64_t i = 1; i < target.dim(); ++i) target_size.push_back(target.size(i));
  if (target.dim() < 1 || target_size != std::vector<int64_t>(out_size.begin() + 1, out_size.end()))
    detail::fail({"Expected target size ", Size(out_size).list_str(), ", got ", target.shape().list_str()});
  const int64_t N = input.size(0);
  const bool empty = input.numel() == 0;
  const Tensor<T> input4 = input.view(empty ? Size{N, C, 0, 0} : Size{N, C, 1, -1});
  const Tensor<int64_t> target3 = target.reshape(target.numel() == 0 ? Size{N, 0, 0} : Size{N, 1, -1});
  Tensor<T> out = nll_loss(input4, target3, weight, reduction, ignore_index);
  return reduction == Reduction::None ? out.view(Size(out_size)) : out;
}

}  // namespace ops
}  // namespace eigentorch
