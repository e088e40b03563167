// Tests for ops/reduce.hpp and detail/sum_order.hpp: sum and mean, whole and per dim, keepdim and
// negative dims, against PyTorch 1.13 (tests/reference/ops_cases.hpp). Float means over 11, 100 and
// 1000 values must equal PyTorch's bit for bit (ATen's SumKernel order).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // isnan
#include <cstdint>      // int64_t
#include <cstring>      // strcmp
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "ops/op_harness.hpp"
#include "reference/ops_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
using et::Tensor;

using namespace eigentorch::testing::ops_harness;  // ref_inputs, check_group, gradcheck_group, ...

// ---- the ops, by the names the reference script gives them -------------------------------------------

template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  if (op == "sum") return in[0].sum();
  if (op == "mean") return in[0].mean();
  if (op == "sum_dim") return in[0].sum(c.dim, c.keepdim);
  if (op == "mean_dim") return in[0].mean(c.dim, c.keepdim);
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("reduce: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("reduce", run<T>) >= 38);
}

TEST_CASE("reduce: gradcheck on sum and mean, whole and per dim") {
  CHECK(gradcheck_group("reduce", run<double>) >= 30);
}

/// Runs the float cases `pick` selects and checks their outputs equal PyTorch's bit for bit.
template <class Pick>
int check_bits(Pick pick) {
  int checked = 0;
  for (const ref::OpCase& c : ref::op_cases) {
    if (!in_group<float>(c, "reduce") || !pick(c)) continue;
    const std::string name = c.name;
    CAPTURE(name);
    std::vector<Tensor<float>> in = ref_inputs<float>(c);
    check_same_bits(run<float>(in, c).to_vector(), ref_values(c.output));
    ++checked;
  }
  return checked;
}

TEST_CASE("reduce: float sums and means over 11, 100 and 1000 values equal PyTorch's bit for bit") {
  CHECK(check_bits([](const ref::OpCase& c) { return c.exact; }) == 8);
}

TEST_CASE("reduce: float sums and means along a dim of 35 to 1000 values equal PyTorch's bit for bit") {
  // Contiguous rows, one column, and column groups of 32, 8 and 1 (detail::sum_columns).
  auto long_dim = [](const ref::OpCase& c) {
    return ref_numel(c.inputs[0]) >= 500 && std::string(c.op).find("_dim") != std::string::npos;
  };
  CHECK(check_bits(long_dim) == 8);
}

TEST_CASE_TEMPLATE("reduce: free functions agree with methods", T, float, double) {
  et::manual_seed(1);
  Tensor<T> x = et::randn<T>({3, 4, 5});
  CHECK(et::sum(x).to_vector() == x.sum().to_vector());
  CHECK(et::mean(x).to_vector() == x.mean().to_vector());
  CHECK(et::sum(x, 1).to_vector() == x.sum(1).to_vector());
  CHECK(et::mean(x, -1, true).to_vector() == x.mean(-1, true).to_vector());
  CHECK(et::mean(x, -1, true).shape() == et::Size({3, 4, 1}));
  CHECK(x.sum(0).shape() == et::Size({4, 5}));
  CHECK(x.sum().dim() == 0);
}

TEST_CASE_TEMPLATE("reduce: the mean of no elements is nan and their sum is 0, as in PyTorch", T, float, double) {
  Tensor<T> empty = et::zeros<T>({0});
  CHECK(empty.sum().item() == T(0));
  CHECK(std::isnan(empty.mean().item()));
}

TEST_CASE("reduce: a dim out of range throws PyTorch's IndexError") {
  et::manual_seed(0);
  CHECK_THROWS_WITH_AS(et::randn({2, 3}).sum(2), torch_message("sum [2,3] dim 2"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn({2, 3}).mean(-3), torch_message("mean [2,3] dim -3"), et::IndexError);
  CHECK_THROWS_WITH_AS(et::randn(et::Size{}).sum(1), torch_message("sum 0-d dim 1"), et::IndexError);
}

}  // namespace
