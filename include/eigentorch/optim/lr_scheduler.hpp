// optim::lr_scheduler: learning-rate schedules that write each parameter group's "lr" (and, for
// OneCycleLR, its momentum or beta1) step by step, exactly as PyTorch 1.13's torch.optim.lr_scheduler:
// the same chainable formulas (a new lr from the group's current one), the same step counting (the
// constructor takes the first step, so get_last_lr() holds epoch 0's values), the same warnings and
// errors. All arithmetic is in double, as Python's floats are.
//
//   optim::SGD opt(model.parameters(), 0.1);
//   optim::lr_scheduler::StepLR sched(opt, 30, 0.1);
//   for (...) { ...; opt.step(); sched.step(); }
//
// A scheduler keeps a reference to its optimizer, which must outlive it (as in Python, where the
// scheduler holds the optimizer). It talks to the optimizer only through the group-option interface
// of optim::Optimizer (num_param_groups, group_option, set_group_option, has_group_option, step_count).
#pragma once

#include "../detail/py_repr.hpp"
#include "../detail/warn.hpp"
#include "../error.hpp"
#include "../tensor/value.hpp"
#include "optimizer.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace eigentorch::optim::lr_scheduler {

namespace detail {

inline constexpr double pi = 3.141592653589793;  // Python's math.pi

/// Python's a % b for integers (the result has b's sign).
inline int64_t py_mod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/// Every parameter group's current learning rate, in order.
template <class T>
std::vector<double> group_lrs(const Optimizer<T>& optimizer) {
  std::vector<double> out(optimizer.num_param_groups());
  for (std::size_t g = 0; g < out.size(); ++g) out[g] = optimizer.group_option(g, "lr");
  return out;
}

/// One value per parameter group: a list of the groups' size, or one value repeated (PyTorch's
/// _format_param); `what` names the value in the error.
inline std::vector<double> per_group(const std::vector<double>& values, std::size_t groups, const char* what) {
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  if (values.size() != groups)
    eigentorch::detail::fail<ValueError>({"expected ", groups, " values for ", what, ", got ", values.size()});
  return values;
}

/// A scheduler's state_dict, field by field in PyTorch's order (the attributes of the Python object):
/// one list of fields serves both directions. Writing adds each field to a dict; checking reads each
/// from a dict without storing (so a bad dict changes nothing); reading stores them.
class StateFields {
 public:
  enum class Mode { write, check, read };
  StateFields(Mode mode, Value* dict) : mode_(mode), dict_(dict) {}

  void field(const char* key, int64_t& v) { visit(key, v, [](const Value& x) { return x.as_int(); }); }
  void field(const char* key, double& v) { visit(key, v, [](const Value& x) { return x.as_double(); }); }
  void field(const char* key, bool& v) { visit(key, v, [](const Value& x) { return x.as_bool(); }); }
  void field(const char* key, std::string& v) { visit(key, v, [](const Value& x) { return x.as_string(); }); }
  void field(const char* key, std::vector<double>& v) {
    if (mode_ == Mode::write) {
      Value::Items items(v.begin(), v.end());
      dict_->insert(key, Value::list(std::move(items)));
      return;
    }
    std::vector<double> got;
    for (const Value& x : dict_->at(key).items()) got.push_back(x.as_double());
    if (mode_ == Mode::read) v = std::move(got);
  }
  /// A value PyTorch keeps that eigentorch does not use (verbose=False, ...): written, not read.
  void constant(const char* key, Value v) {
    if (mode_ == Mode::write) dict_->insert(key, std::move(v));
  }
  Mode mode() const { return mode_; }
  Value& dict() { return *dict_; }

 private:
  template <class V, class Get>
  void visit(const char* key, V& v, Get get) {
    if (mode_ == Mode::write) {
      dict_->insert(key, Value(v));
      return;
    }
    V got = get(dict_->at(key));
    if (mode_ == Mode::read) v = std::move(got);
  }

