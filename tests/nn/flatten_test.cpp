// Tests of nn/flatten.hpp against PyTorch 1.13: Flatten and Unflatten's output shapes, that they are
// views passing values and gradients through, their reprs inside a Sequential, and PyTorch's errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <string>
#include <tuple>
#include <vector>

#include "nn/nn_test_util.hpp"
#include "reference/module_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace mref = eigentorch::testing::module_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::str;

/// The reference's module by its label.
template <class T>
std::shared_ptr<nn::Module<T>> build(const std::string& what) {
  if (what == "Flatten()") return std::make_shared<nn::Flatten<T>>();
  if (what == "Flatten(0, -1)") return std::make_shared<nn::Flatten<T>>(0, -1);
  if (what == "Flatten(0, 2)") return std::make_shared<nn::Flatten<T>>(0, 2);
  if (what == "Flatten(-2, -1)") return std::make_shared<nn::Flatten<T>>(-2, -1);
  if (what == "Flatten(1, 1)") return std::make_shared<nn::Flatten<T>>(1, 1);
  if (what == "Unflatten(1, {2, 5})") return std::make_shared<nn::Unflatten<T>>(1, std::vector<int64_t>{2, 5});
  if (what == "Unflatten(1, {2, -1})") return std::make_shared<nn::Unflatten<T>>(1, std::vector<int64_t>{2, -1});
  if (what == "Unflatten(-1, {5, 2})") return std::make_shared<nn::Unflatten<T>>(-1, std::vector<int64_t>{5, 2});
  if (what == "Unflatten(0, {1, 3})") return std::make_shared<nn::Unflatten<T>>(0, std::vector<int64_t>{1, 3});
  if (what == "Unflatten(-1, {10})") return std::make_shared<nn::Unflatten<T>>(-1, std::vector<int64_t>{10});
  return nullptr;
}

}  // namespace

TEST_CASE_TEMPLATE("Flatten and Unflatten give PyTorch's shapes, pass values and gradients through", T, float,
                   double) {
  for (const auto& [what, in_shape, out_shape] : mref::kShapeCases) {
    const std::string w = what;
    CAPTURE(w);
    auto m = build<T>(w);
    REQUIRE(m);
    const auto x = et::rand<T>(et::Size(in_shape)).requires_grad_();
    const auto y = (*m)(x);
    CHECK(y.shape() == et::Size(out_shape));
    check_allclose(y.to_vector(), x.to_vector(), 0.0, 0.0);  // row-major order kept
    const auto g = et::rand<T>(et::Size(out_shape));
    y.backward(g);
    REQUIRE(x.grad().defined());
    CHECK(x.grad().shape() == x.shape());
    check_allclose(x.grad().to_vector(), g.to_vector(), 0.0, 0.0);
  }
}

TEST_CASE("Flatten and Unflatten print PyTorch's reprs, alone and in a Sequential") {
  int n = 0;
  for (const auto& [what, expected] : mref::kContainerReprCases) {
    const std::string w = what;
    CAPTURE(w);
    if (w == "Sequential(Flatten, Linear(6, 2), Unflatten(1, {2, 1}))") {
      CHECK(str(nn::Sequential(nn::Flatten(), nn::Linear(6, 2), nn::Unflatten(1, {2, 1}))) == expected);
      ++n;
    } else if (auto m = build<float>(w)) {
      CHECK(str(*m) == expected);
      ++n;
    }
  }
  CHECK(n == 5);
  nn::Unflatten<double> u(2, {3, 4});
  CHECK(u.dim() == 2);
  CHECK(u.unflattened_size() == std::vector<int64_t>{3, 4});
  nn::Flatten<double> f(0, 2);
  CHECK(f.start_dim() == 0);
  CHECK(f.end_dim() == 2);
}

TEST_CASE("Flatten and Unflatten refuse bad arguments in PyTorch's words") {
  const auto x = et::zeros({2, 10});
  using V = std::vector<int64_t>;
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{2, 3})(x), mref::kUnflattenProductMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{3, -1})(x), mref::kUnflattenInferredMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{})(x), mref::kUnflattenEmptyMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{-1, -1})(x), mref::kUnflattenTwoInferredMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{-2, -5})(x), mref::kUnflattenNegativeMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Unflatten(3, V{2, 5})(x), mref::kUnflattenDimMessage, et::IndexError);
  CHECK_THROWS_WITH_AS(nn::Unflatten(1, V{0, -1})(et::zeros({2, 0})), mref::kUnflattenAmbiguousMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Flatten(2, 1)(et::zeros({2, 3, 4})), mref::kFlattenOrderMessage, et::Error);
  CHECK_THROWS_WITH_AS(nn::Flatten(3)(et::zeros({2, 3, 4})), mref::kFlattenDimMessage, et::IndexError);
}
