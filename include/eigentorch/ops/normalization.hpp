// Normalisation ops with their derivatives: layer_norm (NativeLayerNormBackward0) and batch_norm
// (NativeBatchNormBackward0, training with batch statistics and the running statistics' update, or
// evaluation with the running statistics). Each is one op in PyTorch, as here: one node, and
// PyTorch 1.13's CPU arithmetic in its order (Welford in vector lanes for layer_norm's statistics,
// its two batch_norm paths, its fused multiply-adds), so that values and gradients are PyTorch's
// bit for bit in float and double (tests/ops/normalization_test.cpp).
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

#include <algorithm>  // min
#include <cmath>      // sqrt, fma
#include <cstdint>
#include <string>
#include <utility>  // pair
#include <vector>

namespace eigentorch {
namespace ops {

namespace norm_detail {

/// PyTorch's AVX2 lane count: 8 floats or 4 doubles per vector.
template <class T>
constexpr int64_t kLanes = sizeof(T) == 4 ? 8 : 4;

// NOTE: PyTorch's CPU kernels are built with FMA, and GCC fuses some of their a * b + c into one
// rounding (a normalisation's output, x scale + shift and y w + b) but not others (the Welford
// updates of the statistics: checked bit for bit against PyTorch 1.13's floats). madd marks the
// fused ones; std::fma keeps those digits whatever flags this header is compiled with.
template <class T>
T madd(T a, T b, T c) { return std::fma(a, b, c); }

/// Merges the moments (count, mean, sum of squared deviations) of a second set into the first's
/// (PyTorch's AddMoments).
template <class T>
void add_moments(int64_t n_add, T m1_add, T m2_add, int64_t& n, T& m1, T& m2) {
  const int64_t total = n + n_add;
  const T c = total == 0 ? T(0) : static_cast<T>(n_add) / static_cast<T>(total);
  const T delta = m1_add - m1;
  m1 += c * delta;
  m2 += m2_add + delta * delta * c * static_cast<T>(n);
  n = total;
}

/// PyTorch's RowwiseMoments: the mean and the biased variance of x[0, N), by Welford's algorithm in
/// kLanes interleaved lanes, in chunks of 16 vectors merged pairwise (a cascade), then the tail
/// one by one and the lanes merged in order.
template <class T>
std::pair<T, T> rowwise_moments(const T* x, int64_t N) {
  constexpr int64_t V = kLanes<T>;
  constexpr int64_t kChunk = 16;
  const int64_t n = N / V;                     // whole vectors
  const int64_t m = (n + kChunk - 1) / kChunk;  // chunks
  int64_t depth = 1;                            // PyTorch's CeilLog2(m), at least 1
  while ((int64_t{1} << depth) < m) ++depth;
  struct Level {
    int64_t n = 0;
    T m1[V] = {}, m2[V] = {};
  };
  std::vector<Level> stack(static_cast<std::size_t>(depth));
  const auto merge = [](int64_t n_add, const T* m1_add, const T* m2_add, Level& into) {
    const int64_t total = into.n + n_add;
    const T c = total == 0 ? T(0) : static_cast<T>(n_add) / static_cast<T>(total);
    const T before = static_cast<T>(into.n);
    for (int64_t l = 0; l < V; ++l) {
      const T delta = m1_add[l] - into.m1[l];
      into.m1[l] += c * delta;
      into.m2[l] += m2_add[l] + delta * delta * c * before;
    }
    into.n = total;
  };
  for (int64_t i = 0; i < m; ++i) {
    const T* chunk = x + i * kChunk * V;
    const int64_t count = std::min(kChunk, n - i * kChunk);
    T m1[V] = {}, m2[V] = {};
    for (int64_t j = 0; j < count; ++j) {
      const T c = T(1) / static_cast<T>(j + 1);
      for (int64_t l = 0; l < V; ++l) {
        const T v = chunk[j * V + l];
        const T delta = v - m1[l];
        m1[l] += delta * c;
        m2[l] += delta * (v - m1[l]);
      }
    }
    merge(count, m1, m2, stack[0]);
    int64_t mask = i + 1;
    for (int64_t j = 1; j < depth && (mask & 1) == 0; ++j) {
      auto& lower = stack[static_cast<std::size_t>(j - 1)];
      merge(lower.n, lower.m1, lower.m2, stack[static_cast<std::size_t>(j)]);
      lower = Level{};
      mask >>= 1;
    }
  }
  for (int64_t j = 1; j < depth; ++j) {
    const auto& level = stack[static_cast<std::size_t>(j)];
    merge(level.n, level.m1, level.m2, stack[0]);
  }
  int64_t count = 0;
  T m1 = 0, m2 = 0;
  for (int64_t i = n * V; i < N; ++i) {
    const T delta = x[i] - m1;
    ++count;
    m1 += delta / static_cast<T>(count);
    m2 += delta * (x[i] - m1);
  }
  for (int64_t l = 0; l < V; ++l) add_moments(n, stack[0].m1[l], stack[0].m2[l], count, m1, m2);
  return {m1, m2 / static_cast<T>(N)};
}

/// A sum over j in [0, N) as PyTorch's vectorised map-reduce adds: acc = add(j, acc) in kLanes lanes
/// (lane l takes j = l, l + kLanes, ...; the tail goes to the first lanes), then the lanes added:
/// pairwise, halves first, for float (AVX2's shuffles), in order for double. Below kLanes elements,
/// the elements in order. (Checked bit for bit against PyTorch 1.13 in float and double.)
template <class T, class Add>
T lane_sum(int64_t N, Add add) {
  constexpr int64_t V = kLanes<T>;
  T acc[V] = {};
  if (N < V) {
    T r = N > 0 ? add(0, T(0), false) : T(0);
    for (int64_t j = 1; j < N; ++j) r += add(j, T(0), false);
    return r;
  }
  for (int64_t l = 0; l < V; ++l) acc[l] = add(l, T(0), false);  // the first vector starts the sums
  int64_t j = V;
  for (; j + V <= N; j += V)
    for (int64_t l = 0; l < V; ++l) acc[l] = add(j + l, acc[l], true);
  for (int64_t l = 0; j + l < N; ++l) acc[l] = add(j + l, acc[l], true);
  if (V == 4) {  // double: the lanes in order
    T r = acc[0];
    for (int64_t l = 1; l < V; ++l) r += acc[l];
    return r;
  }
  for (int64_t half = V / 2; half >= 1; half /= 2)  // float: halves, then quarters, then pairs
    for (int64_t l = 0; l < half; ++l) acc[l] += acc[l + half];
  return acc[0];
}

/// PyTorch's batch statistics of [B, C, L] (L > 1) per channel c: mean[c] = (the sum in double, in
/// order of b then l) / n rounded to T, var_sum[c] = the sum in double of (x - mean)^2 formed in T.
// NOTE: each channel's sum is one chain of dependent additions (PyTorch's order, for its bits):
// kGroup channels are summed side by side so that their chains overlap (the same bits, 4x faster).
// NOTE: for double, PyTorch's build squares each row's elements in pairs of lanes then adds them
// one by one, and squares and adds an odd last element in one fused multiply-add (checked on 352
// channels against PyTorch 1.13): so here.
template <class T>
void channel_moments(const T* x, int64_t B, int64_t C, int64_t L, T* mean, T* var_sum) {
  constexpr int64_t kGroup = 8;
  const double n = static_cast<double>(B * L);
  const int64_t fused_from = sizeof(T) == 8 ? L - L % 2 : L;  // elements [fused_from, L) of a row fused
  for (int64_t c0 = 0; c0 < C; c0 += kGroup) {
    const int64_t g = std::min(kGroup, C - c0);
    double s[kGroup] = {}, v[kGroup] = {};
    T mu[kGroup] = {};
    const auto row = [&](int64_t b, int64_t k) { return x + (b * C + c0 + k) * L; };
    const auto square_add = [&](int64_t k, T e, bool fused) {
      const T d = e - mu[k];
      v[k] = fused ? std::fma(static_cast<double>(d), static_cast<double>(d), v[k]) : v[k] + static_cast<double>(d * d);
    };
    if (g == kGroup) {
      for (int64_t b = 0; b < B; ++b) {
        const T* r[kGroup];
        for (int64_t k = 0; k < kGroup; ++k) r[k] = row(b, k);
        for (int64_t l = 0; l < L; ++l)
          for (int64_t k = 0; k < kGroup; ++k) s[k] += r[k][l];
      }
    } else {
      for (int64_t k = 0; k < g; ++k)
        for (int64_t b = 0; b < B; ++b)
          for (int64_t l = 0; l < L; ++l) s[k] += row(b, k)[l];
    }
    for (int64_t k = 0; k < g; ++k) mu[k] = static_cast<T>(s[k] / n);
    if (g == kGroup) {
      for (int64_t b = 0; b < B; ++b) {
        const T* r[kGroup];
        for (int64_t k = 0; k < kGroup; ++k) r[k] = row(b, k);
        for (int64_t l = 0; l < fused_from; ++l)
          for (int64_t k = 0; k < kGroup; ++k) square_add(k, r[k][l], false);
        for (int64_t l = fused_from; l < L; ++l)
          for (int64_t k = 0; k < kGroup; ++k) square_add(k, r[k][l], true);
      }
    } else {
      for (int64_t k = 0; k < g; ++k)
        for (int64_t b = 0; b < B; ++b)
          for (int64_t l = 0; l < L; ++l) square_add(k, row(b, k)[l], l >= fused_from);
    }
    for (int64_t k = 0; k < g; ++k) {
      mean[c0 + k] = mu[k];
      var_sum[c0 + k] = static_cast<T>(v[k]);
    }
  }
}

}  // namespace norm_detail

// For each row of N elements (x seen as [M, N]), with a = rstd:
//   d/dx = a g w + b x + c, where ds = sum(g x w), db = sum(g w),
//          b = (db mean - ds) a^3 / N, c = -b mean - db a / N
//   d/dw = sum over rows of g (a x - a mean),  d/db = sum over rows of g
template <class T>
struct NativeLayerNormBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, weight;
  Tensor<T> mean, rstd;  // [M], made by the op
  int64_t M = 0, N = 0;
  const char* name() const override { return "NativeLayerNormBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& x = input.get();
    const Tensor<T>& w = weight.get();
    const bool want_x = this->next[0] != nullptr;
    Tensor<T> dx(x.shape(), detail::uninitialized);
    Tensor<T> dw(w.shape()), db(w.shape());  // zeros: sums over rows
    detail::arrays(
        [M = M, N = N, want_x](const T* px, const T* pg, const T* pw, const T* pmean, const T* prstd, T* pdx, T* pdw,
                               T* pdb) {
          using norm_detail::madd;
          const T scale = T(1) / static_cast<T>(N);
          for (int64_t i = 0; i < M; ++i) {
            const T* xr = px + i * N;
            const T* gr = pg + i * N;
            const T a = prstd[i];
            const T mu = pmean[i];
            const T shift = -a * mu;
            for (int64_t j = 0; j < N; ++j) {
              pdw[j] = madd(gr[j], madd(a, xr[j], shift), pdw[j]);
              pdb[j] += gr[j];
            }
            if (!want_x) continue;
            // NOTE: PyTorch's order and fused multiply-adds, checked bit for bit in float.
            const T ds = norm_detail::lane_sum<T>(N, [&](int64_t j, T acc, bool fuse) {
              return fuse ? madd(gr[j] * xr[j], pw[j], acc) : gr[j] * xr[j] * pw[j];
            });
            const T dbs = norm_detail::lane_sum<T>(N, [&](int64_t j, T acc, bool fuse) {
              return fuse ? madd(gr[j], pw[j], acc) : gr[j] * pw[j];
            });
            const T b = madd(dbs, mu, -ds) * a * a * a * scale;
            const T c = madd(-b, mu, -(dbs * a * scale));
            T* dr = pdx + i * N;
            for (int64_t j = 0; j < N; ++j) dr[j] = madd(b, xr[j], a * gr[j] * pw[j]) + c;
          }
        },
        x, g, w, mean, rstd, dx, dw, db);
    if (want_x) out[0] = dx;
    if (this->next[1]) out[1] = dw;
    if (this->next[2]) out[2] = db;
  }
  void release() override {
    input.release();
    weight.release();
    mean = Tensor<T>();
    rstd = Tensor<T>();
  }
};

/// Normalises x over its last dims (`normalized_shape`), then scales by weight and shifts by bias
/// (both of normalized_shape's shape, or undefined): PyTorch's native_layer_norm.
template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Size& normalized_shape, const Tensor<T>& weight, const Tensor<T>& bias,
                     double eps) {
  const int64_t nd = static_cast<int64_t>(normalized_shape.size());
  if (nd < 1)
    detail::fail({"Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
                  "normalized_shape = ", normalized_shape.list_str()});
  if (weight.defined() && weight.shape() != normalized_shape)
    detail::fail({"Expected weight to be of same shape as normalized_shape, but got weight of shape ",
                  weight.shape().list_str(), " and normalized_shape = ", normalized_shape.list_str()});
  if (bias.defined() && bias.shape() != normalized_shape)
    detail::fail({"Expected bias to be of same shape as normalized_shape, but got bias of shape ",
                  bias.shape().list_str(), " and normalized_shape = ", normalized_shape.list_str()});
  bool fits = x.dim() >= nd;
  for (int64_t i = 0; fits && i < nd; ++i) fits = x.size(x.dim() - nd + i) == normalized_shape[static_cast<std::size_t>(i)];
  if (!fits) {
    std::string shape = "[*";
    for (int64_t s : normalized_shape) shape += ", " + std::to_string(s);
    detail::fail({"Given normalized_shape=", normalized_shape.list_str(), ", expected input with shape ", shape,
                  "], but got input of size", x.shape().list_str()});
  }
  const int64_t N = normalized_shape.numel();
  const int64_t M = N == 0 ? 0 : x.numel() / N;
  // An absent weight or bias is 1 or 0 in PyTorch's arithmetic too ((x s + b) 1 + 0).
  const Tensor<T> w = weight.defined() ? weight : Tensor<T>(normalized_shape, detail::uninitialized).fill_(T(1));
  const Tensor<T> b = bias.defined() ? bias : Tensor<T>(normalized_shape);
  Tensor<T> out(x.shape(), detail::uninitialized);
  Tensor<T> mean(Size{M}, detail::uninitialized), rstd(Size{M}, detail::uninitialized);
  detail::arrays(
      [M, N, eps = static_cast<T>(eps)](const T* px, const T* pw, const T* pb, T* po, T* pmean, T* prstd) {
        for (int64_t i = 0; i < M; ++i) {
          const T* xr = px + i * N;
          T* yr = po + i * N;
          const auto [mu, var] = norm_detail::rowwise_moments(xr, N);
          const T r = T(1) / std::sqrt(var + eps);
          const T shift = -r * mu;
          for (int64_t j = 0; j < N; ++j) yr[j] = norm_detail::madd(norm_detail::madd(xr[j], r, shift), pw[j], pb[j]);
          pmean[i] = mu;
          prstd[i] = r;
        }
      },
      x, w, b, out, mean, rstd);
  if (autograd::needs_grad(x, w, b)) {
    auto node = detail::make_pooled<NativeLayerNormBackward<T>>();
    node->input.save(x);
    node->weight.save(w);
    node->mean = mean;
    node->rstd = rstd;
    node->M = M, node->N = N;
    autograd::connect(out, node, {&x, &w, &b});
  }
  return out;
}

