// Factories: tensor({...}) from nested lists, zeros / ones / full / empty, arange / linspace, rand /
// randn (PyTorch's generator) and their *_like forms, randint / randperm / bernoulli / normal /
// multinomial, from_vector and from_eigen. Each makes float unless asked for another type:
// et::zeros<double>({2, 3}).
#pragma once

#include "../ops/inplace.hpp"
#include "random.hpp"
#include "tensor.hpp"

#include <algorithm>  // any_of
#include <cmath>      // ceil
#include <initializer_list>
#include <vector>

namespace eigentorch {
namespace detail {

/// One number of a literal list, of any arithmetic type (so {1, 2.5} is a valid list).
/// (An integer keeps its exact value too, for integer tensors: 2^53 + 1 is not a double.)
struct Number {
  double value;
  int64_t integer = 0;
  bool is_integer = false;
  template <class U, if_arithmetic<U> = 0>
  Number(U v)  // NOLINT: implicit on purpose
      : value(static_cast<double>(v)), integer(std::is_integral_v<U> ? static_cast<int64_t>(v) : 0),
        is_integer(std::is_integral_v<U>) {}
  template <class T>
  T as() const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      if (is_integer) return static_cast<T>(integer);
    return convert<T>(value);
  }
};

template <class T>
Tensor<T> from_flat(const std::vector<Number>& flat, Size shape) {
  Tensor<T> out(shape);
  for (std::size_t i = 0; i < flat.size(); ++i) out.data()[i] = flat[i].template as<T>();
  return out;
}

/// Flattens a nested list, checking every row at a depth has the first row's length.
template <class L>
void flatten_list(const L& list, std::size_t depth, std::vector<int64_t>& shape, std::vector<Number>& flat) {
  const int64_t len = static_cast<int64_t>(list.size());
  if (shape.size() <= depth) shape.push_back(len);
  else if (shape[depth] != len)
    fail<ValueError>({"expected sequence of length ", shape[depth], " at dim ", depth, " (got ", len, ")"});
  for (const auto& item : list) {
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, Number>)
      flat.push_back(item);
    else
      flatten_list(item, depth + 1, shape, flat);
  }
}

template <class T, class L>
Tensor<T> tensor_from_list(const L& list) {
  std::vector<int64_t> shape;
  std::vector<Number> flat;
  flatten_list(list, 0, shape, flat);
  return from_flat<T>(flat, Size(shape));
}

}  // namespace detail

template <class T = float>
using List1 = std::initializer_list<detail::Number>;
template <class T = float>
using List2 = std::initializer_list<List1<T>>;
template <class T = float>
using List3 = std::initializer_list<List2<T>>;

// NOTE: each depth has two overloads. The one over a deduced element type U takes lists of one
// number type ({1, 2}, {{1}, {2}}), and wins there since it needs no conversion; the one over Number
// takes mixed lists ({1, 2.5}). Without the first, {{1}, {2}} would be ambiguous between a list of
// numbers (each {1} read as one Number) and a list of rows.
template <class T = float, class U, detail::if_arithmetic<U> = 0>
Tensor<T> tensor(std::initializer_list<U> values) {
  std::vector<detail::Number> row(values.begin(), values.end());
  return detail::tensor_from_list<T>(row);
}
template <class T = float, class U, detail::if_arithmetic<U> = 0>
Tensor<T> tensor(std::initializer_list<std::initializer_list<U>> rows) {
  std::vector<std::vector<detail::Number>> m;
  for (const auto& r : rows) m.emplace_back(r.begin(), r.end());
  return detail::tensor_from_list<T>(m);
}
template <class T = float, class U, detail::if_arithmetic<U> = 0>
Tensor<T> tensor(std::initializer_list<std::initializer_list<std::initializer_list<U>>> planes) {
  std::vector<std::vector<std::vector<detail::Number>>> c;
  for (const auto& p : planes) {
    c.emplace_back();
    for (const auto& r : p) c.back().emplace_back(r.begin(), r.end());
  }
  return detail::tensor_from_list<T>(c);
}
/// A 1-D tensor from a list of numbers: et::tensor({0.5, 14.0}), et::tensor<double>({1, 2}).
template <class T = float>
Tensor<T> tensor(List1<T> values) { return detail::tensor_from_list<T>(values); }
/// A 2-D tensor from rows: et::tensor({{1, 2}, {3, 4}}); rows of unequal length throw.
template <class T = float>
Tensor<T> tensor(List2<T> rows) { return detail::tensor_from_list<T>(rows); }
/// A 3-D tensor from nested lists.
template <class T = float>
Tensor<T> tensor(std::initializer_list<List2<T>> planes) { return detail::tensor_from_list<T>(planes); }
/// A 0-d tensor holding one number: et::tensor(3.5).
template <class T = float, class U, detail::if_arithmetic<U> = 0>
Tensor<T> tensor(U value) {
  Tensor<T> out(Size{}, detail::uninitialized);
  detail::kernel([](const Tensor<T>& out, T v) { out.data()[0] = v; }, out, detail::convert<T>(value));
  return out;
}

