// optim::RMSprop: PyTorch 1.13's single-tensor rule in its rounding (optim/rules.hpp):
//   g = -grad if maximize; g += weight_decay * p; sq = sq * alpha + (1 - alpha) g g;
//   centered: ga = ga * alpha + (1 - alpha) g, avg = sqrt(sq - ga ga), else avg = sqrt(sq); avg += eps;
//   momentum: buf = buf * momentum + g / avg, p -= lr buf; else p += -lr g / avg.
#pragma once

#include "optimizer.hpp"
#include "rules.hpp"

#include <cmath>  // sqrt
#include <vector>

namespace eigentorch::optim {

/// RMSprop's settings: `RMSpropOptions(1e-2).alpha(0.99).eps(1e-8).weight_decay(0).momentum(0).centered(false)`.
struct RMSpropOptions {
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}
  RMSpropOptions& lr(double v) { lr_ = v; return *this; }
  RMSpropOptions& alpha(double v) { alpha_ = v; return *this; }
  RMSpropOptions& eps(double v) { eps_ = v; return *this; }
  RMSpropOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  RMSpropOptions& momentum(double v) { momentum_ = v; return *this; }
  RMSpropOptions& centered(bool v) { centered_ = v; return *this; }
  RMSpropOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double alpha() const { return alpha_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  double momentum() const { return momentum_; }
  bool centered() const { return centered_; }
  bool maximize() const { return maximize_; }

  /// PyTorch's argument checks, in its order.
  void check() const {
    if (!(0.0 <= lr_)) detail::fail<ValueError>({"Invalid learning rate: ", detail::py_float(lr_)});
    if (!(0.0 <= eps_)) detail::fail<ValueError>({"Invalid epsilon value: ", detail::py_float(eps_)});
    if (!(0.0 <= momentum_)) detail::fail<ValueError>({"Invalid momentum value: ", detail::py_float(momentum_)});
    if (!(0.0 <= weight_decay_))
      detail::fail<ValueError>({"Invalid weight_decay value: ", detail::py_float(weight_decay_)});
    if (!(0.0 <= alpha_)) detail::fail<ValueError>({"Invalid alpha value: ", detail::py_float(alpha_)});
  }
  /// The keys of PyTorch's group dict, in its order.
  detail::OptionFields fields() {
    using F = detail::OptionField;
    return {F::real("lr", lr_),           F::real("momentum", momentum_),   F::real("alpha", alpha_),
            F::real("eps", eps_),         F::boolean("centered", centered_), F::real("weight_decay", weight_decay_),
            F::fixed("foreach", F::Kind::none), F::boolean("maximize", maximize_),
            F::fixed("differentiable", F::Kind::off)};
  }

 private:
  double lr_, alpha_ = 0.99, eps_ = 1e-8, weight_decay_ = 0.0, momentum_ = 0.0;
  bool centered_ = false, maximize_ = false;
};

/// torch.optim.RMSprop: `optim::RMSprop opt(model.parameters(), optim::RMSpropOptions(1e-2).centered(true));`.
template <class T = float>
class RMSprop : public GroupedOptimizer<T, RMSpropOptions> {
 public:
  using Group = ParamGroup<T, RMSpropOptions>;
  explicit RMSprop(std::vector<Tensor<T>> params, const RMSpropOptions& options = RMSpropOptions())
      : RMSprop(std::vector<Group>{Group(std::move(params))}, options) {}
  explicit RMSprop(std::vector<Group> groups, const RMSpropOptions& options = RMSpropOptions())
      : GroupedOptimizer<T, RMSpropOptions>(std::move(groups), options) {}

  /// square_avg, momentum_buffer or grad_avg of parameter i, numbered across groups.
  const Tensor<T>& square_avg(std::size_t i) const { return this->state_.at(i).buffers[0]; }
  const Tensor<T>& momentum_buffer(std::size_t i) const { return this->state_.at(i).buffers[1]; }
  const Tensor<T>& grad_avg(std::size_t i) const { return this->state_.at(i).buffers[2]; }

 protected:
  void update() override;
  detail::StateLayout layout() const override {
    return {detail::StateLayout::Step::integer, {"square_avg", "momentum_buffer", "grad_avg"}, false};
  }

