// optim::Adam and the machinery it shares with AdamW (adamw.hpp): the options (lr, betas, eps,
// weight_decay, amsgrad, maximize) and the update, PyTorch 1.13's single-tensor rule in its rounding:
//   step += 1 (a float32 tensor); g = -grad if maximize; g += weight_decay * p (Adam) or
//   p *= 1 - lr * weight_decay (AdamW); m = m * beta1 + (1 - beta1) g; v = v * beta2 + (1 - beta2) g g;
//   vmax = max(vmax, v) if amsgrad; p += -lr / (1 - beta1^step) * m / (sqrt(v or vmax) / sqrt(1 - beta2^step) + eps)
// each parameter in one pass over its elements (optim/rules.hpp).
#pragma once

#include "optimizer.hpp"
#include "rules.hpp"

#include <cmath>    // pow, sqrt
#include <utility>  // pair
#include <vector>

namespace eigentorch::detail {

/// The options Adam and AdamW share, with chained setters returning the derived options (Self).
template <class Self>
class AdamFamilyOptions {
 public:
  Self& lr(double v) { return set(lr_, v); }
  Self& betas(std::pair<double, double> v) {
    betas_[0] = v.first;
    betas_[1] = v.second;
    return static_cast<Self&>(*this);
  }
  Self& eps(double v) { return set(eps_, v); }
  Self& weight_decay(double v) { return set(weight_decay_, v); }
  Self& amsgrad(bool v) { return set(amsgrad_, v); }
  Self& maximize(bool v) { return set(maximize_, v); }
  double lr() const { return lr_; }
  std::pair<double, double> betas() const { return {betas_[0], betas_[1]}; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }

  /// PyTorch's argument checks, in its order.
  void check() const {
    if (!(0.0 <= lr_)) fail<ValueError>({"Invalid learning rate: ", py_float(lr_)});
    if (!(0.0 <= eps_)) fail<ValueError>({"Invalid epsilon value: ", py_float(eps_)});
    if (!(0.0 <= betas_[0] && betas_[0] < 1.0))
      fail<ValueError>({"Invalid beta parameter at index 0: ", py_float(betas_[0])});
    if (!(0.0 <= betas_[1] && betas_[1] < 1.0))
      fail<ValueError>({"Invalid beta parameter at index 1: ", py_float(betas_[1])});
    if (!(0.0 <= weight_decay_)) fail<ValueError>({"Invalid weight_decay value: ", py_float(weight_decay_)});
  }

 protected:
  AdamFamilyOptions(double lr, double weight_decay) : lr_(lr), weight_decay_(weight_decay) {}
  template <class V>
  Self& set(V& field, V v) {
    field = v;
    return static_cast<Self&>(*this);
  }

  double lr_;
  double betas_[2] = {0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_;
  bool amsgrad_ = false, maximize_ = false;
};

}  // namespace eigentorch::detail

namespace eigentorch::optim {

/// Adam's settings: `AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(0).amsgrad(false)`.
struct AdamOptions : detail::AdamFamilyOptions<AdamOptions> {
  explicit AdamOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 0.0) {}
  /// The keys of PyTorch's group dict, in its order.
  detail::OptionFields fields() {
    using F = detail::OptionField;
    return {F::real("lr", lr_),          F::two("betas", betas_),
            F::real("eps", eps_),        F::real("weight_decay", weight_decay_),
            F::boolean("amsgrad", amsgrad_), F::boolean("maximize", maximize_),
            F::fixed("foreach", F::Kind::none), F::fixed("capturable", F::Kind::off),
            F::fixed("differentiable", F::Kind::off), F::fixed("fused", F::Kind::off)};
  }
};

/// The update Adam and AdamW share; Decoupled: AdamW's weight decay (p *= 1 - lr * weight_decay).
template <class T, class Options, bool Decoupled>
class AdamFamily : public GroupedOptimizer<T, Options> {
 public:
  using Group = ParamGroup<T, Options>;

  /// The first moment (exp_avg), second moment (exp_avg_sq) or amsgrad's maximum (max_exp_avg_sq) of
  /// parameter i, numbered across groups; undefined before its first step.
  const Tensor<T>& exp_avg(std::size_t i) const { return this->state_.at(i).buffers[0]; }
  const Tensor<T>& exp_avg_sq(std::size_t i) const { return this->state_.at(i).buffers[1]; }
  const Tensor<T>& max_exp_avg_sq(std::size_t i) const { return this->state_.at(i).buffers[2]; }

 protected:
  AdamFamily(std::vector<Group> groups, const Options& options)
      : GroupedOptimizer<T, Options>(std::move(groups), options) {}
  void update() override;
  detail::StateLayout layout() const override {
    return {detail::StateLayout::Step::tensor, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, false};
  }