template <class T = float>
Tensor<T> empty(const Size& shape) { return Tensor<T>(shape); }
template <class T = float>
Tensor<T> zeros(const Size& shape) { return Tensor<T>(shape); }
template <class T = float, class U = double>
Tensor<T> full(const Size& shape, U value) {
  Tensor<T> out(shape, detail::uninitialized);
  detail::kernel([](const Tensor<T>& out, T v) { std::fill(out.data(), out.data() + out.numel(), v); }, out,
                 detail::convert<T>(value));
  return out;
}
template <class T = float>
Tensor<T> ones(const Size& shape) { return full<T>(shape, 1); }

/// Numbers from U[0, 1), exactly as torch.rand draws them after the same manual_seed.
template <class T = float>
Tensor<T> rand(const Size& shape) {
  Tensor<T> out(shape);
  detail::fill_uniform<T>(out.data(), out.numel(), 0.0, 1.0);
  return out;
}
/// Numbers from N(0, 1), as torch.randn draws them after the same manual_seed.
template <class T = float>
Tensor<T> randn(const Size& shape) {
  Tensor<T> out(shape);
  detail::fill_normal<T>(out.data(), out.numel(), 0.0, 1.0);
  return out;
}

/// Integers uniform in [low, high), as torch.randint(low, high, shape) draws them.
inline Tensor<int64_t> randint(int64_t low, int64_t high, const Size& shape) {
  Tensor<int64_t> out(shape);
  detail::fill_randint(out.data(), out.numel(), low, high);
  return out;
}
/// Integers uniform in [0, high), as torch.randint(high, shape).
inline Tensor<int64_t> randint(int64_t high, const Size& shape) { return randint(0, high, shape); }

/// A random permutation of 0 .. n-1, as torch.randperm(n) draws it.
inline Tensor<int64_t> randperm(int64_t n) {
  Tensor<int64_t> out(Size{n});
  detail::fill_randperm(out.data(), n);
  return out;
}

namespace ops {
/// The node of a draw from tensors of parameters (bernoulli(p), normal(mean, std)): as in PyTorch,
/// each parameter gets a zero gradient of its own shape.
template <class T>
struct DrawBackward final : autograd::Node<T> {
  const char* name_;
  Size shapes[2];
  explicit DrawBackward(const char* n) : name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>&, std::vector<Tensor<T>>& out) override {
    for (std::size_t i = 0; i < this->next.size(); ++i)
      if (this->next[i]) out[i] = Tensor<T>(shapes[i]);
  }
};
}  // namespace ops

namespace detail {
/// Connects `out` to the parameters it was drawn from through a DrawBackward named `name`.
template <class T, class... Params>
void draw_history(const Tensor<T>& out, const char* name, const Params&... params) {
  if (!autograd::needs_grad(params...)) return;
  auto node = make_pooled<ops::DrawBackward<T>>(name);
  std::size_t i = 0;
  ((node->shapes[i++] = params.shape()), ...);
  autograd::connect(out, node, {&params...});
}

/// PyTorch's check of a tensor of standard deviations (NaN fails too, as std.min() >= 0 does).
template <class T>
void check_std(const Tensor<T>& std) {
  const T* s = std.data();
  if (std::any_of(s, s + std.numel(), [](T x) { return !(x >= 0); }))
    fail({"normal expects all elements of std >= 0.0"});
}
}  // namespace detail

