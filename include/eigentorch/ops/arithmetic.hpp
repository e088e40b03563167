// + - * / between tensors (with broadcasting) and with scalars, and unary minus; each op with the
// node that carries its derivative. Scalars are cast to T first, as PyTorch does for a Python number.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

namespace eigentorch {
namespace ops {

// d(a+b) = g, g (each folded back onto its input's shape)
template <class T>
struct AddBackward final : autograd::Node<T> {
  Size a_shape, b_shape;
  T alpha = T(1);  // a + alpha * b; alpha = -1 makes subtraction
  const char* name_ = "AddBackward0";
  const char* name() const override { return name_; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = detail::sum_to(g, a_shape);
    if (this->next[1]) {
      Tensor<T> gb = alpha == T(1) ? g : detail::map1(g, [a = alpha](T v) { return a * v; });
      out[1] = detail::sum_to(gb, b_shape);
    }
  }
};

// d(a*b) = g*b, g*a
template <class T>
struct MulBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  Size a_shape, b_shape;
  const char* name() const override { return "MulBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) out[0] = detail::sum_to(detail::map2(g, b.get(), [](T x, T y) { return x * y; }), a_shape);
    if (this->next[1]) out[1] = detail::sum_to(detail::map2(g, a.get(), [](T x, T y) { return x * y; }), b_shape);
  }
  void release() override { a.release(); b.release(); }
};

// d(a/b) = g/b, -g*a/b^2
template <class T>
struct DivBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> a, b;
  Size a_shape, b_shape;
  const char* name() const override { return "DivBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    const Tensor<T>& vb = b.get();
    if (this->next[0]) out[0] = detail::sum_to(detail::map2(g, vb, [](T x, T y) { return x / y; }), a_shape);
    if (this->next[1]) {  // as PyTorch rounds it: -g * ((a / b) / b)
      Tensor<T> q = detail::map2(a.get(), vb, [](T x, T y) { return x / y; });
      q = detail::map2(q, vb, [](T x, T y) { return x / y; });
      out[1] = detail::sum_to(detail::map2(g, q, [](T x, T y) { return -x * y; }), b_shape);
    }
  }
  void release() override { a.release(); b.release(); }
};

// d(c*x) = c*g; also d(x/c) = g/c (DivBackward0) and d(c-x) = -g (RsubBackward1)
template <class T>
struct ScaleBackward final : autograd::Node<T> {
  T factor;
  bool divide;  // x / c: divide by c rather than multiply by a rounded 1/c
  const char* name_;
  // PyTorch saves the number of x * c and x / c as a tensor, so a second backward through them
  // fails as through any node with saved values; this mirrors it.
  autograd::SavedTensor<T> scalar;
  ScaleBackward(T f, bool div, const char* n) : factor(f), divide(div), name_(n) {}
  const char* name() const override { return name_; }
  void release() override { scalar.release(); }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (scalar.was_saved()) (void)scalar.get();  // throws the second-backward message once released
    out[0] = divide ? detail::map1(g, [f = factor](T v) { return v / f; })
                    : detail::map1(g, [f = factor](T v) { return v * f; });
  }
};

// d(c/x) = -c*g/x^2
template <class T>
struct ScalarDivBackward final : autograd::Node<T> {
  T c;
  autograd::SavedTensor<T> x;
  const char* name() const override { return "MulBackward0"; }  // PyTorch: c * x.reciprocal()
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    out[0] = detail::map2(g, x.get(), [c = c](T gv, T xv) { return -c * gv / (xv * xv); });
  }
  void release() override { x.release(); }
};

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b, T alpha = T(1)) {
  // One loop for every alpha (1 * y is exact, so alpha = 1 gives x + y to the bit): each lambda is
  // another copy of map2's loops for the compiler to build.
  Tensor<T> out = detail::map2(a, b, [alpha](T x, T y) { return x + alpha * y; });
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<AddBackward<T>>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    node->alpha = alpha;
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

/// a - alpha b (SubBackward0)
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b, T alpha = T(1)) {
  Tensor<T> out = detail::map2(a, b, [alpha](T x, T y) { return x - alpha * y; });  // as in add
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<AddBackward<T>>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    node->alpha = -alpha;
    node->name_ = "SubBackward0";
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::map2(a, b, [](T x, T y) { return x * y; });
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<MulBackward<T>>();
    if (b.requires_grad()) node->a.save(a);
    if (a.requires_grad()) node->b.save(b);
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::map2(a, b, [](T x, T y) { return x / y; });
  if (autograd::needs_grad(a, b)) {
    auto node = detail::make_pooled<DivBackward<T>>();
    if (b.requires_grad()) node->a.save(a);
    node->b.save(b);
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    autograd::connect(out, node, {&a, &b});
  }
  return out;
}

