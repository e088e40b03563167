// Tests of nn/activation.hpp (Tanh, Sigmoid, ReLU) against PyTorch 1.13: values and gradients,
// including zero, -0, saturation at +-20 and a tiny input, the printed output and the reprs.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // tanh
#include <cstdint>      // int64_t
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;
using eigentorch::testing::str;

template <class T>
et::Tensor<T> activate(const std::string& name, const et::Tensor<T>& x) {
  if (name == "Tanh") return nn::Tanh<T>()(x);
  if (name == "Sigmoid") return nn::Sigmoid<T>()(x);
  if (name == "ReLU") return nn::ReLU<T>()(x);
  FAIL("unknown activation " << name);
  return x;
}

}  // namespace

TEST_CASE_TEMPLATE("Tanh, Sigmoid and ReLU match PyTorch's values and gradients", T, float, double) {
  // NOTE: float Tanh and ReLU are bit-identical to PyTorch's (tanh follows PyTorch's vectorised
  // SLEEF-like kernel); float Sigmoid differs from PyTorch's vectorised exp by 1 ulp in places, so it
  // gets rtol 1e-6; double agrees to rtol 1e-12.
  int n = 0;
  for (const auto& c : ref::kActivationCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    ++n;
    const std::string name = c.name;
    CAPTURE(name);
    auto x = make<T>(c.x, c.shape).requires_grad_();
    auto y = activate(name, x);
    REQUIRE(y.shape() == x.shape());
    const double rtol = std::is_same_v<T, double> ? 1e-12 : name == "Sigmoid" ? 1e-6 : 0.0;
    check_allclose(y.to_vector(), c.y, rtol, 0.0);
    y.backward(make<T>(c.grad_y, c.shape));
    REQUIRE(x.grad().defined());
    check_allclose(x.grad().to_vector(), c.grad_x, rtol, 0.0);
    CHECK(str(y) == c.y_print);
  }
  CHECK(n == 3);
}

TEST_CASE("activation modules deduce float, hold no parameters and print PyTorch's repr") {
  nn::Tanh tanh;
  nn::Sigmoid sigmoid;
  nn::ReLU relu;
  static_assert(std::is_same_v<decltype(tanh), nn::Tanh<float>>);
  static_assert(std::is_same_v<decltype(sigmoid), nn::Sigmoid<float>>);
  static_assert(std::is_same_v<decltype(relu), nn::ReLU<float>>);
  CHECK(tanh.parameters().empty());
  CHECK(sigmoid.state_dict().empty());
  CHECK(relu.named_children().empty());
  for (const auto& [what, expected] : ref::kReprCases) {
    const std::string w = what;
    CAPTURE(w);
    if (w == "Tanh") CHECK(str(tanh) == expected);
    if (w == "Sigmoid") CHECK(str(sigmoid) == expected);
    if (w == "ReLU") CHECK(str(relu) == expected);
  }
}

TEST_CASE("an activation in eval mode computes the same values") {
  nn::Tanh<double> tanh;
  const auto x = et::tensor<double>({-1.5, 0.0, 0.25});
  const auto a = tanh(x).to_vector();
  tanh.eval();
  CHECK_FALSE(tanh.is_training());
  check_allclose(tanh(x).to_vector(), a, 0.0, 0.0);
  check_allclose(a, std::vector<double>{std::tanh(-1.5), 0.0, std::tanh(0.25)}, 1e-15, 0.0);
}