/// 0 or 1 per element, 1 with probability p[i], as torch.bernoulli(p) draws them.
template <class T>
Tensor<T> bernoulli(const Tensor<T>& p) {
  static_assert(std::is_floating_point_v<T>, "bernoulli: p must be a float or double tensor");
  Tensor<T> out(p.shape());
  detail::fill_bernoulli(out.data(), out.numel(), p.data(), 1);
  detail::draw_history(out, "BernoulliBackward0", p);
  return out;
}

/// Numbers from N(mean, std), as torch.normal(mean, std, shape) draws them.
template <class T = float>
Tensor<T> normal(double mean, double std, const Size& shape) {
  Tensor<T> out(shape);
  out.normal_(mean, std);
  return out;
}
/// torch.normal(mean, std) with a tensor of means: normal_(0, std), then + mean.
template <class T>
Tensor<T> normal(const Tensor<T>& mean, double std) {
  Tensor<T> out(mean.shape());
  {
    NoGradGuard no_grad;
    out.normal_(0.0, std).add_(mean);
  }
  detail::draw_history(out, "NormalBackward1", mean);
  return out;
}
/// torch.normal(mean, std) with a tensor of standard deviations: normal_(0, 1), then * std + mean.
template <class T>
Tensor<T> normal(double mean, const Tensor<T>& std) {
  detail::check_std(std);
  Tensor<T> out(std.shape());
  {
    NoGradGuard no_grad;
    out.normal_(0.0, 1.0).mul_(std).add_(mean);
  }
  detail::draw_history(out, "NormalBackward2", std);
  return out;
}
/// torch.normal(mean, std) with tensors of both, broadcast together: normal_(0, 1), * std, + mean.
template <class T>
Tensor<T> normal(const Tensor<T>& mean, const Tensor<T>& std) {
  detail::check_std(std);
  Tensor<T> out(detail::broadcast_shapes(mean.shape(), std.shape()));
  {
    NoGradGuard no_grad;
    out.normal_(0.0, 1.0).mul_(std).add_(mean);
  }
  detail::draw_history(out, "NormalBackward3", mean, std);
  return out;
}

/// num_samples indices per row of a 1-D or 2-D table of (unnormalised) probabilities, with or
/// without replacement, as torch.multinomial draws them: [num_samples] or [rows, num_samples].
template <class T>
Tensor<int64_t> multinomial(const Tensor<T>& probs, int64_t num_samples, bool replacement = false) {
  static_assert(std::is_floating_point_v<T>, "multinomial only supports floating-point dtypes for input");
  if (probs.dim() < 1 || probs.dim() > 2) detail::fail({"prob_dist must be 1 or 2 dim"});
  if (num_samples <= 0) detail::fail({"cannot sample n_sample <= 0 samples"});
  const int64_t categories = probs.size(-1);
  if (!replacement && num_samples > categories)
    detail::fail({"cannot sample n_sample > prob_dist.size(-1) samples without replacement"});
  if (categories > (int64_t{1} << 24)) detail::fail({"number of categories cannot exceed 2^24"});
  const int64_t rows = probs.dim() == 2 ? probs.size(0) : 1;
  Tensor<int64_t> out(probs.dim() == 2 ? Size{rows, num_samples} : Size{num_samples});
  if (out.numel() > 0) detail::fill_multinomial(out.data(), probs.data(), rows, categories, num_samples, replacement);
  return out;
}

