// Indexing and joining (issue 15): select, narrow, slice, permute, expand, repeat, split, chunk, cat,
// stack, each with its derivative. Every eigentorch tensor is contiguous, so each op copies: what it
// keeps of its input is a detail::Window (an offset and strides into the input) read by
// detail::copy_window, and its derivative writes the gradient back through the same window.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "shape.hpp"

#include <algorithm>  // any_of, find_if_not, min
#include <cstdint>
#include <initializer_list>
#include <type_traits>  // is_same_v
#include <utility>      // move
#include <vector>

namespace eigentorch {
namespace ops {

/// The window of a tensor of `shape` that keeps `len` elements along dim d from `start`, one every
/// `step`; without dim d when !keep_dim (select).
inline detail::Window along(const Size& shape, int64_t d, int64_t start, int64_t len, int64_t step = 1,
                            bool keep_dim = true) {
  detail::Window w = detail::Window::whole(shape);
  const auto at = static_cast<std::size_t>(d);
  w.offset = start * w.strides[at];
  w.shape[at] = len;
  if (len > 1) w.strides[at] *= step;  // (one element or none: the step never moves, nor overflows)
  if (!keep_dim) {  // dim d removed
    for (std::size_t i = at; i + 1 < w.shape.size(); ++i) {
      w.shape[i] = w.shape[i + 1];
      w.strides[i] = w.strides[i + 1];
    }
    w.shape = Size(w.shape.begin(), w.shape.size() - 1);
    w.strides = Size(w.strides.begin(), w.strides.size() - 1);
  }
  return w;
}

/// A new tensor holding x's window w; no autograd.
template <class T>
Tensor<T> read_window(const Tensor<T>& x, const detail::Window& w) {
  Tensor<T> out(w.shape, detail::uninitialized);
  detail::copy_window(x, w, out, detail::Window::whole(w.shape));
  return out;
}

// d x[window] = g written back into the window, zeros elsewhere (select, narrow, slice, split, permute)
template <class T>
struct WindowBackward final : autograd::Node<T> {
  Size input_shape;
  detail::Window window;
  const char* name_;
  WindowBackward(Size s, detail::Window w, const char* n) : input_shape(std::move(s)), window(std::move(w)), name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    // a window on every element (permute) leaves none to zero: windows never visit one element twice
    out[0] = window.shape.numel() == input_shape.numel() ? Tensor<T>(input_shape, detail::uninitialized)
                                                          : Tensor<T>(input_shape);
    detail::copy_window(g, detail::Window::whole(window.shape), out[0], window);
  }
};

/// x's window w, recorded as `name`.
template <class T>
Tensor<T> keep_window(const Tensor<T>& x, detail::Window w, const char* name) {
  Tensor<T> out = read_window(x, w);
  if (autograd::needs_grad(x))
    autograd::connect(out, detail::make_pooled<WindowBackward<T>>(x.shape(), std::move(w), name), {&x});
  return out;
}

/// x cut along dim d (wrapped) into consecutive pieces of the given sizes, each recorded as `name`.
template <class T>
std::vector<Tensor<T>> split_sizes(const Tensor<T>& x, int64_t d, const std::vector<int64_t>& sizes, const char* name) {
  std::vector<Tensor<T>> out;
  int64_t start = 0;
  for (int64_t len : sizes) {
    out.push_back(keep_window(x, along(x.shape(), d, start, len), name));
    start += len;
  }
  return out;
}

// d repeat(x) = g, seen with each repeated dim split in (copies, size), summed over the copies
template <class T>
struct RepeatBackward final : autograd::Node<T> {
  Size input_shape, tiled, untiled;  // (r0, s0, r1, s1, ...) and (1, s0, 1, s1, ...)
  const char* name() const override { return "RepeatBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = detail::alias(detail::sum_to(detail::alias(g, tiled), untiled), input_shape);
  }
};

// d join(xs) / d xs[i] = g's window where xs[i] went (cat, stack)
template <class T>
struct JoinBackward final : autograd::Node<T> {
  std::vector<detail::Window> parts;
  const char* name_;
  JoinBackward(std::vector<detail::Window> p, const char* n) : parts(std::move(p)), name_(n) {}
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    for (std::size_t i = 0; i < parts.size(); ++i) out[i] = read_window(g, parts[i]);
  }
};

