// In-place ops (fill_, copy_, add_, mul_, div_, uniform_, normal_, bernoulli_). They write into the tensor's
// storage and bump its version. With grad mode off (NoGradGuard) or on tensors outside any graph they
// are plain writes; on a tensor inside a graph the tensor's history is replaced by the op's node (as
// PyTorch rebases it), and a leaf that requires grad refuses them with PyTorch's message.
// NOTE: a view (reshape, unsqueeze...) shares storage but not history: an in-place op recorded
// through a view does not rewrite its base's history, unlike PyTorch's CopySlices.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "../detail/py_repr.hpp"
#include "../tensor/random.hpp"
#include "arithmetic.hpp"

#include <algorithm>  // copy, fill

namespace eigentorch {
namespace ops {

// An op that overwrites its input: what was there before gets a zero gradient.
template <class T>
struct OverwriteBackward final : autograd::Node<T> {
  const char* name_;
  explicit OverwriteBackward(const char* n) : name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = Tensor<T>(g.shape());
  }
};

// copy_(src): the gradient goes to src (summed over broadcast dims), zero to the overwritten values.
template <class T>
struct CopyBackward final : autograd::Node<T> {
  Size src_shape;
  const char* name() const override { return "CopyBackwards"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = Tensor<T>(g.shape());
    if (this->next[1]) out[1] = detail::sum_to(g, src_shape);
  }
};

}  // namespace ops

namespace detail {

template <class T>
void check_not_leaf(const Tensor<T>& self) {
  if (is_grad_enabled() && self.requires_grad() && self.is_leaf())
    fail({"a leaf Variable that requires grad is being used in an in-place operation."});
}

/// The shape check of an in-place binary op: other must broadcast to self's shape.
template <class T>
void check_broadcast_into(const Tensor<T>& self, const Tensor<T>& other) {
  if (detail::broadcast_shapes(self.shape(), other.shape()) != self.shape())
    detail::fail({"output with shape ", self.shape().list_str(), " doesn't match the broadcast shape ",
                  detail::broadcast_shapes(self.shape(), other.shape()).list_str()});
}

/// Replaces self's values by result's and, when result was recorded, self's history by result's node.
template <class T>
Tensor<T>& rebase(Tensor<T>& self, const Tensor<T>& result) {
  write(self, detail::Identity{}, result);
  if (result.grad_fn()) {
    self.impl()->grad_fn = result.grad_fn();
    self.impl()->requires_grad = true;
  }
  return self;
}

/// Before an in-place mul_ / div_ overwrites self, the node that recorded it must not keep reading
/// self's storage: saved values that alias it are replaced by `snapshot`, a copy taken beforehand.
template <class T, class NodeT>
void unalias_saved(const Tensor<T>& result, const Tensor<T>& self, const Tensor<T>& snapshot) {
  if (auto* node = dynamic_cast<NodeT*>(result.grad_fn().get())) {
    if (node->a.aliases(self)) node->a.replace_data(snapshot);
    if (node->b.aliases(self)) node->b.replace_data(snapshot);
  }
}

/// Self is overwritten with values unrelated to its past: cut its history (keeping requires_grad).
template <class T>
void overwrite_history(Tensor<T>& self, const char* name) {
  if (is_grad_enabled() && self.requires_grad())
    autograd::connect(self, make_pooled<ops::OverwriteBackward<T>>(name), {&self});
}

}  // namespace detail

template <class T>
Tensor<T>& Tensor<T>::fill_named_(T value, const char* name) {
  detail::check_not_leaf(*this);
  detail::fill(*this, value);
  detail::overwrite_history(*this, name);
  return *this;
}
template <class T> Tensor<T>& Tensor<T>::fill_(T value) { return fill_named_(value, "FillBackward2"); }
template <class T> Tensor<T>& Tensor<T>::zero_() { return fill_named_(T(0), "ZeroBackward0"); }

