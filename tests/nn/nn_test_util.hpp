// Helpers shared by the nn and optim tests: a tensor from reference values, and a value's printed text.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace eigentorch::testing {

/// A Tensor<T> holding `values` (reference numbers, stored as double) with the given shape.
template <class T>
Tensor<T> make(const std::vector<double>& values, std::vector<int64_t> shape) {
  return from_vector(std::vector<T>(values.begin(), values.end()), Size(std::move(shape)));
}

/// What `std::cout << x` prints.
template <class T>
std::string str(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

}  // namespace eigentorch::testing