/// The tensors of a vector or an initializer list, seen where they are: cat and stack copy no list.
template <class T>
struct TensorList {
  const Tensor<T>* first;
  std::size_t count;
  const Tensor<T>* begin() const { return first; }
  const Tensor<T>* end() const { return first + count; }
  std::size_t size() const { return count; }
  const Tensor<T>& operator[](std::size_t i) const { return first[i]; }
};

template <class T>
bool needs_grad(TensorList<T> xs) {
  return is_grad_enabled() && std::any_of(xs.begin(), xs.end(), [](const Tensor<T>& x) { return x.requires_grad(); });
}

template <class T>
Tensor<T> cat(TensorList<T> xs, int64_t d);

/// A node has at most kMaxInputs inputs, so a longer list that needs gradients joins groups of them
/// with join_group, then the groups' results with cat along d: a tree of nodes, shown as `name`, with
/// the values and gradients of one.
template <class T, class F>
Tensor<T> join_in_groups(TensorList<T> xs, int64_t d, F join_group, const char* name) {
  constexpr std::size_t k = autograd::Edges<T>::kMaxInputs;
  std::vector<Tensor<T>> groups;
  for (std::size_t i = 0; i < xs.size(); i += k) groups.push_back(join_group(TensorList<T>{&xs[i], std::min(k, xs.size() - i)}));
  Tensor<T> out = ops::cat(TensorList<T>{groups.data(), groups.size()}, d);
  out.grad_fn()->set_display_name(name);
  return out;
}

/// A new tensor of `shape` seen as `outer` rows, each the inputs' rows one after the other (cat along
/// a dim with `outer` elements before it, stack: each input's elements are `outer` rows), recorded as
/// `name`; the node reads the gradient back through the windows next_window(x) for x = xs[0], xs[1],
/// ... in turn (a mutable function: it may count).
template <class T, class F>
Tensor<T> join(TensorList<T> xs, const Size& shape, int64_t outer, F next_window, const char* name) {
  Tensor<T> out(shape, detail::uninitialized);
  if (outer > 0) {
    int64_t offset = 0;
    for (const Tensor<T>& x : xs) {
      const int64_t run = x.numel() / outer;
      detail::copy_rows(x, out, outer, run, shape.numel() / outer, offset);
      offset += run;
    }
  }
  if (needs_grad(xs)) {
    std::vector<detail::Window> parts;
    parts.reserve(xs.size());
    for (const Tensor<T>& x : xs) parts.push_back(next_window(x));
    auto node = detail::make_pooled<JoinBackward<T>>(std::move(parts), name);
    for (const Tensor<T>& x : xs) node->next.push_back(autograd::edge_to(x));
    autograd::connect(out, node, {});
  }
  return out;
}

}  // namespace ops

template <class T>
Tensor<T> Tensor<T>::select(int64_t d, int64_t i) const {
  if (dim() == 0) detail::fail<IndexError>({"select() cannot be applied to a 0-dim tensor."});
  const int64_t at = detail::wrap_dim(d, dim()), n = size(at);
  if (i < -n || i >= n)
    detail::fail<IndexError>(
        {"select(): index ", i, " out of range for tensor of size ", shape().list_str(), " at dimension ", at});
  return ops::keep_window(*this, ops::along(shape(), at, i < 0 ? i + n : i, 1, 1, false), "SelectBackward0");
}