  Mode mode_;
  Value* dict_;
};

/// state_dict() and load_state_dict() of an object whose fields(StateFields&) lists its state.
template <class Self>
Value state_of(const Self& self) {
  Value dict = Value::dict();
  StateFields f(StateFields::Mode::write, &dict);
  const_cast<Self&>(self).fields(f);  // writing reads the fields only
  return dict;
}
template <class Self>
void load_state(Self& self, const Value& state_dict) {
  Value copy = state_dict;
  StateFields check(StateFields::Mode::check, &copy);
  self.fields(check);  // every field there and of its type, before anything changes
  StateFields read(StateFields::Mode::read, &copy);
  self.fields(read);
}

}  // namespace detail

/// The base of the epoch schedulers (PyTorch's _LRScheduler): step(), get_last_lr(), last_epoch().
template <class T>
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Moves to the next epoch (or batch, for OneCycleLR) and writes its learning rates into the groups.
  void step();
  /// The learning rates the last step() wrote, one per parameter group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// The groups' learning rates when the schedule started (their "initial_lr").
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  /// How many steps were taken, counting the constructor's as epoch 0.
  int64_t last_epoch() const { return last_epoch_; }

  /// The scheduler's state as PyTorch's state_dict() holds it (its attributes but the optimizer), so a
  /// checkpoint resumes the schedule here or in PyTorch.
  Value state_dict() const { return detail::state_of(*this); }
  /// Restores a state_dict(); a dict missing a field, or holding one of the wrong type, throws and
  /// changes nothing.
  void load_state_dict(const Value& state_dict) { detail::load_state(*this, state_dict); }
  /// The state's fields in PyTorch's order: a scheduler's own settings, then the base's.
  virtual void fields(detail::StateFields& f) { base_fields(f); }

 protected:
  void base_fields(detail::StateFields& f) {
    f.field("base_lrs", base_lrs_);
    f.field("last_epoch", last_epoch_);
    f.constant("verbose", false);
    f.field("_step_count", step_count_);
    f.constant("_get_lr_called_within_step", false);
    f.field("_last_lr", last_lr_);
  }

  /// Records each group's initial_lr (or, when resuming with last_epoch >= 0, checks it is there).
  /// The derived constructor ends with initial_step(), once get_lr() can be called.
  LRScheduler(Optimizer<T>& optimizer, int64_t last_epoch);
  void initial_step() {
    step_count_ = 0;
    optimizer_steps_at_start_ = optimizer_->step_count();
    step();
  }
  /// The learning rates of the epoch last_epoch_ (PyTorch's chainable get_lr).
  virtual std::vector<double> get_lr() = 0;

  std::size_t groups() const { return optimizer_->num_param_groups(); }
  /// The groups' current learning rates.
  std::vector<double> current_lrs() const { return detail::group_lrs(*optimizer_); }
  /// Each group's current learning rate times f.
  std::vector<double> scaled_lrs(double f) const {
    std::vector<double> out = current_lrs();
    for (double& lr : out) lr *= f;
    return out;
  }

  Optimizer<T>* optimizer_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  int64_t last_epoch_;
  int64_t step_count_ = 0;

 private:
  int64_t optimizer_steps_at_start_ = 0;
};

template <class T>
LRScheduler<T>::LRScheduler(Optimizer<T>& optimizer, int64_t last_epoch)
    : optimizer_(&optimizer), last_epoch_(last_epoch) {
  const std::size_t n = optimizer.num_param_groups();
  const bool has_initial = optimizer.has_group_option("initial_lr");
  if (last_epoch == -1) {
    if (!has_initial)  // PyTorch's group.setdefault('initial_lr', group['lr'])
      for (std::size_t g = 0; g < n; ++g) optimizer.set_group_option(g, "initial_lr", optimizer.group_option(g, "lr"));
  } else if (!has_initial) {
    eigentorch::detail::fail<KeyError>(
        {"param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer"});
  }
  base_lrs_.resize(n);
  for (std::size_t g = 0; g < n; ++g) base_lrs_[g] = optimizer.group_option(g, "initial_lr");
}

