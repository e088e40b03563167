// nn::Module<T>: the base of every layer and model. A module is a handle, as a Python object
// reference is: copies share parameters, children and the training flag; assignment replaces the model.
// It keeps parameters, buffers and child modules by name in registration order, which gives
// parameters(), named_parameters() ("0.weight", "fc1.bias"), state_dict(), load_state_dict() and
// PyTorch's repr.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../size.hpp"
#include "../tensor/random.hpp"
#include "../tensor/tensor.hpp"
#include "ordered_dict.hpp"

#include <cstdlib>  // free
#include <memory>
#include <ostream>
#include <string>
#include <typeinfo>
#include <utility>  // move, swap
#include <vector>
#if defined(__GNUG__)
#include <cxxabi.h>  // __cxa_demangle, for the class name in repr
#endif

namespace eigentorch::nn {

template <class T = float>
class Module;

namespace detail {

/// The generator's state before a module drew its initial values, and the stamps around the draws.
struct InitRecord {
  Generator::State before;
  uint64_t first_stamp = 0, last_stamp = 0;
};

template <class T>
struct ModuleState {
  std::shared_ptr<const InitRecord> init_record;  // set by Module::initialize()
  std::vector<std::pair<std::string, Tensor<T>>> parameters;
  std::vector<std::pair<std::string, Tensor<T>>> buffers;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children;
  bool training = true;
};

/// "Net" from a C++ type name such as "app::Net<float>" (what Python's type(self).__name__ gives).
[[gnu::cold]] inline std::string short_type_name(const std::type_info& info) {
  std::string name = info.name();
#if defined(__GNUG__)
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  if (status == 0 && demangled) name = demangled.get();
#endif
  const auto angle = name.find('<');
  if (angle != std::string::npos) name.erase(angle);
  const auto colon = name.rfind("::");
  if (colon != std::string::npos) name.erase(0, colon + 2);
  return name;
}

/// Indents every line after the first by `spaces` (PyTorch's _addindent).
[[gnu::cold]] inline std::string add_indent(const std::string& s, int spaces) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out.append(static_cast<std::size_t>(spaces), ' ');
  }
  return out;
}

inline void check_name(const std::string& name, const char* what) {
  if (name.empty()) eigentorch::detail::fail<KeyError>({what, " name can't be empty string \"\""});
  if (name.find('.') != std::string::npos) {
    const bool is_module = std::string(what) == "module";  // PyTorch names the bad name for modules only
    eigentorch::detail::fail<KeyError>({what, " name can't contain \".\"", is_module ? ", got: " : "", is_module ? name : std::string()});
  }
}

}  // namespace detail

/// The base class of layers and user models: derive, register parameters and submodules, override forward.
template <class T>
class Module {
 public:
  using Scalar = T;

  Module() : state_(std::make_shared<detail::ModuleState<T>>()) {}
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;

  /// The computation; a module with other inputs declares its own forward and is called through it.
  virtual Tensor<T> forward(const Tensor<T>& input) {
    (void)input;
    eigentorch::detail::fail({"Module [", name(), "] is missing the required \"forward\" function"});
  }
  Tensor<T> operator()(const Tensor<T>& input) { return forward(input); }

  /// The class name shown in repr ("Linear"); derived modules may override it.
  virtual std::string name() const { return detail::short_type_name(typeid(*this)); }
  /// The text inside the parentheses of repr ("in_features=1, out_features=13, bias=True").
  virtual std::string extra_repr() const { return ""; }
  /// PyTorch's repr of the module and its children.
  [[gnu::cold]] std::string repr() const {
    const std::string extra = extra_repr();
    std::vector<std::string> extra_lines;
    if (!extra.empty()) {
      std::size_t start = 0, nl;
      while ((nl = extra.find('\n', start)) != std::string::npos) {
        extra_lines.push_back(extra.substr(start, nl - start));
        start = nl + 1;
      }
      extra_lines.push_back(extra.substr(start));
    }
    std::vector<std::string> child_lines;
    for (const auto& [key, child] : state_->children)
      child_lines.push_back("(" + key + "): " + detail::add_indent(child->repr(), 2));
    std::string s = name() + "(";
    if (extra_lines.size() == 1 && child_lines.empty()) {
      s += extra_lines[0];
    } else if (!extra_lines.empty() || !child_lines.empty()) {
      s += "\n";
      for (const auto& l : extra_lines) s += "  " + l + "\n";
      for (const auto& l : child_lines) s += "  " + l + "\n";
    }
    return s + ")";
  }

  /// Draws fresh initial values for this module's own parameters (nothing for modules without any).
  virtual void reset_parameters() {}

