// optim::Optimizer<T>: what every optimizer shares. Parameter groups with their own options
// (ParamGroup), the per-parameter state, zero_grad, the string-keyed group options that lr schedulers
// read and write (PyTorch's `group["lr"]`), and state_dict / load_state_dict in PyTorch's structure:
//   {"state": {0: {"step": tensor(3.), "exp_avg": ..., ...}, ...},
//    "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1, 2]}]}
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../detail/kernel.hpp"
#include "../detail/py_repr.hpp"
#include "../tensor/factories.hpp"
#include "../tensor/tensor.hpp"
#include "../tensor/value.hpp"

#include <array>
#include <cstdint>           // int64_t
#include <initializer_list>
#include <string>
#include <utility>           // move, pair
#include <vector>

namespace eigentorch::detail {

/// One entry of a PyTorch param group dict, and where an options struct keeps it.
struct OptionField {
  /// pair: two consecutive numbers (betas); none: a key that is always None here (foreach); off: a
  /// flag that is always False here (capturable, differentiable, fused).
  enum class Kind { number, flag, pair, none, off };
  const char* key = nullptr;
  Kind kind = Kind::none;
  double* number = nullptr;
  bool* flag = nullptr;

  static OptionField real(const char* key, double& v) { return {key, Kind::number, &v, nullptr}; }
  static OptionField boolean(const char* key, bool& v) { return {key, Kind::flag, nullptr, &v}; }
  static OptionField two(const char* key, double* v) { return {key, Kind::pair, v, nullptr}; }
  static OptionField fixed(const char* key, Kind kind) { return {key, kind, nullptr, nullptr}; }
};

/// An options struct's fields in the order of PyTorch's group dict.
class OptionFields {
 public:
  OptionFields(std::initializer_list<OptionField> fields) {
    for (const auto& f : fields) items_[size_++] = f;
  }
  const OptionField* begin() const { return items_.data(); }
  const OptionField* end() const { return items_.data() + size_; }
  /// The field of `key`; "beta1" and "beta2" find the first and second number of "betas" (*part).
  const OptionField* find(const std::string& key, int* part = nullptr) const {
    const bool beta = key == "beta1" || key == "beta2";
    for (const auto& f : *this)
      if (beta ? f.kind == OptionField::Kind::pair && std::string(f.key) == "betas" : key == f.key) {
        if (part) *part = beta ? key[4] - '1' : -1;
        return &f;
      }
    return nullptr;
  }

 private:
  std::array<OptionField, 12> items_{};
  std::size_t size_ = 0;
};

/// An optimizer's state of one parameter: PyTorch's `optimizer.state[p]`.
template <class T>
struct ParamState {
  bool live = false;       // PyTorch has an entry for the parameter (it had a gradient in some step)
  bool fresh = false;      // the buffers were created in this step (SGD's first momentum step)
  Tensor<double> step;     // the step count, a 1-element tensor so that a CPUGraph replay advances it
  std::array<Tensor<T>, 3> buffers;

  /// Starts the step count (0) if there is none: called by the optimizers whose update reads it, so
  /// that one that counts no steps (SGD) compiles no Tensor<double>.
  void count_steps() {
    if (!step.defined()) step = tensor<double>(0.0);
  }
};

/// How an optimizer's state reads in a state dict: the step's form and the buffers' names.
struct StateLayout {
  enum class Step { none, tensor, integer };  // absent (SGD), a float32 tensor (Adam), an int (RMSprop)
  Step step = Step::none;
  std::array<const char*, 3> buffers{};      // by index in ParamState::buffers; nullptr: unused
  bool undefined_as_none = false;             // SGD writes momentum_buffer: None without momentum
};

}  // namespace eigentorch::detail

namespace eigentorch::optim {

/// The base of optimizers: zero_grad, step, the group options by key, state_dict.
template <class T = float>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// Clears every parameter's gradient: to none by default (PyTorch 2), or to zeros.
  void zero_grad(bool set_to_none = true);
  /// One update of every parameter that has a gradient. A refused step changes nothing.
  void step() {
    update();
    ++step_count_;
  }
  /// Every group's parameters, in order.
  std::vector<Tensor<T>> parameters() const;