template <class T>
void LRScheduler<T>::step() {
  if (step_count_ == 1 && optimizer_->step_count() - optimizer_steps_at_start_ < 1)
    eigentorch::detail::warn_once(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should "
        "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
        "result in PyTorch skipping the first value of the learning rate schedule. See more details at "
        "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate");
  ++step_count_;
  ++last_epoch_;
  const std::vector<double> values = get_lr();
  for (std::size_t g = 0; g < values.size(); ++g) optimizer_->set_group_option(g, "lr", values[g]);
  last_lr_ = current_lrs();
}

/// Multiplies the learning rate by gamma every step_size epochs.
template <class T>
class StepLR : public LRScheduler<T> {
 public:
  StepLR(Optimizer<T>& optimizer, int64_t step_size, double gamma = 0.1, int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), step_size_(step_size), gamma_(gamma) {
    if (step_size <= 0)
      eigentorch::detail::fail<ValueError>({"StepLR expects a positive step_size, but got ", step_size});
    this->initial_step();
  }

  void fields(detail::StateFields& f) override {
    f.field("step_size", step_size_);
    f.field("gamma", gamma_);
    this->base_fields(f);
  }

 protected:
  std::vector<double> get_lr() override {
    const int64_t e = this->last_epoch_;
    return (e == 0 || detail::py_mod(e, step_size_) != 0) ? this->current_lrs() : this->scaled_lrs(gamma_);
  }

 private:
  int64_t step_size_;
  double gamma_;
};

/// Multiplies the learning rate by gamma at each milestone (by gamma^k at a milestone listed k times).
template <class T>
class MultiStepLR : public LRScheduler<T> {
 public:
  MultiStepLR(Optimizer<T>& optimizer, std::vector<int64_t> milestones, double gamma = 0.1, int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), milestones_(std::move(milestones)), gamma_(gamma) {
    this->initial_step();
  }

  void fields(detail::StateFields& f) override;

 protected:
  std::vector<double> get_lr() override {
    int64_t count = 0;  // PyTorch keeps a Counter of the milestones
    for (int64_t m : milestones_) count += m == this->last_epoch_;
    return count == 0 ? this->current_lrs() : this->scaled_lrs(std::pow(gamma_, static_cast<double>(count)));
  }

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

template <class T>
void MultiStepLR<T>::fields(detail::StateFields& f) {
  // PyTorch keeps a Counter, a dict of milestone -> how many times it was given
  if (f.mode() == detail::StateFields::Mode::write) {
    Value counter = Value::dict();
    for (int64_t m : milestones_) {
      const Value* seen = counter.find(m);
      counter.insert(m, seen ? seen->as_int() + 1 : int64_t{1});
    }
    f.dict().insert("milestones", std::move(counter));
  } else {
    std::vector<int64_t> got;
    for (const auto& [key, count] : f.dict().at("milestones").entries()) {
      if (!std::holds_alternative<int64_t>(key))
        eigentorch::detail::fail<ValueError>({"MultiStepLR: a milestone must be an int"});
      for (int64_t c = count.as_int(); c > 0; --c) got.push_back(std::get<int64_t>(key));
    }
    if (f.mode() == detail::StateFields::Mode::read) milestones_ = std::move(got);
  }
  f.field("gamma", gamma_);
  this->base_fields(f);
}

/// Multiplies the learning rate by gamma every epoch.
template <class T>
class ExponentialLR : public LRScheduler<T> {
 public:
  ExponentialLR(Optimizer<T>& optimizer, double gamma, int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), gamma_(gamma) {
    this->initial_step();
  }

  void fields(detail::StateFields& f) override {
    f.field("gamma", gamma_);
    this->base_fields(f);
  }

 protected:
  std::vector<double> get_lr() override {
    return this->last_epoch_ == 0 ? this->current_lrs() : this->scaled_lrs(gamma_);
  }

 private:
  double gamma_;
};

/// Cosine annealing from the initial lr down to eta_min over T_max epochs (and back up after, as
/// PyTorch's recursive form does).
template <class T>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  CosineAnnealingLR(Optimizer<T>& optimizer, int64_t T_max, double eta_min = 0.0, int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), T_max_(T_max), eta_min_(eta_min) {
    if (T_max <= 0)
      eigentorch::detail::fail<ValueError>({"CosineAnnealingLR expects a positive T_max, but got ", T_max});
    this->initial_step();
  }