  // ---- registration --------------------------------------------------------------------------------
  /// Adds a parameter (made a leaf that requires grad) under `name`; returns the handle to keep.
  Tensor<T> register_parameter(const std::string& name, Tensor<T> param, bool requires_grad = true) {
    detail::check_name(name, "parameter");
    if (param.defined()) {
      if (!param.is_leaf()) eigentorch::detail::fail({"Cannot assign non-leaf Tensor to parameter '", name, "'."});
      param.impl()->is_parameter = true;
      param.requires_grad_(requires_grad);
    }
    put(state_->parameters, name, param);
    return param;
  }
  /// Adds a buffer (state that is saved but not trained) under `name`.
  Tensor<T> register_buffer(const std::string& name, Tensor<T> buffer) {
    detail::check_name(name, "buffer");
    put(state_->buffers, name, buffer);
    return buffer;
  }
  /// Adds a child module under `name`; the child shares its parameters with the handle passed in.
  template <class M>
  M register_module(const std::string& name, const M& module) {
    detail::check_name(name, "module");
    put(state_->children, name, std::shared_ptr<Module<T>>(std::make_shared<M>(module)));
    return module;
  }

  /// Adds a child module held by shared_ptr (no copy is made).
  void register_module_ptr(const std::string& name, std::shared_ptr<Module<T>> module) {
    detail::check_name(name, "module");
    put(state_->children, name, std::move(module));
  }

