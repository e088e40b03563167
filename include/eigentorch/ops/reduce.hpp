// Reductions, over everything or along one dim, with their derivatives: sum and mean (the gradient
// is spread back over the reduced elements); max, min, prod, var, std, logsumexp, norm and cumsum,
// each in PyTorch's order of float operations.
#pragma once

#include "../autograd/node.hpp"
#include "arithmetic.hpp"
#include "kernels.hpp"
#include "pointwise.hpp"
#include "../backend/sum_order.hpp"

#include <algorithm>  // find, max
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>  // is_same_v
#include <vector>

namespace eigentorch {
namespace ops {

// d sum(x)/dx = 1 everywhere; d mean(x)/dx = 1/n everywhere
template <class T>
struct ReduceBackward final : autograd::Node<T> {
  Size input_shape, kept_shape;  // kept_shape: the output with reduced dims as size 1
  T count = T(1);                // the mean divides by the number of reduced elements
  bool is_mean = false;
  const char* name_ = "SumBackward0";
  autograd::SavedTensor<T> result;  // MeanBackward1 keeps its output (PyTorch reads result.numel())
  const char* name() const override { return name_; }
  void release() override { result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (result.was_saved()) (void)result.get();  // a second backward fails, as in PyTorch
    // g seen with the reduced dims as size 1, broadcast over the input's shape
    const Tensor<T> kept = g.numel() == 1 || g.shape() == kept_shape ? g : detail::alias(g, kept_shape);
    out[0] = is_mean ? detail::map_to(input_shape, [n = count](T v) { return v / n; }, kept)
                     : detail::map_to(input_shape, [](T v) { return v * T(1); }, kept);
  }
};

template <class T>
Tensor<T> reduce_all(const Tensor<T>& x, bool mean) {
  // NOTE: the mean of no elements is nan, as in PyTorch
  Tensor<T> out = mean ? detail::reduce_all([](int64_t n, const T* v) { return detail::sum_contiguous(v, n) / static_cast<T>(n); }, x)
                       : detail::reduce_all(detail::SumAll{}, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = x.shape();  // every dim reduced: all ones (no allocation up to Size::kInline dims)
    for (std::size_t i = 0; i < node->kept_shape.size(); ++i) node->kept_shape[i] = 1;
    node->count = static_cast<T>(x.numel());
    node->is_mean = mean;
    node->name_ = mean ? "MeanBackward0" : "SumBackward0";
    autograd::connect(out, node, {&x});
  }
  return out;
}

template <class T>
Tensor<T> reduce_dim(const Tensor<T>& x, int64_t dim, bool keepdim, bool mean) {
  const int64_t d = detail::wrap_dim(dim, x.dim());
  if (x.dim() == 0) {  // a 0-d tensor has one element; the node keeps the per-dim name
    Tensor<T> out = reduce_all(x, mean);
    if (out.grad_fn()) out.grad_fn()->set_display_name(mean ? "MeanBackward1" : "SumBackward1");
    return out;
  }
  Tensor<T> out = detail::sum_along(x, d, keepdim, mean);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ReduceBackward<T>>();
    node->input_shape = x.shape();
    node->kept_shape = x.shape();
    node->kept_shape[static_cast<std::size_t>(d)] = 1;
    node->count = static_cast<T>(x.shape()[static_cast<std::size_t>(d)]);
    node->is_mean = mean;
    node->name_ = mean ? "MeanBackward1" : "SumBackward1";
    if (mean) node->result.save(out, "MeanBackward1");
    autograd::connect(out, node, {&x});
  }
  return out;
}

}  // namespace ops

namespace detail {

/// The sum of n integers or bools as int64 (two's complement wrap-around, as PyTorch's). Bools are
/// summed in blocks into 32 bits first: a loop the compiler vectorises.
template <class T>
int64_t integer_sum(const T* p, int64_t n) {
  uint64_t sum = 0;
  if constexpr (std::is_same_v<T, bool>) {
    for (int64_t start = 0; start < n; start += 65536) {
      uint32_t block = 0;
      for (int64_t i = start, end = std::min(n, start + 65536); i < end; ++i) block += p[i];
      sum += block;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) sum += static_cast<uint64_t>(p[i]);
  }
  return static_cast<int64_t>(sum);
}

}  // namespace detail