// Per channel c, over its n values (every batch entry and position), with mean and invstd the
// statistics the forward used:
//   sum = sum(g), dotp = sum((x - mean) g)
//   d/dx = (g - sum / n - (x - mean) dotp invstd^2 / n) invstd w   (training: batch statistics)
//        = g invstd w                                             (evaluation: running statistics)
//   d/dw = dotp invstd,  d/db = sum
template <class T>
struct NativeBatchNormBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, weight;
  Tensor<T> mean, invstd;  // [C], made by the op
  int64_t batch = 0, channels = 0, inner = 0;
  bool training = true;
  const char* name() const override { return "NativeBatchNormBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& x = input.get();
    const Tensor<T>& w = weight.get();
    Tensor<T> dx(x.shape(), detail::uninitialized);
    Tensor<T> dw(Size{channels}, detail::uninitialized), db(Size{channels}, detail::uninitialized);
    detail::arrays(
        [B = batch, C = channels, L = inner, train = training](const T* px, const T* pg, const T* pw, const T* pmean,
                                                                const T* pinv, T* pdx, T* pdw, T* pdb) {
          using norm_detail::madd;
          const int64_t n = B * L;
          for (int64_t c = 0; c < C; ++c) {
            const T mu = pmean[c], inv = pinv[c];
            // NOTE: PyTorch's two CPU paths, in their order and roundings (checked bit for bit):
            // [N, C] (channels last) sums in T down the batch; [N, C, L] sums each row of L in
            // vector lanes, then the rows in double.
            T sum, dotp, grad_mean;
            if (L == 1) {
              sum = 0, dotp = 0;
              for (int64_t b = 0; b < B; ++b) {
                sum += pg[b * C + c];
                dotp = madd(px[b * C + c] - mu, pg[b * C + c], dotp);
              }
              grad_mean = sum / static_cast<T>(n);
              pdw[c] = dotp * inv;
              pdb[c] = sum;
            } else {
              double sum_d = 0, dotp_d = 0;
              for (int64_t b = 0; b < B; ++b) {
                const T* xr = px + (b * C + c) * L;
                const T* gr = pg + (b * C + c) * L;
                sum_d += norm_detail::lane_sum<T>(L, [gr](int64_t l, T acc, bool add) { return add ? acc + gr[l] : gr[l]; });
                dotp_d += norm_detail::lane_sum<T>(L, [xr, gr, mu](int64_t l, T acc, bool add) {
                  return add ? madd(xr[l] - mu, gr[l], acc) : (xr[l] - mu) * gr[l];
                });
              }
              sum = static_cast<T>(sum_d);
              dotp = static_cast<T>(dotp_d);
              grad_mean = static_cast<T>(sum_d / static_cast<double>(n));
              pdw[c] = static_cast<T>(dotp_d * static_cast<double>(inv));
              pdb[c] = sum;
            }
            const T k = dotp * inv * inv / static_cast<T>(n);
            // NOTE: one exception to the fused form, seen in PyTorch's digits: for double [N, C], the
            // channels past the last whole vector of 4 are not fused.
            const bool fused = !(L == 1 && sizeof(T) == 8 && c >= C - C % norm_detail::kLanes<T>);
            for (int64_t b = 0; b < B; ++b)
              for (int64_t l = 0; l < L; ++l) {
                const int64_t at = (b * C + c) * L + l;
                const T centred = px[at] - mu;
                const T d = fused ? madd(-centred, k, pg[at] - grad_mean) : pg[at] - grad_mean - centred * k;
                pdx[at] = train ? d * inv * pw[c] : pg[at] * inv * pw[c];
              }
          }
        },
        x, g, w, mean, invstd, dx, dw, db);
    if (this->next[0]) out[0] = dx;
    if (this->next[1]) out[1] = dw;
    if (this->next[2]) out[2] = db;
  }
  void release() override {
    input.release();
    weight.release();
    mean = Tensor<T>();
    invstd = Tensor<T>();
  }
};

