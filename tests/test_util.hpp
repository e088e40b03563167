// Helpers shared by the test files: PyTorch's allclose rule, and the names and hex floats that
// failure messages show.
#pragma once

#include <doctest/doctest.h>

#include <cmath>    // std::abs, std::isnan
#include <cstddef>  // size_t
#include <cstdio>   // snprintf
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

namespace eigentorch::testing {

/// A number as an exact hex float, for failure messages.
inline std::string hex(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

/// PyTorch's name of T's dtype, as the reference files key their arrays.
template <class T>
const char* dtype_name() {
  return std::is_same_v<T, double> ? "float64" : "float32";
}

/// PyTorch's allclose rule for one element: |a - e| <= atol + rtol * |e| (nan equals nan).
inline bool close(double actual, double expected, double rtol, double atol) {
  if (std::isnan(actual) || std::isnan(expected)) return std::isnan(actual) && std::isnan(expected);
  if (actual == expected) return true;  // equal infinities
  return std::abs(actual - expected) <= atol + rtol * std::abs(expected);
}

/// Checks two sequences element by element with the allclose rule, reporting the first mismatch.
template <class A, class E>
void check_allclose(const A& actual, const E& expected, double rtol = 1.3e-6, double atol = 1e-5) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(i);
    CAPTURE(actual[i]);
    CAPTURE(expected[i]);
    if (!close(static_cast<double>(actual[i]), static_cast<double>(expected[i]), rtol, atol)) {
      CHECK(false);
      return;
    }
  }
  CHECK(true);
}

/// The message `f` throws (any std::exception), or "" if it throws nothing.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace eigentorch::testing