/// The sum of the elements (of an integer or bool tensor: an int64 one, as in PyTorch).
template <class T>
Tensor<detail::sum_t<T>> sum(const Tensor<T>& x) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::reduce_all(x, false);
  else
    return detail::reduce_all<int64_t>([](int64_t n, const T* p) { return detail::integer_sum(p, n); }, x);
}
template <class T>
Tensor<detail::sum_t<T>> sum(const Tensor<T>& x, int64_t d, bool keepdim = false) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::reduce_dim(x, d, keepdim, false);
  else if (x.dim() == 0)
    return (void)detail::wrap_dim(d, 0), x.template to<int64_t>();
  else
    return detail::reduce_lanes<int64_t>(detail::wrap_dim(d, x.dim()), keepdim, [](const auto& lane) {
      uint64_t s = 0;  // wrapping around as PyTorch's int64 sums do
      for (int64_t k = 0; k < lane.size(); ++k) s += static_cast<uint64_t>(static_cast<int64_t>(lane[k]));
      return static_cast<int64_t>(s);
    }, x);
}
template <class T> Tensor<T> mean(const Tensor<T>& x) { return ops::reduce_all(x, true); }
template <class T> Tensor<T> mean(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::reduce_dim(x, d, keepdim, true); }

// ---- max, min, prod, var, std, logsumexp, norm, cumsum ----------------------------------------------

namespace ops {

/// shape with dim d (wrapped) kept as size 1, or removed (a 0-d shape stays 0-d).
inline Size reduced_shape(const Size& shape, int64_t d, bool keepdim) {
  if (shape.empty()) return shape;
  std::vector<int64_t> v = shape.vec();
  if (keepdim)
    v[static_cast<std::size_t>(d)] = 1;
  else
    v.erase(v.begin() + d);
  return Size(v);
}

/// t (a reduction's output or gradient) seen with the reduced dims as size 1.
template <class T>
Tensor<T> as_kept(const Tensor<T>& t, const Size& kept) {
  return t.shape() == kept ? t : detail::alias(t, kept);
}

/// x reduced along dim d (wrapped) by f(lane) for every lane; `empty` where the dim has no elements.
template <class T, class F>
Tensor<T> reduce_lanes(const Tensor<T>& x, int64_t d, bool keepdim, T empty, F f) {
  if (x.dim() > 0 && x.size(d) == 0) {
    Tensor<T> out(reduced_shape(x.shape(), d, keepdim), detail::uninitialized);
    detail::fill(out, empty);
    return out;
  }
  if (x.dim() == 0) return detail::alias(detail::reduce_lanes<T>(0, true, f, detail::alias(x, Size{1})), Size{});
  return detail::reduce_lanes<T>(d, keepdim, f, x);
}

template <class T>
T sign_of(T x) { return std::isnan(x) ? x : T((x > 0) - (x < 0)); }

/// A 0-d tensor: how many elements of x hit(x[i], r) says equal the 0-d result r, as a T.
template <class T, class Hit>
Tensor<T> count_hits(const Tensor<T>& x, const Tensor<T>& r, Hit hit) {
  return detail::reduce_all(
      [hit](int64_t n, const T* v, const T* r) {
        int64_t c = 0;
        for (int64_t i = 0; i < n; ++i) c += hit(v[i], r[0]);
        return static_cast<T>(c);
      },
      x, r);
}

/// x equals the maximum (minimum) r, or both are nan: the elements max() (min()) shares its gradient by.
struct IsExtremum {
  template <class T>
  bool operator()(T x, T r) const { return x == r || (std::isnan(x) && std::isnan(r)); }
};

// d max(x)/dx = 1/k at each of the k elements equal to the maximum (all nans if it is nan), else 0:
// PyTorch's evenly_distribute_backward; likewise min.
template <class T>
struct ExtremeValueBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, result;
  bool is_max = true;
  const char* name() const override { return is_max ? "MaxBackward1" : "MinBackward1"; }
  void release() override { x.release(); result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& xs = x.get();
    const Tensor<T>& r = result.get();
    out[0] = detail::map_to(
        xs.shape(), [](T g, T x, T r, T k) { return IsExtremum{}(x, r) ? g / k : T(0); }, g, xs, r,
        count_hits(xs, r, IsExtremum{}));
  }
};

