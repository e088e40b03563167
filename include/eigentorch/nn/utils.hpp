// nn::utils: gradient clipping (clip_grad_norm_, clip_grad_value_) and the flat-vector view of a
// model's parameters (parameters_to_vector, vector_to_parameters), as torch.nn.utils computes them:
// compositions of ops, in PyTorch 1.13's order of float operations.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../detail/py_repr.hpp"
#include "../ops/index.hpp"    // cat, stack, slice
#include "../ops/inplace.hpp"  // copy_, mul_
#include "../ops/math.hpp"     // clamp, reciprocal
#include "../ops/reduce.hpp"   // norm, max
#include "../ops/shape.hpp"    // reshape, view
#include "../tensor/tensor.hpp"

#include <cmath>    // isinf, isnan
#include <cstdint>  // int64_t
#include <limits>
#include <vector>

namespace eigentorch::nn::utils {

/// Scales the parameters' gradients in place so that their joint norm (of order norm_type; infinity
/// for the max norm) is at most max_norm; returns the norm before clipping, a 0-d tensor. A parameter
/// without a gradient is skipped. `error_if_nonfinite` refuses a nan or infinite norm (nothing changes).
template <class T>
Tensor<T> clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm, double norm_type = 2.0,
                          bool error_if_nonfinite = false) {
  std::vector<Tensor<T>> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return Tensor<T>(Size{}).fill_(T(0));
  NoGradGuard no_grad;
  std::vector<Tensor<T>> norms;
  Tensor<T> total;
  if (std::isinf(norm_type) && norm_type > 0) {
    for (const auto& g : grads) norms.push_back(g.abs().max());
    total = norms.size() == 1 ? norms[0] : eigentorch::stack(norms).max();
  } else {
    for (const auto& g : grads) norms.push_back(g.norm(norm_type));
    total = eigentorch::stack(norms).norm(norm_type);
  }
  const T v = total.item();
  if (error_if_nonfinite && (std::isnan(v) || std::isinf(v)))
    detail::fail({"The total norm of order ", detail::py_float(norm_type),
                  " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error "
                  "and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"});
  // NOTE: Python's max_norm / (total + 1e-6) is (total + 1e-6).reciprocal() * max_norm, in T.
  const Tensor<T> coef = ((total + 1e-6).reciprocal() * max_norm).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef);
  return total;
}
/// clip_grad_norm_ of one tensor's gradient.
template <class T>
Tensor<T> clip_grad_norm_(const Tensor<T>& parameter, double max_norm, double norm_type = 2.0,
                          bool error_if_nonfinite = false) {
  return clip_grad_norm_(std::vector<Tensor<T>>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

/// Clamps every gradient into [-clip_value, clip_value], in place; parameters without one are skipped.
template <class T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const auto& p : parameters) {
    Tensor<T> g = p.grad();
    if (g.defined()) g.copy_(g.clamp(-clip_value, clip_value));
  }
}
template <class T>
void clip_grad_value_(const Tensor<T>& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor<T>>{parameter}, clip_value);
}

/// The parameters flattened and joined into one 1-D tensor (differentiable, as torch.cat of views).
template <class T>
Tensor<T> parameters_to_vector(const std::vector<Tensor<T>>& parameters) {
  std::vector<Tensor<T>> flat;
  for (const auto& p : parameters) flat.push_back(p.reshape({-1}));
  return eigentorch::cat(flat);
}

/// Copies consecutive slices of `vec` into the parameters, in order (no autograd).
/// NOTE: PyTorch makes each parameter a view of vec (param.data = ...); here they keep their own
/// storage and receive a copy, so a later change to vec does not reach them.
template <class T>
void vector_to_parameters(const Tensor<T>& vec, const std::vector<Tensor<T>>& parameters) {
  NoGradGuard no_grad;
  int64_t pointer = 0;
  for (const auto& p : parameters) {
    const int64_t n = p.numel();
    Tensor<T> dst = p;
    dst.copy_(vec.slice(0, pointer, pointer + n).view(p.shape()));
    pointer += n;
  }
}

}  // namespace eigentorch::nn::utils
