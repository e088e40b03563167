// Tests of nn/init.hpp against PyTorch 1.13: each initialiser draws PyTorch's exact values after
// the same seed (orthogonal_: to rounding, through another QR), consumes as many draws, and
// calculate_gain, the fan computation and the errors agree.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <algorithm>    // min, min_element, max_element
#include <cmath>        // sqrt
#include <cstdint>      // int64_t
#include <string>
#include <type_traits>  // is_same_v
#include <utility>      // pair
#include <vector>

#include "reference/module_cases.hpp"
#include "reference/nn_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace init = eigentorch::nn::init;
namespace ref = eigentorch::testing::nn_reference;
namespace mref = eigentorch::testing::module_reference;
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

namespace {

template <class T>
void run_new_init(const std::string& name, et::Tensor<T>& t) {
  if (name.rfind("eye_", 0) == 0) init::eye_(t);
  else if (name == "xavier_normal_") init::xavier_normal_(t);
  else if (name == "xavier_normal_ gain 2 3-d") init::xavier_normal_(t, 2.0);
  else if (name == "kaiming_normal_ default") init::kaiming_normal_(t);
  else if (name == "kaiming_normal_ fan_out relu") init::kaiming_normal_(t, 0.0, "fan_out", "relu");
  else if (name == "kaiming_normal_ a=0.2 FAN_IN") init::kaiming_normal_(t, 0.2, "FAN_IN");
  else if (name == "kaiming_uniform_ Fan_Out") init::kaiming_uniform_(t, 0.0, "Fan_Out");
  else if (name == "trunc_normal_ default" || name == "trunc_normal_ small") init::trunc_normal_(t);
  else if (name == "trunc_normal_ mean 0.5 std 2 [-1, 3]") init::trunc_normal_(t, 0.5, 2.0, -1.0, 3.0);
  else if (name == "trunc_normal_ std 0.02") init::trunc_normal_(t, 0.0, 0.02);
  else if (name == "orthogonal_ 3-d gain 2") init::orthogonal_(t, 2.0);
  else if (name.rfind("orthogonal_", 0) == 0) init::orthogonal_(t);
  else FAIL("unknown initialiser " << name);
}

}  // namespace

TEST_CASE_TEMPLATE("eye_, the normal initialisers, trunc_normal_ and orthogonal_ draw PyTorch's values", T, float,
                   double) {
  const bool is_double = std::is_same_v<T, double>;
  int n = 0;
  for (const auto& c : mref::kInitCases) {
    if (c.is_double != is_double) continue;
    ++n;
    const std::string name = c.name;
    CAPTURE(name);
    et::manual_seed(c.seed);
    et::Tensor<T> t(et::Size(c.shape));
    const et::Tensor<T> before = t;
    run_new_init(name, t);
    CHECK(t.is_same(before));  // in place
    CHECK(t.shape() == et::Size(c.shape));
    // normal_ goes through a float transcendental (log, cos); orthogonal_'s QR is Eigen's, not
    // LAPACK's: the same matrix to rounding. The others (trunc_normal_'s erfinv too) are exact.
    const bool normal = name.find("normal_") != std::string::npos && name.rfind("trunc", 0) != 0;
    const bool orthogonal = name.rfind("orthogonal_", 0) == 0;
    const double rtol = normal ? (is_double ? 1e-14 : 1e-6) : 0.0;
    const double atol = orthogonal ? (is_double ? 4e-15 : 1e-6) : 0.0;  // measured: 9e-16, 3.6e-7
    check_allclose(t.to_vector(), c.values, rtol, atol);
    check_allclose(et::rand<T>({3}).to_vector(), c.rand_after, 0.0, 0.0);
  }
  CHECK(n == 17);
}

TEST_CASE_TEMPLATE("orthogonal_ makes orthonormal rows or columns, times gain", T, float, double) {
  const double tol = std::is_same_v<T, double> ? 1e-12 : 1e-5;
  for (const auto& shape : {et::Size{5, 3}, et::Size{3, 5}, et::Size{4, 4}}) {
    CAPTURE(shape.str());
    et::Tensor<T> t(shape);
    init::orthogonal_(t, 3.0);
    const bool wide = shape[0] < shape[1];
    const auto gram = wide ? t.mm(t.t()) : t.t().mm(t);  // 9 I
    const int64_t k = std::min(shape[0], shape[1]);
    std::vector<double> nine_eye(static_cast<std::size_t>(k * k), 0.0);
    for (int64_t i = 0; i < k; ++i) nine_eye[static_cast<std::size_t>(i * k + i)] = 9.0;
    check_allclose(gram.to_vector(), nine_eye, 0.0, tol * 9);
  }
  et::Tensor<T> empty(et::Size{0, 3});
  init::orthogonal_(empty);  // no elements: nothing drawn
  CHECK(empty.numel() == 0);
}

TEST_CASE("trunc_normal_ stays in [a, b], kaiming of an empty tensor draws nothing") {
  et::manual_seed(1);
  et::Tensor<float> t(et::Size{1000});
  init::trunc_normal_(t, 0.0, 1.0, -0.5, 0.25);
  const auto v = t.to_vector();
  CHECK(*std::min_element(v.begin(), v.end()) >= -0.5f);
  CHECK(*std::max_element(v.begin(), v.end()) <= 0.25f);

  et::manual_seed(2);
  const auto expected = et::rand({3});
  et::manual_seed(2);
  et::Tensor<float> empty(et::Size{0, 4});
  init::kaiming_uniform_(empty);
  init::kaiming_normal_(empty);
  check_allclose(et::rand({3}).to_vector(), expected.to_vector(), 0.0, 0.0);
}

TEST_CASE("the new initialisers' errors carry PyTorch's messages") {
  et::Tensor<float> cube(et::Size{2, 2, 2}), vec(et::Size{3}), square(et::Size{3, 3});
  CHECK_THROWS_WITH_AS(init::eye_(cube), mref::kEyeDimMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::eye_(vec), mref::kEyeDimMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::orthogonal_(vec), mref::kOrthogonalDimMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::kaiming_normal_(square, 0.0, "Fan_Avg"), mref::kModeMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::kaiming_uniform_(square, 0.0, "Fan_Avg"), mref::kModeMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::xavier_normal_(vec), mref::kFanMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::kaiming_normal_(vec), mref::kFanMessage, et::ValueError);
  CHECK_THROWS_WITH_AS(init::kaiming_normal_(square, 0.0, "fan_in", "swish"), mref::kNonlinearityMessage,
                       et::ValueError);
  CHECK_THROWS_WITH_AS(init::calculate_correct_fan(square, "fan_avg"), mref::kModeMessage, et::ValueError);
  CHECK(init::calculate_correct_fan(et::Tensor<double>(et::Size{4, 3, 2}), "FAN_OUT") == 8);
}
