// The element-wise pieces of PyTorch's optimizer updates, each rounded as ATen's CPU kernels round
// it (checked against PyTorch 1.13's AVX2 kernels, element by element, in float):
//   a.add_(b, alpha=s)          fma(s, b, a)         its vectorised add is one fused multiply-add
//   a.addcmul_(b, c, value=s)   fma(s * b, c, a)     s * b rounded, then the product and sum fused
//   a.addcdiv_(b, c, value=s)   a + s * b / c        nothing fused (a quotient)
//   a / x, a.mul_(x), a.sqrt()  one rounding each, x rounded to T first
// An update loop applies them per element in PyTorch's order: one pass over memory instead of one
// per tensor operation, with the same digits.
#pragma once

#include <cmath>  // fma, sqrt

namespace eigentorch::detail::rule {

/// a.add_(b, alpha=s)
template <class T> T add(T a, T s, T b) { return std::fma(s, b, a); }
/// a.addcmul_(b, c, value=s)
template <class T> T addcmul(T a, T s, T b, T c) { return std::fma(s * b, c, a); }
/// a.addcdiv_(b, c, value=s)
template <class T> T addcdiv(T a, T s, T b, T c) { return a + s * b / c; }
/// torch.maximum(a, b): a NaN on either side wins.
template <class T> T maximum(T a, T b) { return a != a ? a : b != b ? b : a > b ? a : b; }
/// The gradient as the update rules use it: negated by maximize, then weight decay (L2) added,
/// `grad = -grad; grad = grad.add(param, alpha=weight_decay)`.
template <class T> T direction(T g, T p, T weight_decay, bool maximize) {
  const T d = maximize ? -g : g;
  return weight_decay != T(0) ? add(d, weight_decay, p) : d;
}
/// A step count kept as PyTorch 1.13 keeps it in a float32 tensor: `step_t += 1`.
inline double next_float_step(double step) { return static_cast<double>(static_cast<float>(step) + 1.0f); }

}  // namespace eigentorch::detail::rule