template <class T>
Tensor<T> extreme_value(const Tensor<T>& x, bool is_max) {
  if (x.numel() == 0)
    detail::fail({is_max ? "max" : "min", "(): Expected reduction dim to be specified for input.numel() == 0. "
                                          "Specify the reduction dim with the 'dim' argument."});
  Tensor<T> out = detail::reduce_all(
      [is_max](int64_t n, const T* v) {
        T r = v[0];
        for (int64_t i = 0; i < n && !std::isnan(r); ++i) r = std::isnan(v[i]) || (is_max ? v[i] > r : v[i] < r) ? v[i] : r;
        return r;
      },
      x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ExtremeValueBackward<T>>();
    node->x.save(x);
    node->result.save(out, is_max ? "MaxBackward1" : "MinBackward1");
    node->is_max = is_max;
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// The product of n values at(i) in PyTorch's order (binary_kernel_reduce_vec): contiguous values
/// from 4 vectors' width on multiply lane-wise in 4 vector accumulators, folded (a0 a1)(a2 a3), then
/// lane by lane; the rest, and strided values, one after the other.
template <class T, class At>
T product_of(int64_t n, bool contiguous, At at) {
  constexpr int64_t W = detail::kVecLanes<T>, B = 4 * W;
  T out = T(1);
  int64_t i = 0;
  if (contiguous && n >= B) {
    std::array<T, B> acc;
    for (int64_t k = 0; k < B; ++k) acc[k] = at(k);
    for (i = B; i + B <= n; i += B)
      for (int64_t k = 0; k < B; ++k) acc[k] *= at(i + k);
    T folded = T(1);
    for (int64_t k = 0; k < W; ++k) {
      const T lane = (acc[k] * acc[W + k]) * (acc[2 * W + k] * acc[3 * W + k]);
      folded = k == 0 ? lane : folded * lane;
    }
    out *= folded;
  }
  for (; i < n; ++i) out *= at(i);
  return out;
}

// d prod(x)/dx_i = prod(x) / x_i when no x_j is 0 anywhere; otherwise the product of the others, as
// the exclusive cumulative products from both ends (PyTorch's prod_safe_zeros_backward, cumprod
// accumulating in double), and 0 everywhere for the whole product of two zeros or more (no grad mode).
template <class T>
struct ProdBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, result;
  int64_t dim = -1;  // -1: the whole tensor (a 0-d x too)
  Size kept;         // the output with the reduced dim as size 1 (0-d for the whole tensor)
  const char* name_ = "ProdBackward0";
  const char* name() const override { return name_; }
  void release() override { x.release(); result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& xs = x.get();
    if (xs.dim() == 0) {  // PyTorch passes the gradient through
      out[0] = detail::map(detail::Identity{}, g);
      return;
    }
    const bool all = dim < 0;
    const Tensor<T> lanes_of = all ? detail::alias(xs, Size{xs.numel()}) : xs;
    Tensor<T> others(lanes_of.shape(), detail::uninitialized);
    detail::lanes(
        all ? 0 : dim,
        [](detail::Lane<T> o, detail::Lane<const T> x) {
          double p = 1;
          for (int64_t k = 0; k < x.size(); ++k) o[k] = static_cast<T>(p), p *= x[k];
          p = 1;
          for (int64_t k = x.size(); k-- > 0;) o[k] = o[k] * static_cast<T>(p), p *= x[k];
        },
        others, lanes_of);
    const Tensor<T> zeros = detail::reduce_all(
        [](int64_t n, const T* v) { return static_cast<T>(std::count(v, v + n, T(0))); }, xs);
    out[0] = detail::map_to(
        xs.shape(),
        [all](T g, T x, T r, T others, T zeros) {
          return zeros == T(0) ? g * (r / x) : all && zeros > T(1) ? T(0) : g * others;
        },
        as_kept(g, kept), xs, as_kept(result.get(), kept), detail::alias(others, xs.shape()), zeros);
  }
};

template <class T>
Tensor<T> prod(const Tensor<T>& x, int64_t dim, bool keepdim, bool all) {
  const int64_t d = all ? 0 : detail::wrap_dim(dim, x.dim());
  Tensor<T> out =
      all ? detail::reduce_all([](int64_t n, const T* v) { return product_of<T>(n, true, [v](int64_t i) { return v[i]; }); }, x)
          : reduce_lanes(x, d, keepdim, T(1), [](detail::Lane<const T> in) {
              return product_of<T>(in.size(), in.stride == 1, [in](int64_t i) { return in[i]; });
            });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ProdBackward<T>>();
    node->x.save(x);
    node->result.save(out, all ? "ProdBackward0" : "ProdBackward1");
    node->dim = all || x.dim() == 0 ? -1 : d;
    node->kept = all ? Size{} : reduced_shape(x.shape(), d, true);
    node->name_ = all ? "ProdBackward0" : "ProdBackward1";
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// The variance (take_sqrt: standard deviation) of n contiguous values, as PyTorch's std_var_all_cpu
/// for a single output: their float mean, then the squared deviations summed in double.
struct VarAll {
  int64_t correction;
  bool take_sqrt;
  template <class T>
  T operator()(int64_t n, const T* v) const {
    const auto mean = static_cast<double>(detail::sum_contiguous(v, n) / static_cast<T>(n));
    double s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double dx = static_cast<double>(v[i]) - mean;
      s += dx * dx;
    }
    const double var = s / static_cast<double>(std::max<int64_t>(0, n - correction));
    return static_cast<T>(take_sqrt ? std::sqrt(var) : var);
  }
};

/// The same along a dim with more than one output: Welford's algorithm in double (PyTorch's WelfordOps).
// NOTE: VarAll's squared deviations are not fused (ATen's ReduceOps.cpp is built for no particular
// CPU), WelfordOps's are (cpu/ kernels are built for AVX2 with FMA): both checked against PyTorch.
struct VarLane {
  int64_t correction;
  bool take_sqrt;
  template <class T>
  T operator()(detail::Lane<const T> x) const {
    double mean = 0, m2 = 0;
    for (int64_t k = 0; k < x.size(); ++k) {
      const double delta = static_cast<double>(x[k]) - mean;
      mean += delta / static_cast<double>(k + 1);
      m2 = std::fma(delta, static_cast<double>(x[k]) - mean, m2);  // fused, as ATen's AVX2 build
    }
    const double n = static_cast<double>(x.size()), c = static_cast<double>(correction);
    const double var = m2 / (n > c ? n - c : 0.0);
    return static_cast<T>(take_sqrt ? std::sqrt(var) : var);
  }
};

// d var(x)/dx = 2 / (n - correction) (x - mean(x)); d std(x)/dx = d var(x)/dx / (2 std(x)), 0 where
// std(x) = 0 (PyTorch's var_backward and std_backward, in their order of float operations).
template <class T>
struct VarBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, result;  // result: std only
  int64_t dim = -1;                    // -1: the whole tensor (a 0-d x too)
  int64_t correction = 1;
  Size kept;  // the output with the reduced dim as size 1 (0-d for the whole tensor)
  bool is_std = false;
  const char* name() const override { return is_std ? "StdBackward0" : "VarBackward0"; }
  void release() override { x.release(); result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& xs = x.get();
    Tensor<T> gk = as_kept(g, kept);
    if (is_std) gk = detail::map([](T g, T r) { return r == T(0) ? T(0) : g / (r * T(2)); }, gk, as_kept(result.get(), kept));
    const int64_t dof = (dim < 0 ? xs.numel() : xs.size(dim)) - correction;
    if (dim < 0 && dof <= 0) {  // PyTorch 1.13 gives a 0-d gradient: right for a 0-d x only
      if (xs.dim() > 0)
        detail::fail({"Function ", name(), " returned an invalid gradient at index 0 - got [] but expected shape "
                      "compatible with ", xs.shape().list_str()});
      out[0] = gk * (2.0 / static_cast<double>(dof));
      return;
    }
    out[0] = (gk * (2.0 / static_cast<double>(dof))) * (xs - (dim < 0 ? xs.mean() : xs.mean(dim, true)));
  }
};

