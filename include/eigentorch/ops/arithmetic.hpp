// + - * / between tensors (with broadcasting), each with the node that carries its derivative; with
// scalars, and unary minus, they are rules (pointwise.hpp). The operators and free functions.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "pointwise.hpp"

namespace eigentorch {
namespace ops {

// d(a + alpha b) = g, alpha g (each folded back onto its input's shape); alpha = -1 for a - b
template <class T>
struct AddBackward final : autograd::Node<T> {
  Size a_shape, b_shape;
  T alpha = T(1);
  const char* name_ = "AddBackward0";
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = detail::sum_to(g, a_shape);
    if (this->next[1])
      out[1] = detail::sum_to(alpha == T(1) ? g : detail::map([a = alpha](T v) { return a * v; }, g), b_shape);
  }
};

/// The node of a two-input op whose derivatives read both inputs (saved) and fold back onto each
/// input's shape (broadcasting).
template <class T>
struct BinaryBackward : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  Size a_shape, b_shape;
  void release() override { a.release(); b.release(); }
};

// d(a b) = g b, g a; d(a / b) = g / b, -g a / b^2 (rounded as PyTorch rounds it: -g ((a / b) / b))
template <class T, bool Div>
struct MulDivBackward final : BinaryBackward<T> {
  const char* name() const override { return Div ? "DivBackward0" : "MulBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if constexpr (Div) {
      if (this->next[0])
        out[0] = detail::sum_to(detail::map([](T gv, T bv) { return gv / bv; }, g, this->b.get()), this->a_shape);
      if (this->next[1])
        out[1] = detail::sum_to(
            detail::map([](T gv, T av, T bv) { return -gv * ((av / bv) / bv); }, g, this->a.get(), this->b.get()),
            this->b_shape);
    } else {
      const auto mul = [](T x, T y) { return x * y; };
      if (this->next[0]) out[0] = detail::sum_to(detail::map(mul, g, this->b.get()), this->a_shape);
      if (this->next[1]) out[1] = detail::sum_to(detail::map(mul, g, this->a.get()), this->b_shape);
    }
  }
};
template <class T>
using MulBackward = MulDivBackward<T, false>;
template <class T>
using DivBackward = MulDivBackward<T, true>;

