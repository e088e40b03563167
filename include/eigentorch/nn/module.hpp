// nn::Module<T>: the base of every layer and model. A module is a handle, as a Python object
// reference is: copies share parameters, children and the training flag; assignment replaces the model.
// It keeps parameters, buffers and child modules by name in registration order, which gives
// parameters(), named_parameters() ("0.weight", "fc1.bias"), buffers(), modules(), named_modules(),
// apply(), state_dict(), load_state_dict(), zero_grad(), requires_grad_() and train() / eval(). Two parts live beside it, included at the end of this file:
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
  std::vector<std::string> non_persistent;  // buffers left out of state_dict()
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
  /// Adds a buffer (state that is not trained) under `name`; a persistent one is in state_dict().
  /// An undefined tensor registers the name with no value (Python's None).
  Tensor<T> register_buffer(const std::string& name, Tensor<T> buffer, bool persistent = true) {
    detail::check_name(name, "buffer");
    check_free(name, state_->buffers);
    put(state_->buffers, name, buffer);
    auto& np = state_->non_persistent;
    for (auto it = np.begin(); it != np.end(); ++it)
      if (*it == name) {
        np.erase(it);
        break;
      }
    if (!persistent) np.push_back(name);
    return buffer;
  }
  /// Adds a child module under `name`; the child shares its parameters with the handle passed in.
  template <class M>
  M register_module(const std::string& name, const M& module) {
    detail::check_name(name, "module");
    check_free(name, state_->children);
    put(state_->children, name, std::shared_ptr<Module<T>>(std::make_shared<M>(module)));
    return module;
  }

  /// Adds a child module held by shared_ptr (no copy is made).
  void register_module_ptr(const std::string& name, std::shared_ptr<Module<T>> module) {
    detail::check_name(name, "module");
    check_free(name, state_->children);
    put(state_->children, name, std::move(module));
  }

  // ---- traversal -----------------------------------------------------------------------------------
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const;
  std::vector<Tensor<T>> parameters(bool recurse = true) const { return detail::values_of(named_parameters(recurse)); }
  std::vector<std::pair<std::string, Tensor<T>>> named_buffers(bool recurse = true) const {
    return named_tensors(&detail::ModuleState<T>::buffers, recurse);
  }
  std::vector<Tensor<T>> buffers(bool recurse = true) const { return detail::values_of(named_buffers(recurse)); }
  /// The direct children by name, in registration order; a module registered twice is listed once.
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> named_children() const;
  std::vector<std::shared_ptr<Module<T>>> children() const { return detail::values_of(named_children()); }
  /// This module ("") and every descendant by dotted name ("fc1", "seq.0"), depth first, each module
  /// once (as Python's named_modules()). The pointers are views, valid while the model lives.
  std::vector<std::pair<std::string, Module<T>*>> named_modules() const;
  std::vector<Module<T>*> modules() const { return detail::values_of(named_modules()); }
  /// Calls fn(module) on every child's subtree, then on this module (Python's order); returns *this:
  /// `model.apply([](nn::Module<>& m) { if (auto* l = dynamic_cast<nn::Linear<>*>(&m)) nn::init::zeros_(l->bias); });`
  template <class F>
  Module& apply(F&& fn) {
    for (const auto& child : children()) child->apply(fn);
    fn(*this);
    return *this;
  }
  /// Whether autograd records operations on every parameter (Python's requires_grad_); returns *this.
  Module& requires_grad_(bool requires_grad = true) {
    for (auto& p : parameters()) p.requires_grad_(requires_grad);
    return *this;
  }

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

  /// PyTorch's KeyError for a name already taken by a member of another kind (a parameter named
  /// like a buffer); `own` is the list the name is going to.
  template <class V>
  void check_free(const std::string& name, const std::vector<std::pair<std::string, V>>& own) const {
    auto taken = [&name](const auto& list) {
      for (const auto& kv : list)
        if (kv.first == name) return true;
      return false;
    };
    const bool elsewhere = (static_cast<const void*>(&own) != &state_->parameters && taken(state_->parameters)) ||
                           (static_cast<const void*>(&own) != &state_->buffers && taken(state_->buffers)) ||
                           (static_cast<const void*>(&own) != &state_->children && taken(state_->children));
    if (elsewhere) detail::fail<KeyError>({"attribute '", name, "' already exists"});
  }

  /// Removes the child `name`; returns it (null if there was none).
  std::shared_ptr<Module<T>> remove_module(const std::string& name) {
    auto& list = state_->children;
    for (auto it = list.begin(); it != list.end(); ++it)
      if (it->first == name) {
        auto m = std::move(it->second);
        list.erase(it);
        return m;
      }
    return nullptr;
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

  /// The tensors of one kind (parameters or buffers) here and, with recurse, in every descendant.
  TensorList named_tensors(TensorList detail::ModuleState<T>::*member, bool recurse) const;

  void collect(TensorList& out, const std::string& prefix, bool recurse,
               TensorList detail::ModuleState<T>::*member) const;

  void add_state(OrderedDict<T>& sd, const std::string& prefix) const;
  void add_modules(std::vector<std::pair<std::string, Module<T>*>>& out, const std::string& prefix,
                   std::vector<const void*>& seen) const;

  std::shared_ptr<detail::ModuleState<T>> state_;
};

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> param, bool requires_grad) {
  detail::check_name(name, "parameter");
  check_free(name, state_->parameters);
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
std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> Module<T>::named_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> out;
  for (const auto& kv : state_->children) {
    bool seen = false;  // handles of one module share their state
    for (const auto& o : out) seen = seen || o.second->state_ == kv.second->state_;
    if (!seen) out.push_back(kv);
  }
  return out;
}

template <class T>
std::vector<std::pair<std::string, Module<T>*>> Module<T>::named_modules() const {
  std::vector<std::pair<std::string, Module<T>*>> out;
  std::vector<const void*> seen;
  add_modules(out, "", seen);
  return out;
}

template <class T>
void Module<T>::add_modules(std::vector<std::pair<std::string, Module<T>*>>& out, const std::string& prefix,
                            std::vector<const void*>& seen) const {
  for (const void* s : seen)
    if (s == state_.get()) return;
  seen.push_back(state_.get());
  out.emplace_back(prefix, const_cast<Module*>(this));
  for (const auto& [key, child] : state_->children) child->add_modules(out, prefix.empty() ? key : prefix + "." + key, seen);
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
  for (const auto& [key, t] : state_->buffers) {
    bool persistent = true;
    for (const auto& n : state_->non_persistent) persistent = persistent && n != key;
    if (t.defined() && persistent) sd.insert(prefix + key, t.detach());
  }
  for (const auto& [key, child] : state_->children) child->add_state(sd, prefix + key + ".");
}

}  // namespace nn
}  // namespace eigentorch

#include "init_order.hpp"   // Module::initialize(), replay_children_initialisation()
#include "module_repr.hpp"  // Module::name(), repr()
