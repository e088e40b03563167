// nn::Sequential: children named "0", "1", ... (so parameter names equal PyTorch's), applied in order.
#pragma once

#include "module.hpp"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace eigentorch::nn {

/// Modules applied one after another: `nn::Sequential s(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));`
template <class T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  template <class M, class... Ms,
            std::enable_if_t<std::is_base_of_v<Module<T>, std::decay_t<M>> && !std::is_same_v<std::decay_t<M>, Sequential>, int> = 0>
  explicit Sequential(M&& first, Ms&&... rest) {
    push_back(std::forward<M>(first));
    (push_back(std::forward<Ms>(rest)), ...);
    // Temporaries built in this call draw in argument order, as Python's do; named modules built
    // before it keep their values.
    this->replay_children_initialisation({std::is_rvalue_reference_v<M&&>, std::is_rvalue_reference_v<Ms&&>...});
  }

  /// Redraws every child's initial values, in order.
  void reset_parameters() override {
    for (auto& child : this->children()) child->reset_parameters();
  }

  /// Appends a module (shared with the handle passed in) as the next child.
  template <class M, std::enable_if_t<std::is_base_of_v<Module<T>, std::decay_t<M>>, int> = 0>
  void push_back(M&& module) {
    using Mod = std::decay_t<M>;
    static_assert(std::is_base_of_v<Module<T>, Mod>, "Sequential<T>::push_back: expected an nn::Module<T> of the same T");
    this->register_module(std::to_string(size()), static_cast<const Mod&>(module));
  }
  /// Appends a module held by shared_ptr (no copy): `s.push_back(std::make_shared<nn::ReLU<>>())`.
  template <class M, std::enable_if_t<std::is_base_of_v<Module<T>, M>, int> = 0>
  void push_back(std::shared_ptr<M> module) {
    if (!module) detail::fail({"Sequential::push_back: null module"});
    children_add(std::shared_ptr<Module<T>>(std::move(module)));
  }

  std::size_t size() const { return this->children_ref().size(); }
  /// The i-th child (negative counts from the end), as Python's seq[i].
  Module<T>& operator[](int64_t i) const { return *ptr(i); }
  /// The i-th child as its concrete type: `s.get<nn::Linear<>>(0).weight`.
  template <class M>
  M& get(int64_t i) const {
    auto* m = dynamic_cast<M*>(ptr(i).get());
    if (!m) detail::fail({"Sequential::get: child ", i, " is a ", ptr(i)->name(), ", not the type asked for"});
    return *m;
  }
  std::shared_ptr<Module<T>> ptr(int64_t i) const {
    const auto n = static_cast<int64_t>(size());
    if (i < -n || i >= n) detail::fail<IndexError>({"index ", i, " is out of range"});
    return this->children_ref()[static_cast<std::size_t>(i < 0 ? i + n : i)].second;
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = x;
    for (const auto& child : this->children_ref()) y = child.second->forward(y);
    return y;
  }
  std::string name() const override { return "Sequential"; }

 private:
  void children_add(std::shared_ptr<Module<T>> m) { this->register_module_ptr(std::to_string(size()), std::move(m)); }
};

template <class M, class... Ms>
Sequential(M, Ms...) -> Sequential<typename std::decay_t<M>::Scalar>;

}  // namespace eigentorch::nn
