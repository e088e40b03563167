// Tests for nn/dropout.hpp and functional::dropout: the masks are PyTorch 1.13's draws after the same
// manual_seed (several p and shapes, consecutive calls, and what the generator draws next), the
// gradient, p = 0 / p = 1 / evaluation, in place, a seeded model with Dropout, the repr and the errors
// (tests/reference/layers_cases.hpp).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // signbit
#include <string>
#include <vector>

#include "reference/layers_ref.hpp"

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
using et::Tensor;
using namespace eigentorch::testing::layers;

struct DropoutCase {
  const char* key;
  double p;
  std::vector<int64_t> shape;
};
const DropoutCase kCases[] = {{"a", 0.1, {4, 5}}, {"b", 0.5, {3, 7}}, {"c", 0.9, {17}}, {"d", 0.3, {2, 3, 4}}, {"e", 0.5, {40}}};

}  // namespace

TEST_CASE_TEMPLATE("dropout: masks, consecutive masks, the next draws and the gradient equal PyTorch's after manual_seed", T,
                   float, double) {
  for (const DropoutCase& c : kCases) {
    CAPTURE(c.key);
    const std::string k = std::string("dropout.") + c.key, kd = k + "." + dname<T>();
    auto x = tensor_of<T>(k + ".x", c.shape).requires_grad_();
    et::manual_seed(7);
    Tensor<T> y1 = F::dropout(x, c.p);
    Tensor<T> y2 = F::dropout(x, c.p);
    Tensor<T> after = et::rand<T>({3});
    CHECK(std::string(y1.grad_fn()->name()) == "MulBackward0");
    y1.backward(tensor_of<T>(k + ".up", c.shape));
    // the kept values are x / (1 - p) exactly as PyTorch rounds them: compare bits
    CHECK(differing_bits(y1, kd + ".y1") == 0);
    CHECK(differing_bits(y2, kd + ".y2") == 0);
    CHECK(differing_bits(after, kd + ".after") == 0);
    CHECK(differing_bits(x.grad(), kd + ".grad") == 0);
  }
}

TEST_CASE_TEMPLATE("Dropout: in a seeded model it draws PyTorch's masks; in eval mode it is the identity", T, float, double) {
  et::manual_seed(3);
  et::nn::Sequential<T> model(et::nn::Linear<T>(4, 6), et::nn::ReLU<T>(), et::nn::Dropout<T>(0.25), et::nn::Linear<T>(6, 2));
  CHECK(model.repr() == text("dropout.model_repr"));
  const Tensor<T> x = tensor_of<T>("dropout.model.x", {5, 4});
  check(model(x), "dropout.model." + dname<T>() + ".y");
  model.eval();
  check(model(x), "dropout.model." + dname<T>() + ".eval");
  et::nn::Dropout<T> drop(0.5);
  drop.eval();
  CHECK(drop(x).is_same(x));
}

TEST_CASE_TEMPLATE("dropout: p = 0, evaluation and empty input return the input itself; p = 1 gives x * 0", T, float, double) {
  auto x = tensor_of<T>("dropout.p1.x", {3, 4}).requires_grad_();
  CHECK(F::dropout(x, 0.0).is_same(x));
  CHECK(F::dropout(x, 0.5, false).is_same(x));
  const Tensor<T> empty = et::zeros<T>({0, 3});
  CHECK(F::dropout(empty, 0.5).is_same(empty));
  const auto stamp = et::default_generator().stamp();
  Tensor<T> y = F::dropout(x, 1.0);
  CHECK(et::default_generator().stamp() == stamp);  // nothing drawn
  y.backward(et::ones<T>({3, 4}));
  const auto& want = numbers("dropout.p1." + dname<T>() + ".y");
  for (int64_t i = 0; i < y.numel(); ++i) {
    CHECK(y.data()[i] == T(0));
    CHECK(std::signbit(y.data()[i]) == std::signbit(want[static_cast<std::size_t>(i)]));  // -0 where x < 0
  }
  check(x.grad(), "dropout.p1." + dname<T>() + ".grad");
}

TEST_CASE("dropout: inplace multiplies the input itself by the same mask") {
  Tensor<float> x = tensor_of<float>("dropout.b.x", {3, 7});
  et::manual_seed(7);
  Tensor<float> y = F::dropout(x, 0.5, true, true);
  CHECK(y.is_same(x));
  CHECK(differing_bits(x, "dropout.b.float.y1") == 0);
  et::nn::Dropout<float> drop(0.5, true);
  Tensor<float> z = tensor_of<float>("dropout.b.x", {3, 7});
  et::manual_seed(7);
  CHECK(drop(z).is_same(z));
  CHECK(differing_bits(z, "dropout.b.float.y1") == 0);
}

TEST_CASE("Dropout: the repr and PyTorch's errors for p outside [0, 1]") {
  CHECK(et::nn::Dropout<float>(0.1).repr() == text("dropout.repr"));
  CHECK(et::nn::Dropout<double>(0.5, true).repr() == text("dropout.repr_inplace"));
  CHECK(et::nn::Dropout<float>(1.0).repr() == text("dropout.repr_one"));
  CHECK(et::nn::Dropout<float>().p() == 0.5);
  CHECK_THROWS_WITH_AS(F::dropout(et::zeros({2}), 1.5), text("dropout.err_high").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::nn::Dropout<float>(-0.1), text("dropout.err_low").c_str(), et::ValueError);
}
