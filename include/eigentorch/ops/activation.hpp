// The activations beyond tanh, sigmoid and relu (pointwise.hpp), softmax and log_softmax among them.
// Each pointwise one is a rule (forward, derivative, node name, what it saves; see pointwise.hpp) and
// a function in eigentorch::activations, which nn::functional takes in whole: a new activation is a
// rule and a function here, and a module in nn/activation.hpp.
#pragma once

#include "../autograd/node.hpp"
#include "../backend/vector_math.hpp"  // exp_values, sum_lanes: softmax along a contiguous dim
#include "kernels.hpp"
#include "pointwise.hpp"

#include <algorithm>  // max, min
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace eigentorch {
namespace ops {

// d leaky_relu(x)/dx = 1 for x > 0, else the slope
template <class T>
struct LeakyRelu {
  static constexpr const char* name = "LeakyReluBackward0";
  static constexpr Saves saves = Saves::input;
  T slope;
  T forward(T x) const { return x > 0 ? x : x * slope; }
  T backward(T g, T x) const { return g * (x > 0 ? T(1) : slope); }
};

// d elu(x)/dx = 1 for x > 0, else d/dx alpha (e^x - 1) = alpha e^x
template <class T>
struct Elu {
  static constexpr const char* name = "EluBackward0";
  static constexpr Saves saves = Saves::input;
  T alpha;
  T forward(T x) const { return x > 0 ? x : alpha * std::expm1(x); }
  T backward(T g, T x) const { return g * (x > 0 ? T(1) : alpha * std::exp(x)); }
};

inline constexpr double kSqrt1_2 = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;

// d/dx x Phi(x) = Phi(x) + x phi(x)  (Phi, phi: the standard normal CDF and density)
template <class T>
struct Gelu {
  static constexpr const char* name = "GeluBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return x * T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2))); }
  T backward(T g, T x) const {
    return g * (T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2))) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x));
  }
};

// gelu's tanh approximation, 0.5 x (1 + tanh(u)), u = b (x + k x^3):
// d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) b (1 + 3 k x^2)
template <class T>
struct GeluTanh {
  static constexpr const char* name = "GeluBackward0";
  static constexpr Saves saves = Saves::input;
  static constexpr T kBeta = T(0.79788456080286535588), kKappa = T(0.044715);  // b = sqrt(2 / pi), k
  T forward(T x) const { return T(0.5) * x * (T(1) + std::tanh(kBeta * (x + kKappa * x * x * x))); }
  T backward(T g, T x) const {
    const T t = std::tanh(kBeta * (x + kKappa * x * x * x));
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * kBeta * (T(1) + T(3) * kKappa * x * x));
  }
};

// d/dx x s(x) = s(x) (1 + x (1 - s(x))), s the sigmoid
template <class T>
struct Silu {
  static constexpr const char* name = "SiluBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return x / (T(1) + std::exp(-x)); }
  T backward(T g, T x) const {
    const T s = T(1) / (T(1) + std::exp(-x));
    return g * (s * (T(1) + x * (T(1) - s)));
  }
};

// d/dx log(1 + e^(b x)) / b = e^(b x) / (1 + e^(b x)); 1 where b x > threshold (linear there)
template <class T>
struct Softplus {
  static constexpr const char* name = "SoftplusBackward0";
  static constexpr Saves saves = Saves::input;
  T beta, threshold;
  T forward(T x) const { return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta; }
  T backward(T g, T x) const {
    if (x * beta > threshold) return g * T(1);
    const T z = std::exp(x * beta);
    return g * (z / (z + T(1)));
  }
};

// d hardtanh(x)/dx = 1 strictly between min_val and max_val, else 0
template <class T>
struct Hardtanh {
  static constexpr const char* name = "HardtanhBackward0";
  static constexpr Saves saves = Saves::input;
  T lo, hi;
  T forward(T x) const { return x < lo ? lo : (x > hi ? hi : x); }
  T backward(T g, T x) const { return g * ((x > lo && x < hi) ? T(1) : T(0)); }
};

