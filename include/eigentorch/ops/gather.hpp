// Ops that take elements by index tensors: index_select, index (PyTorch's t[idx] with an int64 index
// tensor or a bool mask), gather, scatter_add; and max(d) / min(d) with their indices. Each reduces to
// pairs of primitives, each the other's derivative: take (out[i] = x[pos[i]]) and put (base with
// values added at pos), where pos, the flat position each element comes from, is worked out from the
// index tensor when the op runs; take_rows / put_rows (whole rows, index_select) and take_along /
// put_along (along a dim, gather and scatter_add) find their positions as they go.
#pragma once

#include "../autograd/node.hpp"
#include "index.hpp"   // keep_window
#include "kernels.hpp"
#include "reduce.hpp"  // arg_extreme

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace eigentorch {
namespace ops {

// d take(x, pos) = g added at pos into zeros of x's shape (index_add / scatter_add / index_put's
// accumulation, in order)
template <class T>
struct TakeBackward final : autograd::Node<T> {
  Tensor<int64_t> pos;
  Size x_shape;
  const char* name_ = "IndexBackward0";
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override { out[0] = detail::put_add(Tensor<T>(x_shape), pos, g); }
};

// d take_rows(x, idx) = g's rows added at the rows they were read from (index_add), in order
template <class T>
struct TakeRowsBackward final : autograd::Node<T> {
  Tensor<int64_t> idx;
  Size x_shape;
  int64_t outer = 1, n = 1, inner = 1;
  const char* name_ = "IndexSelectBackward0";
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = detail::put_rows(Tensor<T>(x_shape), outer, n, inner, idx, g, [n = n](int64_t v) { return v < 0 ? v + n : v; });
  }
};

/// Rows of x (seen as [outer, n, inner]) picked by idx along the middle dim, with their node.
template <class T, class F>
Tensor<T> take_rows(const Tensor<T>& x, const Size& shape, int64_t outer, int64_t n, int64_t inner,
                    const Tensor<int64_t>& idx, F check, const char* name) {
  Tensor<T> out = detail::take_rows(x, shape, outer, n, inner, idx, check);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<TakeRowsBackward<T>>();
    node->idx = idx;
    node->x_shape = x.shape();
    node->outer = outer, node->n = n, node->inner = inner;
    node->name_ = name;
    autograd::connect(out, node, {&x});
  }
  return out;
}

template <class T>
Tensor<T> take(const Tensor<T>& x, const Tensor<int64_t>& pos, const char* name) {
  Tensor<T> out = detail::take(x, pos);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<TakeBackward<T>>();
    node->pos = pos;
    node->x_shape = x.shape();
    node->name_ = name;
    autograd::connect(out, node, {&x});
  }
  return out;
}

// d gather(x, d, idx) = g added into zeros of x's shape where each element was read (scatter_add)
template <class T>
struct GatherBackward final : autograd::Node<T> {
  Tensor<int64_t> idx;
  Size x_shape;
  int64_t d = 0;
  const char* name() const override { return "GatherBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = detail::put_along(Tensor<T>(x_shape), d, idx, g, detail::Identity{});
  }
};

// d scatter_add(base, d, idx, values) = g (for base), g read where each value was added (for values)
template <class T>
struct ScatterAddBackward final : autograd::Node<T> {
  Tensor<int64_t> idx;
  int64_t d = 0;
  const char* name() const override { return "ScatterAddBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = g;
    if (this->next[1]) out[1] = detail::take_along(g, d, idx, detail::Identity{});
  }
};

/// For gather and scatter_add: the error for an index v out of range along dim d of that size.
struct OutOfRange {
  int64_t d, size;
  [[noreturn]] void operator()(int64_t v) const {
    detail::fail({"index ", v, " is out of bounds for dimension ", d, " with size ", size});
  }
};