  void fields(detail::StateFields& f) override {
    f.field("T_max", T_max_);
    f.field("eta_min", eta_min_);
    this->base_fields(f);
  }

 protected:
  std::vector<double> get_lr() override {
    using detail::pi;
    const int64_t e = this->last_epoch_;
    const double tm = static_cast<double>(T_max_);
    std::vector<double> lrs = this->current_lrs();
    if (e == 0) return lrs;
    for (std::size_t g = 0; g < lrs.size(); ++g) {
      const double base = this->base_lrs_[g];
      if (this->step_count_ == 1 && e > 0)  // resumed: the closed form
        lrs[g] = eta_min_ + (base - eta_min_) * (1 + std::cos(static_cast<double>(e) * pi / tm)) / 2;
      else if (detail::py_mod(e - 1 - T_max_, 2 * T_max_) == 0)
        lrs[g] = lrs[g] + (base - eta_min_) * (1 - std::cos(pi / tm)) / 2;
      else
        lrs[g] = (1 + std::cos(pi * static_cast<double>(e) / tm)) / (1 + std::cos(pi * static_cast<double>(e - 1) / tm)) *
                     (lrs[g] - eta_min_) +
                 eta_min_;
    }
    return lrs;
  }

 private:
  int64_t T_max_;
  double eta_min_;
};

/// Scales the initial lr by a factor going linearly from start_factor to end_factor in total_iters epochs.
template <class T>
class LinearLR : public LRScheduler<T> {
 public:
  LinearLR(Optimizer<T>& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5,
           int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), start_(start_factor), end_(end_factor), total_iters_(total_iters) {
    if (start_factor > 1.0 || start_factor < 0)
      eigentorch::detail::fail<ValueError>({"Starting multiplicative factor expected to be between 0 and 1."});
    if (end_factor > 1.0 || end_factor < 0)
      eigentorch::detail::fail<ValueError>({"Ending multiplicative factor expected to be between 0 and 1."});
    this->initial_step();
  }

  void fields(detail::StateFields& f) override {
    f.field("start_factor", start_);
    f.field("end_factor", end_);
    f.field("total_iters", total_iters_);
    this->base_fields(f);
  }

 protected:
  std::vector<double> get_lr() override {
    const int64_t e = this->last_epoch_;
    if (e == 0) return this->scaled_lrs(start_);
    if (e > total_iters_) return this->current_lrs();
    const double denominator = static_cast<double>(total_iters_) * start_ + static_cast<double>(e - 1) * (end_ - start_);
    if (denominator == 0.0) eigentorch::detail::fail<ValueError>({"LinearLR: float division by zero"});
    return this->scaled_lrs(1. + (end_ - start_) / denominator);
  }

 private:
  double start_, end_;
  int64_t total_iters_;
};

/// The initial lr times a function of the epoch: one function for every group, or one per group.
template <class T>
class LambdaLR : public LRScheduler<T> {
 public:
  using Lambda = std::function<double(int64_t)>;
  LambdaLR(Optimizer<T>& optimizer, Lambda lr_lambda, int64_t last_epoch = -1)
      : LambdaLR(optimizer, std::vector<Lambda>(optimizer.num_param_groups(), std::move(lr_lambda)), last_epoch) {}
  LambdaLR(Optimizer<T>& optimizer, std::vector<Lambda> lr_lambdas, int64_t last_epoch = -1)
      : LRScheduler<T>(optimizer, last_epoch), lambdas_(std::move(lr_lambdas)) {
    if (lambdas_.size() != optimizer.num_param_groups())
      eigentorch::detail::fail<ValueError>(
          {"Expected ", optimizer.num_param_groups(), " lr_lambdas, but got ", lambdas_.size()});
    for (const Lambda& f : lambdas_)
      if (!f) eigentorch::detail::fail<ValueError>({"LambdaLR: an lr_lambda is empty"});
    this->initial_step();
  }

  /// PyTorch saves None for a function (only callable objects' attributes are saved).
  void fields(detail::StateFields& f) override {
    this->base_fields(f);
    f.constant("lr_lambdas", Value::list(Value::Items(lambdas_.size())));
  }