// d/dx x tanh(sp(x)) = tanh(sp(x)) + x s(x) (1 - tanh(sp(x))^2), sp the softplus, s the sigmoid
template <class T>
struct Mish {
  static constexpr const char* name = "MishBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return x * std::tanh(std::log1p(std::exp(x))); }
  T backward(T g, T x) const {
    const T t = std::tanh(std::log1p(std::exp(x)));
    const T s = T(1) / (T(1) + std::exp(-x));
    return g * (t + x * s * (T(1) - t * t));
  }
};

// d/dx log s(x) = 1 - s(x) = s(-x); computed stably as min(x, 0) - log1p(e^-|x|)
template <class T>
struct LogSigmoid {
  static constexpr const char* name = "LogSigmoidBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return std::min(x, T(0)) - std::log1p(std::exp(-std::abs(x))); }
  T backward(T g, T x) const { return g * (T(1) / (T(1) + std::exp(x))); }
};

// d hardswish(x)/dx = 0 below -3, x/3 + 1/2 up to 3, 1 above
template <class T>
struct Hardswish {
  static constexpr const char* name = "HardswishBackward0";
  static constexpr Saves saves = Saves::input;
  T forward(T x) const { return x * std::min(std::max(x + T(3), T(0)), T(6)) / T(6); }
  T backward(T g, T x) const { return x < T(-3) ? T(0) : x <= T(3) ? g * (x / T(3) + T(0.5)) : g; }
};

// d softmax: dx = y (g - sum(g y)); d log_softmax: dx = g - e^y sum(g), both along the dim
template <class T>
struct SoftmaxBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> y;
  int64_t dim;
  bool log;
  const char* name() const override { return log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = Tensor<T>(g.shape(), detail::uninitialized);
    detail::lanes(
        dim,
        [log = log](detail::Lane<T> dx, detail::Lane<const T> g, detail::Lane<const T> y) {
          const int64_t n = g.size();
          if (log && g.stride == 1) {  // contiguous (the class dim last): vectorised e^y, PyTorch's sum order
            const T s = detail::sum_lanes(g.p, n);
            detail::exp_values(y.p, dx.p, n);
            for (int64_t k = 0; k < n; ++k) dx.p[k] = g.p[k] - dx.p[k] * s;
            return;
          }
          T s = T(0);
          for (int64_t k = 0; k < n; ++k) s += log ? g[k] : g[k] * y[k];
          for (int64_t k = 0; k < n; ++k) dx[k] = log ? g[k] - detail::exp_value(y[k]) * s : y[k] * (g[k] - s);
        },
        out[0], g, y.get());
  }
  void release() override { y.release(); }
};

/// softmax (or log_softmax) along `dim`, stabilised by subtracting the maximum.
template <class T>
Tensor<T> softmax(const Tensor<T>& x, int64_t dim, bool log) {
  Tensor<T> y(x.shape(), detail::uninitialized);
  detail::lanes(
      dim,
      [log](detail::Lane<T> y, detail::Lane<const T> x) {
        const int64_t n = x.size();
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t k = 0; k < n; ++k) m = std::max(m, x[k]);
        if (std::isinf(m)) m = T(0);  // all -inf (or an inf): leave the values to produce nan / inf as PyTorch
        T s = T(0);
        if (y.stride == 1) {  // contiguous (the class dim last): vectorised e^(x - m), PyTorch's sum order
          for (int64_t k = 0; k < n; ++k) y.p[k] = x.p[k] - m;
          if (log) {
            thread_local std::vector<T> e;  // e^(x - m), for the sum only
            e.resize(static_cast<std::size_t>(n));
            detail::exp_values(y.p, e.data(), n);
            s = detail::sum_lanes(e.data(), n);
            const T log_s = std::log(s);
            for (int64_t k = 0; k < n; ++k) y.p[k] -= log_s;
          } else {
            detail::exp_values(y.p, y.p, n);
            s = detail::sum_lanes(y.p, n);
            for (int64_t k = 0; k < n; ++k) y.p[k] /= s;
          }
          return;
        }
        for (int64_t k = 0; k < n; ++k) s += detail::exp_value(x[k] - m);
        const T log_s = std::log(s);
        for (int64_t k = 0; k < n; ++k) y[k] = log ? x[k] - m - log_s : detail::exp_value(x[k] - m) / s;
      },
      y, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<SoftmaxBackward<T>>();
    node->y.save(y, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0");
    node->dim = dim;
    node->log = log;
    autograd::connect(y, node, {&x});
  }
  return y;
}

}  // namespace ops