template <class T>
Tensor<T> var(const Tensor<T>& x, int64_t dim, bool unbiased, bool keepdim, bool all, bool take_sqrt) {
  const int64_t d = all ? 0 : detail::wrap_dim(dim, x.dim());
  const int64_t correction = unbiased ? 1 : 0;
  Tensor<T> out;
  if (all || reduced_shape(x.shape(), d, true).numel() == 1) {  // one output: PyTorch's two-pass algorithm
    out = detail::reduce_all(VarAll{correction, take_sqrt}, x);
    if (!all) out = detail::alias(out, reduced_shape(x.shape(), d, keepdim));
  } else {
    out = reduce_lanes(x, d, keepdim, std::numeric_limits<T>::quiet_NaN(), VarLane{correction, take_sqrt});
  }
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<VarBackward<T>>();
    node->x.save(x);
    if (take_sqrt) node->result.save(out, "StdBackward0");
    node->dim = all || x.dim() == 0 ? -1 : d;
    node->correction = correction;
    node->kept = all ? Size{} : reduced_shape(x.shape(), d, true);
    node->is_std = take_sqrt;
    autograd::connect(out, node, {&x});
  }
  return out;
}

// d logsumexp(x)/dx = g exp(x - logsumexp(x)), along the dim
template <class T>
struct LogsumexpBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, result;
  Size kept;
  const char* name() const override { return "LogsumexpBackward0"; }
  void release() override { x.release(); result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& xs = x.get();
    out[0] = detail::map_to(
        xs.shape(), [](T g, T x, T r) { return g * std::exp(x - r); }, as_kept(g, kept), xs, as_kept(result.get(), kept));
  }
};

