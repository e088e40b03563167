// gradcheck: compares the gradients backward() computes with central finite differences, in double,
// with PyTorch's defaults (eps 1e-6, atol 1e-5, rtol 1e-3). The test suite runs it on every op.
#pragma once

#include "../ops/shape.hpp"
#include "engine.hpp"

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace eigentorch::autograd {

/// The failure gradcheck reports: which output and input disagree, and both Jacobians.
class GradcheckError : public Error {
 public:
  using Error::Error;
};

/// Checks d fn(inputs) / d inputs. `fn` maps the inputs to one tensor; every input that requires grad
/// is checked. Returns true when all entries satisfy |analytical - numerical| <= atol + rtol |numerical|;
/// otherwise throws GradcheckError (or returns false when raise_exception is false).
template <class Fn>
bool gradcheck(Fn fn, std::vector<Tensor<double>> inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3,
               bool raise_exception = true) {
  using Jacobian = std::vector<std::vector<double>>;  // [input element][output element]
  auto evaluate = [&]() {
    NoGradGuard no_grad;
    Tensor<double> out = fn(inputs);
    return out.to_vector();
  };
  // The inputs' .grad is borrowed for the analytical Jacobian and given back at the end.
  std::vector<Tensor<double>> saved_grads;
  for (auto& in : inputs) saved_grads.push_back(in.grad());
  struct Restore {
    std::vector<Tensor<double>>& inputs;
    std::vector<Tensor<double>>& grads;
    ~Restore() {
      for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i].set_grad(grads[i]);
    }
  } restore{inputs, saved_grads};
  const std::size_t n_out = [&] {
    NoGradGuard no_grad;
    return static_cast<std::size_t>(fn(inputs).numel());
  }();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor<double>& x = inputs[k];
    if (!x.requires_grad()) continue;
    const auto n_in = static_cast<std::size_t>(x.numel());
    Jacobian numerical(n_in, std::vector<double>(n_out)), analytical(n_in, std::vector<double>(n_out));
    double* px = x.data();
    for (std::size_t i = 0; i < n_in; ++i) {  // central differences, one input element at a time
      const double saved = px[i];
      px[i] = saved + eps;
      const std::vector<double> plus = evaluate();
      px[i] = saved - eps;
      const std::vector<double> minus = evaluate();
      px[i] = saved;
      for (std::size_t j = 0; j < n_out; ++j) numerical[i][j] = (plus[j] - minus[j]) / (2 * eps);
    }
    for (std::size_t j = 0; j < n_out; ++j) {  // one backward per output element
      for (auto& in : inputs)
        if (in.requires_grad()) in.set_grad(Tensor<double>());
      Tensor<double> out = fn(inputs);
      if (!out.requires_grad()) {
        if (!raise_exception) return false;
        detail::fail<GradcheckError>({"gradcheck: the output does not require grad, so nothing links it to input ", k});
      }
      Tensor<double> seed(out.shape());
      seed.data()[j] = 1.0;
      out.backward(seed);
      const Tensor<double> g = x.grad();
      for (std::size_t i = 0; i < n_in; ++i) analytical[i][j] = g.defined() ? g.data()[i] : 0.0;
    }
    for (auto& in : inputs)
      if (in.requires_grad()) in.set_grad(Tensor<double>());
    for (std::size_t i = 0; i < n_in; ++i)
      for (std::size_t j = 0; j < n_out; ++j) {
        const double a = analytical[i][j], e = numerical[i][j];
        if (!(std::abs(a - e) <= atol + rtol * std::abs(e))) {
          if (!raise_exception) return false;
          std::ostringstream msg;
          msg << "Jacobian mismatch for output 0 with respect to input " << k << ",\nat input element " << i
              << ", output element " << j << ":\nnumerical:" << e << "\nanalytical:" << a << "\n";
          detail::fail<GradcheckError>({msg.str()});
        }
      }
  }
  return true;
}

}  // namespace eigentorch::autograd
