// Tests of nn/init.hpp against PyTorch 1.13: each initialiser draws PyTorch's exact values after
// the same seed, consumes as many draws, and calculate_gain and the fan computation agree.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>        // sqrt
#include <cstdint>      // int64_t
#include <string>
#include <type_traits>  // is_same_v
#include <utility>      // pair
#include <vector>

#include "reference/nn_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace init = eigentorch::nn::init;
namespace ref = eigentorch::testing::nn_reference;
using eigentorch::testing::check_allclose;

template <class T>
void run_init(const std::string& name, et::Tensor<T>& t) {
  if (name == "kaiming_uniform_ default") init::kaiming_uniform_(t);
  else if (name == "kaiming_uniform_ a=sqrt(5)") init::kaiming_uniform_(t, std::sqrt(5.0));
  else if (name == "kaiming_uniform_ fan_out relu") init::kaiming_uniform_(t, 0.0, "fan_out", "relu");
  else if (name == "kaiming_uniform_ 3-d") init::kaiming_uniform_(t);
  else if (name == "xavier_uniform_") init::xavier_uniform_(t);
  else if (name == "xavier_uniform_ tanh gain") init::xavier_uniform_(t, init::calculate_gain("tanh"));
  else if (name == "uniform_(-2, 3)") init::uniform_(t, -2.0, 3.0);
  else if (name == "normal_(0.5, 2) small") init::normal_(t, 0.5, 2.0);
  else if (name == "normal_(0.5, 2) large") init::normal_(t, 0.5, 2.0);
  else if (name == "constant_(0.25)") init::constant_(t, 0.25);
  else if (name == "zeros_") init::zeros_(t);
  else if (name == "ones_") init::ones_(t);
  else FAIL("unknown initialiser " << name);
}

}  // namespace

TEST_CASE_TEMPLATE("every initialiser draws PyTorch's values and leaves the generator where PyTorch does", T,
                   float, double) {
  int n = 0;
  for (const auto& c : ref::kInitCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    ++n;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(c.seed);
    et::Tensor<T> t(et::Size(c.shape));
    run_init(name, t);
    CHECK(t.shape() == et::Size(c.shape));
    // normal_ goes through a float transcendental (log, cos); all others are exact.
    const bool normal = name.rfind("normal_", 0) == 0;
    const double rtol = normal ? (std::is_same_v<T, float> ? 1e-6 : 1e-14) : 0.0;
    check_allclose(t.to_vector(), c.values, rtol, 0.0);
    check_allclose(et::rand<T>({3}).to_vector(), c.rand_after, 0.0, 0.0);
  }
  CHECK(n == 12);
}

TEST_CASE_TEMPLATE("initialisers work in place on parameters, outside the graph", T, float, double) {
  nn::Linear<T> model(3, 2);
  auto w = model.weight;
  init::constant_(w, 0.5);
  CHECK(model.weight.is_same(w));
  check_allclose(model.weight.to_vector(), std::vector<double>(6, 0.5), 0.0, 0.0);
  CHECK(model.weight.is_leaf());
  CHECK(model.weight.requires_grad());
  CHECK(et::is_grad_enabled());  // the guard inside ended with the call
}

TEST_CASE("calculate_gain returns PyTorch's gains") {
  for (const auto& [label, expected] : ref::kGainCases) {
    const std::string l = label;
    CAPTURE(l);
    const auto space = l.find(' ');
    const double gain = space == std::string::npos ? init::calculate_gain(l)
                                                   : init::calculate_gain(l.substr(0, space), std::stod(l.substr(space + 1)));
    CHECK(gain == expected);
  }
  CHECK_THROWS_WITH_AS(init::calculate_gain("foo"), ref::kGainUnsupportedMessage, std::exception);
}

TEST_CASE("calculate_gain rejects names that merely start with conv, as PyTorch does") {
  // PyTorch accepts exactly conv1d, conv2d, conv3d and conv_transpose{1,2,3}d.
  CHECK_THROWS_WITH_AS(init::calculate_gain("convolution"), ref::kGainConvPrefixMessage, std::exception);
}

TEST_CASE("fan in and fan out follow PyTorch, and need two dimensions") {
  using init::calculate_fan_in_and_fan_out;
  CHECK(calculate_fan_in_and_fan_out(et::Tensor<float>(et::Size{13, 1})) == std::pair<int64_t, int64_t>{1, 13});
  CHECK(calculate_fan_in_and_fan_out(et::Tensor<double>(et::Size{4, 3, 2})) == std::pair<int64_t, int64_t>{6, 8});
  et::Tensor<float> v(et::Size{5});
  CHECK_THROWS_WITH_AS(calculate_fan_in_and_fan_out(v), ref::kFanOneDimMessage, std::exception);
  CHECK_THROWS_WITH_AS(init::kaiming_uniform_(v), ref::kFanOneDimMessage, std::exception);
}
