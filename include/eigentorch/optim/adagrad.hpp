// optim::Adagrad: PyTorch 1.13's single-tensor rule in its rounding (optim/rules.hpp):
//   step += 1 (a float32 tensor); g = -grad if maximize; g += weight_decay * p;
//   clr = lr / (1 + (step - 1) lr_decay); sum += g g; p += -clr g / (sqrt(sum) + eps).
// As in PyTorch, every parameter's state (step 0, sum = initial_accumulator_value) exists from construction.
#pragma once

#include "optimizer.hpp"
#include "rules.hpp"

#include <cmath>  // sqrt
#include <vector>

namespace eigentorch::optim {

/// Adagrad's settings: `AdagradOptions(1e-2).lr_decay(0).weight_decay(0).initial_accumulator_value(0).eps(1e-10)`.
struct AdagradOptions {
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}
  AdagradOptions& lr(double v) { lr_ = v; return *this; }
  AdagradOptions& lr_decay(double v) { lr_decay_ = v; return *this; }
  AdagradOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdagradOptions& initial_accumulator_value(double v) { initial_accumulator_value_ = v; return *this; }
  AdagradOptions& eps(double v) { eps_ = v; return *this; }
  AdagradOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double lr_decay() const { return lr_decay_; }
  double weight_decay() const { return weight_decay_; }
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  double eps() const { return eps_; }
  bool maximize() const { return maximize_; }

  /// PyTorch's argument checks, in its order.
  void check() const {
    if (!(0.0 <= lr_)) detail::fail<ValueError>({"Invalid learning rate: ", detail::py_float(lr_)});
    if (!(0.0 <= lr_decay_)) detail::fail<ValueError>({"Invalid lr_decay value: ", detail::py_float(lr_decay_)});
    if (!(0.0 <= weight_decay_))
      detail::fail<ValueError>({"Invalid weight_decay value: ", detail::py_float(weight_decay_)});
    if (!(0.0 <= initial_accumulator_value_))
      detail::fail<ValueError>(
          {"Invalid initial_accumulator_value value: ", detail::py_float(initial_accumulator_value_)});
    if (!(0.0 <= eps_)) detail::fail<ValueError>({"Invalid epsilon value: ", detail::py_float(eps_)});
  }
  /// The keys of PyTorch's group dict, in its order.
  detail::OptionFields fields() {
    using F = detail::OptionField;
    return {F::real("lr", lr_),
            F::real("lr_decay", lr_decay_),
            F::real("eps", eps_),
            F::real("weight_decay", weight_decay_),
            F::real("initial_accumulator_value", initial_accumulator_value_),
            F::fixed("foreach", F::Kind::none),
            F::boolean("maximize", maximize_)};
  }

 private:
  double lr_, lr_decay_ = 0.0, weight_decay_ = 0.0, initial_accumulator_value_ = 0.0, eps_ = 1e-10;
  bool maximize_ = false;
};

/// torch.optim.Adagrad: `optim::Adagrad opt(model.parameters(), optim::AdagradOptions(1e-2).lr_decay(1e-3));`.
template <class T = float>
class Adagrad : public GroupedOptimizer<T, AdagradOptions> {
 public:
  using Group = ParamGroup<T, AdagradOptions>;
  explicit Adagrad(std::vector<Tensor<T>> params, const AdagradOptions& options = AdagradOptions())
      : Adagrad(std::vector<Group>{Group(std::move(params))}, options) {}
  explicit Adagrad(std::vector<Group> groups, const AdagradOptions& options = AdagradOptions());

  /// The sum of squared gradients of parameter i, numbered across groups.
  const Tensor<T>& sum(std::size_t i) const { return this->state_.at(i).buffers[0]; }

 protected:
  void update() override;
  detail::StateLayout layout() const override {
    return {detail::StateLayout::Step::tensor, {"sum", nullptr, nullptr}, false};
  }

 private:
  struct Settings {
    double lr, lr_decay;
    T weight_decay, eps;
    bool maximize;
  };
  static constexpr const char* capture_message =
      "Adagrad: a CPUGraph cannot capture a step that creates the optimizer's state (each replay would create it "
      "again): run one step before capturing";
};

template <class T>
Adagrad<T>::Adagrad(std::vector<Group> groups, const AdagradOptions& options)
    : GroupedOptimizer<T, AdagradOptions>(std::move(groups), options) {
  std::size_t i = 0;
  for (const auto& group : this->groups_)
    for (const auto& p : group.params) {
      auto& st = this->state_[i++];
      st.live = true;
      st.step = tensor<double>(0.0);
      st.buffers[0] = Adagrad::new_buffer(p, capture_message, group.options.initial_accumulator_value());
    }
}

template <class T>
void Adagrad<T>::update() {
  this->each_parameter(
      "Adagrad",
      [](const AdagradOptions& o, const Tensor<T>& p, detail::ParamState<T>& st) {
        if (!st.buffers[0].defined()) st.buffers[0] = Adagrad::new_buffer(p, capture_message, o.initial_accumulator_value());
        st.count_steps();
      },
      [](const AdagradOptions& o, Tensor<T>& p, const Tensor<T>& g, detail::ParamState<T>& st) {
        Settings s;
        s.lr = o.lr();
        s.lr_decay = o.lr_decay();
        s.weight_decay = static_cast<T>(o.weight_decay());
        s.eps = static_cast<T>(o.eps());
        s.maximize = o.maximize();
        detail::kernel(
            [](const Tensor<T>& p, const Tensor<T>& g, const Tensor<T>& sum, const Tensor<double>& step_t,
               const Settings& s) {
              double& step = step_t.data()[0];
              step = detail::rule::next_float_step(step);
              const T neg_clr = static_cast<T>(-(s.lr / (1.0 + (step - 1.0) * s.lr_decay)));
              T* pp = p.data();
              const T* pg = g.data();
              T* ps = sum.data();
              detail::rule::for_lanes<T>(p.numel(), [&](auto lanes, int64_t j) {
                using L = decltype(lanes);
                namespace rule = detail::rule;
                const auto param = L::load(pp + j);
                const auto d = rule::direction<L>(L::load(pg + j), param, s.weight_decay, s.maximize);
                const auto sum1 = rule::addcmul<L>(L::load(ps + j), L::set(T(1)), d, d);  // state_sum.addcmul_(grad, grad, value=1)
                L::store(ps + j, sum1);
                const auto std_ = L::add(L::sqrt(sum1), L::set(s.eps));  // state_sum.sqrt().add_(eps)
                L::store(pp + j, rule::addcdiv<L>(param, L::set(neg_clr), d, std_));  // param.addcdiv_(grad, std, value=-clr)
              });
              ++p.impl()->storage->version;
            },
            p, g, st.buffers[0], st.step, s);
      });
}

template <class T>
Adagrad(std::vector<Tensor<T>>) -> Adagrad<T>;
template <class T>
Adagrad(std::vector<Tensor<T>>, AdagradOptions) -> Adagrad<T>;

}  // namespace eigentorch::optim