/// log(sum(exp(x - m))) + m along the dim, m the maximum (0 where it is infinite), as PyTorch.
template <class T>
Tensor<T> logsumexp(const Tensor<T>& x, int64_t dim, bool keepdim) {
  const int64_t d = detail::wrap_dim(dim, x.dim());
  const Tensor<T> x1 = x.dim() == 0 ? detail::alias(x, Size{1}) : x;  // sum_along needs a dim
  const Tensor<T> m = reduce_lanes(x1, d, true, T(0), [](detail::Lane<const T> in) {
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < in.size(); ++k) m = in[k] > m || std::isnan(in[k]) ? in[k] : m;
    return std::isinf(m) ? T(0) : m;
  });
  const Tensor<T> sums = detail::sum_along(detail::map([](T v, T m) { return std::exp(v - m); }, x1, m), d, true, false);
  Tensor<T> out = detail::alias(detail::map([](T s, T m) { return std::log(s) + m; }, sums, m),
                                reduced_shape(x.shape(), d, keepdim));
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<LogsumexpBackward<T>>();
    node->x.save(x);
    node->result.save(out, "LogsumexpBackward0");
    node->kept = reduced_shape(x.shape(), d, true);
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// The p-norm of n values, in PyTorch's order: p = 2 for floats with one vector of accumulators
/// (fused multiply-adds, as ATen's AVX2 build compiles norm_two_reduce_step), folded lane by lane,
/// then the rest; for doubles (NormTwoOps) one fused multiply-add after another; other p one value
/// after another.
// NOTE: compared with PyTorch 1.13 on random inputs: floats of 8 values or more and doubles to the
// bit; floats of fewer than 8 values to the bit in about 96 of 100 (neither fused nor plain
// sequential additions explain the rest).
struct NormAll {
  double p;
  template <class T>
  T operator()(int64_t n, const T* v) const {
    if (n == 0) return T(0);
    if (p == 2) {
      constexpr int64_t W = std::is_same_v<T, float> ? detail::kVecLanes<T> : 1;
      std::array<T, W> acc{};
      int64_t i = 0;
      for (; i + W <= n; i += W)
        for (int64_t k = 0; k < W; ++k) acc[k] = std::fma(v[i + k], v[i + k], acc[k]);
      for (int64_t k = 1; k < W; ++k) acc[0] += acc[k];
      for (; i < n; ++i) acc[0] += v[i] * v[i];
      return std::sqrt(acc[0]);
    }
    const bool extreme = std::isinf(p);
    T acc = extreme ? std::abs(v[0]) : T(0);
    for (int64_t i = 0; i < n; ++i) {
      const T a = std::abs(v[i]);
      if (extreme)
        acc = std::isnan(a) || std::isnan(acc) ? a + acc : p > 0 ? std::max(acc, a) : std::min(acc, a);
      else
        acc += p == 0 ? T(a != T(0)) : p == 1 ? a : std::pow(a, static_cast<T>(p));
    }
    return extreme || p == 0 || p == 1 ? acc : std::pow(acc, T(1) / static_cast<T>(p));
  }
};

