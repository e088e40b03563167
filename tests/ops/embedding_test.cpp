// Tests for ops/embedding.hpp: embedding's rows and its gradient (EmbeddingBackward0: rows summed in
// index order, padding_idx's row left at zero) for PyTorch's weights and indices, bit for bit in
// float and double (tests/reference/layers_cases.hpp); index tensors of any shape; gradcheck in
// double; the errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reference/layers_cases.hpp"

namespace {

namespace et = eigentorch;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::layers::table, /*float*/ {1e-5, 1e-5}, /*double*/ {1e-12, 1e-12});

}  // namespace

TEST_CASE_TEMPLATE("embedding: rows and gradients equal PyTorch's for its weights, with repeated and padding indices", T,
                   float, double) {
  struct Case {
    const char* key;
    int64_t num, dim;
    std::optional<int64_t> padding_idx;
  };
  for (const Case& c : {Case{"a", 10, 3, std::nullopt}, Case{"b", 3, 4, std::nullopt}, Case{"pad", 10, 3, 2},
                        Case{"negpad", 10, 3, -1}}) {
    CAPTURE(c.key);
    const std::string k = std::string("embedding.") + c.key, kd = k + "." + dname<T>();
    auto weight = ref.tensor_of<T>(kd + ".weight", {c.num, c.dim}).requires_grad_();
    const auto index = et::from_vector<int64_t>(ref.ints(k + ".index"), et::Size(ref.ints(k + ".index_shape")));
    Tensor<T> y = et::ops::embedding(index, weight, c.padding_idx);
    CHECK(std::string(y.grad_fn()->name()) == "EmbeddingBackward0");
    CHECK(y.shape().vec() == ref.ints(kd + ".y_shape"));
    y.backward(ref.tensor_of<T>(k + ".up", ref.ints(kd + ".y_shape")));
    CHECK(ref.differing_bits(y, kd + ".y") == 0);
    CHECK(ref.differing_bits(weight.grad(), kd + ".grad") == 0);
  }
}

TEST_CASE("embedding: an empty index gives [0, dim] and a zero gradient, no grad, no node") {
  auto weight = et::randn<double>({4, 2}).requires_grad_();
  Tensor<double> y = et::ops::embedding(et::zeros<int64_t>({0}), weight);
  CHECK(y.shape().vec() == std::vector<int64_t>{0, 2});
  y.sum().backward();
  CHECK(weight.grad().to_vector() == std::vector<double>(8, 0.0));
  et::NoGradGuard no_grad;
  CHECK(et::ops::embedding(et::tensor<int64_t>({1}), weight).grad_fn() == nullptr);
}

TEST_CASE("embedding: gradcheck in double, with repeated indices and a padding index not looked up") {
  et::manual_seed(6);
  auto w = et::randn<double>({5, 3}).requires_grad_();
  const auto index = et::tensor<int64_t>({{0, 4, 4}, {2, 0, 1}});
  CHECK(et::autograd::gradcheck([index](const std::vector<Tensor<double>>& in) { return et::ops::embedding(index, in[0]); },
                                {w}));
  CHECK(et::autograd::gradcheck(
      [index](const std::vector<Tensor<double>>& in) { return et::ops::embedding(index, in[0], 3); }, {w}));
}

TEST_CASE("embedding: PyTorch's errors for an index out of range, a bad padding_idx and a weight not 2-D") {
  const Tensor<float> w = et::zeros({5, 2});
  CHECK_THROWS_WITH_AS(et::ops::embedding(et::tensor<int64_t>({5}), w), ref.text("embedding.err_range").c_str(),
                       et::IndexError);
  CHECK_THROWS_WITH_AS(et::ops::embedding(et::tensor<int64_t>({0, -1}), w), ref.text("embedding.err_negative").c_str(),
                       et::IndexError);
  CHECK_THROWS_WITH_AS(et::ops::embedding(et::tensor<int64_t>({0}), w, 5), ref.text("embedding.err_pad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::embedding(et::tensor<int64_t>({1}), et::zeros({5})), ref.text("embedding.err_weight").c_str(),
                       et::Error);
}
