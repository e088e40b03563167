// optim::SGD: stochastic gradient descent with PyTorch's exact update rule (weight decay, momentum
// with dampening, Nesterov), step by step in the same order of float operations.
// NOTE: every `a + alpha * b` of PyTorch's update is one fused multiply-add here, as its AVX2
// kernels compute it, so float trajectories keep PyTorch's digits.
#pragma once

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

  /// PyTorch's argument checks.
  void check() const {
    if (!(lr_ >= 0.0)) detail::fail<ValueError>({"Invalid learning rate: ", detail::py_float(lr_)});
    if (!(momentum_ >= 0.0)) detail::fail<ValueError>({"Invalid momentum value: ", detail::py_float(momentum_)});
    if (!(weight_decay_ >= 0.0))
      detail::fail<ValueError>({"Invalid weight_decay value: ", detail::py_float(weight_decay_)});
    if (nesterov_ && (momentum_ <= 0.0 || dampening_ != 0.0))
      detail::fail<ValueError>({"Nesterov momentum requires a momentum and zero dampening"});
  }
  /// The keys of PyTorch's group dict, in its order (for Optimizer::group_option and state_dict).
  detail::OptionFields fields() {
    using F = detail::OptionField;
    return {F::real("lr", lr_), F::real("momentum", momentum_), F::real("dampening", dampening_),
            F::real("weight_decay", weight_decay_), F::boolean("nesterov", nesterov_),
            F::boolean("maximize", maximize_), F::fixed("foreach", F::Kind::none),
            F::fixed("differentiable", F::Kind::off)};
  }

 private:
  double lr_;
  double momentum_ = 0.0, dampening_ = 0.0, weight_decay_ = 0.0;
  bool nesterov_ = false, maximize_ = false;
};

/// torch.optim.SGD: `optim::SGD opt(model.parameters(), 1e-3);` then zero_grad / backward / step.
template <class T = float>
class SGD : public GroupedOptimizer<T, SGDOptions> {
 public:
  using Group = ParamGroup<T, SGDOptions>;
  SGD(std::vector<Tensor<T>> params, double lr) : SGD(std::move(params), SGDOptions(lr)) {}
  SGD(std::vector<Tensor<T>> params, const SGDOptions& options) : SGD(std::vector<Group>{Group(std::move(params))}, options) {}
  SGD(std::vector<Group> groups, double lr) : SGD(std::move(groups), SGDOptions(lr)) {}
  SGD(std::vector<Group> groups, const SGDOptions& options) : GroupedOptimizer<T, SGDOptions>(std::move(groups), options) {}

  /// The momentum buffer of parameter i, numbered across groups (undefined before the first step
  /// with momentum).
  const Tensor<T>& momentum_buffer(std::size_t i) const { return this->state_.at(i).buffers[0]; }

 protected:
  /// p <- p - lr * d, where d is the gradient with weight decay, momentum and Nesterov applied in
  /// PyTorch's order. Parameters without a gradient are skipped.
  void update() override;
  detail::StateLayout layout() const override {
    return {detail::StateLayout::Step::none, {"momentum_buffer", nullptr, nullptr}, true};
  }

 private:
  /// The settings of one step, as the kernels take them.
  struct Update {
    T lr, wd, mom, damp;
    bool nesterov, maximize;
  };
};

template <class T>
void SGD<T>::update() {
  this->each_parameter(
      "SGD",
      [](const SGDOptions& o, const Tensor<T>& p, detail::ParamState<T>& st) {
        if (o.momentum() == 0.0 || st.buffers[0].defined()) return;
        st.buffers[0] = SGD::new_buffer(
            p,
            "SGD: a CPUGraph cannot capture the first step with momentum, which creates the momentum buffers (each "
            "replay would create them again): run one step before capturing");
        st.fresh = true;  // the first step's buffer is the direction itself
      },
      [](const SGDOptions& o, Tensor<T>& p, const Tensor<T>& g, detail::ParamState<T>& st) {
        Update u;
        u.lr = static_cast<T>(o.lr());
        u.wd = static_cast<T>(o.weight_decay());
        u.mom = static_cast<T>(o.momentum());
        u.damp = static_cast<T>(1.0 - o.dampening());
        u.nesterov = o.nesterov();
        u.maximize = o.maximize();
        // One kernel for every option (each kernel is a recorded type of its own, compiled in every program).
        detail::kernel(
            [](const Tensor<T>& p, const Tensor<T>& g, const Tensor<T>& buf, const Update& u, bool first) {
              const int64_t n = p.numel();
              T* pp = p.data();
              const T* pg = g.data();
              if (u.wd == T(0) && u.mom == T(0) && !u.maximize) {  // plain SGD: the gradient is the direction
                for (int64_t j = 0; j < n; ++j) pp[j] = std::fma(-u.lr, pg[j], pp[j]);  // p.add_(g, alpha=-lr)
                ++p.impl()->storage->version;
                return;
              }
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
            p, g, st.buffers[0], u, st.fresh);
      });
}

template <class T>
SGD(std::vector<Tensor<T>>, double) -> SGD<T>;
template <class T>
SGD(std::vector<Tensor<T>>, SGDOptions) -> SGD<T>;

}  // namespace eigentorch::optim