/// max(d) / min(d): the values and the index of each (the first on ties; a NaN wins), the values'
/// gradient going to that index (MaxBackward0 / MinBackward0).
template <bool Max, class T>
std::tuple<Tensor<T>, Tensor<int64_t>> extreme_along(const Tensor<T>& x, int64_t dim, bool keepdim) {
  const char* name = Max ? "max()" : "min()";
  Tensor<int64_t> indices = arg_extreme<Max>(x, dim, keepdim, false, name);
  const int64_t d = x.dim() == 0 ? 0 : detail::wrap_dim(dim, x.dim());
  int64_t inner = 1;
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.size(i);
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  const Tensor<int64_t> pos = detail::positions(indices.shape(), [n, inner](int64_t i, const int64_t* idx) {
    return ((i / inner) * n + idx[i]) * inner + i % inner;
  }, indices);
  return {take(x, pos, Max ? "MaxBackward0" : "MinBackward0"), indices};
}

}  // namespace ops

template <class T>
Tensor<T> Tensor<T>::index_select(int64_t dim, const Tensor<int64_t>& index) const {
  if (index.dim() > 1) detail::fail<IndexError>({"index_select(): Index is supposed to be a vector"});
  if (this->dim() == 0 && index.numel() != 1)
    detail::fail<IndexError>({"index_select(): Index to scalar can have only 1 value, got ", index.numel(), " value(s)"});
  const int64_t d = detail::wrap_dim(dim, std::max<int64_t>(this->dim(), 1));
  const Size& s = shape();
  // NOTE: an empty tensor's dims may multiply past int64 ([0, 4, 2^62]); it has no rows to copy, so
  // outer and inner are 0 (the indices are still checked, first).
  int64_t outer = numel() > 0 ? 1 : 0, inner = outer;
  for (std::size_t i = 0; outer > 0 && i < static_cast<std::size_t>(d) && i < s.size(); ++i) outer *= s[i];
  for (std::size_t i = static_cast<std::size_t>(d) + 1; inner > 0 && i < s.size(); ++i) inner *= s[i];
  const int64_t n = s.empty() ? 1 : s[static_cast<std::size_t>(d)];
  Size out_shape = s;
  if (!s.empty()) out_shape[static_cast<std::size_t>(d)] = index.numel();
  return ops::take_rows(*this, out_shape, outer, n, inner, index, [n](int64_t v) {
    if (v < 0 || v >= n) detail::fail<IndexError>({"index out of range in self"});
    return v;
  }, "IndexSelectBackward0");
}

template <class T>
Tensor<T> Tensor<T>::index(const Tensor<int64_t>& index) const {
  if (dim() == 0) detail::fail<IndexError>({"too many indices for tensor of dimension 0"});
  const int64_t n = size(0);
  int64_t inner = numel() > 0 ? 1 : 0;  // (0 for an empty tensor, as in index_select)
  for (int64_t i = 1; inner > 0 && i < dim(); ++i) inner *= size(i);
  std::vector<int64_t> out_shape = index.shape().vec();
  out_shape.insert(out_shape.end(), shape().begin() + 1, shape().end());
  return ops::take_rows(*this, Size(out_shape), 1, n, inner, index, [n](int64_t v) {
    if (v < -n || v >= n) detail::fail<IndexError>({"index ", v, " is out of bounds for dimension 0 with size ", n});
    return v < 0 ? v + n : v;
  }, "IndexBackward0");
}

