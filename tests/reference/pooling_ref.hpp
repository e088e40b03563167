// Reading tests/reference/pooling_cases.hpp (make_pooling_reference.py): a case's numbers by name, as
// a tensor, compared with PyTorch's allclose rule, or counted for equal bits (NaN equal to NaN).
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // isnan
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "reference/pooling_cases.hpp"
#include "test_util.hpp"

namespace eigentorch::testing::pooling {

/// The numbers stored under `key` (the test fails when there are none).
inline const std::vector<double>& numbers(const std::string& key) {
  const auto it = reference::pooling::values.find(key);
  if (it == reference::pooling::values.end()) FAIL("no reference values named " << key);
  return it->second;
}
/// The string stored under `key`.
inline const std::string& text(const std::string& key) {
  const auto it = reference::pooling::strings.find(key);
  if (it == reference::pooling::strings.end()) FAIL("no reference string named " << key);
  return it->second;
}
/// The integers stored under `key` (a shape, indices).
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
/// How many elements of t differ in their bits from the values under `key`, rounded to T (a NaN
/// matches a NaN); a size mismatch fails the test.
template <class T>
int64_t differing_bits(const Tensor<T>& t, const std::string& key) {
  CAPTURE(key);
  REQUIRE(t.defined());
  const auto& v = numbers(key);
  REQUIRE(static_cast<int64_t>(v.size()) == t.numel());
  int64_t differ = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const T a = t.data()[i], e = static_cast<T>(v[static_cast<std::size_t>(i)]);
    differ += !(a == e || (std::isnan(a) && std::isnan(e)));
  }
  return differ;
}

}  // namespace eigentorch::testing::pooling