  // The group options as lr schedulers use them (PyTorch's `optimizer.param_groups[i][key]`).
  virtual std::size_t num_param_groups() const = 0;
  /// Whether `key` is an option of the groups: one of the options struct's ("lr", "betas", "beta1",
  /// ...), or a key set_group_option has added ("initial_lr", ...).
  bool has_group_option(const std::string& key) const;
  /// A group's option as a number ("beta1" / "beta2": the parts of "betas"; a flag reads 0 or 1).
  double group_option(std::size_t group, const std::string& key) const;
  /// Writes a group's option; a key that is not one of the options struct's is added to the group.
  void set_group_option(std::size_t group, const std::string& key, double value);
  /// How many times step() has run (PyTorch's optimizer._step_count).
  int64_t step_count() const { return step_count_; }

  /// PyTorch's structure: {"state": {index: {name: value}}, "param_groups": [{key: value, "params": [...]}]}.
  /// The tensors are copies: later steps do not change a state dict taken before them.
  Value state_dict() const;
  /// Restores a state_dict(): the groups' options and the parameters' state (a resumed run continues
  /// bit for bit). Checked as PyTorch checks it; on error the optimizer is unchanged.
  void load_state_dict(const Value& state_dict);

 protected:
  virtual void update() = 0;
  virtual const std::vector<Tensor<T>>& group_params(std::size_t group) const = 0;
  virtual detail::OptionFields group_fields(std::size_t group) = 0;
  virtual detail::StateLayout layout() const = 0;

  /// A new state buffer shaped as p (zeros, or `fill`); refused while a CPUGraph captures, as each
  /// replay would create it again.
  static Tensor<T> new_buffer(const Tensor<T>& p, const char* capture_message, double fill = 0.0);
  /// The state of every parameter, numbered across groups as state_dict numbers them.
  std::vector<detail::ParamState<T>>& state() {
    std::size_t total = 0;
    for (std::size_t g = 0; g < num_param_groups(); ++g) total += group_params(g).size();
    if (state_.size() < total) state_.resize(total);  // (parameters appended to a group's list)
    return state_;
  }

  std::vector<detail::ParamState<T>> state_;
  std::vector<std::vector<std::pair<std::string, double>>> extras_;  // per group: keys set_group_option added
  int64_t step_count_ = 0;

 private:
  detail::OptionFields fields_of(std::size_t group) const {
    if (group >= num_param_groups())
      detail::fail<IndexError>({"param group ", group, " is out of range for an optimizer with ", num_param_groups(),
                                " group(s)"});
    return const_cast<Optimizer*>(this)->group_fields(group);  // (the fields point into the options)
  }
  void read_state_dict(const Value& sd, bool write);
  /// A number of a state dict: a float, an int or a one-element tensor (a step).
  static double number_of(const Value& v);
};

/// Parameters with their own options: `{{model.fc1.parameters()}, {model.fc2.parameters(),
/// optim::SGDOptions(1e-3)}}`. A group made without options takes the optimizer's.
template <class T, class Options>
class ParamGroup {
 public:
  ParamGroup(std::vector<Tensor<T>> params) : params(std::move(params)), options(0.0), own_options_(false) {}  // NOLINT
  ParamGroup(std::vector<Tensor<T>> params, const Options& options) : params(std::move(params)), options(options) {}

  std::vector<Tensor<T>> params;
  Options options;
  /// Whether the group was given options of its own (else it took the optimizer's).
  bool has_own_options() const { return own_options_; }

 private:
  bool own_options_ = true;
};

/// An optimizer whose groups hold options of type Options: param_groups(), options().
template <class T, class Options>
class GroupedOptimizer : public Optimizer<T> {
 public:
  using Group = ParamGroup<T, Options>;
  std::vector<Group>& param_groups() { return groups_; }
  const std::vector<Group>& param_groups() const { return groups_; }
  std::size_t num_param_groups() const override { return groups_.size(); }
  /// The options groups without their own take.
  const Options& options() const { return defaults_; }

 protected:
  GroupedOptimizer(std::vector<Group> groups, const Options& defaults);

  const std::vector<Tensor<T>>& group_params(std::size_t g) const override { return groups_[g].params; }
  detail::OptionFields group_fields(std::size_t g) override { return groups_[g].options.fields(); }

  /// A step's loops: every parameter with a gradient is checked first (its gradient's shape), then
  /// prepare(options, p, state) makes its missing state, then update(options, p, grad, state) runs,
  /// group by group in PyTorch's order.
  template <class Prepare, class Update>
  void each_parameter(const char* name, Prepare prepare, Update update);