template <class T>
Tensor<T> Tensor<T>::index(const Tensor<bool>& mask) const {
  if (mask.dim() > dim())
    detail::fail<IndexError>({"too many indices for tensor of dimension ", dim(), " (got ", mask.dim(), ")"});
  for (int64_t i = 0; i < mask.dim(); ++i)
    if (mask.size(i) != size(i))
      detail::fail<IndexError>({"The shape of the mask ", mask.shape().list_str(), " at index ", i,
                                " does not match the shape of the indexed tensor ", shape().list_str(), " at index ", i});
  // The result's size depends on the mask's values: read them now (refused while a CPUGraph captures).
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < mask.numel(); ++i)
    if (mask.data()[i]) rows.push_back(i);
  int64_t inner = 1;
  for (int64_t i = mask.dim(); i < dim(); ++i) inner *= size(i);
  std::vector<int64_t> out_shape{static_cast<int64_t>(rows.size())};
  out_shape.insert(out_shape.end(), shape().begin() + mask.dim(), shape().end());
  const Tensor<int64_t> pos = detail::positions(
      Size(out_shape), [rows, inner](int64_t i, const bool*) { return rows[static_cast<std::size_t>(i / inner)] * inner + i % inner; },
      mask);
  return ops::take(*this, pos, "IndexBackward0");
}

template <class T>
Tensor<T> Tensor<T>::gather(int64_t dim, const Tensor<int64_t>& index) const {
  const int64_t d = detail::wrap_dim(dim, std::max<int64_t>(this->dim(), 1));
  if (index.dim() != this->dim())
    detail::fail({"Index tensor must have the same number of dimensions as input tensor"});
  for (int64_t i = 0; i < this->dim(); ++i)
    if (i != d && index.size(i) > size(i))
      detail::fail({"Size does not match at dimension ", i, " expected index ", index.shape().list_str(),
                    " to be smaller than self ", shape().list_str(), " apart from dimension ", d});
  const ops::OutOfRange check{d, this->dim() == 0 ? 1 : size(d)};
  Tensor<T> out = detail::take_along(*this, d, index, check);
  if (autograd::needs_grad(*this)) {
    auto node = detail::make_pooled<ops::GatherBackward<T>>();
    node->idx = index;
    node->x_shape = shape();
    node->d = d;
    autograd::connect(out, node, {this});
  }
  return out;
}

template <class T>
Tensor<T> Tensor<T>::scatter_add(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const {
  const int64_t d = detail::wrap_dim(dim, std::max<int64_t>(this->dim(), 1));
  if (index.dim() != this->dim() || src.dim() != this->dim())
    detail::fail({"Index tensor must have the same number of dimensions as self tensor"});
  for (int64_t i = 0; i < this->dim(); ++i)
    if ((i != d && index.size(i) > size(i)) || index.size(i) > src.size(i))
      detail::fail({"Expected index ", index.shape().list_str(), " to be smaller than self ", shape().list_str(),
                    " apart from dimension ", d, " and to be smaller size than src ", src.shape().list_str()});
  Tensor values = src;
  if (src.shape() != index.shape()) {  // only the part of src that the index covers
    const detail::Window whole = detail::Window::whole(src.shape());
    values = ops::keep_window(src, detail::Window{index.shape(), whole.strides, 0}, "ScatterAddBackward0");
  }
  Tensor<T> out = detail::put_along(*this, d, index, values, ops::OutOfRange{d, this->dim() == 0 ? 1 : size(d)});
  if (autograd::needs_grad(*this, values)) {
    auto node = detail::make_pooled<ops::ScatterAddBackward<T>>();
    node->idx = index;
    node->d = d;
    autograd::connect(out, node, {this, &values});
  }
  return out;
}

template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> Tensor<T>::max(int64_t d, bool keepdim) const {
  return ops::extreme_along<true>(*this, d, keepdim);
}
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> Tensor<T>::min(int64_t d, bool keepdim) const {
  return ops::extreme_along<false>(*this, d, keepdim);
}

template <class T> Tensor<T> index_select(const Tensor<T>& x, int64_t d, const Tensor<int64_t>& i) { return x.index_select(d, i); }
template <class T> Tensor<T> gather(const Tensor<T>& x, int64_t d, const Tensor<int64_t>& i) { return x.gather(d, i); }
template <class T>
Tensor<T> scatter_add(const Tensor<T>& x, int64_t d, const Tensor<int64_t>& i, const Tensor<T>& src) { return x.scatter_add(d, i, src); }

}  // namespace eigentorch