template <class T>
Tensor<T>& Tensor<T>::copy_(const Tensor& src) {
  detail::check_not_leaf(*this);
  detail::check_broadcast_into(*this, src);
  const bool record = autograd::needs_grad(*this, src);
  detail::write(*this, detail::Identity{}, src);  // one pass (a new batch copied into a graph's input)
  if (record) {
    auto node = detail::make_pooled<ops::CopyBackward<T>>();
    node->src_shape = src.shape();
    autograd::connect(*this, node, {this, &src});
  }
  return *this;
}

namespace detail {

/// self = op(self) in place: a leaf that requires grad refuses, then self takes the result's values
/// and history.
template <class T, class Op>
Tensor<T>& inplace(Tensor<T>& self, Op op) {
  check_not_leaf(self);
  return rebase(self, op(self));
}

/// self += alpha other or self -= alpha other.
template <class T>
Tensor<T>& add_or_sub_(Tensor<T>& self, const Tensor<T>& other, T alpha, bool sub) {
  check_not_leaf(self);
  check_broadcast_into(self, other);
  return rebase(self, ops::add(self, other, alpha, sub));
}

/// self *= other or self /= other: the node that records it must keep self's old values, not read
/// the storage the op is about to overwrite.
template <class T, bool Div>
Tensor<T>& mul_or_div_(Tensor<T>& self, const Tensor<T>& other) {
  check_not_leaf(self);
  check_broadcast_into(self, other);
  Tensor<T> result = Div ? eigentorch::div(self, other) : eigentorch::mul(self, other);
  if (result.grad_fn()) unalias_saved<T, ops::MulDivBackward<T, Div>>(result, self, self.detach().clone());
  return rebase(self, result);
}

}  // namespace detail

template <class T>
Tensor<T>& Tensor<T>::add_(const Tensor& other, T alpha) { return detail::add_or_sub_(*this, other, alpha, false); }
template <class T>
Tensor<T>& Tensor<T>::sub_(const Tensor& other, T alpha) { return detail::add_or_sub_(*this, other, alpha, true); }
template <class T> Tensor<T>& Tensor<T>::mul_(const Tensor& other) { return detail::mul_or_div_<T, false>(*this, other); }
template <class T> Tensor<T>& Tensor<T>::div_(const Tensor& other) { return detail::mul_or_div_<T, true>(*this, other); }

template <class T> Tensor<T>& Tensor<T>::add_scalar_(T c) { return detail::inplace(*this, [c](auto& t) { return t + c; }); }
template <class T> Tensor<T>& Tensor<T>::sub_scalar_(T c) { return detail::inplace(*this, [c](auto& t) { return t - c; }); }
template <class T> Tensor<T>& Tensor<T>::mul_scalar_(T c) { return detail::inplace(*this, [c](auto& t) { return t * c; }); }
template <class T> Tensor<T>& Tensor<T>::div_scalar_(T c) { return detail::inplace(*this, [c](auto& t) { return t / c; }); }

template <class T>
Tensor<T>& Tensor<T>::uniform_(double from, double to) {
  detail::check_not_leaf(*this);
  if (!(from <= to))
    detail::fail({"uniform_ expects to return a [from, to) range, but found from=", detail::c10_str(from), " > to=",
                  detail::c10_str(to)});
  detail::fill_uniform<T>(data(), numel(), from, to);
  ++impl()->storage->version;
  detail::overwrite_history(*this, "UniformBackward0");
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::normal_(double mean, double std) {
  detail::check_not_leaf(*this);
  if (!(std >= 0.0)) detail::fail({"normal expects std >= 0.0, but found std ", detail::c10_str(std)});
  detail::fill_normal<T>(data(), numel(), mean, std);
  ++impl()->storage->version;
  detail::overwrite_history(*this, "NormalBackward0");
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::bernoulli_(double p) {
  detail::check_not_leaf(*this);
  if (!(0 <= p && p <= 1)) detail::fail({"bernoulli_ expects p to be in [0, 1], but got p=", detail::c10_str(p)});
  detail::fill_bernoulli(data(), numel(), &p, 0);
  ++impl()->storage->version;
  detail::overwrite_history(*this, "BernoulliBackward2");
  return *this;
}

}  // namespace eigentorch
