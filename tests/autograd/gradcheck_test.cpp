// Tests for autograd/gradcheck.hpp: gradcheck passes on compositions of the primitive ops (mse-style
// losses, a tanh network, broadcasting, reductions, shape ops, both pows, in-place ops on non-leaf
// tensors), catches wrong gradients, honours eps / atol / rtol, and leaves its inputs as they were.
// Each op's own gradcheck lives in its test file under tests/ops/.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
using et::Tensor;
using Inputs = std::vector<Tensor<double>>;
using et::autograd::gradcheck;
using et::autograd::GradcheckError;

Tensor<double> leaf(Tensor<double> t) {
  t.requires_grad_();
  return t;
}
Tensor<double> randn(et::Size s) { return leaf(et::randn<double>(s)); }
/// Values in [0.5, 2): away from the kinks and poles of log, sqrt, pow and division.
Tensor<double> positive(et::Size s) { return leaf(et::rand<double>(s) * 1.5 + 0.5); }

TEST_CASE("gradcheck: mse-style losses, by hand and through nn::functional") {
  et::manual_seed(10);
  Inputs in = {randn({5, 1}), randn({5, 1})};
  CHECK(gradcheck([](Inputs& v) { return (v[0] - v[1]).pow(2).mean(); }, in));
  CHECK(gradcheck([](Inputs& v) { return ((v[0] - v[1]) * (v[0] - v[1])).sum() / 5.0; }, in));
  CHECK(gradcheck([](Inputs& v) { return F::mse_loss(v[0], v[1]); }, in));
  CHECK(gradcheck([](Inputs& v) { return F::mse_loss(v[0], v[1], "sum"); }, in));
  CHECK(gradcheck([](Inputs& v) { return F::mse_loss(v[0], v[1], "none"); }, in));
}

TEST_CASE("gradcheck: a two-layer tanh network with an mse loss, every parameter at once") {
  et::manual_seed(11);
  Inputs in = {randn({11, 1}), randn({13, 1}), randn({13}), randn({1, 13}), randn({1}), randn({11, 1})};
  CHECK(gradcheck(
      [](Inputs& v) {
        Tensor<double> h = et::tanh(F::linear(v[0], v[1], v[2]));
        return F::mse_loss(F::linear(h, v[3], v[4]), v[5]);
      },
      in));
}

TEST_CASE("gradcheck: linear with bias on 1-D, 2-D and 3-D input, composed with shape ops") {
  et::manual_seed(12);
  Inputs lin = {randn({2, 4, 3}), randn({5, 3}), randn({5})};
  CHECK(gradcheck([](Inputs& v) { return F::linear(v[0], v[1], v[2]); }, lin));
  CHECK(gradcheck([](Inputs& v) { return F::linear(v[0].flatten(0, 1), v[1], v[2]); }, lin));
  CHECK(gradcheck([](Inputs& v) { return F::linear(v[0].reshape({-1}).reshape({8, 3}).sum(0), v[1], v[2]); }, lin));
  CHECK(gradcheck([](Inputs& v) { return et::mm(v[1].t(), v[1]) + et::mv(v[1], v[1].sum(0)).sum(); }, lin));
}


TEST_CASE("gradcheck: matmul variants composed") {
  et::manual_seed(12);
  Inputs mat = {randn({2, 3, 4}), randn({4, 2}), randn({3})};
  CHECK(gradcheck([](Inputs& v) { return et::matmul(v[2], et::matmul(v[0], v[1])); }, mat));
  CHECK(gradcheck([](Inputs& v) { return et::matmul(et::matmul(v[0], v[1]).transpose(1, 2), v[2]); }, mat));
  CHECK(gradcheck([](Inputs& v) { return et::matmul(v[1].t(), v[1]) - et::mm(v[1].t(), v[1]); }, mat));
}

TEST_CASE("gradcheck: broadcasting chains and reductions with dims") {
  et::manual_seed(13);
  Inputs in = {randn({3, 1}), randn({4}), positive({}), randn({2, 3, 4})};
  CHECK(gradcheck([](Inputs& v) { return (v[0] * v[1] + v[2]).sum(0).mean(); }, in));
  CHECK(gradcheck([](Inputs& v) { return (v[3] - v[0] * v[1]) / v[2]; }, in));
  CHECK(gradcheck([](Inputs& v) { return v[3].sum(1, true) / v[3].mean(0) + v[3].mean(-1, true); }, in));
  CHECK(gradcheck([](Inputs& v) { return v[3].sum(-3).sum(-1) * v[0].squeeze(); }, in));
}