  Options defaults_;
  std::vector<Group> groups_;
};

// ---- Optimizer ----------------------------------------------------------------------------------------

template <class T>
void Optimizer<T>::zero_grad(bool set_to_none) {
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    for (const auto& p : group_params(g)) {
      if (!p.grad().defined()) continue;
      if (set_to_none) {
        const_cast<Tensor<T>&>(p).set_grad(Tensor<T>());
      } else {
        NoGradGuard no_grad;
        p.grad().zero_();
      }
    }
}

template <class T>
std::vector<Tensor<T>> Optimizer<T>::parameters() const {
  std::vector<Tensor<T>> all;
  for (std::size_t g = 0; g < num_param_groups(); ++g)
    all.insert(all.end(), group_params(g).begin(), group_params(g).end());
  return all;
}

template <class T>
bool Optimizer<T>::has_group_option(const std::string& key) const {
  if (num_param_groups() > 0 && fields_of(0).find(key)) return true;
  for (const auto& extras : extras_)
    for (const auto& kv : extras)
      if (kv.first == key) return true;
  return false;
}

template <class T>
double Optimizer<T>::group_option(std::size_t group, const std::string& key) const {
  int part = -1;
  const auto fields = fields_of(group);
  if (const detail::OptionField* f = fields.find(key, &part)) {
    using K = detail::OptionField::Kind;
    if (f->kind == K::number) return *f->number;
    if (f->kind == K::flag) return *f->flag ? 1.0 : 0.0;
    if (f->kind == K::pair && part >= 0) return f->number[part];
    detail::fail<ValueError>({"the group option '", key, "' is not a number",
                              f->kind == K::pair ? " (read 'beta1' and 'beta2')" : ""});
  }
  if (group < extras_.size())
    for (const auto& kv : extras_[group])
      if (kv.first == key) return kv.second;
  detail::fail<KeyError>({"'", key, "'"});
}

template <class T>
void Optimizer<T>::set_group_option(std::size_t group, const std::string& key, double value) {
  int part = -1;
  const auto fields = fields_of(group);
  if (const detail::OptionField* f = fields.find(key, &part)) {
    using K = detail::OptionField::Kind;
    if (f->kind == K::number)
      *f->number = value;
    else if (f->kind == K::flag)
      *f->flag = value != 0.0;
    else if (f->kind == K::pair && part >= 0)
      f->number[part] = value;
    else
      detail::fail<ValueError>({"the group option '", key, "' is not a number",
                                f->kind == K::pair ? " (write 'beta1' and 'beta2')" : ""});
    return;
  }
  if (extras_.size() < num_param_groups()) extras_.resize(num_param_groups());
  for (auto& kv : extras_[group])
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  extras_[group].emplace_back(key, value);
}

template <class T>
Tensor<T> Optimizer<T>::new_buffer(const Tensor<T>& p, const char* capture_message, double fill) {
  if (detail::is_capturing()) detail::refuse_capture(capture_message);
  if (fill == 0.0) return Tensor<T>(p.shape());
  return full<T>(p.shape(), fill);
}

template <class T>
Value Optimizer<T>::state_dict() const {
  const detail::StateLayout lay = layout();
  Value state = Value::dict();
  for (std::size_t i = 0; i < state_.size(); ++i) {
    const auto& st = state_[i];
    if (!st.live) continue;
    Value entry = Value::dict();
    const double step = st.step.defined() ? st.step.item() : 0.0;
    if (lay.step == detail::StateLayout::Step::tensor) entry.insert("step", tensor<float>(static_cast<float>(step)));
    if (lay.step == detail::StateLayout::Step::integer) entry.insert("step", static_cast<int64_t>(step));
    for (std::size_t b = 0; b < lay.buffers.size(); ++b) {
      if (!lay.buffers[b]) continue;
      if (st.buffers[b].defined())
        entry.insert(lay.buffers[b], st.buffers[b].detach().clone());
      else if (lay.undefined_as_none)
        entry.insert(lay.buffers[b], Value());
    }
    state.insert(static_cast<int64_t>(i), std::move(entry));
  }
  Value::Items groups;
  int64_t index = 0;
  for (std::size_t g = 0; g < num_param_groups(); ++g) {
    Value group = Value::dict();
    using K = detail::OptionField::Kind;
    for (const auto& f : fields_of(g))
      group.insert(f.key, f.kind == K::number ? Value(*f.number)
                          : f.kind == K::flag ? Value(*f.flag)
                          : f.kind == K::pair ? Value::tuple({f.number[0], f.number[1]})
                          : f.kind == K::off  ? Value(false)
                                              : Value());
    if (g < extras_.size())
      for (const auto& kv : extras_[g]) group.insert(kv.first, kv.second);
    Value::Items params;
    for (std::size_t k = 0; k < group_params(g).size(); ++k) params.emplace_back(index++);
    group.insert("params", Value::list(std::move(params)));
    groups.push_back(std::move(group));
  }
  return Value::dict({{"state", std::move(state)}, {"param_groups", Value::list(std::move(groups))}});
}

