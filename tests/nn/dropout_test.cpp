// Tests for nn/dropout.hpp and functional::dropout: the masks are PyTorch 1.13's draws after the same
// manual_seed (several p and shapes, consecutive calls, and what the generator draws next), the
// gradient, p = 0 / p = 1 / evaluation, in place, a seeded model with Dropout, the repr and the errors
// (tests/reference/layers_cases.hpp); Dropout2d's channel masks likewise (pooling_cases.hpp).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // signbit
#include <string>
#include <vector>

#include "reference/layers_cases.hpp"
#include "reference/pooling_cases.hpp"  // Dropout2d

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::layers::table, /*float*/ {1e-5, 1e-5}, /*double*/ {1e-12, 1e-12});
const ReferenceTable pool(eigentorch::reference::pooling::table);  // compared bit for bit

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
    auto x = ref.tensor_of<T>(k + ".x", c.shape).requires_grad_();
    et::manual_seed(7);
    Tensor<T> y1 = F::dropout(x, c.p);
    Tensor<T> y2 = F::dropout(x, c.p);
    Tensor<T> after = et::rand<T>({3});
    CHECK(std::string(y1.grad_fn()->name()) == "MulBackward0");
    y1.backward(ref.tensor_of<T>(k + ".up", c.shape));
    // the kept values are x / (1 - p) exactly as PyTorch rounds them: compare bits
    CHECK(ref.differing_bits(y1, kd + ".y1") == 0);
    CHECK(ref.differing_bits(y2, kd + ".y2") == 0);
    CHECK(ref.differing_bits(after, kd + ".after") == 0);
    CHECK(ref.differing_bits(x.grad(), kd + ".grad") == 0);
  }
}

TEST_CASE_TEMPLATE("Dropout: in a seeded model it draws PyTorch's masks, in eval mode it is the identity", T, float, double) {
  et::manual_seed(3);
  et::nn::Sequential<T> model(et::nn::Linear<T>(4, 6), et::nn::ReLU<T>(), et::nn::Dropout<T>(0.25), et::nn::Linear<T>(6, 2));
  CHECK(model.repr() == ref.text("dropout.model_repr"));
  const Tensor<T> x = ref.tensor_of<T>("dropout.model.x", {5, 4});
  ref.check(model(x), "dropout.model." + dname<T>() + ".y");
  model.eval();
  ref.check(model(x), "dropout.model." + dname<T>() + ".eval");
  et::nn::Dropout<T> drop(0.5);
  drop.eval();
  CHECK(drop(x).is_same(x));
}

TEST_CASE_TEMPLATE("dropout: p = 0, evaluation and empty input return the input itself, p = 1 gives x * 0", T, float, double) {
  auto x = ref.tensor_of<T>("dropout.p1.x", {3, 4}).requires_grad_();
  CHECK(F::dropout(x, 0.0).is_same(x));
  CHECK(F::dropout(x, 0.5, false).is_same(x));
  const Tensor<T> empty = et::zeros<T>({0, 3});
  CHECK(F::dropout(empty, 0.5).is_same(empty));
  const auto stamp = et::default_generator().stamp();
  Tensor<T> y = F::dropout(x, 1.0);
  CHECK(et::default_generator().stamp() == stamp);  // nothing drawn
  y.backward(et::ones<T>({3, 4}));
  const auto& want = ref.numbers("dropout.p1." + dname<T>() + ".y");
  for (int64_t i = 0; i < y.numel(); ++i) {
    CHECK(y.data()[i] == T(0));
    CHECK(std::signbit(y.data()[i]) == std::signbit(want[static_cast<std::size_t>(i)]));  // -0 where x < 0
  }
  ref.check(x.grad(), "dropout.p1." + dname<T>() + ".grad");
}

TEST_CASE("dropout: inplace multiplies the input itself by the same mask") {
  Tensor<float> x = ref.tensor_of<float>("dropout.b.x", {3, 7});
  et::manual_seed(7);
  Tensor<float> y = F::dropout(x, 0.5, true, true);
  CHECK(y.is_same(x));
  CHECK(ref.differing_bits(x, "dropout.b.float.y1") == 0);
  et::nn::Dropout<float> drop(0.5, true);
  Tensor<float> z = ref.tensor_of<float>("dropout.b.x", {3, 7});
  et::manual_seed(7);
  CHECK(drop(z).is_same(z));
  CHECK(ref.differing_bits(z, "dropout.b.float.y1") == 0);
}

