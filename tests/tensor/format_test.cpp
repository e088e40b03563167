// Tests of tensor/format.hpp: every tensor in reference/print_cases.hpp must print exactly as
// PyTorch 1.13 printed it, plus the contract for inputs PyTorch cannot produce.
#include <eigentorch/tensor/format.hpp>

#include <doctest/doctest.h>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>
#include <type_traits>  // std::is_same
#include <vector>

#include "reference/print_cases.hpp"

namespace {

using eigentorch::detail::format_size;
using eigentorch::detail::format_tensor;
using eigentorch::detail::TensorPrintInfo;
using eigentorch::testing::print_reference::kPrintCases;
using eigentorch::testing::print_reference::kSizeCases;
using eigentorch::testing::print_reference::PrintCase;

std::string print(const PrintCase& c) {
  TensorPrintInfo info;
  info.grad_fn = c.grad_fn;
  info.requires_grad = c.requires_grad;
  info.is_double = c.is_double;
  info.is_parameter = c.is_parameter;
  if (c.is_double) return format_tensor(c.values, c.shape, info);
  // The reference keeps float32 values as doubles; narrowing them back is exact.
  const std::vector<float> values(c.values, c.values + c.count);
  return format_tensor(values.data(), c.shape, info);
}

}  // namespace

TEST_CASE("format_tensor prints every reference tensor as PyTorch 1.13 does") {
  REQUIRE(kPrintCases.size() > 100);
  for (const PrintCase& c : kPrintCases) {
    const std::string name = c.name;
    CAPTURE(name);
    CHECK(print(c) == std::string(c.expected));
  }
}

TEST_CASE("format_size prints torch.Size without its module") {
  for (const auto& c : kSizeCases) {
    CAPTURE(c.expected);
    CHECK(format_size(c.shape) == c.expected);
  }
}

// PyTorch cannot hand us these, so the expected strings are our own choice: a tensor whose
// elements cannot be read prints like one on PyTorch's meta device.
TEST_CASE_TEMPLATE("format_tensor stays safe on inputs PyTorch never produces", T, float, double) {
  TensorPrintInfo info;
  info.is_double = std::is_same<T, double>::value;
  const std::string dtype = info.is_double ? ", dtype=float64" : "";
  const std::vector<T> six(6, T(1));

  SUBCASE("no buffer for a non-empty shape") {
    CHECK(format_tensor<T>(nullptr, {2, 3}, info) == "tensor(..., size=(2, 3)" + dtype + ")");
    CHECK(format_tensor<T>(nullptr, {}, info) == "tensor(..., size=()" + dtype + ")");
  }
  SUBCASE("a negative extent counts as empty") {
    CHECK(format_tensor(six.data(), {-1, 2}, info) == "tensor([], size=(-1, 2)" + dtype + ")");
  }
  SUBCASE("an element count past int64 is not read") {
    const int64_t big = int64_t(1) << 40;
    CHECK(format_tensor(six.data(), {big, big}, info) ==
          "tensor(..., size=(" + std::to_string(big) + ", " + std::to_string(big) + ")" + dtype +
              ")");
  }
  SUBCASE("a depth PyTorch's recursive printer cannot reach is not read") {
    const std::vector<int64_t> deep(2000, 1);
    std::string size = "(1";
    for (std::size_t i = 1; i < deep.size(); ++i) size += ", 1";
    const std::string dtype_line = info.is_double ? ",\n       dtype=float64" : "";
    CHECK(format_tensor(six.data(), deep, info) ==
          "tensor(...,\n       size=" + size + ")" + dtype_line + ")");
  }
  SUBCASE("a grad_fn outranks requires_grad") {
    info.grad_fn = "MulBackward0";
    info.requires_grad = true;
    CHECK(format_tensor(six.data(), {6}, info) ==
          "tensor([1., 1., 1., 1., 1., 1.]" + dtype + ", grad_fn=<MulBackward0>)");
  }
}
