// Ops across element types: to<U>() between float, double, int64_t and bool; the comparisons
// (== != < <= > >=, eq ne lt le gt ge) giving Tensor<bool>; logical_and / or / not, all, any; and
// selection by a mask, where(cond, a, b) and masked_fill, with their derivatives. Numbers compared
// with a tensor are promoted as PyTorch promotes them: to the tensor's type for float and double, to
// float (the default dtype) for an integer or bool tensor and a floating number, else to int64.
#pragma once

#include "../autograd/engine.hpp"  // run_backward
#include "../autograd/node.hpp"
#include "kernels.hpp"

#include <algorithm>  // all_of, any_of
#include <cmath>
#include <cstdint>
#include <functional>  // equal_to, less, ...
#include <limits>
#include <type_traits>

namespace eigentorch {
namespace detail {

/// The type a tensor of T and a number of U are compared in (see the top of this file).
template <class T, class U>
using compare_type = std::conditional_t<std::is_floating_point_v<T>, T,
                                        std::conditional_t<std::is_floating_point_v<U>, float, int64_t>>;

template <class T, class Cmp>
Tensor<bool> compare(const Tensor<T>& a, const Tensor<T>& b, Cmp cmp) {
  return map_as<bool>([cmp](T x, T y) -> bool { return cmp(x, y); }, a, b);
}

template <class T, class U, class Cmp>
Tensor<bool> compare(const Tensor<T>& a, U number, Cmp cmp) {
  using C = compare_type<T, U>;
  const C c = static_cast<C>(number);
  return map_as<bool>([cmp, c](T x) -> bool { return cmp(static_cast<C>(x), c); }, a);
}

}  // namespace detail

namespace ops {

// d where(c, a, b) = g where c (for a), g where not c (for b), each summed back to its input's shape
template <class T>
struct WhereBackward final : autograd::Node<T> {
  Tensor<bool> cond;
  Size a_shape, b_shape;
  const char* name() const override { return "WhereBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T> c = detail::map_to<T>(g.shape(), [](bool v) { return v ? T(1) : T(0); }, cond);
    if (this->next[0]) out[0] = detail::sum_to(detail::map([](T cv, T gv) { return cv != T(0) ? gv : T(0); }, c, g), a_shape);
    if (this->next[1]) out[1] = detail::sum_to(detail::map([](T cv, T gv) { return cv != T(0) ? T(0) : gv; }, c, g), b_shape);
  }
};

// d x.to<U>() = g.to<T>(): the node of a float <-> double conversion is the end of the U graph and
// runs backward on x's graph from there (one graph holds one element type). It keeps x's graph
// (retain_graph), since several conversions of x may each run it.
// NOTE: the node keeps the source as it was converted (a handle on its storage with its grad_fn, or
// its leaf's accumulator, of that moment), not the source's handle: an in-place op on the source
// afterwards must neither change where the gradient goes nor make a cycle.
template <class U, class T>
struct ToCopyBackward final : autograd::Node<U> {
  Tensor<T> source;
  const char* name() const override { return "ToCopyBackward0"; }
  void apply(Tensor<U>& g, std::vector<Tensor<U>>&) override {
    autograd::run_backward(source, detail::map_as<T>([](U v) { return static_cast<T>(v); }, g), true);
  }
};

}  // namespace ops

/// a where cond, b elsewhere, the three broadcast together (torch.where).
template <class T>
Tensor<T> where(const Tensor<bool>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out;
  if (cond.shape() == a.shape() && b.shape() == a.shape()) {
    out = detail::choose(cond, a, b);
  } else {  // broadcast: the condition as 1 / 0 in T, then one map over the three
    const Size shape = detail::broadcast_shapes(detail::broadcast_shapes(cond.shape(), a.shape()), b.shape());
    const Tensor<T> c = detail::map_to<T>(shape, [](bool v) { return v ? T(1) : T(0); }, cond);
    out = detail::map([](T cv, T av, T bv) { return cv != T(0) ? av : bv; }, c, a, b);
  }
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<ops::WhereBackward<T>>();
    node->cond = cond;
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

template <class T>
template <class U>
Tensor<U> Tensor<T>::to() const {
  if constexpr (std::is_same_v<U, T>) {
    return *this;
  } else {
    Tensor<U> out = detail::map_as<U>([](T v) { return detail::convert<U>(v); }, *this);
    if constexpr (std::is_floating_point_v<U> && std::is_floating_point_v<T>) {
      if (autograd::needs_grad(*this)) {
        auto node = detail::make_pooled<ops::ToCopyBackward<U, T>>();
        node->source = detail::alias(*this, shape());
        node->source.impl()->grad_fn = autograd::edge_to(*this);
        node->source.impl()->requires_grad = true;
        autograd::connect(out, node, {});
      }
    }
    return out;
  }
}

template <class T>
Tensor<T> Tensor<T>::masked_fill(const Tensor<bool>& mask, double value) const {
  if (detail::broadcast_shapes(shape(), mask.shape()) != shape())
    detail::fail({"The size of tensor a (", mask.dim() ? mask.size(-1) : 1, ") must match the size of tensor b (",
                  dim() ? size(-1) : 1, ") at non-singleton dimension ", dim() ? dim() - 1 : 0});
  Tensor<T> out = where(mask, Tensor<T>(Size{}, detail::uninitialized).fill_(detail::convert<T>(value)), *this);
  if (out.grad_fn()) out.grad_fn()->set_display_name("MaskedFillBackward0");
  return out;
}

// ---- comparisons and logic: methods, free functions, operators ---------------------------------------

#define EIGENTORCH_COMPARISON(name, op, functor)                                                              \
  template <class T>                                                                                          \
  Tensor<bool> Tensor<T>::name(const Tensor& other) const { return detail::compare(*this, other, functor{}); } \
  template <class T>                                                                                          \
  template <class U, detail::if_arithmetic<U>>                                                                \
  Tensor<bool> Tensor<T>::name(U v) const { return detail::compare(*this, v, functor{}); }                    \
  template <class T> Tensor<bool> name(const Tensor<T>& a, const Tensor<T>& b) { return a.name(b); }          \
  template <class T, class U, detail::if_arithmetic<U> = 0>                                                   \
  Tensor<bool> name(const Tensor<T>& a, U v) { return a.name(v); }                                            \
  template <class T> Tensor<bool> operator op(const Tensor<T>& a, const Tensor<T>& b) { return a.name(b); }   \
  template <class T, class U, detail::if_arithmetic<U> = 0>                                                   \
  Tensor<bool> operator op(const Tensor<T>& a, U v) { return a.name(v); }
EIGENTORCH_COMPARISON(eq, ==, std::equal_to<>)
EIGENTORCH_COMPARISON(ne, !=, std::not_equal_to<>)
EIGENTORCH_COMPARISON(lt, <, std::less<>)
EIGENTORCH_COMPARISON(le, <=, std::less_equal<>)
EIGENTORCH_COMPARISON(gt, >, std::greater<>)
EIGENTORCH_COMPARISON(ge, >=, std::greater_equal<>)
#undef EIGENTORCH_COMPARISON

// A number on the left: 2 < t is t > 2.
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator==(U v, const Tensor<T>& t) { return t.eq(v); }
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator!=(U v, const Tensor<T>& t) { return t.ne(v); }
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator<(U v, const Tensor<T>& t) { return t.gt(v); }
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator<=(U v, const Tensor<T>& t) { return t.ge(v); }
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator>(U v, const Tensor<T>& t) { return t.lt(v); }
template <class T, class U, detail::if_arithmetic<U> = 0> Tensor<bool> operator>=(U v, const Tensor<T>& t) { return t.le(v); }

template <class T>
Tensor<bool> Tensor<T>::logical_not() const {
  return detail::map_as<bool>([](T v) { return v == T(0); }, *this);
}
template <class T>
Tensor<bool> Tensor<T>::logical_and(const Tensor& other) const {
  return detail::map_as<bool>([](T a, T b) { return a != T(0) && b != T(0); }, *this, other);
}
template <class T>
Tensor<bool> Tensor<T>::logical_or(const Tensor& other) const {
  return detail::map_as<bool>([](T a, T b) { return a != T(0) || b != T(0); }, *this, other);
}
template <class T> Tensor<bool> logical_not(const Tensor<T>& t) { return t.logical_not(); }
template <class T> Tensor<bool> logical_and(const Tensor<T>& a, const Tensor<T>& b) { return a.logical_and(b); }
template <class T> Tensor<bool> logical_or(const Tensor<T>& a, const Tensor<T>& b) { return a.logical_or(b); }

template <class T>
Tensor<bool> Tensor<T>::all() const {
  return detail::reduce_all<bool>([](int64_t n, const T* p) { return std::all_of(p, p + n, [](T v) { return v != T(0); }); }, *this);
}
template <class T>
Tensor<bool> Tensor<T>::any() const {
  return detail::reduce_all<bool>([](int64_t n, const T* p) { return std::any_of(p, p + n, [](T v) { return v != T(0); }); }, *this);
}
template <class T> Tensor<bool> all(const Tensor<T>& t) { return t.all(); }
template <class T> Tensor<bool> any(const Tensor<T>& t) { return t.any(); }

}  // namespace eigentorch