template <class T>
Tensor<T> Tensor<T>::operator[](int64_t i) const {
  if (dim() == 0)
    detail::fail<IndexError>({"invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                              "C++ to convert a 0-dim tensor to a number"});
  if (i < -size(0) || i >= size(0))
    detail::fail<IndexError>({"index ", i, " is out of bounds for dimension 0 with size ", size(0)});
  return select(0, i);
}

template <class T>
Tensor<T> Tensor<T>::narrow(int64_t d, int64_t start, int64_t length) const {
  if (dim() == 0) detail::fail({"narrow() cannot be applied to a 0-dim tensor."});
  const int64_t at = detail::wrap_dim(d, dim()), n = size(at);
  if (start != n) start = detail::wrap_dim(start, n);  // (PyTorch's words for a start out of range)
  if (length < 0 || start > n - length)
    detail::fail({"start (", start, ") + length (", length, ") exceeds dimension size (", n, ")."});
  return ops::keep_window(*this, ops::along(shape(), at, start, length), "SliceBackward0");
}

template <class T>
Tensor<T> Tensor<T>::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  if (dim() == 0) detail::fail<IndexError>({"slice() cannot be applied to a 0-dim tensor."});
  const int64_t at = detail::wrap_dim(d, dim()), n = size(at);
  if (step <= 0) detail::fail({"slice step must be positive"});
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::min(std::max(start, int64_t(0)), n);
  end = std::min(std::max(end, start), n);
  const int64_t len = (end - start) / step + ((end - start) % step != 0);
  return ops::keep_window(*this, ops::along(shape(), at, start, len, step), "SliceBackward0");
}

template <class T>
Tensor<T> Tensor<T>::permute(const Size& dims) const {
  if (static_cast<int64_t>(dims.size()) != dim())
    detail::fail({"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                  "desired ordering of dimensions i.e. input.dim() = ",
                  dim(), " is not equal to len(dims) = ", dims.size()});
  const detail::Window whole = detail::Window::whole(shape());
  detail::Window w = whole;
  std::vector<bool> seen(dims.size());
  for (std::size_t k = 0; k < dims.size(); ++k) {
    const auto from = static_cast<std::size_t>(detail::wrap_dim(dims[k], dim()));
    if (seen[from]) detail::fail({"permute(): duplicate dims are not allowed."});
    seen[from] = true;
    w.shape[k] = shape()[from];
    w.strides[k] = whole.strides[from];
  }
  return ops::keep_window(*this, std::move(w), "PermuteBackward0");
}

template <class T>
Tensor<T> Tensor<T>::expand(const Size& sizes) const {
  const auto n = static_cast<int64_t>(sizes.size());
  if (n < dim())
    detail::fail({"expand(", std::is_same_v<T, float> ? "torch.FloatTensor{" : "torch.DoubleTensor{", shape().list_str(),
                  "}, size=", sizes.list_str(), "): the number of sizes provided (", n,
                  ") must be greater or equal to the number of dimensions in the tensor (", dim(), ")"});
  Size target = sizes;
  for (int64_t i = n - 1; i >= 0; --i) {  // from the last dim, as PyTorch checks them
    const int64_t d = i - (n - dim());      // the matching dim of this tensor, if any
    const int64_t have = d >= 0 ? shape()[static_cast<std::size_t>(d)] : 1;
    int64_t& want = target[static_cast<std::size_t>(i)];
    if (want == -1) {
      if (d < 0)
        detail::fail({"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ", i});
      want = have;
    }
    if (want != have && have != 1)
      detail::fail({"The expanded size of the tensor (", want, ") must match the existing size (", have,
                    ") at non-singleton dimension ", i, ".  Target sizes: ", sizes.list_str(),
                    ".  Tensor sizes: ", shape().list_str()});
  }
  if (target == shape()) return ops::view_as_shape(*this, target, "ExpandBackward0");
  return ops::expand(*this, target);
}

template <class T>
Tensor<T> Tensor<T>::repeat(const Size& repeats) const {
  if (static_cast<int64_t>(repeats.size()) < dim())
    detail::fail({"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"});
  // x (with leading 1s) read as (r0, s0, r1, s1, ...) with stride 0 over each r: the result's order
  const std::size_t lead = repeats.size() - shape().size();
  std::vector<int64_t> padded(lead, 1), out_shape, tiled, untiled, strides;
  padded.insert(padded.end(), shape().begin(), shape().end());
  const detail::Window whole = detail::Window::whole(Size(padded));
  for (std::size_t i = 0; i < padded.size(); ++i) {
    out_shape.push_back(repeats[i] * padded[i]);
    tiled.insert(tiled.end(), {repeats[i], padded[i]});
    untiled.insert(untiled.end(), {1, padded[i]});
    strides.insert(strides.end(), {0, whole.strides[i]});
  }
  Tensor out(Size(out_shape), detail::uninitialized);  // (PyTorch's message for a negative repeat)
  const detail::Window w{Size(tiled), Size(strides), 0};
  detail::copy_window(*this, w, out, detail::Window::whole(w.shape));
  if (autograd::needs_grad(*this)) {
    auto node = detail::make_pooled<ops::RepeatBackward<T>>();
    node->input_shape = shape();
    node->tiled = w.shape;
    node->untiled = Size(untiled);
    autograd::connect(out, node, {this});
  }
  return out;
}

template <class T>
std::vector<Tensor<T>> Tensor<T>::split(int64_t split_size, int64_t d) const {
  if (dim() == 0) detail::fail({"split expects at least a 1-dimensional tensor"});
  if (split_size < 0) detail::fail({"split expects split_size be non-negative, but got split_size=", split_size});
  const int64_t at = detail::wrap_dim(d, dim()), n = size(at);
  if (split_size == 0 && n != 0)
    detail::fail({"split_size can only be 0 if dimension size is 0, but got dimension size of ", n});
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>(n / split_size + (n % split_size != 0), 1);
  std::vector<int64_t> sizes(static_cast<std::size_t>(pieces), split_size);
  sizes.back() = n - split_size * (pieces - 1);
  return ops::split_sizes(*this, at, sizes, "SplitBackward0");
}

template <class T>
std::vector<Tensor<T>> Tensor<T>::chunk(int64_t chunks, int64_t d) const {
  if (dim() == 0) detail::fail({"chunk expects at least a 1-dimensional tensor"});
  if (chunks <= 0) detail::fail({"chunk expects `chunks` to be greater than 0, got: ", chunks});
  const int64_t at = detail::wrap_dim(d, dim()), n = size(at);
  if (n == 0) {  // `chunks` empty pieces, as PyTorch
    constexpr int64_t kMaxEmpty = int64_t(1) << 20;
    if (chunks > kMaxEmpty)
      detail::fail({"chunk: ", chunks, " empty chunks of an empty dimension are more than eigentorch makes (at most ",
                    kMaxEmpty, ")"});
    return ops::split_sizes(*this, at, std::vector<int64_t>(static_cast<std::size_t>(chunks), 0),
                            "SplitWithSizesBackward0");
  }
  return split(n / chunks + (n % chunks != 0), at);
}

namespace ops {

/// xs joined along dim d, which every tensor but a 1-D empty one (skipped, as PyTorch does) has.
template <class T>
Tensor<T> cat(TensorList<T> xs, int64_t d) {
  if (xs.size() == 0) detail::fail({"torch.cat(): expected a non-empty list of Tensors"});
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (xs[i].dim() == 0) detail::fail({"zero-dimensional tensor (at position ", i, ") cannot be concatenated"});
  auto skipped = [](const Tensor<T>& x) { return x.dim() == 1 && x.numel() == 0; };
  const auto first = std::find_if_not(xs.begin(), xs.end(), skipped);
  const Tensor<T>& ref = first == xs.end() ? xs[0] : *first;
  const int64_t at = first == xs.end() ? 0 : detail::wrap_dim(d, ref.dim());
  if (needs_grad(xs) && xs.size() > autograd::Edges<T>::kMaxInputs)
    return join_in_groups(xs, at, [at](TensorList<T> g) { return cat(g, at); }, "CatBackward0");
  Size shape = ref.shape();
  shape[static_cast<std::size_t>(at)] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (skipped(xs[i])) continue;
    if (xs[i].dim() != ref.dim())
      detail::fail({"Tensors must have same number of dimensions: got ", ref.dim(), " and ", xs[i].dim()});
    for (int64_t k = 0; k < ref.dim(); ++k)
      if (k != at && xs[i].size(k) != ref.size(k))
        detail::fail({"Sizes of tensors must match except in dimension ", at, ". Expected size ", ref.size(k),
                      " but got size ", xs[i].size(k), " for tensor number ", i, " in the list."});
    shape[static_cast<std::size_t>(at)] += xs[i].size(at);
  }
  // each input starts along dim `at` where the one before it ends (a skipped one is copied nowhere)
  int64_t outer = 1;
  for (int64_t k = 0; k < at; ++k) outer *= shape[static_cast<std::size_t>(k)];
  return join(xs, shape, outer, [&, start = int64_t(0)](const Tensor<T>& x) mutable {
    if (skipped(x)) return detail::Window::whole(x.shape());
    start += x.size(at);
    return along(shape, at, start - x.size(at), x.size(at));
  }, "CatBackward0");
}

/// xs, of one shape, joined along a new dim d.
template <class T>
Tensor<T> stack(TensorList<T> xs, int64_t d) {
  if (xs.size() == 0) detail::fail({"stack expects a non-empty TensorList"});
  const int64_t at = detail::wrap_dim(d, xs[0].dim() + 1);
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (xs[i].shape() != xs[0].shape())
      detail::fail({"stack expects each tensor to be equal size, but got ", xs[0].shape().list_str(), " at entry 0 and ",
                    xs[i].shape().list_str(), " at entry ", i});
  if (needs_grad(xs) && xs.size() > autograd::Edges<T>::kMaxInputs)
    return join_in_groups(xs, at, [at](TensorList<T> g) { return stack(g, at); }, "StackBackward0");
  std::vector<int64_t> dims = xs[0].shape().vec();
  dims.insert(dims.begin() + at, static_cast<int64_t>(xs.size()));
  const Size shape(dims);
  int64_t outer = 1;
  for (int64_t k = 0; k < at; ++k) outer *= shape[static_cast<std::size_t>(k)];
  return join(xs, shape, outer, [&, i = int64_t(0)](const Tensor<T>&) mutable { return along(shape, at, i++, 1, 1, false); },
              "StackBackward0");
}

}  // namespace ops