 private:
  struct Settings {
    T lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
    bool centered, maximize;
  };
};

template <class T>
void RMSprop<T>::update() {
  this->each_parameter(
      "RMSprop",
      [](const RMSpropOptions& o, const Tensor<T>& p, detail::ParamState<T>& st) {
        const char* message =
            "RMSprop: a CPUGraph cannot capture the first step, which creates the optimizer's state (each replay "
            "would create it again): run one step before capturing";
        if (!st.buffers[0].defined()) st.buffers[0] = RMSprop::new_buffer(p, message);
        if (o.momentum() > 0.0 && !st.buffers[1].defined()) st.buffers[1] = RMSprop::new_buffer(p, message);
        if (o.centered() && !st.buffers[2].defined()) st.buffers[2] = RMSprop::new_buffer(p, message);
        st.count_steps();
      },
      [](const RMSpropOptions& o, Tensor<T>& p, const Tensor<T>& g, detail::ParamState<T>& st) {
        Settings s;
        s.lr = static_cast<T>(o.lr());
        s.alpha = static_cast<T>(o.alpha());
        s.one_minus_alpha = static_cast<T>(1.0 - o.alpha());
        s.eps = static_cast<T>(o.eps());
        s.weight_decay = static_cast<T>(o.weight_decay());
        s.momentum = o.momentum() > 0.0 ? static_cast<T>(o.momentum()) : T(0);
        s.centered = o.centered();
        s.maximize = o.maximize();
        detail::kernel(
            [](const Tensor<T>& p, const Tensor<T>& g, const Tensor<T>& sq, const Tensor<T>& buf,
               const Tensor<T>& ga, const Tensor<double>& step, const Settings& s, bool momentum) {
              step.data()[0] += 1.0;  // state['step'] += 1, an int
              T* pp = p.data();
              const T* pg = g.data();
              T* psq = sq.data();
              T* pbuf = momentum ? buf.data() : nullptr;
              T* pga = s.centered ? ga.data() : nullptr;
              detail::rule::for_lanes<T>(p.numel(), [&](auto lanes, int64_t j) {
                using L = decltype(lanes);
                namespace rule = detail::rule;
                const auto param = L::load(pp + j);
                const auto d = rule::direction<L>(L::load(pg + j), param, s.weight_decay, s.maximize);
                const auto alpha = L::set(s.alpha), one_minus_alpha = L::set(s.one_minus_alpha);
                // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                const auto sq1 = rule::addcmul<L>(L::mul(L::load(psq + j), alpha), one_minus_alpha, d, d);
                L::store(psq + j, sq1);
                auto avg = sq1;
                if (pga) {
                  // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
                  const auto ga1 = rule::add<L>(L::mul(L::load(pga + j), alpha), one_minus_alpha, d);
                  L::store(pga + j, ga1);
                  avg = rule::addcmul<L>(sq1, L::set(T(-1)), ga1, ga1);  // square_avg.addcmul(grad_avg, grad_avg, value=-1)
                }
                avg = L::add(L::sqrt(avg), L::set(s.eps));  // .sqrt_(), then .add_(eps)
                if (pbuf) {
                  // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
                  const auto buf1 = rule::addcdiv<L>(L::mul(L::load(pbuf + j), L::set(s.momentum)), L::set(T(1)), d, avg);
                  L::store(pbuf + j, buf1);
                  L::store(pp + j, rule::add<L>(param, L::set(-s.lr), buf1));
                } else {
                  L::store(pp + j, rule::addcdiv<L>(param, L::set(-s.lr), d, avg));  // param.addcdiv_(grad, avg, value=-lr)
                }
              });
              ++p.impl()->storage->version;
            },
            p, g, st.buffers[0], st.buffers[1], st.buffers[2], st.step, s, s.momentum != T(0));
      });
}

template <class T>
RMSprop(std::vector<Tensor<T>>) -> RMSprop<T>;
template <class T>
RMSprop(std::vector<Tensor<T>>, RMSpropOptions) -> RMSprop<T>;

}  // namespace eigentorch::optim
