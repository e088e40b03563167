// Activation modules (Tanh, Sigmoid, ReLU): each forwards to its op; none holds state.
#pragma once

#include "functional.hpp"
#include "module.hpp"

namespace eigentorch::nn {

/// tanh, elementwise.
template <class T = float>
class Tanh : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::tanh(x); }
  std::string name() const override { return "Tanh"; }
};

/// 1 / (1 + exp(-x)), elementwise.
template <class T = float>
class Sigmoid : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::sigmoid(x); }
  std::string name() const override { return "Sigmoid"; }
};

/// max(x, 0), elementwise.
template <class T = float>
class ReLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return functional::relu(x); }
  std::string name() const override { return "ReLU"; }
};

}  // namespace eigentorch::nn
