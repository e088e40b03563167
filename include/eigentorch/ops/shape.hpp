// Shape ops: reshape / view / unsqueeze / squeeze / flatten share storage with their input (changes
// through one show through the other, as in PyTorch); t / transpose copy, since eigentorch tensors are
// always contiguous; clone and expand copy. Each with its derivative, which reshapes, transposes or sums
// the gradient.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

#include <algorithm>  // copy
#include <utility>    // swap

namespace eigentorch {
namespace ops {

// The derivative of any reshaping view: the gradient, reshaped back to the input's shape.
template <class T>
struct ViewBackward final : autograd::Node<T> {
  Size input_shape;
  const char* name_;
  ViewBackward(Size s, const char* n) : input_shape(std::move(s)), name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::alias(g, input_shape); }
};

/// x viewed with a new shape, recorded as `name` (ViewBackward0, UnsqueezeBackward0, ...).
template <class T>
Tensor<T> view_as_shape(const Tensor<T>& x, const Size& shape, const char* name) {
  Tensor<T> out = detail::alias(x, shape);
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<ViewBackward<T>>(x.shape(), name), {&x});
  return out;
}

// d transpose(x) = transpose(g)
template <class T>
struct TransposeBackward final : autograd::Node<T> {
  int64_t dim0, dim1;
  const char* name_;
  TransposeBackward(int64_t a, int64_t b, const char* n) : dim0(a), dim1(b), name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::transposed(g, dim0, dim1); }
};

template <class T>
Tensor<T> transpose(const Tensor<T>& x, int64_t dim0, int64_t dim1, const char* name = "TransposeBackward0") {
  const int64_t a = detail::wrap_dim(dim0, x.dim()), b = detail::wrap_dim(dim1, x.dim());
  Tensor<T> out = detail::transposed(x, a, b);
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<TransposeBackward<T>>(a, b, name), {&x});
  return out;
}

// d expand(x) = the gradient summed back over the expanded dims
template <class T>
struct ExpandBackward final : autograd::Node<T> {
  Size input_shape;
  const char* name() const override { return "ExpandBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::sum_to(g, input_shape); }
};

/// x broadcast to `shape` (copied; PyTorch's expand is a view, but only reading it is meaningful).
template <class T>
Tensor<T> expand(const Tensor<T>& x, const Size& shape) {
  if (x.shape() == shape) return x;
  if (detail::broadcast_shapes(x.shape(), shape) != shape || shape.size() < x.shape().size())
    detail::fail({"The expanded size of the tensor must match the existing size ", x.shape().list_str(),
                  " at non-singleton dimensions. Target sizes: ", shape.list_str()});
  Tensor<T> out = detail::map_to(shape, detail::Identity{}, x);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ExpandBackward<T>>();
    node->input_shape = x.shape();
    autograd::connect(out, node, {&x});
  }
  return out;
}

// d clone(x) = g
template <class T>
struct CloneBackward final : autograd::Node<T> {
  const char* name() const override { return "CloneBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = g; }
};

}  // namespace ops

template <class T>
Tensor<T> Tensor<T>::clone() const {
  Tensor out = detail::map(detail::Identity{}, *this);
  if (autograd::needs_grad(*this)) autograd::connect(out, detail::make_pooled<ops::CloneBackward<T>>(), {this});
  return out;
}

template <class T>
Tensor<T> Tensor<T>::reshape(const Size& s) const {
  return ops::view_as_shape(*this, detail::infer_shape(s.vec(), numel()), "ReshapeAliasBackward0");
}

template <class T>
Tensor<T> Tensor<T>::view(const Size& s) const {
  return ops::view_as_shape(*this, detail::infer_shape(s.vec(), numel()), "ViewBackward0");
}

template <class T>
Tensor<T> Tensor<T>::unsqueeze(int64_t d) const {
  const int64_t at = detail::wrap_dim(d, dim() + 1);
  std::vector<int64_t> s = shape().vec();
  s.insert(s.begin() + at, 1);
  return ops::view_as_shape(*this, Size(std::move(s)), "UnsqueezeBackward0");
}

template <class T>
Tensor<T> Tensor<T>::squeeze() const {
  std::vector<int64_t> s;
  for (int64_t v : shape())
    if (v != 1) s.push_back(v);
  return ops::view_as_shape(*this, Size(std::move(s)), "SqueezeBackward0");
}

template <class T>
Tensor<T> Tensor<T>::squeeze(int64_t d) const {
  const int64_t at = detail::wrap_dim(d, dim());
  std::vector<int64_t> s = shape().vec();
  if (dim() > 0 && s[static_cast<std::size_t>(at)] == 1) s.erase(s.begin() + at);
  return ops::view_as_shape(*this, Size(std::move(s)), "SqueezeBackward1");
}

template <class T>
Tensor<T> Tensor<T>::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int64_t a = detail::wrap_dim(start_dim, dim()), b = detail::wrap_dim(end_dim, dim());
  if (a > b) detail::fail({"flatten() has invalid args: start_dim cannot come after end_dim"});
  if (a == b) return *this;
  std::vector<int64_t> s(shape().begin(), shape().begin() + a);
  int64_t merged = 1;
  for (int64_t i = a; i <= b; ++i) merged *= shape()[static_cast<std::size_t>(i)];
  s.push_back(merged);
  s.insert(s.end(), shape().begin() + b + 1, shape().end());
  return reshape(Size(std::move(s)));
}

template <class T>
Tensor<T> Tensor<T>::t() const {
  if (dim() > 2) detail::fail({"t() expects a tensor with <= 2 dimensions, but self is ", dim(), "D"});
  if (dim() < 2) return ops::view_as_shape(*this, shape(), "TBackward0");
  return ops::transpose(*this, 0, 1, "TBackward0");
}

template <class T>
Tensor<T> Tensor<T>::transpose(int64_t dim0, int64_t dim1) const {
  return ops::transpose(*this, dim0, dim1);
}

template <class T> Tensor<T> reshape(const Tensor<T>& x, const Size& s) { return x.reshape(s); }
template <class T> Tensor<T> unsqueeze(const Tensor<T>& x, int64_t d) { return x.unsqueeze(d); }
template <class T> Tensor<T> squeeze(const Tensor<T>& x) { return x.squeeze(); }
template <class T> Tensor<T> squeeze(const Tensor<T>& x, int64_t d) { return x.squeeze(d); }
template <class T> Tensor<T> flatten(const Tensor<T>& x, int64_t start_dim = 0, int64_t end_dim = -1) {
  return x.flatten(start_dim, end_dim);
}
template <class T> Tensor<T> t(const Tensor<T>& x) { return x.t(); }
template <class T> Tensor<T> transpose(const Tensor<T>& x, int64_t a, int64_t b) { return x.transpose(a, b); }

}  // namespace eigentorch