/// Normalises x ([N, C] or [N, C, L], any rank from 2) per channel C: with the batch's statistics
/// when training (and then, when given, running_mean and running_var updated in place with momentum
/// and the unbiased variance), else with running_mean and running_var; then scales by weight and
/// shifts by bias ([C] or undefined). PyTorch's native_batch_norm.
template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& running_mean, const Tensor<T>& running_var,
                     const Tensor<T>& weight, const Tensor<T>& bias, bool training, double momentum, double eps) {
  if (x.dim() < 2) detail::fail({"batch_norm: expected an input of at least 2 dims, but got ", x.dim(), "-D"});
  const int64_t B = x.size(0), C = x.size(1);
  const int64_t L = B * C == 0 ? 0 : x.numel() / (B * C);
  const std::pair<const char*, const Tensor<T>*> args[] = {
      {"running_mean", &running_mean}, {"running_var", &running_var}, {"weight", &weight}, {"bias", &bias}};
  for (const auto& [what, t] : args) {
    if (t->defined() && t->numel() != C) detail::fail({what, " should contain ", C, " elements not ", t->numel()});
    if (!t->defined() && !training && t == &running_mean) detail::fail({"running_mean must be defined in evaluation mode"});
    if (!t->defined() && !training && t == &running_var) detail::fail({"running_var must be defined in evaluation mode"});
  }
  const Size channels{C};
  const Tensor<T> w = weight.defined() ? weight : Tensor<T>(channels, detail::uninitialized).fill_(T(1));
  const Tensor<T> b = bias.defined() ? bias : Tensor<T>(channels);
  Tensor<T> mean(channels, detail::uninitialized), invstd(channels, detail::uninitialized);
  Tensor<T> invstd_backward = invstd;  // another tensor in evaluation
  if (training) {
    // PyTorch (one thread): per channel the sum in double (in T for [N, C]: its channels-last path),
    // mean = sum / n rounded to T, var_sum = sum((x - mean)^2) likewise; invstd = 1 / sqrt(var_sum / n
    // + eps) in double; running = momentum s + (1 - momentum) running, with the unbiased variance.
    const bool update = running_mean.defined() && running_var.defined() && B * L > 0;
    const Tensor<T> rm = update ? running_mean : Tensor<T>(channels), rv = update ? running_var : Tensor<T>(channels);
    detail::arrays(
        [B, C, L, eps, update, mom = static_cast<T>(momentum)](const T* px, T* pmean, T* pinv, T* prm, T* prv) {
          const int64_t n = B * L;
          if (L > 1) norm_detail::channel_moments(px, B, C, L, pmean, pinv);  // the means, the sums of squares
          for (int64_t c = 0; c < C; ++c) {
            T mu, var_sum;
            if (L == 1) {
              T s = 0;
              for (int64_t i = 0; i < B; ++i) s += px[i * C + c];
              mu = static_cast<T>(static_cast<double>(s) / static_cast<double>(n));
              T v = 0;
              for (int64_t i = 0; i < B; ++i) v = norm_detail::madd(px[i * C + c] - mu, px[i * C + c] - mu, v);
              var_sum = v;
            } else {  // computed below for every channel
              mu = pmean[c];
              var_sum = pinv[c];
            }
            pmean[c] = mu;
            const double var = static_cast<double>(var_sum / static_cast<T>(n));
            pinv[c] = (var == 0 && eps == 0) ? T(0) : static_cast<T>(1.0 / std::sqrt(var + eps));
            if (update) {
              prm[c] = mom * mu + (T(1) - mom) * prm[c];
              const double unbiased = static_cast<double>(var_sum / static_cast<T>(n - 1));
              prv[c] = static_cast<T>(static_cast<double>(mom) * unbiased + static_cast<double>((T(1) - mom) * prv[c]));
            }
          }
        },
        x, mean, invstd, rm, rv);
    if (update) {  // the running statistics are buffers, written in place outside autograd
      ++running_mean.impl()->storage->version;
      ++running_var.impl()->storage->version;
    }
  } else {
    // NOTE: PyTorch's forward adds eps in T, its backward in double: two invstd, rounded apart
    invstd_backward = Tensor<T>(channels, detail::uninitialized);
    detail::arrays(
        [C, eps](const T* prm, const T* prv, T* pmean, T* pinv, T* pinv_backward) {
          for (int64_t c = 0; c < C; ++c) {
            pmean[c] = prm[c];
            pinv[c] = T(1) / std::sqrt(prv[c] + static_cast<T>(eps));
            pinv_backward[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(prv[c]) + eps));
          }
        },
        running_mean, running_var, mean, invstd, invstd_backward);
  }
  Tensor<T> out(x.shape(), detail::uninitialized);
  // out = x alpha + beta per channel: alpha = invstd w, beta = b - mean alpha
  detail::arrays(
      [B, C, L](const T* px, const T* pw, const T* pb, const T* pmean, const T* pinv, T* po) {
        for (int64_t c = 0; c < C; ++c) {
          const T alpha = pinv[c] * pw[c];
          const T beta = norm_detail::madd(-pmean[c], alpha, pb[c]);  // fused, as PyTorch's build
          for (int64_t i = 0; i < B; ++i)
            for (int64_t l = 0; l < L; ++l) {
              const int64_t at = (i * C + c) * L + l;
              po[at] = norm_detail::madd(px[at], alpha, beta);
            }
        }
      },
      x, w, b, mean, invstd, out);
  if (autograd::needs_grad(x, w, b)) {
    auto node = detail::make_pooled<NativeBatchNormBackward<T>>();
    node->input.save(x);
    node->weight.save(w);
    node->mean = mean;
    node->invstd = invstd_backward;
    node->batch = B, node->channels = C, node->inner = L;
    node->training = training;
    autograd::connect(out, node, {&x, &w, &b});
  }
  return out;
}

}  // namespace ops
}  // namespace eigentorch
