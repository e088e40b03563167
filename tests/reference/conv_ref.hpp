// Reading tests/reference/conv_cases.hpp (make_conv_reference.py): a case's numbers by name, as
// a tensor, compared with PyTorch's allclose rule, or counted for equal bits.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "reference/conv_cases.hpp"
#include "test_util.hpp"

namespace eigentorch::testing::conv {

/// The numbers stored under `key` (the test fails when there are none).
inline const std::vector<double>& numbers(const std::string& key) {
  const auto it = reference::conv::values.find(key);
  if (it == reference::conv::values.end()) FAIL("no reference values named " << key);
  return it->second;
}
/// The string stored under `key`.
inline const std::string& text(const std::string& key) {
  const auto it = reference::conv::strings.find(key);
  if (it == reference::conv::strings.end()) FAIL("no reference string named " << key);
  return it->second;
}
/// The integers stored under `key` (a shape, an index).
inline std::vector<int64_t> ints(const std::string& key) {
  const auto& v = numbers(key);
  return std::vector<int64_t>(v.begin(), v.end());
}
/// "float" or "double".
template <class T>
std::string dname() {
  return std::is_same_v<T, float> ? "float" : "double";
}
/// The values under `key` as a Tensor<T> of `shape` (each double rounded to T, as Python's .to()).
template <class T>
Tensor<T> tensor_of(const std::string& key, const std::vector<int64_t>& shape) {
  const auto& v = numbers(key);
  return from_vector(std::vector<T>(v.begin(), v.end()), Size(shape));
}
/// t against the values under `key`: allclose, with T's tolerance.
// NOTE: PyTorch's float convolutions run on oneDNN, whose sums go in another order than a matrix
// product's: float is compared to a few of its roundings of the sums (up to 54 terms here); double,
// whose sums PyTorch makes with a BLAS product, to a few of double's.
template <class T>
void check(const Tensor<T>& t, const std::string& key) {
  CAPTURE(key);
  REQUIRE(t.defined());
  const double rtol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const double atol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  check_allclose(t.to_vector(), numbers(key), rtol, atol);
}
/// How many elements of t differ in their bits from the values under `key`, rounded to T.
template <class T>
int64_t differing_bits(const Tensor<T>& t, const std::string& key) {
  const auto& v = numbers(key);
  REQUIRE(static_cast<int64_t>(v.size()) == t.numel());
  int64_t differ = 0;
  for (int64_t i = 0; i < t.numel(); ++i) differ += t.data()[i] != static_cast<T>(v[static_cast<std::size_t>(i)]);
  return differ;
}

}  // namespace eigentorch::testing::conv