 private:
  /// One step's settings as the kernel takes them (the bias corrections need the step: in the kernel).
  struct Settings {
    double lr, beta1, beta2;
    T b1, b2, one_minus_b1, one_minus_b2, weight_decay, decay, eps;
    bool amsgrad, maximize;
  };
};

template <class T, class Options, bool Decoupled>
void AdamFamily<T, Options, Decoupled>::update() {
  this->each_parameter(
      Decoupled ? "AdamW" : "Adam",
      [](const Options& o, const Tensor<T>& p, detail::ParamState<T>& st) {
        const char* message = Decoupled
                                  ? "AdamW: a CPUGraph cannot capture the first step, which creates the optimizer's "
                                    "state (each replay would create it again): run one step before capturing"
                                  : "Adam: a CPUGraph cannot capture the first step, which creates the optimizer's "
                                    "state (each replay would create it again): run one step before capturing";
        for (int b = 0; b < 2; ++b)
          if (!st.buffers[b].defined()) st.buffers[b] = AdamFamily::new_buffer(p, message);
        if (o.amsgrad() && !st.buffers[2].defined()) st.buffers[2] = AdamFamily::new_buffer(p, message);
        st.count_steps();
      },
      [](const Options& o, Tensor<T>& p, const Tensor<T>& g, detail::ParamState<T>& st) {
        Settings s;
        s.lr = o.lr();
        s.beta1 = o.betas().first;
        s.beta2 = o.betas().second;
        s.b1 = static_cast<T>(s.beta1);
        s.b2 = static_cast<T>(s.beta2);
        s.one_minus_b1 = static_cast<T>(1.0 - s.beta1);
        s.one_minus_b2 = static_cast<T>(1.0 - s.beta2);
        s.weight_decay = Decoupled ? T(0) : static_cast<T>(o.weight_decay());
        s.decay = static_cast<T>(1.0 - o.lr() * o.weight_decay());
        s.eps = static_cast<T>(o.eps());
        s.amsgrad = o.amsgrad();
        s.maximize = o.maximize();
        detail::kernel(
            [](const Tensor<T>& p, const Tensor<T>& g, const Tensor<T>& m, const Tensor<T>& v,
               const Tensor<T>& vmax, const Tensor<double>& step_t, const Settings& s) {
              double& step = step_t.data()[0];
              step = detail::rule::next_float_step(step);
              const double bias_correction1 = 1.0 - std::pow(s.beta1, step);
              const double bias_correction2 = 1.0 - std::pow(s.beta2, step);
              const T neg_step_size = static_cast<T>(-(s.lr / bias_correction1));
              const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
              T* pp = p.data();
              const T* pg = g.data();
              T* pm = m.data();
              T* pv = v.data();
              T* pmax = s.amsgrad ? vmax.data() : nullptr;
              detail::rule::for_lanes<T>(p.numel(), [&](auto lanes, int64_t j) {
                using L = decltype(lanes);
                namespace rule = detail::rule;
                auto param = L::load(pp + j);
                const auto d = rule::direction<L>(L::load(pg + j), param, s.weight_decay, s.maximize);
                if (Decoupled) param = L::mul(param, L::set(s.decay));  // param.mul_(1 - lr * weight_decay)
                // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                const auto m1 = rule::add<L>(L::mul(L::load(pm + j), L::set(s.b1)), L::set(s.one_minus_b1), d);
                // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                const auto v1 = rule::addcmul<L>(L::mul(L::load(pv + j), L::set(s.b2)), L::set(s.one_minus_b2), d, d);
                L::store(pm + j, m1);
                L::store(pv + j, v1);
                auto second = v1;
                if (pmax) {  // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                  second = L::maximum(L::load(pmax + j), v1);
                  L::store(pmax + j, second);
                }
                // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                const auto denom = L::add(L::div(L::sqrt(second), L::set(bias_correction2_sqrt)), L::set(s.eps));
                // param.addcdiv_(exp_avg, denom, value=-step_size)
                L::store(pp + j, rule::addcdiv<L>(param, L::set(neg_step_size), m1, denom));
              });
              ++p.impl()->storage->version;
            },
            p, g, st.buffers[0], st.buffers[1], st.buffers[2], st.step, s);
      });
}

/// torch.optim.Adam: `optim::Adam opt(model.parameters(), optim::AdamOptions(1e-3).amsgrad(true));`.
template <class T = float>
class Adam : public AdamFamily<T, AdamOptions, false> {
 public:
  using Group = ParamGroup<T, AdamOptions>;
  explicit Adam(std::vector<Tensor<T>> params, const AdamOptions& options = AdamOptions())
      : Adam(std::vector<Group>{Group(std::move(params))}, options) {}
  explicit Adam(std::vector<Group> groups, const AdamOptions& options = AdamOptions())
      : AdamFamily<T, AdamOptions, false>(std::move(groups), options) {}
};

template <class T>
Adam(std::vector<Tensor<T>>) -> Adam<T>;
template <class T>
Adam(std::vector<Tensor<T>>, AdamOptions) -> Adam<T>;

}  // namespace eigentorch::optim
