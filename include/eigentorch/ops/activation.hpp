// Activation functions beyond the basic pointwise ops: leaky_relu, elu, gelu, silu, softplus,
// hardtanh, mish, logsigmoid, softmax and log_softmax, each with its derivative and PyTorch's node name.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "pointwise.hpp"

#include <algorithm>  // max, min
#include <cmath>
#include <limits>
#include <string>

namespace eigentorch {
namespace ops {

/// A node for y = f(x; params) whose derivative reads the saved input: dx = g * df(x).
template <class T, class Deriv>
struct InputPointwiseBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> x;
  Deriv deriv;
  const char* name_;
  InputPointwiseBackward(Deriv d, const char* n) : deriv(d), name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = detail::map2(g, x.get(), [d = deriv](T gv, T xv) { return gv * d(xv); });
  }
  void release() override { x.release(); }
};

/// y = f(x) with dy/dx = deriv(x), recorded under `name`.
template <class T, class F, class Deriv>
Tensor<T> pointwise_with_input(const Tensor<T>& x, F f, Deriv deriv, const char* name) {
  Tensor<T> y = detail::map1(x, f);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<InputPointwiseBackward<T, Deriv>>(deriv, name);
    node->x.save(x);
    autograd::connect(y, node, {&x});
  }
  return y;
}

/// x for x > 0, slope * x otherwise.
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, double negative_slope = 0.01) {
  const T s = static_cast<T>(negative_slope);
  return pointwise_with_input(
      x, [s](T v) { return v > 0 ? v : v * s; }, [s](T v) { return v > 0 ? T(1) : s; }, "LeakyReluBackward0");
}

/// x for x > 0, alpha (e^x - 1) otherwise.
template <class T>
Tensor<T> elu(const Tensor<T>& x, double alpha = 1.0) {
  const T a = static_cast<T>(alpha);
  // d/dx alpha (e^x - 1) = alpha e^x
  return pointwise_with_input(
      x, [a](T v) { return v > 0 ? v : a * std::expm1(v); }, [a](T v) { return v > 0 ? T(1) : a * std::exp(v); },
      "EluBackward0");
}

/// x Phi(x), Phi the standard normal CDF (approximate = "none"), or its tanh approximation.
template <class T>
Tensor<T> gelu(const Tensor<T>& x, const std::string& approximate = "none") {
  constexpr T kSqrt1_2 = T(0.70710678118654752440);
  constexpr T kInvSqrt2Pi = T(0.39894228040143267794);
  if (approximate == "tanh") {
    constexpr T kBeta = T(0.79788456080286535588);  // sqrt(2 / pi)
    constexpr T kKappa = T(0.044715);
    return pointwise_with_input(
        x,
        [](T v) { return T(0.5) * v * (T(1) + std::tanh(kBeta * (v + kKappa * v * v * v))); },
        // d/dx 0.5 x (1 + tanh(u)), u = b (x + k x^3): 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) b (1 + 3 k x^2)
        [](T v) {
          const T t = std::tanh(kBeta * (v + kKappa * v * v * v));
          return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * kBeta * (T(1) + T(3) * kKappa * v * v);
        },
        "GeluBackward0");
  }
  if (approximate != "none") throw ValueError("approximate argument must be either none or tanh.");
  // d/dx x Phi(x) = Phi(x) + x phi(x)
  return pointwise_with_input(
      x, [](T v) { return v * T(0.5) * (T(1) + std::erf(v * kSqrt1_2)); },
      [](T v) { return T(0.5) * (T(1) + std::erf(v * kSqrt1_2)) + v * kInvSqrt2Pi * std::exp(T(-0.5) * v * v); },
      "GeluBackward0");
}

/// x sigmoid(x) (also called swish).
template <class T>
Tensor<T> silu(const Tensor<T>& x) {
  // d/dx x s(x) = s(x) (1 + x (1 - s(x)))
  return pointwise_with_input(
      x, [](T v) { return v / (T(1) + std::exp(-v)); },
      [](T v) {
        const T s = T(1) / (T(1) + std::exp(-v));
        return s * (T(1) + v * (T(1) - s));
      },
      "SiluBackward0");
}

/// log(1 + e^(beta x)) / beta, linear above x beta > threshold.
template <class T>
Tensor<T> softplus(const Tensor<T>& x, double beta = 1.0, double threshold = 20.0) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  // d/dx log(1 + e^(b x)) / b = e^(b x) / (1 + e^(b x))
  return pointwise_with_input(
      x, [b, th](T v) { return v * b > th ? v : std::log1p(std::exp(v * b)) / b; },
      [b, th](T v) {
        if (v * b > th) return T(1);
        const T z = std::exp(v * b);
        return z / (z + T(1));
      },
      "SoftplusBackward0");
}