  // ---- traversal -----------------------------------------------------------------------------------
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    collect(out, "", recurse, &detail::ModuleState<T>::parameters);
    return out;
  }
  std::vector<Tensor<T>> parameters(bool recurse = true) const {
    std::vector<Tensor<T>> out;
    for (auto& kv : named_parameters(recurse)) out.push_back(kv.second);
    return out;
  }
  std::vector<std::pair<std::string, Tensor<T>>> named_buffers(bool recurse = true) const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    collect(out, "", recurse, &detail::ModuleState<T>::buffers);
    return out;
  }
  std::vector<Tensor<T>> buffers(bool recurse = true) const {
    std::vector<Tensor<T>> out;
    for (auto& kv : named_buffers(recurse)) out.push_back(kv.second);
    return out;
  }
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> named_children() const { return state_->children; }
  std::vector<std::shared_ptr<Module<T>>> children() const {
    std::vector<std::shared_ptr<Module<T>>> out;
    for (auto& kv : state_->children) out.push_back(kv.second);
    return out;
  }

  // ---- state ---------------------------------------------------------------------------------------
  /// Parameters and buffers by dotted name, in order, detached (they share data with the model).
  OrderedDict<T> state_dict() const {
    OrderedDict<T> sd;
    add_state(sd, "");
    return sd;
  }
  /// Copies values from `sd` into the model's parameters and buffers. Missing or unexpected keys
  /// (when strict) and shape mismatches throw, naming every offending key.
  void load_state_dict(const OrderedDict<T>& sd, bool strict = true) {
    OrderedDict<T> own = state_dict();
    std::vector<std::string> missing, unexpected, errors;
    for (const auto& [key, target] : own) {
      if (!sd.contains(key)) {
        missing.push_back(key);
        continue;
      }
      const Tensor<T>& source = sd[key];
      if (source.shape() != target.shape())
        errors.push_back("size mismatch for " + key + ": copying a param with shape " + source.shape().str() +
                         " from checkpoint, the shape in current model is " + target.shape().str() + ".");
    }
    for (const auto& kv : sd)
      if (!own.contains(kv.first)) unexpected.push_back(kv.first);
    auto quoted = [](const std::vector<std::string>& keys) {
      std::string s;
      for (std::size_t i = 0; i < keys.size(); ++i) s += (i ? ", \"" : "\"") + keys[i] + "\"";
      return s;
    };
    if (strict && !unexpected.empty()) errors.insert(errors.begin(), "Unexpected key(s) in state_dict: " + quoted(unexpected) + ". ");
    if (strict && !missing.empty()) errors.insert(errors.begin(), "Missing key(s) in state_dict: " + quoted(missing) + ". ");
    if (!errors.empty()) {
      std::string msg = "Error(s) in loading state_dict for " + name() + ":";
      for (const auto& e : errors) msg += "\n\t" + e;
      throw Error(msg);
    }
    NoGradGuard no_grad;
    for (const auto& [key, target] : own)
      if (sd.contains(key)) {
        Tensor<T> dst = target;
        dst.copy_(sd[key]);
      }
  }

  /// Clears every parameter's gradient (set to none, as PyTorch 2 does; or to zero).
  void zero_grad(bool set_to_none = true) {
    for (auto& p : parameters()) {
      if (!p.grad().defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor<T>());
      } else {
        Tensor<T> g = p.grad();
        NoGradGuard no_grad;
        g.zero_();
      }
    }
  }

  /// Sets training mode here and in every descendant (as Module.train(mode)).
  Module& train(bool on = true) {
    state_->training = on;
    for (auto& child : state_->children) child.second->train(on);
    return *this;
  }
  Module& eval() { return train(false); }
  bool is_training() const { return state_->training; }

  friend std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

 protected:
  /// The children, without a copy (for forward passes on the hot path).
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children_ref() const { return state_->children; }

  /// Runs reset_parameters(), remembering the generator state it started from, so that a container
  /// can redraw its children in argument order (replay_children_initialisation).
  void initialize() {
    Generator& g = default_generator();
    auto record = std::make_shared<detail::InitRecord>();
    record->before = g.get_state();
    record->first_stamp = g.stamp();
    reset_parameters();
    record->last_stamp = g.stamp();
    state_->init_record = std::move(record);
  }

  /// Makes the children's initial values those Python would draw, constructing them left to right.
  // NOTE: C++ leaves the order in which function arguments are evaluated unspecified (g++ goes right
  // to left), so in Sequential(Linear(1, 13), Tanh(), Linear(13, 1)) the last Linear may draw first.
  // When the children's draws form one unbroken run that nothing has followed, the generator is
  // rewound to the run's start and the children redraw in registration order; otherwise nothing changes.
  /// `eligible[i]` says child i was built as a temporary for this call (only those are redrawn).
  void replay_children_initialisation(const std::vector<bool>& eligible) {
    std::vector<std::pair<const detail::InitRecord*, Module*>> drew;  // children that drew, registration order
    for (std::size_t i = 0; i < state_->children.size() && i < eligible.size(); ++i) {
      if (!eligible[i]) continue;
      const auto& child = state_->children[i].second;
      const auto& rec = child->state_->init_record;
      if (rec && rec->last_stamp != rec->first_stamp) drew.emplace_back(rec.get(), child.get());
    }
    if (drew.empty()) return;
    auto by_time = drew;  // by first stamp (an insertion sort: a handful of children, and no std::sort to compile)
    for (std::size_t i = 1; i < by_time.size(); ++i)
      for (std::size_t j = i; j > 0 && by_time[j].first->first_stamp < by_time[j - 1].first->first_stamp; --j)
        std::swap(by_time[j], by_time[j - 1]);
    Generator& g = default_generator();
    for (std::size_t i = 1; i < by_time.size(); ++i)
      if (by_time[i].first->first_stamp != by_time[i - 1].first->last_stamp) return;  // something else drew between
    if (by_time.back().first->last_stamp != g.stamp()) return;  // something drew after: too late to rewind
    auto record = std::make_shared<detail::InitRecord>();
    record->before = by_time.front().first->before;
    bool in_order = true;
    for (std::size_t i = 0; i < drew.size(); ++i) in_order = in_order && drew[i].second == by_time[i].second;
    if (in_order) {
      record->first_stamp = by_time.front().first->first_stamp;
    } else {
      g.set_state(record->before);
      record->first_stamp = g.stamp();
      for (auto& d : drew) d.second->initialize();
    }
    record->last_stamp = g.stamp();
    state_->init_record = std::move(record);
  }

  template <class V>
  static void put(std::vector<std::pair<std::string, V>>& list, const std::string& name, V value) {
    for (auto& kv : list)
      if (kv.first == name) {
        kv.second = std::move(value);
        return;
      }
    list.emplace_back(name, std::move(value));
  }

 private:
  using TensorList = std::vector<std::pair<std::string, Tensor<T>>>;

  void collect(TensorList& out, const std::string& prefix, bool recurse, TensorList detail::ModuleState<T>::*member) const {
    for (const auto& [key, t] : (*state_).*member) {
      if (!t.defined()) continue;
      bool seen = false;  // a tensor shared by two modules is listed once, as in PyTorch
      for (const auto& kv : out) seen = seen || kv.second.is_same(t);
      if (!seen) out.emplace_back(prefix + key, t);
    }
    if (recurse)
      for (const auto& [key, child] : state_->children) child->collect(out, prefix + key + ".", true, member);
  }

  void add_state(OrderedDict<T>& sd, const std::string& prefix) const {
    for (const auto& [key, t] : state_->parameters)
      if (t.defined()) sd.insert(prefix + key, t.detach());
    for (const auto& [key, t] : state_->buffers)
      if (t.defined()) sd.insert(prefix + key, t.detach());
    for (const auto& [key, child] : state_->children) child->add_state(sd, prefix + key + ".");
  }

  std::shared_ptr<detail::ModuleState<T>> state_;
};

}  // namespace eigentorch::nn