template <class T> Tensor<T> zeros_like(const Tensor<T>& t) { return zeros<T>(t.shape()); }
template <class T> Tensor<T> empty_like(const Tensor<T>& t) { return empty<T>(t.shape()); }
template <class T> Tensor<T> ones_like(const Tensor<T>& t) { return ones<T>(t.shape()); }
template <class T, class U> Tensor<T> full_like(const Tensor<T>& t, U v) { return full<T>(t.shape(), v); }
template <class T> Tensor<T> rand_like(const Tensor<T>& t) { return rand<T>(t.shape()); }
template <class T> Tensor<T> randn_like(const Tensor<T>& t) { return randn<T>(t.shape()); }

/// start, start + step, ... below end (torch.arange); float unless asked.
template <class T = float>
Tensor<T> arange(double start, double end, double step = 1.0) {
  if (step == 0.0) detail::fail({"step must be nonzero"});
  if ((step > 0 && start > end) || (step < 0 && start < end))
    detail::fail({"upper bound and larger bound inconsistent with step sign"});
  const auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  Tensor<T> out(Size{n});
  // NOTE: PyTorch's AVX2 kernel rounds this way: in blocks of two vectors (16 floats, 8 doubles),
  // each vector starts from base = T(start + step * i) and adds k * step to it (fused, in double);
  // the tail takes start + step * i directly.
  constexpr int64_t W = 32 / static_cast<int64_t>(sizeof(T));
  const int64_t vectorized = n / (2 * W) * (2 * W);
  T* o = out.data();
  for (int64_t i = 0; i < n; ++i) {
    if (i < vectorized) {
      const int64_t i0 = i - i % W;
      const double base = static_cast<T>(std::fma(step, static_cast<double>(i0), start));
      o[i] = static_cast<T>(std::fma(static_cast<double>(i - i0), step, base));
    } else {
      o[i] = static_cast<T>(std::fma(step, static_cast<double>(i), start));
    }
  }
  return out;
}
template <class T = float>
Tensor<T> arange(double end) { return arange<T>(0.0, end, 1.0); }

/// `steps` evenly spaced numbers from start to end inclusive (torch.linspace).
template <class T = float>
Tensor<T> linspace(double start, double end, int64_t steps) {
  if (steps < 0) detail::fail({"number of steps must be non-negative"});
  Tensor<T> out(Size{steps});
  if (steps == 0) return out;
  T* o = out.data();
  const T a = static_cast<T>(start), b = static_cast<T>(end);
  if (steps == 1) {
    o[0] = a;
    return out;
  }
  // NOTE: as PyTorch's AVX2 kernel rounds, all in T: the first half counts up from start, the second
  // down from end (so both ends are exact), vectors of W values from one base each, the tail alone.
  const T step = (b - a) / static_cast<T>(steps - 1);
  const int64_t halfway = steps / 2;
  constexpr int64_t W = 32 / static_cast<int64_t>(sizeof(T));
  const int64_t vectorized = steps / (2 * W) * (2 * W);
  auto value_at = [&](int64_t i) {
    return i < halfway ? std::fma(step, static_cast<T>(i), a) : std::fma(-step, static_cast<T>(steps - i - 1), b);
  };
  for (int64_t i = 0; i < steps; ++i) {
    if (i < vectorized) {
      const int64_t i0 = i - i % W;
      o[i] = std::fma(static_cast<T>(i - i0), step, value_at(i0));
    } else {
      o[i] = value_at(i);
    }
  }
  return out;
}

/// A tensor holding a copy of `values`, with the given shape (its numel must match).
template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Size& shape) {
  if (shape.numel() != static_cast<int64_t>(values.size()))
    detail::fail({"shape '", shape.list_str(), "' is invalid for input of size ", values.size()});
  Tensor<T> out(shape);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}
/// A 1-D tensor holding a copy of `values`.
template <class T>
Tensor<T> from_vector(const std::vector<T>& values) {
  return from_vector(values, Size{static_cast<int64_t>(values.size())});
}

/// A 2-D tensor [rows, cols] holding a copy of an Eigen matrix or expression (of float or double).
template <class Derived>
Tensor<typename Derived::Scalar> from_eigen(const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  Tensor<T> out(Size{static_cast<int64_t>(m.rows()), static_cast<int64_t>(m.cols())});
  out.eigen() = m.derived().template cast<T>();
  return out;
}

}  // namespace eigentorch