/// x clamped to [min_val, max_val]; ReLU6 is hardtanh(x, 0, 6).
template <class T>
Tensor<T> hardtanh(const Tensor<T>& x, double min_val = -1.0, double max_val = 1.0) {
  if (!(min_val <= max_val)) throw Error("min_val cannot be greater than max_val");
  const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
  return pointwise_with_input(
      x, [lo, hi](T v) { return v < lo ? lo : (v > hi ? hi : v); },
      [lo, hi](T v) { return (v > lo && v < hi) ? T(1) : T(0); }, "HardtanhBackward0");
}

/// x tanh(softplus(x)).
template <class T>
Tensor<T> mish(const Tensor<T>& x) {
  // d/dx x tanh(sp(x)) = tanh(sp(x)) + x sigmoid(x) (1 - tanh(sp(x))^2)
  return pointwise_with_input(
      x, [](T v) { return v * std::tanh(std::log1p(std::exp(v))); },
      [](T v) {
        const T t = std::tanh(std::log1p(std::exp(v)));
        const T s = T(1) / (T(1) + std::exp(-v));
        return t + v * s * (T(1) - t * t);
      },
      "MishBackward0");
}

/// log(sigmoid(x)), computed stably as min(x, 0) - log1p(e^-|x|).
template <class T>
Tensor<T> logsigmoid(const Tensor<T>& x) {
  // d/dx log s(x) = 1 - s(x) = s(-x)
  return pointwise_with_input(
      x, [](T v) { return std::min(v, T(0)) - std::log1p(std::exp(-std::abs(v))); },
      [](T v) { return T(1) / (T(1) + std::exp(v)); }, "LogSigmoidBackward0");
}

// d softmax: dx = y (g - sum(g y)); d log_softmax: dx = g - e^y sum(g), both along the dim
template <class T>
struct SoftmaxBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> y;
  int64_t outer, n, inner;
  bool log;
  const char* name() const override { return log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& vy = y.get();
    out[0] = Tensor<T>(g.shape(), detail::uninitialized);
    detail::kernel(
        [](const Tensor<T>& g, const Tensor<T>& vy, const Tensor<T>& out, int64_t outer, int64_t n, int64_t inner,
           bool log) {
          const T* pg = g.data();
          const T* py = vy.data();
          T* po = out.data();
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) {
              const int64_t base = o * n * inner + i;
              T s = T(0);
              for (int64_t k = 0; k < n; ++k)
                s += log ? pg[base + k * inner] : pg[base + k * inner] * py[base + k * inner];
              for (int64_t k = 0; k < n; ++k) {
                const int64_t at = base + k * inner;
                po[at] = log ? pg[at] - std::exp(py[at]) * s : py[at] * (pg[at] - s);
              }
            }
        },
        g, vy, out[0], outer, n, inner, log);
  }
  void release() override { y.release(); }
};

/// softmax (or log_softmax) along `dim`, stabilised by subtracting the maximum.
template <class T>
Tensor<T> softmax_impl(const Tensor<T>& x, int64_t dim, bool log) {
  const int64_t d = detail::wrap_dim(dim, x.dim());
  int64_t outer = 1, inner = 1;
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[static_cast<std::size_t>(d)];
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[static_cast<std::size_t>(i)];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[static_cast<std::size_t>(i)];
  Tensor<T> y(x.shape(), detail::uninitialized);
  detail::kernel(
      [](const Tensor<T>& x, const Tensor<T>& y, int64_t outer, int64_t n, int64_t inner, bool log) {
        const T* px = x.data();
        T* py = y.data();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t base = o * n * inner + i;
            T m = -std::numeric_limits<T>::infinity();
            for (int64_t k = 0; k < n; ++k) m = std::max(m, px[base + k * inner]);
            if (std::isinf(m)) m = T(0);  // all -inf (or an inf): leave the values to produce nan / inf as PyTorch
            T s = T(0);
            for (int64_t k = 0; k < n; ++k) s += std::exp(px[base + k * inner] - m);
            const T log_s = std::log(s);
            for (int64_t k = 0; k < n; ++k) {
              const int64_t at = base + k * inner;
              py[at] = log ? px[at] - m - log_s : std::exp(px[at] - m) / s;
            }
          }
      },
      x, y, outer, n, inner, log);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<SoftmaxBackward<T>>();
    node->y.save(y, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0");
    node->outer = outer;
    node->n = n;
    node->inner = inner;
    node->log = log;
    autograd::connect(y, node, {&x});
  }
  return y;
}

template <class T> Tensor<T> softmax(const Tensor<T>& x, int64_t dim) { return softmax_impl(x, dim, false); }
template <class T> Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace ops

template <class T> Tensor<T> softmax(const Tensor<T>& x, int64_t dim) { return ops::softmax(x, dim); }
template <class T> Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) { return ops::log_softmax(x, dim); }

}  // namespace eigentorch