/// a + alpha b, or (sub) a - alpha b.
// NOTE: one loop for every alpha (1 * y is exact, so alpha = 1 gives a + b to the bit): each lambda
// is another copy of map's loops for the compiler to build.
template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b, T alpha = T(1), bool sub = false) {
  Tensor<T> out = sub ? detail::map([alpha](T x, T y) { return x - alpha * y; }, a, b)
                      : detail::map([alpha](T x, T y) { return x + alpha * y; }, a, b);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<AddBackward<T>>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    node->alpha = sub ? -alpha : alpha;
    node->name_ = sub ? "SubBackward0" : "AddBackward0";
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

/// a b or a / b: one node type each, saving what the other side's derivative reads.
template <class T, class Node, class F>
Tensor<T> mul_or_div(const Tensor<T>& a, const Tensor<T>& b, F f, bool b_always) {
  Tensor<T> out = detail::map(f, a, b);
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<Node>();
    if (b.requires_grad()) node->a.save(a);
    if (a.requires_grad() || b_always) node->b.save(b);
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

}  // namespace ops

// ---- the operators, free functions and methods ------------------------------------------------------

namespace detail {

/// + - * of two integer or bool tensors (no autograd): int64 wraps around as PyTorch's does
/// (computed in uint64: no signed overflow); on bools + is or and * is and, - is refused.
template <char Op, class T>
Tensor<T> integer_arith(const Tensor<T>& a, const Tensor<T>& b) {
  if constexpr (std::is_same_v<T, bool>) {
    if (Op == '-')
      fail({"Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead."});
    return map([](bool x, bool y) { return Op == '+' ? (x || y) : (x && y); }, a, b);
  } else {
    return map([](T x, T y) {
      const auto ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
      return static_cast<T>(Op == '+' ? ux + uy : Op == '-' ? ux - uy : ux * uy);
    }, a, b);
  }
}

/// A 0-d tensor holding c as R: the number in an integer tensor's arithmetic.
template <class R, class U>
Tensor<R> number(U c) {
  Tensor<R> t(Size{}, uninitialized);
  fill(t, convert<R>(c));
  return t;
}

}  // namespace detail

template <class T> Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  if constexpr (std::is_floating_point_v<T>) return ops::add(a, b);
  else return detail::integer_arith<'+'>(a, b);
}
template <class T> Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
  if constexpr (std::is_floating_point_v<T>) return ops::add(a, b, T(1), true);
  else return detail::integer_arith<'-'>(a, b);
}
template <class T> Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::mul_or_div<T, ops::MulBackward<T>>(a, b, [](T x, T y) { return x * y; }, false);
  else
    return detail::integer_arith<'*'>(a, b);
}
/// a / b; of integer or bool tensors a float tensor (true division, as PyTorch's).
template <class T> Tensor<detail::quotient_t<T>> div(const Tensor<T>& a, const Tensor<T>& b) {
  if constexpr (std::is_floating_point_v<T>)
    return ops::mul_or_div<T, ops::DivBackward<T>>(a, b, [](T x, T y) { return x / y; }, true);
  else
    return div(a.template to<float>(), b.template to<float>());
}
template <class T> Tensor<T> neg(const Tensor<T>& x) {
  if constexpr (std::is_floating_point_v<T>) {
    return ops::pointwise(x, ops::Neg<T>{});
  } else {
    if (std::is_same_v<T, bool>)
      detail::fail({"Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                    "mask, use the `~` or `logical_not()` operator instead."});
    return detail::integer_arith<'-'>(detail::number<T>(0), x);
  }
}

template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return eigentorch::add(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return eigentorch::sub(a, b); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return eigentorch::mul(a, b); }
template <class T> Tensor<detail::quotient_t<T>> operator/(const Tensor<T>& a, const Tensor<T>& b) { return eigentorch::div(a, b); }

// With a number: float and double tensors through the scalar rules (the number cast to T); integer
// and bool ones promoted as PyTorch promotes them (detail::promote_t; a quotient is float).
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator+(const Tensor<T>& x, U c) {
  using R = detail::promote_t<T, U>;
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::AddScalar<T>{static_cast<T>(c)});
  else return x.template to<R>() + detail::number<R>(c);
}
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator+(U c, const Tensor<T>& x) { return x + c; }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator-(const Tensor<T>& x, U c) {
  using R = detail::promote_t<T, U>;
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::SubScalar<T>{{-static_cast<T>(c)}});
  else return x.template to<R>() - detail::number<R>(c);
}
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator-(U c, const Tensor<T>& x) {
  using R = detail::promote_t<T, U>;
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::RsubScalar<T>{static_cast<T>(c)});
  else return detail::number<R>(c) - x.template to<R>();
}
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator*(const Tensor<T>& x, U c) {
  using R = detail::promote_t<T, U>;
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::MulScalar<T>{static_cast<T>(c)});
  else return x.template to<R>() * detail::number<R>(c);
}
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::promote_t<T, U>> operator*(U c, const Tensor<T>& x) { return x * c; }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::quotient_t<T>> operator/(const Tensor<T>& x, U c) {
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::DivScalar<T>{static_cast<T>(c)});
  else return x.template to<float>() / static_cast<float>(c);
}
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<detail::quotient_t<T>> operator/(U c, const Tensor<T>& x) {
  if constexpr (std::is_floating_point_v<T>) return ops::pointwise(x, ops::ScalarDiv<T>{static_cast<T>(c)});
  else return static_cast<float>(c) / x.template to<float>();
}

/// a += b and friends are the in-place ops (add_, sub_, mul_, div_), as in Python.
template <class T, class B> Tensor<T>& operator+=(Tensor<T>& a, const B& b) { return a.add_(b); }
template <class T, class B> Tensor<T>& operator-=(Tensor<T>& a, const B& b) { return a.sub_(b); }
template <class T, class B> Tensor<T>& operator*=(Tensor<T>& a, const B& b) { return a.mul_(b); }
template <class T, class B> Tensor<T>& operator/=(Tensor<T>& a, const B& b) { return a.div_(b); }

template <class T> Tensor<T> Tensor<T>::operator-() const { return eigentorch::neg(*this); }
template <class T> Tensor<T> Tensor<T>::add(const Tensor& o) const { return eigentorch::add(*this, o); }
template <class T> Tensor<T> Tensor<T>::sub(const Tensor& o) const { return eigentorch::sub(*this, o); }
template <class T> Tensor<T> Tensor<T>::mul(const Tensor& o) const { return eigentorch::mul(*this, o); }
template <class T> Tensor<detail::quotient_t<T>> Tensor<T>::div(const Tensor& o) const { return eigentorch::div(*this, o); }

}  // namespace eigentorch