/// x + c (AddBackward0); sub passes -c with SubBackward0's name.
template <class T>
Tensor<T> add_scalar(const Tensor<T>& x, T c, const char* name = "AddBackward0") {
  Tensor<T> out = detail::map1(x, [c](T v) { return v + c; });
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<ScaleBackward<T>>(T(1), false, name), {&x});
  return out;
}

/// x - c, computed as a subtraction so the rounding is PyTorch's.
template <class T>
Tensor<T> sub_scalar(const Tensor<T>& x, T c) {
  Tensor<T> out = detail::map1(x, [c](T v) { return v - c; });
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<ScaleBackward<T>>(T(1), false, "SubBackward0"), {&x});
  return out;
}

/// c - x (RsubBackward1)
template <class T>
Tensor<T> rsub_scalar(const Tensor<T>& x, T c) {
  Tensor<T> out = detail::map1(x, [c](T v) { return c - v; });
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<ScaleBackward<T>>(T(-1), false, "RsubBackward1"), {&x});
  return out;
}

/// x * c (MulBackward0)
template <class T>
Tensor<T> mul_scalar(const Tensor<T>& x, T c) {
  Tensor<T> out = detail::map1(x, [c](T v) { return v * c; });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ScaleBackward<T>>(c, false, "MulBackward0");
    node->scalar.save(Tensor<T>(Size{}, detail::uninitialized));  // never read
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// x / c (DivBackward0)
template <class T>
Tensor<T> div_scalar(const Tensor<T>& x, T c) {
  Tensor<T> out = detail::map1(x, [c](T v) { return v / c; });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ScaleBackward<T>>(c, true, "DivBackward0");
    node->scalar.save(Tensor<T>(Size{}, detail::uninitialized));  // never read
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// c / x
template <class T>
Tensor<T> scalar_div(T c, const Tensor<T>& x) {
  Tensor<T> out = detail::map1(x, [c](T v) { return c / v; });
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<ScalarDivBackward<T>>();
    node->c = c;
    node->x.save(x);
    autograd::connect(out, node, {&x});
  }
  return out;
}

/// -x (NegBackward0)
template <class T>
Tensor<T> neg(const Tensor<T>& x) {
  Tensor<T> out = detail::map1(x, [](T v) { return -v; });
  if (autograd::needs_grad(x)) autograd::connect(out, detail::make_pooled<ScaleBackward<T>>(T(-1), false, "NegBackward0"), {&x});
  return out;
}

}  // namespace ops

// ---- the operators and methods ---------------------------------------------------------------------

template <class T> Tensor<T> Tensor<T>::operator-() const { return ops::neg(*this); }
template <class T> Tensor<T> Tensor<T>::add(const Tensor& o) const { return ops::add(*this, o); }
template <class T> Tensor<T> Tensor<T>::sub(const Tensor& o) const { return ops::sub(*this, o); }
template <class T> Tensor<T> Tensor<T>::mul(const Tensor& o) const { return ops::mul(*this, o); }
template <class T> Tensor<T> Tensor<T>::div(const Tensor& o) const { return ops::div(*this, o); }

template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return ops::add(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return ops::sub(a, b); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return ops::mul(a, b); }
template <class T> Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) { return ops::div(a, b); }

template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator+(const Tensor<T>& a, U c) { return ops::add_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator+(U c, const Tensor<T>& a) { return ops::add_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator-(const Tensor<T>& a, U c) { return ops::sub_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator-(U c, const Tensor<T>& a) { return ops::rsub_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator*(const Tensor<T>& a, U c) { return ops::mul_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator*(U c, const Tensor<T>& a) { return ops::mul_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator/(const Tensor<T>& a, U c) { return ops::div_scalar(a, static_cast<T>(c)); }
template <class T, class U, detail::if_arithmetic<U> = 0>
Tensor<T> operator/(U c, const Tensor<T>& a) { return ops::scalar_div(static_cast<T>(c), a); }

/// a += b and friends are the in-place ops (add_, sub_, mul_, div_), as in Python.
template <class T, class B> Tensor<T>& operator+=(Tensor<T>& a, const B& b) { return a.add_(b); }
template <class T, class B> Tensor<T>& operator-=(Tensor<T>& a, const B& b) { return a.sub_(b); }
template <class T, class B> Tensor<T>& operator*=(Tensor<T>& a, const B& b) { return a.mul_(b); }
template <class T, class B> Tensor<T>& operator/=(Tensor<T>& a, const B& b) { return a.div_(b); }

template <class T> Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) { return ops::add(a, b); }
template <class T> Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) { return ops::sub(a, b); }
template <class T> Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) { return ops::mul(a, b); }
template <class T> Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) { return ops::div(a, b); }
template <class T> Tensor<T> neg(const Tensor<T>& a) { return ops::neg(a); }

}  // namespace eigentorch