/// xs joined along dim d (torch.cat), and stacked along a new dim d (torch.stack); et::cat({a, b}, d).
template <class T> Tensor<T> cat(const std::vector<Tensor<T>>& xs, int64_t d = 0) { return ops::cat(ops::TensorList<T>{xs.data(), xs.size()}, d); }
template <class T> Tensor<T> cat(std::initializer_list<Tensor<T>> xs, int64_t d = 0) { return ops::cat(ops::TensorList<T>{xs.begin(), xs.size()}, d); }
template <class T> Tensor<T> stack(const std::vector<Tensor<T>>& xs, int64_t d = 0) { return ops::stack(ops::TensorList<T>{xs.data(), xs.size()}, d); }
template <class T> Tensor<T> stack(std::initializer_list<Tensor<T>> xs, int64_t d = 0) { return ops::stack(ops::TensorList<T>{xs.begin(), xs.size()}, d); }

template <class T> Tensor<T> select(const Tensor<T>& x, int64_t d, int64_t i) { return x.select(d, i); }
template <class T> Tensor<T> narrow(const Tensor<T>& x, int64_t d, int64_t start, int64_t length) {
  return x.narrow(d, start, length);
}
template <class T> Tensor<T> permute(const Tensor<T>& x, const Size& dims) { return x.permute(dims); }
template <class T> std::vector<Tensor<T>> split(const Tensor<T>& x, int64_t split_size, int64_t d = 0) {
  return x.split(split_size, d);
}
template <class T> std::vector<Tensor<T>> chunk(const Tensor<T>& x, int64_t chunks, int64_t d = 0) {
  return x.chunk(chunks, d);
}

}  // namespace eigentorch
