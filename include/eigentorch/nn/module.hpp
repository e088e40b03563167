// nn::Module<T>: the base of every layer and model. A module is a handle, as a Python object
// reference is: copies share parameters, children and the training flag; assignment replaces the model.
// It keeps parameters, buffers and child modules by name in registration order, which gives
// parameters(), named_parameters() ("0.weight", "fc1.bias"), state_dict(), load_state_dict(),
// zero_grad() and train() / eval(). Two parts live beside it, included at the end of this file:
// module_repr.hpp (PyTorch's repr) and init_order.hpp (initial values drawn in Python's order).
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../error.hpp"
#include "../size.hpp"
#include "../tensor/tensor.hpp"
#include "ordered_dict.hpp"

#include <memory>
#include <ostream>
#include <string>
#include <utility>  // move, pair
#include <vector>

namespace eigentorch {

namespace nn {
template <class T = float>
class Module;
}  // namespace nn

namespace detail {

struct InitRecord;  // init_order.hpp

/// What a Module handle points at, shared by its copies.
template <class T>
struct ModuleState {
  std::shared_ptr<const InitRecord> init_record;  // set by Module::initialize()
  std::vector<std::pair<std::string, Tensor<T>>> parameters;
  std::vector<std::pair<std::string, Tensor<T>>> buffers;
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module<T>>>> children;
  bool training = true;
};

/// The values of (name, value) pairs, in order.
template <class V>
std::vector<V> values_of(const std::vector<std::pair<std::string, V>>& items) {
  std::vector<V> out;
  for (const auto& kv : items) out.push_back(kv.second);
  return out;
}

/// PyTorch's checks on the name of a parameter, buffer or module (`what`).
inline void check_name(const std::string& name, const char* what) {
  if (name.empty()) fail<KeyError>({what, " name can't be empty string \"\""});
  if (name.find('.') != std::string::npos) {
    const bool is_module = std::string(what) == "module";  // PyTorch names the bad name for modules only
    fail<KeyError>({what, " name can't contain \".\"", is_module ? ", got: " : "", is_module ? name : std::string()});
  }
}

}  // namespace detail

namespace nn {

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
    detail::fail({"Module [", name(), "] is missing the required \"forward\" function"});
  }
  Tensor<T> operator()(const Tensor<T>& input) { return forward(input); }

  /// The class name shown in repr ("Linear"); derived modules may override it.
  virtual std::string name() const;  // module_repr.hpp
  /// The text inside the parentheses of repr ("in_features=1, out_features=13, bias=True").
  virtual std::string extra_repr() const { return ""; }
  /// PyTorch's repr of the module and its children.
  [[gnu::cold]] std::string repr() const;  // module_repr.hpp

  /// Draws fresh initial values for this module's own parameters (nothing for modules without any).
  virtual void reset_parameters() {}

  // ---- registration --------------------------------------------------------------------------------
  /// Adds a parameter (made a leaf that requires grad) under `name`; returns the handle to keep.
  Tensor<T> register_parameter(const std::string& name, Tensor<T> param, bool requires_grad = true);
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
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const;
  std::vector<Tensor<T>> parameters(bool recurse = true) const { return detail::values_of(named_parameters(recurse)); }
  std::vector<std::pair<std::string, Tensor<T>>> named_buffers(bool recurse = true) const {
    return named_tensors(&detail::ModuleState<T>::buffers, recurse);
  }
  std::vector<Tensor<T>> buffers(bool recurse = true) const { return detail::values_of(named_buffers(recurse)); }
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> named_children() const { return state_->children; }
  std::vector<std::shared_ptr<Module<T>>> children() const { return detail::values_of(state_->children); }

  // ---- state ---------------------------------------------------------------------------------------
  /// Parameters and buffers by dotted name, in order, detached (they share data with the model).
  OrderedDict<T> state_dict() const;
  /// Copies values from `sd` into the model's parameters and buffers. Missing or unexpected keys
  /// (when strict) and shape mismatches throw, naming every offending key.
  void load_state_dict(const OrderedDict<T>& sd, bool strict = true);