template <class T>
void Optimizer<T>::load_state_dict(const Value& state_dict) {
  read_state_dict(state_dict, false);  // every check, nothing written
  read_state_dict(state_dict, true);
}

template <class T>
double Optimizer<T>::number_of(const Value& v) {
  if (v.kind() == Value::Kind::float_tensor || v.kind() == Value::Kind::double_tensor ||
      v.kind() == Value::Kind::int64_tensor) {
    const double x = v.kind() == Value::Kind::float_tensor    ? v.as_tensor<float>().detach().to<double>().sum().item()
                     : v.kind() == Value::Kind::double_tensor ? v.as_tensor<double>().detach().sum().item()
                                                              : static_cast<double>(v.as_tensor<int64_t>().sum().item());
    const int64_t n = v.kind() == Value::Kind::float_tensor    ? v.as_tensor<float>().numel()
                      : v.kind() == Value::Kind::double_tensor ? v.as_tensor<double>().numel()
                                                               : v.as_tensor<int64_t>().numel();
    if (n != 1) detail::fail<ValueError>({"loaded state dict has a step of ", n, " elements, expected one"});
    return x;
  }
  return v.as_double();
}

template <class T>
void Optimizer<T>::read_state_dict(const Value& sd, bool write) {
  const auto& saved_groups = sd.at("param_groups").items();
  const Value& saved_state = sd.at("state");
  (void)saved_state.entries();  // a dict
  if (saved_groups.size() != num_param_groups())
    detail::fail<ValueError>({"loaded state dict has a different number of parameter groups"});
  // Saved parameter ids -> our index across groups, in order (PyTorch's id_map).
  std::vector<std::pair<int64_t, std::size_t>> ids;
  for (std::size_t g = 0; g < saved_groups.size(); ++g) {
    const auto& params = saved_groups[g].at("params").items();
    if (params.size() != group_params(g).size())
      detail::fail<ValueError>(
          {"loaded state dict contains a parameter group that doesn't match the size of optimizer's group"});
    for (const auto& id : params) ids.emplace_back(id.as_int(), ids.size());
  }
  using K = detail::OptionField::Kind;
  if (write) extras_.assign(num_param_groups(), {});
  for (std::size_t g = 0; g < saved_groups.size(); ++g) {
    const auto fields = group_fields(g);
    for (const auto& kv : saved_groups[g].entries()) {
      const auto* key = std::get_if<std::string>(&kv.first);
      if (!key) detail::fail<ValueError>({"loaded state dict has a parameter group key that is not a str"});
      const Value& v = kv.second;
      const detail::OptionField* f = fields.find(*key);
      if (*key == "params" || (f && (f->kind == K::none || f->kind == K::off))) continue;
      if (f && f->kind == K::pair) {
        const auto& two = v.items();
        if (two.size() != 2) detail::fail<ValueError>({"loaded state dict has '", *key, "' of ", two.size(), " items"});
        const double a = two[0].as_double(), b = two[1].as_double();
        if (write) f->number[0] = a, f->number[1] = b;
      } else if (f && f->kind == K::flag) {
        const bool b = v.kind() == Value::Kind::integer ? v.as_int() != 0 : v.as_bool();
        if (write) *f->flag = b;
      } else if (f) {
        const double x = v.as_double();
        if (write) *f->number = x;
      } else if (v.kind() == Value::Kind::integer || v.kind() == Value::Kind::real) {
        if (write) extras_[g].emplace_back(*key, v.as_double());  // a scheduler's key ("initial_lr")
      }
    }
  }
  const detail::StateLayout lay = layout();
  std::vector<detail::ParamState<T>> loaded(ids.size());
  for (const auto& kv : saved_state.entries()) {
    const auto* id = std::get_if<int64_t>(&kv.first);
    if (!id) detail::fail<ValueError>({"loaded state dict has a state key that is not an int"});
    std::size_t i = ids.size();
    for (const auto& m : ids)
      if (m.first == *id) i = m.second;
    if (i == ids.size()) continue;  // not one of the groups' parameters (PyTorch keeps it, unused)
    Tensor<T> p;
    for (std::size_t g = 0, first = 0; !p.defined(); first += group_params(g++).size())
      if (i < first + group_params(g).size()) p = group_params(g)[i - first];
    auto& st = loaded[i];
    st.live = true;
    for (const auto& field : kv.second.entries()) {
      const auto* name = std::get_if<std::string>(&field.first);
      if (!name) continue;
      const Value& v = field.second;
      if (*name == "step") {
        const double step = number_of(v);
        if (write) st.step = tensor<double>(step);
        continue;
      }
      for (std::size_t b = 0; b < lay.buffers.size(); ++b) {
        if (!lay.buffers[b] || *name != lay.buffers[b] || v.is_none()) continue;
        const Size shape = v.kind() == Value::Kind::float_tensor    ? v.as_tensor<float>().shape()
                           : v.kind() == Value::Kind::double_tensor ? v.as_tensor<double>().shape()
                                                                    : Size(v.as_tensor<T>().shape());
        if (shape != p.shape())
          detail::fail<ValueError>({"loaded state dict has '", *name, "' of shape ", shape.str(), " for parameter ",
                                    i, " of shape ", p.shape().str()});
        if (!write) continue;
        NoGradGuard no_grad;
        st.buffers[b] = v.kind() == Value::Kind::float_tensor ? v.as_tensor<float>().detach().to<T>().clone()
                                                              : v.as_tensor<double>().detach().to<T>().clone();
      }
    }
  }
  if (write) state_ = std::move(loaded);
}