/// |x| is the inf (or -inf) norm r, or nan: the elements that share its gradient.
struct IsNormExtremum {
  template <class T>
  bool operator()(T x, T r) const { return std::abs(x) == r || std::isnan(x); }
};

// d ||x||_p/dx (PyTorch's norm_backward, in its order of float operations):
//   p = 1: sgn(x) g;  p = 2: g x / ||x|| (0 where ||x|| = 0);  p = +-inf: sgn(x) g / k at the k
//   elements whose |x| is the norm;  p < 1: sgn(x) |x|^(p-1) g ||x||^(1-p) (0 where x = 0);
//   1 < p < 2: sgn(x) |x|^(p-1) g / ||x||^(p-1);  p > 2: x |x|^(p-2) g / ||x||^(p-1) (0 where ||x|| = 0);
//   p = 0: no gradient (None, as PyTorch).
template <class T>
struct NormBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x, result;
  double p = 2;
  const char* name() const override { return "NormBackward1"; }
  void release() override { x.release(); result.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& xs = x.get();
    const Tensor<T>& r = result.get();
    if (p == 0) return;
    if (std::isinf(p)) {
      out[0] = detail::map_to(
          xs.shape(), [](T g, T x, T r, T k) { return sign_of(x) * ((g / k) * T(IsNormExtremum{}(x, r))); }, g, xs, r,
          count_hits(xs, r, IsNormExtremum{}));
      return;
    }
    out[0] = detail::map_to(
        xs.shape(),
        [p = static_cast<T>(p)](T g, T x, T r) {
          if (p == T(1)) return sign_of(x) * g;
          if (p == T(2)) return g * (r == T(0) ? T(0) : x / r);
          if (p < T(1)) return (sign_of(x) * (x == T(0) ? T(0) : pow_scalar_value(std::abs(x), p - T(1)))) * g *
                               pow_scalar_value(r, T(1) - p);
          const T scale = r == T(0) ? T(0) : g / pow_scalar_value(r, p - T(1));
          return (p < T(2) ? sign_of(x) * pow_scalar_value(std::abs(x), p - T(1))
                           : x * pow_scalar_value(std::abs(x), p - T(2))) * scale;
        },
        g, xs, r);
  }
};