TEST_CASE("gradcheck: pointwise chains and pow with scalar and tensor exponents") {
  et::manual_seed(14);
  Inputs in = {positive({2, 3}), randn({2, 3}), randn({3})};
  CHECK(gradcheck(
      [](Inputs& v) { return et::log(et::sigmoid(v[1]) + 1.0) * et::relu(v[1] + 3.0) / et::exp(v[1] * 0.1); }, in));
  CHECK(gradcheck([](Inputs& v) { return et::sqrt(v[0]) * et::abs(v[1] + 5.0) - et::tanh(v[2]); }, in));
  CHECK(gradcheck([](Inputs& v) { return v[0].pow(v[1]) * v[0].pow(2.5) + et::pow(2.0, v[2]) - v[0].pow(-1); }, in));
  CHECK(gradcheck([](Inputs& v) { return v[0].pow(v[2]).sum(); }, in));
}

TEST_CASE("gradcheck: shape ops composed, and one input used many times") {
  et::manual_seed(15);
  Inputs in = {randn({2, 6})};
  CHECK(gradcheck(
      [](Inputs& v) {
        return v[0].reshape({3, 4}).t().unsqueeze(0).transpose(0, 2).flatten().view({2, 6}).unsqueeze(1).squeeze();
      },
      in));
  CHECK(gradcheck([](Inputs& v) { return v[0] * v[0] * v[0] + v[0].sum() - v[0].clone() * v[0].t().t(); }, in));
}

TEST_CASE("gradcheck: in-place ops recorded on non-leaf tensors") {
  et::manual_seed(16);
  Inputs in = {randn({2, 3}), randn({3}), positive({2, 1})};
  CHECK(gradcheck(
      [](Inputs& v) {
        Tensor<double> y = v[0] * 1.0;
        y.add_(v[1]);
        y.mul_(2);
        y.sub_(v[1], 0.5);
        y.div_(3);
        y += v[0];
        return y.tanh();
      },
      in));
  CHECK(gradcheck(
      [](Inputs& v) {
        Tensor<double> y = v[0].clone();
        y.mul_(v[1]);
        y.div_(v[2]);
        return y;
      },
      in));
}

TEST_CASE("gradcheck: a wrong gradient is caught, for the input it belongs to") {
  et::manual_seed(17);
  Inputs in = {randn({3}), randn({3})};
  // x * x.detach() has the value x^2 but records d/dx = x, half the true 2x.
  auto wrong_first = [](Inputs& v) { return v[0] * v[0].detach() + v[1]; };
  CHECK_FALSE(gradcheck(wrong_first, in, 1e-6, 1e-5, 1e-3, false));
  CHECK_THROWS_WITH_AS(gradcheck(wrong_first, in), doctest::Contains("with respect to input 0"), GradcheckError);
  auto wrong_second = [](Inputs& v) { return v[0] + v[1] * v[1].detach(); };
  CHECK_THROWS_WITH_AS(gradcheck(wrong_second, in), doctest::Contains("with respect to input 1"), GradcheckError);
  // A GradcheckError is an eigentorch::Error.
  CHECK_THROWS_AS(gradcheck(wrong_first, in), et::Error);
}

TEST_CASE("gradcheck: an output that does not require grad is reported") {
  Inputs in = {randn({2})};
  CHECK_THROWS_AS(gradcheck([](Inputs& v) { return v[0].detach() * 2.0; }, in), GradcheckError);
  CHECK_FALSE(gradcheck([](Inputs& v) { return v[0].detach() * 2.0; }, in, 1e-6, 1e-5, 1e-3, false));
}

TEST_CASE("gradcheck: only inputs that require grad are checked") {
  et::manual_seed(18);
  Inputs in = {randn({3}), et::randn<double>({3})};
  CHECK_FALSE(in[1].requires_grad());
  // The wrong rule would be caught for input 1, were it checked.
  CHECK(gradcheck([](Inputs& v) { return v[0] * v[1] + v[1] * v[1].detach(); }, in));
}

TEST_CASE("gradcheck: eps, atol and rtol are the ones given") {
  Inputs in = {leaf(et::tensor<double>({1.0, -2.0}))};
  auto cube = [](Inputs& v) { return v[0].pow(3); };
  // Central differences of x^3 are off by eps^2: 0.01 at eps = 0.1, far beyond atol 1e-5.
  CHECK(gradcheck(cube, in));
  CHECK_FALSE(gradcheck(cube, in, 0.1, 1e-5, 1e-3, false));
  CHECK(gradcheck(cube, in, 0.1, 0.02, 0.0));
  CHECK(gradcheck(cube, in, 0.1, 0.0, 0.01));  // 0.01 <= 0.01 * 3x^2 for |x| >= 1
}

TEST_CASE("gradcheck: leaves its inputs' values and gradients as they were") {
  et::manual_seed(19);
  Tensor<double> x = randn({4});
  const std::vector<double> before = x.to_vector();
  (x * 3.0).sum().backward();
  Inputs in = {x};
  CHECK(gradcheck([](Inputs& v) { return et::tanh(v[0]); }, in));
  CHECK(x.to_vector() == before);
  // torch.autograd.gradcheck differentiates with autograd.grad and never touches .grad.
  REQUIRE(x.grad().defined());
  CHECK(x.grad().to_vector() == std::vector<double>(4, 3.0));
}

}  // namespace
