// optim::SGD: stochastic gradient descent with PyTorch's exact update rule (weight decay, momentum
// with dampening, Nesterov), step by step in the same order of float operations.
// NOTE: every `a + alpha * b` of PyTorch's update is one fused multiply-add here, as its AVX2
// kernels compute it, so float trajectories keep PyTorch's digits.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../detail/py_repr.hpp"
#include "optimizer.hpp"

#include <cmath>  // fma
#include <string>
#include <vector>

namespace eigentorch::optim {


/// SGD's settings, with chained setters: `SGDOptions(0.1).momentum(0.9).nesterov(true)`.
struct SGDOptions {
  explicit SGDOptions(double lr) : lr_(lr) {}
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }
  bool maximize() const { return maximize_; }

 private:
  double lr_;
  double momentum_ = 0.0, dampening_ = 0.0, weight_decay_ = 0.0;
  bool nesterov_ = false, maximize_ = false;
};

/// torch.optim.SGD: `optim::SGD opt(model.parameters(), 1e-3);` then zero_grad / backward / step.
template <class T = float>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<Tensor<T>> params, double lr) : SGD(std::move(params), SGDOptions(lr)) {}
  SGD(std::vector<Tensor<T>> params, const SGDOptions& options);

  /// p <- p - lr * d, where d is the gradient with weight decay, momentum and Nesterov applied in
  /// PyTorch's order. Parameters without a gradient are skipped.
  void step() override;

  const SGDOptions& options() const { return options_; }
  /// The momentum buffer of parameter i (undefined before the first step with momentum).
  const Tensor<T>& momentum_buffer(std::size_t i) const { return momentum_buffers_.at(i); }

 private:
  SGDOptions options_;
  /// The settings of one step, as the kernels take them.
  struct Update {
    T lr, wd, mom, damp;
    bool nesterov, maximize;
  };
  std::vector<Tensor<T>> momentum_buffers_;
};

template <class T>
SGD<T>::SGD(std::vector<Tensor<T>> params, const SGDOptions& options)
    : Optimizer<T>(std::move(params)), options_(options) {
  if (options.lr() < 0.0) detail::fail<ValueError>({"Invalid learning rate: ", detail::py_float(options.lr())});
  if (options.momentum() < 0.0)
    detail::fail<ValueError>({"Invalid momentum value: ", detail::py_float(options.momentum())});
  if (options.weight_decay() < 0.0)
    detail::fail<ValueError>({"Invalid weight_decay value: ", detail::py_float(options.weight_decay())});
  if (options.nesterov() && (options.momentum() <= 0.0 || options.dampening() != 0.0))
    detail::fail<ValueError>({"Nesterov momentum requires a momentum and zero dampening"});
  momentum_buffers_.resize(this->params_.size());
}

template <class T>
void SGD<T>::step() {
  NoGradGuard no_grad;
  Update u;
  u.lr = static_cast<T>(options_.lr());
  u.wd = static_cast<T>(options_.weight_decay());
  u.mom = static_cast<T>(options_.momentum());
  u.damp = static_cast<T>(1.0 - options_.dampening());
  u.nesterov = options_.nesterov();
  u.maximize = options_.maximize();
  // Every check before any update, so that a refused step changes nothing.
  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    const Tensor<T>& p = this->params_[i];
    const auto& g = p.impl()->grad;  // (no handle copy: this loop runs every step)
    if (!g) continue;
    if (g->shape != p.shape())
      detail::fail({"SGD: the gradient's shape ", g->shape.str(), " differs from the parameter's ", p.shape().str()});
    if (u.mom != T(0) && !momentum_buffers_[i].defined() && detail::is_capturing())
      detail::refuse_capture(
          "SGD: a CPUGraph cannot capture the first step with momentum, which creates the momentum buffers (each "
          "replay would create them again): run one step before capturing");
  }
  for (std::size_t i = 0; i < this->params_.size(); ++i) {
    Tensor<T>& p = this->params_[i];
    const Tensor<T> g = p.grad();
    if (!g.defined()) continue;
    if (u.wd == T(0) && u.mom == T(0) && !u.maximize) {  // plain SGD: the gradient is the direction
      detail::kernel(
          [](const Tensor<T>& p, const Tensor<T>& g, T lr) {
            T* pp = p.data();
            const T* pg = g.data();
            for (int64_t j = 0, n = p.numel(); j < n; ++j) pp[j] = std::fma(-lr, pg[j], pp[j]);  // p.add_(g, alpha=-lr)
            ++p.impl()->storage->version;
          },
          p, g, u.lr);
      continue;
    }
    Tensor<T>& buf = momentum_buffers_[i];
    const bool first = u.mom != T(0) && !buf.defined();
    if (first) buf = Tensor<T>(p.shape(), detail::uninitialized);
    detail::kernel(
        [](const Tensor<T>& p, const Tensor<T>& g, const Tensor<T>& buf, const Update& u, bool first) {
          const int64_t n = p.numel();
          T* pp = p.data();
          const T* pg = g.data();
          thread_local std::vector<T> direction;
          direction.resize(static_cast<std::size_t>(n));
          T* d = direction.data();
          for (int64_t j = 0; j < n; ++j) d[j] = u.maximize ? -pg[j] : pg[j];
          if (u.wd != T(0))
            for (int64_t j = 0; j < n; ++j) d[j] = std::fma(u.wd, pp[j], d[j]);  // d_p.add(param, alpha=weight_decay)
          if (u.mom != T(0)) {
            T* b = buf.data();
            if (first) {
              std::copy(d, d + n, b);  // the first step's buffer is the direction itself
            } else {
              for (int64_t j = 0; j < n; ++j) b[j] = b[j] * u.mom;                  // buf.mul_(momentum)
              for (int64_t j = 0; j < n; ++j) b[j] = std::fma(u.damp, d[j], b[j]);  // .add_(d_p, alpha=1 - dampening)
            }
            if (u.nesterov)
              for (int64_t j = 0; j < n; ++j) d[j] = std::fma(u.mom, b[j], d[j]);  // d_p.add(buf, alpha=momentum)
            else
              std::copy(b, b + n, d);
          }
          for (int64_t j = 0; j < n; ++j) pp[j] = std::fma(-u.lr, d[j], pp[j]);  // param.add_(d_p, alpha=-lr)
          ++p.impl()->storage->version;
        },
        p, g, buf, u, first);
  }
}

template <class T>
SGD(std::vector<Tensor<T>>, double) -> SGD<T>;
template <class T>
SGD(std::vector<Tensor<T>>, SGDOptions) -> SGD<T>;

}  // namespace eigentorch::optim