template <class T>
Tensor<T> norm(const Tensor<T>& x, double p) {
  Tensor<T> out = detail::reduce_all(NormAll{p}, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<NormBackward<T>>();
    node->x.save(x);
    node->result.save(out, "NormBackward1");
    node->p = p;
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// Running sums along a lane, accumulated in double (PyTorch's acc_type; for integers in int64,
/// wrapping around), from the end if `reverse`.
template <class T>
void running_sums(detail::Lane<T> out, detail::Lane<const T> in, bool reverse) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  Acc s = 0;
  for (int64_t j = 0; j < in.size(); ++j) {
    const int64_t k = reverse ? in.size() - 1 - j : j;
    s += static_cast<Acc>(in[k]);
    out[k] = static_cast<T>(s);
  }
}

// d cumsum(x)/dx = the running sums of g from the end, along the dim
template <class T>
struct CumsumBackward final : autograd::Node<T> {
  int64_t dim = 0;
  const char* name() const override { return "CumsumBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = Tensor<T>(g.shape(), detail::uninitialized);
    detail::lanes(dim, [](detail::Lane<T> o, detail::Lane<const T> g) { running_sums(o, g, true); }, out[0], g);
  }
};

template <class T>
Tensor<T> cumsum(const Tensor<T>& x, int64_t dim) {
  const int64_t d = detail::wrap_dim(dim, x.dim());
  Tensor<T> out(x.shape(), detail::uninitialized);
  detail::lanes(d, [](detail::Lane<T> o, detail::Lane<const T> in) { running_sums(o, in, false); }, out, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<CumsumBackward<T>>();
    node->dim = d;
    autograd::connect(out, node, {&x});
  }
  return out;
}

}  // namespace ops

template <class T> Tensor<T> max(const Tensor<T>& x) { return ops::extreme_value(x, true); }
template <class T> Tensor<T> min(const Tensor<T>& x) { return ops::extreme_value(x, false); }
template <class T> Tensor<T> prod(const Tensor<T>& x) { return ops::prod(x, 0, false, true); }
template <class T> Tensor<T> prod(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::prod(x, d, keepdim, false); }
template <class T> Tensor<T> var(const Tensor<T>& x, bool unbiased = true) { return ops::var(x, 0, unbiased, false, true, false); }
template <class T> Tensor<T> var(const Tensor<T>& x, int64_t d, bool unbiased = true, bool keepdim = false) {
  return ops::var(x, d, unbiased, keepdim, false, false);
}
template <class T> Tensor<T> var(const Tensor<T>& x, int d, bool unbiased = true, bool keepdim = false) {
  return ops::var(x, d, unbiased, keepdim, false, false);
}
template <class T> Tensor<T> std(const Tensor<T>& x, bool unbiased = true) { return ops::var(x, 0, unbiased, false, true, true); }
template <class T> Tensor<T> std(const Tensor<T>& x, int64_t d, bool unbiased = true, bool keepdim = false) {
  return ops::var(x, d, unbiased, keepdim, false, true);
}
template <class T> Tensor<T> std(const Tensor<T>& x, int d, bool unbiased = true, bool keepdim = false) {
  return ops::var(x, d, unbiased, keepdim, false, true);
}
template <class T> Tensor<T> logsumexp(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::logsumexp(x, d, keepdim); }
template <class T> Tensor<T> norm(const Tensor<T>& x, double p = 2) { return ops::norm(x, p); }
template <class T> Tensor<T> cumsum(const Tensor<T>& x, int64_t d) { return ops::cumsum(x, d); }

template <class T> Tensor<detail::sum_t<T>> Tensor<T>::sum() const { return eigentorch::sum(*this); }
template <class T> Tensor<T> Tensor<T>::mean() const { return eigentorch::mean(*this); }
template <class T>
Tensor<detail::sum_t<T>> Tensor<T>::sum(int64_t d, bool keepdim) const { return eigentorch::sum(*this, d, keepdim); }
template <class T> Tensor<T> Tensor<T>::mean(int64_t d, bool keepdim) const { return eigentorch::mean(*this, d, keepdim); }

