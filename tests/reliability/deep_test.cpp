// Reliability: backward through, and destruction of, a chain of 100 000 ops uses no recursion.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <memory>

namespace et = eigentorch;

TEST_CASE("deep: backward through a chain of 100 000 ops") {
  auto x = et::tensor<double>({1.0, 2.0}).requires_grad_();
  et::Tensor<double> y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.00001;
  y.sum().backward();
  // d/dx (x * c^n) = c^n, with c = 1.00001 and n = 100 000
  const double expected = std::pow(1.00001, 100000);
  CHECK(x.grad().to_vector()[0] == doctest::Approx(expected).epsilon(1e-9));
  CHECK(x.grad().to_vector()[1] == doctest::Approx(expected).epsilon(1e-9));
  y = et::Tensor<double>();  // frees the whole chain; must not overflow the stack either
}

TEST_CASE("deep: an allocation that cannot be satisfied throws instead of aborting") {
  CHECK_THROWS_AS(et::zeros({int64_t(1) << 40, int64_t(1) << 10}), et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({int64_t(1) << 40, int64_t(1) << 40}),
                       "numel: integer multiplication overflow for a tensor of shape [1099511627776, 1099511627776]",
                       et::Error);
}

TEST_CASE("deep: a leaf whose in-place history leads back to its own accumulator is still freed") {
  // Found by the fuzzer: x's AccumulateGrad used to hold x strongly, closing a cycle
  // x -> AddBackward0 -> MulBackward0 -> AccumulateGrad -> x that LeakSanitizer reported.
  std::weak_ptr<et::detail::TensorImpl<float>> watch;
  {
    auto x = et::tensor({1.0, 2.0}).requires_grad_();
    auto b = x * 2;
    x.requires_grad_(false);
    x.add_(b);  // x is now a non-leaf whose graph reaches its old accumulator
    CHECK(x.grad_fn() != nullptr);
    watch = x.impl();
  }
  CHECK(watch.expired());
}