TEST_CASE("Dropout: the repr and PyTorch's errors for p outside [0, 1]") {
  CHECK(et::nn::Dropout<float>(0.1).repr() == ref.text("dropout.repr"));
  CHECK(et::nn::Dropout<double>(0.5, true).repr() == ref.text("dropout.repr_inplace"));
  CHECK(et::nn::Dropout<float>(1.0).repr() == ref.text("dropout.repr_one"));
  CHECK(et::nn::Dropout<float>().p() == 0.5);
  CHECK_THROWS_WITH_AS(F::dropout(et::zeros({2}), 1.5), ref.text("dropout.err_high").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(et::nn::Dropout<float>(-0.1), ref.text("dropout.err_low").c_str(), et::ValueError);
}

namespace {
struct Dropout2dCase {
  const char* key;
  double p;
  std::vector<int64_t> shape;
};
const Dropout2dCase kCases2d[] = {
    {"a", 0.5, {4, 3, 2, 2}}, {"b", 0.2, {2, 5, 3, 3}}, {"c", 0.9, {3, 6, 2, 1}}, {"three_d", 0.5, {3, 4, 5}}};
}  // namespace

TEST_CASE_TEMPLATE("dropout2d: whole channels zeroed, masks, consecutive masks, the next draws and the gradient equal "
                   "PyTorch's after manual_seed", T, float, double) {
  for (const Dropout2dCase& c : kCases2d) {
    CAPTURE(c.key);
    const std::string k = std::string("dropout2d.") + c.key, kd = k + "." + dname<T>();
    auto x = pool.tensor_of<T>(k + ".x", c.shape).requires_grad_();
    et::manual_seed(7);
    Tensor<T> y1 = F::dropout2d(x, c.p);
    Tensor<T> y2 = et::nn::Dropout2d<T>(c.p)(x);
    Tensor<T> after = et::rand<T>({3});
    CHECK(std::string(y1.grad_fn()->name()) == "MulBackward0");
    y1.backward(pool.tensor_of<T>(k + ".up", c.shape));
    CHECK(pool.differing_bits(y1, kd + ".y1") == 0);
    CHECK(pool.differing_bits(y2, kd + ".y2") == 0);
    CHECK(pool.differing_bits(after, kd + ".after") == 0);
    CHECK(pool.differing_bits(x.grad(), kd + ".grad") == 0);
    // a channel is kept or zeroed whole
    const int64_t inner = x.numel() / (c.shape[0] * c.shape[1]);
    for (int64_t ch = 0; ch < c.shape[0] * c.shape[1]; ++ch)
      for (int64_t i = 1; i < inner; ++i)
        CHECK((y1.data()[ch * inner + i] == T(0)) == (y1.data()[ch * inner] == T(0)));
  }
}

TEST_CASE("Dropout2d: eval, p = 0 and p = 1, in place, the repr and PyTorch's errors") {
  Tensor<float> x = pool.tensor_of<float>("dropout2d.a.x", {4, 3, 2, 2});
  et::nn::Dropout2d drop(0.5);  // float deduced
  drop.eval();
  CHECK(drop(x).is_same(x));
  CHECK(F::dropout2d(x, 0.0).is_same(x));
  const auto stamp = et::default_generator().stamp();
  CHECK(F::dropout2d(x, 1.0).abs().sum().item() == 0.0f);
  CHECK(et::default_generator().stamp() == stamp);  // nothing drawn
  Tensor<float> z = pool.tensor_of<float>("dropout2d.a.x", {4, 3, 2, 2});
  et::manual_seed(7);
  CHECK(F::dropout2d(z, 0.5, true, true).is_same(z));
  CHECK(pool.differing_bits(z, "dropout2d.a.float.y1") == 0);
  CHECK(et::nn::Dropout2d<float>(0.2).repr() == pool.text("repr.dropout2d"));
  CHECK(et::nn::Dropout2d<double>().repr() == pool.text("repr.dropout2d_default"));
  CHECK_THROWS_WITH_AS(et::nn::Dropout2d<float>(1.5), pool.text("err.dropout2d.p").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(F::dropout2d(et::zeros({2}), 0.5), pool.text("err.dropout2d.dims").c_str(), et::Error);
}
