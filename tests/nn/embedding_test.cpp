// Tests for nn/embedding.hpp: the seeded N(0, 1) weight (both of PyTorch's
// normal_ paths), lookups with index tensors of any shape, the gradient with repeated indices and
// padding_idx (EmbeddingBackward0), the repr and the errors, against PyTorch
// 1.13 (tests/reference/layers_cases.hpp).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "reference/layers_cases.hpp"

namespace {

namespace et = eigentorch;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::layers::table, /*float*/ {1e-5, 1e-5}, /*double*/ {1e-12, 1e-12});

struct EmbeddingCase {
  const char* key;
  int64_t num, dim;
  std::optional<int64_t> padding_idx;
  uint64_t seed;
};
const EmbeddingCase kCases[] = {
    {"a", 10, 3, std::nullopt, 1}, {"b", 3, 4, std::nullopt, 2}, {"pad", 10, 3, 2, 1}, {"negpad", 10, 3, -1, 4}};

}  // namespace

TEST_CASE_TEMPLATE("Embedding: seeded weight, lookups and gradients (repeated indices, padding_idx) equal PyTorch's", T,
                   float, double) {
  for (const EmbeddingCase& c : kCases) {
    CAPTURE(c.key);
    const std::string k = std::string("embedding.") + c.key, kd = k + "." + dname<T>();
    et::manual_seed(c.seed);
    et::nn::Embedding<T> emb(c.num, c.dim, c.padding_idx);
    // normal_'s draws: bit for bit in double and below 16 elements; PyTorch's vectorised float
    // path (16 and more) takes log / sin / cos from its own polynomials, an ulp or so away
    if (std::is_same_v<T, double> || c.num * c.dim < 16)
      CHECK(ref.differing_bits(emb.weight, kd + ".weight") == 0);
    else
      ref.check(emb.weight, kd + ".weight");
    const auto index_shape = ref.ints(k + ".index_shape");
    const auto index = et::from_vector<int64_t>(ref.ints(k + ".index"), et::Size(index_shape));
    Tensor<T> y = emb(index);
    CHECK(y.shape().vec() == ref.ints(kd + ".y_shape"));
    CHECK(std::string(y.grad_fn()->name()) == "EmbeddingBackward0");
    y.backward(ref.tensor_of<T>(k + ".up", ref.ints(kd + ".y_shape")));
    ref.check(y, kd + ".y");
    CHECK(ref.differing_bits(emb.weight.grad(), kd + ".grad") == 0);  // the sums in PyTorch's order
  }
}

TEST_CASE_TEMPLATE("Embedding: a 0-d index gives one row of shape [dim]", T, float, double) {
  et::manual_seed(5);
  et::nn::Embedding<T> emb(6, 2);
  Tensor<T> y = emb(et::tensor<int64_t>(3));
  CHECK(y.shape().vec() == ref.ints("embedding.scalar." + dname<T>() + ".y_shape"));
  ref.check(y, "embedding.scalar." + dname<T>() + ".y");
}

TEST_CASE("Embedding: the repr, its state_dict and PyTorch's errors") {
  CHECK(et::nn::Embedding<float>(10, 3).repr() == ref.text("embedding.repr"));
  CHECK(et::nn::Embedding<float>(10, 3, 0).repr() == ref.text("embedding.repr_pad"));
  CHECK(et::nn::Embedding<double>(10, 3, -1).repr() == ref.text("embedding.repr_negpad"));
  et::nn::Embedding<float> emb(5, 2);
  CHECK(emb.state_dict().keys() == std::vector<std::string>{"weight"});
  CHECK_THROWS_WITH_AS(emb(et::tensor<int64_t>({5})), ref.text("embedding.err_range").c_str(), et::IndexError);
  CHECK_THROWS_WITH_AS(emb(et::tensor<int64_t>({-1})), ref.text("embedding.err_negative").c_str(), et::IndexError);
  CHECK_THROWS_WITH_AS(et::nn::Embedding<float>(5, 2, 5), ref.text("embedding.err_pad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::nn::Embedding<float>(5, 2, -6), ref.text("embedding.err_pad").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::nn::functional::embedding(et::tensor<int64_t>({1}), et::zeros({5})),
                       ref.text("embedding.err_weight").c_str(), et::Error);
}