 protected:
  std::vector<double> get_lr() override {
    std::vector<double> lrs(this->base_lrs_.size());
    for (std::size_t g = 0; g < lrs.size(); ++g) lrs[g] = this->base_lrs_[g] * lambdas_[g](this->last_epoch_);
    return lrs;
  }

 private:
  std::vector<Lambda> lambdas_;
};

// An option of a settings struct: a setter that returns the struct, and a getter, sharing a name.
#define EIGENTORCH_SCHEDULER_OPTION(type, name) \
  auto& name(type v) {                \
    name##_ = std::move(v);           \
    return *this;                     \
  }                                   \
  const type& name() const { return name##_; }

/// OneCycleLR's settings: `OneCycleLROptions(max_lr, total_steps).pct_start(0.25)`, or
/// `OneCycleLROptions(max_lr).epochs(e).steps_per_epoch(s)`. max_lr may be one value per group.
struct OneCycleLROptions {
  explicit OneCycleLROptions(double max_lr) : max_lr_{max_lr} {}
  OneCycleLROptions(double max_lr, int64_t total_steps) : max_lr_{max_lr} { this->total_steps(total_steps); }
  explicit OneCycleLROptions(std::vector<double> max_lr) : max_lr_(std::move(max_lr)) {}
  OneCycleLROptions(std::vector<double> max_lr, int64_t total_steps) : max_lr_(std::move(max_lr)) {
    this->total_steps(total_steps);
  }
  /// The number of steps in the cycle (or give epochs and steps_per_epoch).
  OneCycleLROptions& total_steps(int64_t v) {
    total_steps_ = v;
    has_total_steps_ = true;
    return *this;
  }
  int64_t total_steps() const { return total_steps_; }
  bool has_total_steps() const { return has_total_steps_; }

  EIGENTORCH_SCHEDULER_OPTION(std::vector<double>, max_lr)
  EIGENTORCH_SCHEDULER_OPTION(int64_t, epochs)
  EIGENTORCH_SCHEDULER_OPTION(int64_t, steps_per_epoch)
  EIGENTORCH_SCHEDULER_OPTION(double, pct_start)
  EIGENTORCH_SCHEDULER_OPTION(std::string, anneal_strategy)
  EIGENTORCH_SCHEDULER_OPTION(bool, cycle_momentum)
  EIGENTORCH_SCHEDULER_OPTION(std::vector<double>, base_momentum)
  EIGENTORCH_SCHEDULER_OPTION(std::vector<double>, max_momentum)
  EIGENTORCH_SCHEDULER_OPTION(double, div_factor)
  EIGENTORCH_SCHEDULER_OPTION(double, final_div_factor)
  EIGENTORCH_SCHEDULER_OPTION(bool, three_phase)
  EIGENTORCH_SCHEDULER_OPTION(int64_t, last_epoch)
  OneCycleLROptions& max_lr(double v) { return max_lr(std::vector<double>{v}); }
  OneCycleLROptions& base_momentum(double v) { return base_momentum(std::vector<double>{v}); }
  OneCycleLROptions& max_momentum(double v) { return max_momentum(std::vector<double>{v}); }

 private:
  std::vector<double> max_lr_;
  int64_t total_steps_ = 0, epochs_ = 0, steps_per_epoch_ = 0;
  bool has_total_steps_ = false;
  double pct_start_ = 0.3;
  std::string anneal_strategy_ = "cos";
  bool cycle_momentum_ = true;
  std::vector<double> base_momentum_{0.85}, max_momentum_{0.95};
  double div_factor_ = 25.0, final_div_factor_ = 1e4;
  bool three_phase_ = false;
  int64_t last_epoch_ = -1;
};

/// The 1cycle policy, stepped once per batch: the lr rises from max_lr / div_factor to max_lr over
/// pct_start of the steps, then anneals to initial_lr / final_div_factor; momentum (or Adam's beta1)
/// moves the opposite way between max_momentum and base_momentum.
template <class T>
class OneCycleLR : public LRScheduler<T> {
 public:
  OneCycleLR(Optimizer<T>& optimizer, const OneCycleLROptions& options)
      : LRScheduler<T>(prepare(optimizer, options), options.last_epoch()),
        total_steps_(total_steps_of(options)),
        linear_(options.anneal_strategy() == "linear"),
        cycle_momentum_(options.cycle_momentum()),
        use_beta1_(optimizer.has_group_option("betas")) {
    const double steps = static_cast<double>(total_steps_), pct = options.pct_start();
    if (options.three_phase())
      phases_ = {{pct * steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
                 {2 * pct * steps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
                 {steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"}};
    else
      phases_ = {{pct * steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
                 {steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"}};
    this->initial_step();
  }

  int64_t total_steps() const { return total_steps_; }

  /// PyTorch's fields but anneal_func (a bound method there: PyTorch keeps its own on loading).
  void fields(detail::StateFields& f) override;

 protected:
  std::vector<double> get_lr() override;

 private:
  struct Phase {
    double end_step;
    const char *start_lr, *end_lr, *start_momentum, *end_momentum;
  };

  static int64_t total_steps_of(const OneCycleLROptions& o) {
    if (o.has_total_steps()) return o.total_steps();
    return o.epochs() * o.steps_per_epoch();
  }
  /// The checks and group settings PyTorch makes before _LRScheduler's constructor runs.
  static Optimizer<T>& prepare(Optimizer<T>& optimizer, const OneCycleLROptions& o);
  double anneal(double start, double end, double pct) const {
    if (linear_) return (end - start) * pct + start;
    const double cos_out = std::cos(detail::pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }

  int64_t total_steps_;
  bool linear_, cycle_momentum_, use_beta1_;
  std::vector<Phase> phases_;
};

template <class T>
Optimizer<T>& OneCycleLR<T>::prepare(Optimizer<T>& optimizer, const OneCycleLROptions& o) {
  using eigentorch::detail::fail;
  using eigentorch::detail::py_float;
  if (!o.has_total_steps() && o.epochs() == 0 && o.steps_per_epoch() == 0)
    fail<ValueError>({"You must define either total_steps OR (epochs AND steps_per_epoch)"});
  if (o.has_total_steps()) {
    if (o.total_steps() <= 0) fail<ValueError>({"Expected positive integer total_steps, but got ", o.total_steps()});
  } else {
    if (o.epochs() <= 0) fail<ValueError>({"Expected positive integer epochs, but got ", o.epochs()});
    if (o.steps_per_epoch() <= 0)
      fail<ValueError>({"Expected positive integer steps_per_epoch, but got ", o.steps_per_epoch()});
  }
  if (!(o.pct_start() >= 0 && o.pct_start() <= 1))
    fail<ValueError>({"Expected float between 0 and 1 pct_start, but got ", py_float(o.pct_start())});
  if (o.anneal_strategy() != "cos" && o.anneal_strategy() != "linear")
    fail<ValueError>({"anneal_strategy must by one of 'cos' or 'linear', instead got ", o.anneal_strategy()});
  const std::size_t n = optimizer.num_param_groups();
  const std::vector<double> max_lrs = detail::per_group(o.max_lr(), n, "max_lr");
  std::vector<double> max_m, base_m;
  const bool betas = optimizer.has_group_option("betas");
  if (o.cycle_momentum()) {
    if (!optimizer.has_group_option("momentum") && !betas)
      fail<ValueError>({"optimizer must support momentum with `cycle_momentum` option enabled"});
    max_m = detail::per_group(o.max_momentum(), n, "max_momentum");
    base_m = detail::per_group(o.base_momentum(), n, "base_momentum");
  }
  if (o.last_epoch() == -1) {  // every check passed: now the groups change
    for (std::size_t g = 0; g < n; ++g) {
      optimizer.set_group_option(g, "initial_lr", max_lrs[g] / o.div_factor());
      optimizer.set_group_option(g, "max_lr", max_lrs[g]);
      optimizer.set_group_option(g, "min_lr", max_lrs[g] / o.div_factor() / o.final_div_factor());
      if (o.cycle_momentum()) {
        optimizer.set_group_option(g, betas ? "beta1" : "momentum", max_m[g]);
        optimizer.set_group_option(g, "max_momentum", max_m[g]);
        optimizer.set_group_option(g, "base_momentum", base_m[g]);
      }
    }
  }
  return optimizer;
}

template <class T>
void OneCycleLR<T>::fields(detail::StateFields& f) {
  f.field("total_steps", total_steps_);
  if (f.mode() == detail::StateFields::Mode::write) {
    Value::Items phases;
    for (const Phase& ph : phases_)
      phases.push_back(Value::dict({{"end_step", ph.end_step},
                                    {"start_lr", ph.start_lr},
                                    {"end_lr", ph.end_lr},
                                    {"start_momentum", ph.start_momentum},
                                    {"end_momentum", ph.end_momentum}}));
    f.dict().insert("_schedule_phases", Value::list(std::move(phases)));
  } else {  // the phases' ends (their keys are fixed by three_phase)
    const Value::Items& phases = f.dict().at("_schedule_phases").items();
    if (phases.size() != phases_.size())
      eigentorch::detail::fail<ValueError>(
          {"OneCycleLR: the state_dict has ", phases.size(), " phases, this scheduler ", phases_.size()});
    for (std::size_t i = 0; i < phases.size(); ++i) {
      const double end = phases[i].at("end_step").as_double();
      if (f.mode() == detail::StateFields::Mode::read) phases_[i].end_step = end;
    }
  }
  f.field("cycle_momentum", cycle_momentum_);
  if (f.mode() == detail::StateFields::Mode::write ? cycle_momentum_ : f.dict().find("use_beta1") != nullptr)
    f.field("use_beta1", use_beta1_);  // PyTorch sets it only when it cycles the momentum
  this->base_fields(f);
}

template <class T>
std::vector<double> OneCycleLR<T>::get_lr() {
  const int64_t step_num = this->last_epoch_;
  if (step_num > total_steps_)
    eigentorch::detail::fail<ValueError>(
        {"Tried to step ", step_num + 1, " times. The specified number of total steps is ", total_steps_});
  Optimizer<T>& opt = *this->optimizer_;
  std::vector<double> lrs(this->groups());
  for (std::size_t g = 0; g < lrs.size(); ++g) {
    double start_step = 0;
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      if (static_cast<double>(step_num) <= ph.end_step || i + 1 == phases_.size()) {
        if (ph.end_step == start_step) eigentorch::detail::fail<ValueError>({"OneCycleLR: float division by zero"});
        const double pct = (static_cast<double>(step_num) - start_step) / (ph.end_step - start_step);
        lrs[g] = anneal(opt.group_option(g, ph.start_lr), opt.group_option(g, ph.end_lr), pct);
        if (cycle_momentum_)
          opt.set_group_option(g, use_beta1_ ? "beta1" : "momentum",
                               anneal(opt.group_option(g, ph.start_momentum), opt.group_option(g, ph.end_momentum), pct));
        break;
      }
      start_step = ph.end_step;
    }
  }
  return lrs;
}

/// ReduceLROnPlateau's settings: `ReduceLROnPlateauOptions().mode("max").factor(0.5).patience(3)`.
struct ReduceLROnPlateauOptions {
  EIGENTORCH_SCHEDULER_OPTION(std::string, mode)
  EIGENTORCH_SCHEDULER_OPTION(double, factor)
  EIGENTORCH_SCHEDULER_OPTION(int64_t, patience)
  EIGENTORCH_SCHEDULER_OPTION(double, threshold)
  EIGENTORCH_SCHEDULER_OPTION(std::string, threshold_mode)
  EIGENTORCH_SCHEDULER_OPTION(int64_t, cooldown)
  EIGENTORCH_SCHEDULER_OPTION(std::vector<double>, min_lr)
  EIGENTORCH_SCHEDULER_OPTION(double, eps)
  ReduceLROnPlateauOptions& min_lr(double v) { return min_lr(std::vector<double>{v}); }

 private:
  std::string mode_ = "min";
  double factor_ = 0.1;
  int64_t patience_ = 10;
  double threshold_ = 1e-4;
  std::string threshold_mode_ = "rel";
  int64_t cooldown_ = 0;
  std::vector<double> min_lr_{0.0};
  double eps_ = 1e-8;
};

#undef EIGENTORCH_SCHEDULER_OPTION

/// Divides the learning rate by 1/factor once a metric has stopped improving for `patience` epochs.
/// step(metric) after each validation; the metric is a number or a one-element tensor.
template <class T>
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer<T>& optimizer, const ReduceLROnPlateauOptions& options = ReduceLROnPlateauOptions())
      : optimizer_(&optimizer),
        factor_(options.factor()),
        patience_(options.patience()),
        cooldown_(options.cooldown()),
        mode_(options.mode()),
        threshold_(options.threshold()),
        threshold_mode_(options.threshold_mode()),
        eps_(options.eps()) {
    using eigentorch::detail::fail;
    if (factor_ >= 1.0) fail<ValueError>({"Factor should be < 1.0."});
    const std::size_t n = optimizer.num_param_groups();
    if (options.min_lr().size() == 1)
      min_lrs_.assign(n, options.min_lr()[0]);
    else if (options.min_lr().size() != n)
      fail<ValueError>({"expected ", n, " min_lrs, got ", options.min_lr().size()});
    else
      min_lrs_ = options.min_lr();
    check_modes();
    best_ = worse();
    last_lr_ = detail::group_lrs(optimizer);
  }

  void step(double metric);
  template <class U>
  void step(const Tensor<U>& metric) {
    step(static_cast<double>(metric.item()));
  }

  /// The groups' learning rates after the last step (their current ones before any).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  int64_t last_epoch() const { return last_epoch_; }

  /// PyTorch's state_dict(): the settings and counters, in its order.
  Value state_dict() const { return detail::state_of(*this); }
  /// Restores a state_dict(); a missing or mistyped field, or an unknown mode, changes nothing.
  void load_state_dict(const Value& state_dict) {
    ReduceLROnPlateau copy = *this;
    detail::load_state(copy, state_dict);
    copy.check_modes();
    *this = std::move(copy);
  }
  void fields(detail::StateFields& f) {
    f.field("factor", factor_);
    f.field("min_lrs", min_lrs_);
    f.field("patience", patience_);
    f.constant("verbose", false);
    f.field("cooldown", cooldown_);
    f.field("cooldown_counter", cooldown_counter_);
    f.field("mode", mode_);
    f.field("threshold", threshold_);
    f.field("threshold_mode", threshold_mode_);
    f.field("best", best_);
    f.field("num_bad_epochs", num_bad_epochs_);
    f.constant("mode_worse", worse());
    f.field("eps", eps_);
    f.field("last_epoch", last_epoch_);
    f.field("_last_lr", last_lr_);
  }

 private:
  void check_modes() const {
    using eigentorch::detail::fail;
    if (mode_ != "min" && mode_ != "max") fail<ValueError>({"mode ", mode_, " is unknown!"});
    if (threshold_mode_ != "rel" && threshold_mode_ != "abs")
      fail<ValueError>({"threshold mode ", threshold_mode_, " is unknown!"});
  }
  double worse() const {
    return mode_ == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  bool is_better(double a, double best) const {
    const bool rel = threshold_mode_ == "rel";
    if (mode_ == "min") return rel ? a < best * (1. - threshold_) : a < best - threshold_;
    return rel ? a > best * (threshold_ + 1.) : a > best + threshold_;
  }

  Optimizer<T>* optimizer_;
  double factor_;
  std::vector<double> min_lrs_;
  int64_t patience_, cooldown_;
  std::string mode_;
  double threshold_;
  std::string threshold_mode_;
  double eps_;
  double best_;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
  std::vector<double> last_lr_;
};

template <class T>
void ReduceLROnPlateau<T>::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > patience_) {
    for (std::size_t g = 0; g < min_lrs_.size(); ++g) {
      const double old_lr = optimizer_->group_option(g, "lr");
      const double new_lr = std::max(old_lr * factor_, min_lrs_[g]);
      if (old_lr - new_lr > eps_) optimizer_->set_group_option(g, "lr", new_lr);
    }
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_ = detail::group_lrs(*optimizer_);
}

}  // namespace eigentorch::optim::lr_scheduler
