// Containers: nn::Sequential (children "0", "1", ... applied in order, so parameter names equal
// PyTorch's), nn::ModuleList (the same children, no forward: the user's forward loops over them) and
// nn::ModuleDict (children by name, in insertion order).
#pragma once

#include "module.hpp"

#include <algorithm>  // min, max
#include <cstdint>    // int64_t
#include <iterator>   // forward_iterator_tag
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eigentorch {

namespace detail {

/// True for an nn::Module<T> (or derived) argument.
template <class T, class M>
inline constexpr bool is_module_v = std::is_base_of_v<nn::Module<T>, std::decay_t<M>>;

/// Walks (name, child) pairs yielding the child module itself: `for (auto& m : list) x = m(x);`.
template <class T>
class ChildIterator {
 public:
  using Base = typename std::vector<std::pair<std::string, std::shared_ptr<nn::Module<T>>>>::const_iterator;
  using iterator_category = std::forward_iterator_tag;
  using value_type = nn::Module<T>;
  using difference_type = std::ptrdiff_t;
  using pointer = nn::Module<T>*;
  using reference = nn::Module<T>&;

  explicit ChildIterator(Base it) : it_(it) {}
  nn::Module<T>& operator*() const { return *it_->second; }
  nn::Module<T>* operator->() const { return it_->second.get(); }
  ChildIterator& operator++() {
    ++it_;
    return *this;
  }
  ChildIterator operator++(int) { return ChildIterator(it_++); }
  bool operator==(const ChildIterator& o) const { return it_ == o.it_; }
  bool operator!=(const ChildIterator& o) const { return it_ != o.it_; }

 private:
  Base it_;
};

/// What Sequential and ModuleList share: children named by position, appended, indexed, iterated.
template <class T>
class IndexedModules : public nn::Module<T> {
 public:
  /// Appends a module (shared with the handle passed in) as the next child.
  template <class M, std::enable_if_t<is_module_v<T, M>, int> = 0>
  void push_back(M&& module) {
    this->register_module(std::to_string(size()), static_cast<const std::decay_t<M>&>(module));
  }
  /// Appends a module held by shared_ptr (no copy): `s.push_back(std::make_shared<nn::ReLU<>>())`.
  template <class M, std::enable_if_t<std::is_base_of_v<nn::Module<T>, M>, int> = 0>
  void push_back(std::shared_ptr<M> module) {
    if (!module) fail({name_of(), "::push_back: null module"});
    this->register_module_ptr(std::to_string(size()), std::shared_ptr<nn::Module<T>>(std::move(module)));
  }

  std::size_t size() const { return this->children_ref().size(); }
  bool empty() const { return size() == 0; }
  /// The i-th child (negative counts from the end), as Python's seq[i].
  nn::Module<T>& operator[](int64_t i) const { return *ptr(i); }
  /// The i-th child as its concrete type: `s.get<nn::Linear<>>(0).weight`.
  template <class M>
  M& get(int64_t i) const {
    auto* m = dynamic_cast<M*>(ptr(i).get());
    if (!m) fail({name_of(), "::get: child ", i, " is a ", ptr(i)->name(), ", not the type asked for"});
    return *m;
  }
  std::shared_ptr<nn::Module<T>> ptr(int64_t i) const {
    const auto n = static_cast<int64_t>(size());
    if (i < -n || i >= n) fail<IndexError>({"index ", i, " is out of range"});
    return this->children_ref()[static_cast<std::size_t>(i < 0 ? i + n : i)].second;
  }

  ChildIterator<T> begin() const { return ChildIterator<T>(this->children_ref().begin()); }
  ChildIterator<T> end() const { return ChildIterator<T>(this->children_ref().end()); }

 protected:
  virtual const char* name_of() const = 0;
};

}  // namespace detail

namespace nn {

/// Modules applied one after another: `nn::Sequential s(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));`
template <class T = float>
class Sequential : public detail::IndexedModules<T> {
 public:
  Sequential() = default;
  template <class M, class... Ms,
            std::enable_if_t<detail::is_module_v<T, M> && !std::is_same_v<std::decay_t<M>, Sequential>, int> = 0>
  explicit Sequential(M&& first, Ms&&... rest) {
    this->push_back(std::forward<M>(first));
    (this->push_back(std::forward<Ms>(rest)), ...);
    // Temporaries built in this call draw in argument order, as Python's do; named modules built
    // before it keep their values.
    this->replay_children_initialisation({std::is_rvalue_reference_v<M&&>, std::is_rvalue_reference_v<Ms&&>...});
  }

  /// Redraws every child's initial values, in order.
  void reset_parameters() override {
    for (auto& child : this->children()) child->reset_parameters();
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = x;
    for (const auto& child : this->children_ref()) y = child.second->forward(y);
    return y;
  }
  std::string name() const override { return "Sequential"; }

 protected:
  const char* name_of() const override { return "Sequential"; }
};

template <class M, class... Ms>
Sequential(M, Ms...) -> Sequential<typename std::decay_t<M>::Scalar>;

/// Modules held in a list, named "0", "1", ... as Python's nn.ModuleList; it has no forward:
///   nn::ModuleList layers(nn::Linear(4, 8), nn::ReLU());
///   layers.push_back(nn::Linear(8, 3));
///   for (auto& layer : layers) x = layer(x);
template <class T = float>
class ModuleList : public detail::IndexedModules<T> {
 public:
  ModuleList() = default;
  template <class M, class... Ms,
            std::enable_if_t<detail::is_module_v<T, M> && !std::is_same_v<std::decay_t<M>, ModuleList>, int> = 0>
  explicit ModuleList(M&& first, Ms&&... rest) {
    this->push_back(std::forward<M>(first));
    (this->push_back(std::forward<Ms>(rest)), ...);
    this->replay_children_initialisation({std::is_rvalue_reference_v<M&&>, std::is_rvalue_reference_v<Ms&&>...});
  }

  /// Python's append: push_back.
  template <class M>
  ModuleList& append(M&& module) {
    this->push_back(std::forward<M>(module));
    return *this;
  }
  /// Appends every module of `other` (shared, not copied), in order.
  ModuleList& extend(const detail::IndexedModules<T>& other) {
    const auto n = static_cast<int64_t>(other.size());  // other may be this list: its size now
    for (int64_t i = 0; i < n; ++i) this->push_back(other.ptr(i));
    return *this;
  }
  ModuleList& extend(const std::vector<std::shared_ptr<Module<T>>>& modules) {
    for (const auto& m : modules) this->push_back(m);
    return *this;
  }
  /// Puts `module` before position i (Python's insert: i clamped to the list, negative from the end).
  template <class M, std::enable_if_t<detail::is_module_v<T, M>, int> = 0>
  void insert(int64_t i, M&& module) {
    insert(i, std::shared_ptr<Module<T>>(std::make_shared<std::decay_t<M>>(module)));
  }
  void insert(int64_t i, std::shared_ptr<Module<T>> module) {
    if (!module) detail::fail({"ModuleList::insert: null module"});
    const auto n = static_cast<int64_t>(this->size());
    const int64_t at = i < 0 ? std::max<int64_t>(i + n, 0) : std::min(i, n);
    std::vector<std::shared_ptr<Module<T>>> tail;
    for (int64_t k = at; k < n; ++k) tail.push_back(this->remove_module(std::to_string(k)));
    this->push_back(std::move(module));
    for (auto& m : tail) this->push_back(std::move(m));
  }

  void reset_parameters() override {
    for (auto& child : this->children()) child->reset_parameters();
  }
  std::string name() const override { return "ModuleList"; }

 protected:
  const char* name_of() const override { return "ModuleList"; }
};

template <class M, class... Ms>
ModuleList(M, Ms...) -> ModuleList<typename std::decay_t<M>::Scalar>;

/// Modules by name, in insertion order, as Python's nn.ModuleDict:
///   nn::ModuleDict heads; heads.insert("cls", nn::Linear(8, 3)); y = heads["cls"](x);
template <class T = float>
class ModuleDict : public Module<T> {
 public:
  ModuleDict() = default;
  explicit ModuleDict(const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& items) { update(items); }

  /// Adds (or replaces) the child `key`, shared with the handle passed in (Python's d[key] = module).
  template <class M, std::enable_if_t<detail::is_module_v<T, M>, int> = 0>
  void insert(const std::string& key, M&& module) {
    this->register_module(key, static_cast<const std::decay_t<M>&>(module));
  }
  void insert(const std::string& key, std::shared_ptr<Module<T>> module) {
    if (!module) detail::fail({"ModuleDict::insert: null module"});
    this->register_module_ptr(key, std::move(module));
  }
  /// Adds every (key, module) in order.
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& items) {
    for (const auto& [key, m] : items) insert(key, m);
  }

  /// The child `key`; KeyError with Python's words ('key') when absent.
  Module<T>& operator[](const std::string& key) const { return *ptr(key); }
  Module<T>& at(const std::string& key) const { return *ptr(key); }
  /// The child `key` as its concrete type: `d.get<nn::Linear<>>("cls").weight`.
  template <class M>
  M& get(const std::string& key) const {
    auto* m = dynamic_cast<M*>(ptr(key).get());
    if (!m) detail::fail({"ModuleDict::get: child '", key, "' is a ", ptr(key)->name(), ", not the type asked for"});
    return *m;
  }
  std::shared_ptr<Module<T>> ptr(const std::string& key) const {
    for (const auto& kv : this->children_ref())
      if (kv.first == key) return kv.second;
    detail::fail<KeyError>({"'", key, "'"});
  }
  bool contains(const std::string& key) const {
    for (const auto& kv : this->children_ref())
      if (kv.first == key) return true;
    return false;
  }
  /// Removes the child `key` and returns it (Python's pop); KeyError when absent.
  std::shared_ptr<Module<T>> pop(const std::string& key) {
    auto m = ptr(key);
    this->remove_module(key);
    return m;
  }
  void clear() {
    for (const auto& key : keys()) this->remove_module(key);
  }

  std::size_t size() const { return this->children_ref().size(); }
  bool empty() const { return size() == 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& kv : this->children_ref()) out.push_back(kv.first);
    return out;
  }
  std::vector<std::shared_ptr<Module<T>>> values() const {
    std::vector<std::shared_ptr<Module<T>>> out;
    for (const auto& kv : this->children_ref()) out.push_back(kv.second);
    return out;
  }
  /// (key, module) pairs in insertion order; range-for iterates them too.
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& items() const { return this->children_ref(); }
  auto begin() const { return this->children_ref().begin(); }
  auto end() const { return this->children_ref().end(); }

  void reset_parameters() override {
    for (auto& child : this->children()) child->reset_parameters();
  }
  std::string name() const override { return "ModuleDict"; }
};

}  // namespace nn
}  // namespace eigentorch