  /// Clears every parameter's gradient (set to none, as PyTorch 2 does; or to zero).
  void zero_grad(bool set_to_none = true);

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
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children_ref() const {
    return state_->children;
  }

  /// Runs reset_parameters(), remembering the generator state it started from, so that a container
  /// can redraw its children in argument order (replay_children_initialisation).
  void initialize();  // init_order.hpp
  /// Makes the children's initial values those Python would draw, constructing them left to right.
  /// `eligible[i]` says child i was built as a temporary for this call (only those are redrawn).
  void replay_children_initialisation(const std::vector<bool>& eligible);  // init_order.hpp

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

  /// The tensors of one kind (parameters or buffers) here and, with recurse, in every descendant.
  TensorList named_tensors(TensorList detail::ModuleState<T>::*member, bool recurse) const;

  void collect(TensorList& out, const std::string& prefix, bool recurse,
               TensorList detail::ModuleState<T>::*member) const;

  void add_state(OrderedDict<T>& sd, const std::string& prefix) const;

  std::shared_ptr<detail::ModuleState<T>> state_;
};

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> param, bool requires_grad) {
  detail::check_name(name, "parameter");
  if (param.defined()) {
    if (!param.is_leaf()) detail::fail({"Cannot assign non-leaf Tensor to parameter '", name, "'."});
    param.impl()->is_parameter = true;
    param.requires_grad_(requires_grad);
  }
  put(state_->parameters, name, param);
  return param;
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters(bool recurse) const {
  return named_tensors(&detail::ModuleState<T>::parameters, recurse);
}

template <class T>
OrderedDict<T> Module<T>::state_dict() const {
  OrderedDict<T> sd;
  add_state(sd, "");
  return sd;
}

template <class T>
void Module<T>::load_state_dict(const OrderedDict<T>& sd, bool strict) {
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
  if (strict && !unexpected.empty())
    errors.insert(errors.begin(), "Unexpected key(s) in state_dict: " + quoted(unexpected) + ". ");
  if (strict && !missing.empty())
    errors.insert(errors.begin(), "Missing key(s) in state_dict: " + quoted(missing) + ". ");
  if (!errors.empty()) {
    std::string msg = "Error(s) in loading state_dict for " + name() + ":";
    for (const auto& e : errors) msg += "\n\t" + e;
    detail::fail({msg});
  }
  NoGradGuard no_grad;
  for (const auto& [key, target] : own)
    if (sd.contains(key)) {
      Tensor<T> dst = target;
      dst.copy_(sd[key]);
    }
}

template <class T>
void Module<T>::zero_grad(bool set_to_none) {
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

template <class T>
typename Module<T>::TensorList Module<T>::named_tensors(TensorList detail::ModuleState<T>::*member,
                                                        bool recurse) const {
  TensorList out;
  collect(out, "", recurse, member);
  return out;
}

template <class T>
void Module<T>::collect(TensorList& out, const std::string& prefix, bool recurse,
                        TensorList detail::ModuleState<T>::*member) const {
  for (const auto& [key, t] : (*state_).*member) {
    if (!t.defined()) continue;
    bool seen = false;  // a tensor shared by two modules is listed once, as in PyTorch
    for (const auto& kv : out) seen = seen || kv.second.is_same(t);
    if (!seen) out.emplace_back(prefix + key, t);
  }
  if (recurse)
    for (const auto& [key, child] : state_->children) child->collect(out, prefix + key + ".", true, member);
}

template <class T>
void Module<T>::add_state(OrderedDict<T>& sd, const std::string& prefix) const {
  for (const auto& [key, t] : state_->parameters)
    if (t.defined()) sd.insert(prefix + key, t.detach());
  for (const auto& [key, t] : state_->buffers)
    if (t.defined()) sd.insert(prefix + key, t.detach());
  for (const auto& [key, child] : state_->children) child->add_state(sd, prefix + key + ".");
}

}  // namespace nn
}  // namespace eigentorch

#include "init_order.hpp"   // Module::initialize(), replay_children_initialisation()
#include "module_repr.hpp"  // Module::name(), repr()