// ---- GroupedOptimizer -------------------------------------------------------------------------------------

template <class T, class Options>
GroupedOptimizer<T, Options>::GroupedOptimizer(std::vector<Group> groups, const Options& defaults)
    : defaults_(defaults), groups_(std::move(groups)) {
  if (groups_.empty()) detail::fail<ValueError>({"optimizer got an empty parameter list"});
  defaults_.check();
  std::vector<const void*> seen;
  for (auto& group : groups_) {
    if (!group.has_own_options()) group.options = defaults_;
    group.options.check();
    if (groups_.size() == 1 && group.params.empty())
      detail::fail<ValueError>({"optimizer got an empty parameter list"});
    const std::size_t before = seen.size();
    for (const auto& p : group.params) {
      if (!p.defined())
        detail::fail({"optimizer can only optimize Tensors, but one of the params is undefined"});
      if (!p.is_leaf()) detail::fail<ValueError>({"can't optimize a non-leaf Tensor"});
      for (std::size_t k = 0; k < before; ++k)
        if (seen[k] == p.impl().get()) detail::fail<ValueError>({"some parameters appear in more than one parameter group"});
      seen.push_back(p.impl().get());
    }
  }
  this->state_.resize(seen.size());
  this->extras_.resize(groups_.size());
}

template <class T, class Options>
template <class Prepare, class Update>
void GroupedOptimizer<T, Options>::each_parameter(const char* name, Prepare prepare, Update update) {
  NoGradGuard no_grad;
  auto& state = this->state();
  // Every check before any update, so that a refused step changes nothing.
  for (const auto& group : groups_)
    for (const auto& p : group.params) {
      const auto& g = p.impl()->grad;  // (no handle copy: this loop runs every step)
      if (g && g->shape != p.shape())
        detail::fail({name, ": the gradient's shape ", g->shape.str(), " differs from the parameter's ",
                      p.shape().str()});
    }
  std::size_t i = 0;
  for (const auto& group : groups_)
    for (const auto& p : group.params) {
      auto& st = state[i++];
      if (!p.impl()->grad) continue;
      st.fresh = false;
      prepare(group.options, p, st);  // (which starts the step count where the update reads one)
      st.live = true;
    }
  i = 0;
  for (auto& group : groups_)
    for (auto& p : group.params) {
      auto& st = state[i++];
      if (!p.impl()->grad) continue;
      const Tensor<T> g = p.grad();
      update(group.options, p, g, st);
    }
}

}  // namespace eigentorch::optim