template <class T> Tensor<T> Tensor<T>::max() const { return eigentorch::max(*this); }
template <class T> Tensor<T> Tensor<T>::min() const { return eigentorch::min(*this); }
template <class T> Tensor<T> Tensor<T>::prod() const { return eigentorch::prod(*this); }
template <class T> Tensor<T> Tensor<T>::prod(int64_t d, bool keepdim) const { return eigentorch::prod(*this, d, keepdim); }
template <class T> Tensor<T> Tensor<T>::var(bool unbiased) const { return eigentorch::var(*this, unbiased); }
template <class T> Tensor<T> Tensor<T>::var(int64_t d, bool unbiased, bool keepdim) const {
  return eigentorch::var(*this, d, unbiased, keepdim);
}
template <class T> Tensor<T> Tensor<T>::var(int d, bool unbiased, bool keepdim) const {
  return eigentorch::var(*this, d, unbiased, keepdim);
}
template <class T> Tensor<T> Tensor<T>::std(bool unbiased) const { return eigentorch::std(*this, unbiased); }
template <class T> Tensor<T> Tensor<T>::std(int64_t d, bool unbiased, bool keepdim) const {
  return eigentorch::std(*this, d, unbiased, keepdim);
}
template <class T> Tensor<T> Tensor<T>::std(int d, bool unbiased, bool keepdim) const {
  return eigentorch::std(*this, d, unbiased, keepdim);
}
template <class T> Tensor<T> Tensor<T>::logsumexp(int64_t d, bool keepdim) const { return eigentorch::logsumexp(*this, d, keepdim); }
template <class T> Tensor<T> Tensor<T>::norm(double p) const { return eigentorch::norm(*this, p); }
template <class T> Tensor<T> Tensor<T>::cumsum(int64_t d) const { return eigentorch::cumsum(*this, d); }

namespace ops {

/// The index of the first extreme element of x along dim (Max: the largest); a NaN beats any number.
template <bool Max, class T>
Tensor<int64_t> arg_extreme(const Tensor<T>& x, int64_t dim, bool keepdim, bool flat, const char* name) {
  if (flat && x.numel() == 0) detail::fail<IndexError>({name, ": Expected reduction dim to be specified for input.numel() == 0."});
  const Tensor<T> in = flat ? detail::alias(x, Size{x.numel()}) : x;
  const int64_t d = x.dim() == 0 ? 0 : detail::wrap_dim(dim, in.dim());
  if (in.dim() == 0) return Tensor<int64_t>(keepdim ? in.shape() : Size{});
  if (in.size(d) == 0) detail::fail<IndexError>({name, ": Expected reduction dim ", d, " to have non-zero size."});
  return detail::reduce_lanes<int64_t>(d, keepdim && !flat, [](const auto& lane) {
    int64_t best = 0;
    T b = lane[0];
    if (b != b) return best;  // the first NaN is the answer
    for (int64_t k = 1; k < lane.size(); ++k) {
      const T v = lane[k];
      if (v != v) return k;
      if (Max ? v > b : v < b) b = v, best = k;
    }
    return best;
  }, in);
}

}  // namespace ops

template <class T> Tensor<int64_t> argmax(const Tensor<T>& x) { return ops::arg_extreme<true>(x, 0, false, true, "argmax()"); }
template <class T> Tensor<int64_t> argmin(const Tensor<T>& x) { return ops::arg_extreme<false>(x, 0, false, true, "argmin()"); }
template <class T>
Tensor<int64_t> argmax(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::arg_extreme<true>(x, d, keepdim, false, "argmax()"); }
template <class T>
Tensor<int64_t> argmin(const Tensor<T>& x, int64_t d, bool keepdim = false) { return ops::arg_extreme<false>(x, d, keepdim, false, "argmin()"); }
template <class T> Tensor<int64_t> Tensor<T>::argmax() const { return eigentorch::argmax(*this); }
template <class T> Tensor<int64_t> Tensor<T>::argmin() const { return eigentorch::argmin(*this); }
template <class T> Tensor<int64_t> Tensor<T>::argmax(int64_t d, bool keepdim) const { return eigentorch::argmax(*this, d, keepdim); }
template <class T> Tensor<int64_t> Tensor<T>::argmin(int64_t d, bool keepdim) const { return eigentorch::argmin(*this, d, keepdim); }

}  // namespace eigentorch