/// The activations: et::leaky_relu(x, 0.1) and nn::functional::leaky_relu(x, 0.1) alike.
inline namespace activations {

/// x for x > 0, negative_slope * x otherwise.
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, double negative_slope = 0.01) {
  return ops::pointwise(x, ops::LeakyRelu<T>{static_cast<T>(negative_slope)});
}
/// x for x > 0, alpha (e^x - 1) otherwise.
template <class T>
Tensor<T> elu(const Tensor<T>& x, double alpha = 1.0) { return ops::pointwise(x, ops::Elu<T>{static_cast<T>(alpha)}); }
/// x Phi(x), Phi the standard normal CDF (approximate = "none"), or its tanh approximation.
template <class T>
Tensor<T> gelu(const Tensor<T>& x, const std::string& approximate = "none") {
  if (approximate == "tanh") return ops::pointwise(x, ops::GeluTanh<T>{});
  if (approximate != "none") detail::fail<ValueError>({"approximate argument must be either none or tanh."});
  return ops::pointwise(x, ops::Gelu<T>{});
}
/// x sigmoid(x) (also called swish).
template <class T>
Tensor<T> silu(const Tensor<T>& x) { return ops::pointwise(x, ops::Silu<T>{}); }
/// log(1 + e^(beta x)) / beta, linear above x beta > threshold.
template <class T>
Tensor<T> softplus(const Tensor<T>& x, double beta = 1.0, double threshold = 20.0) {
  return ops::pointwise(x, ops::Softplus<T>{static_cast<T>(beta), static_cast<T>(threshold)});
}
/// x clamped to [min_val, max_val].
template <class T>
Tensor<T> hardtanh(const Tensor<T>& x, double min_val = -1.0, double max_val = 1.0) {
  if (!(min_val <= max_val)) detail::fail({"min_val cannot be greater than max_val"});
  return ops::pointwise(x, ops::Hardtanh<T>{static_cast<T>(min_val), static_cast<T>(max_val)});
}
/// min(max(x, 0), 6): hardtanh(x, 0, 6), as in PyTorch.
template <class T>
Tensor<T> relu6(const Tensor<T>& x) { return hardtanh(x, 0.0, 6.0); }
/// x tanh(softplus(x)).
template <class T>
Tensor<T> mish(const Tensor<T>& x) { return ops::pointwise(x, ops::Mish<T>{}); }
/// log(sigmoid(x)).
template <class T>
Tensor<T> logsigmoid(const Tensor<T>& x) { return ops::pointwise(x, ops::LogSigmoid<T>{}); }
/// x relu6(x + 3) / 6.
template <class T> Tensor<T> hardswish(const Tensor<T>& x) { return ops::pointwise(x, ops::Hardswish<T>{}); }
/// x / (1 + |x|), composed (as PyTorch composes it).
template <class T>
Tensor<T> softsign(const Tensor<T>& x) { return x / (eigentorch::abs(x) + T(1)); }
/// x - tanh(x), composed (as PyTorch composes it).
template <class T>
Tensor<T> tanhshrink(const Tensor<T>& x) { return x - eigentorch::tanh(x); }
/// e^x / sum(e^x) along `dim`.
template <class T>
Tensor<T> softmax(const Tensor<T>& x, int64_t dim) { return ops::softmax(x, dim, false); }
/// log(softmax(x)) along `dim`, computed stably.
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) { return ops::softmax(x, dim, true); }

}  // namespace activations
}  // namespace eigentorch
