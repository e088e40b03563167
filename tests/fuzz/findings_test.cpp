// Regression tests for what fuzzing found in issue 15's ops (tests/fuzz/README.md, findings 1-9):
// each was a crash, undefined behaviour, a leak or a wrong value; each now behaves as PyTorch does
// or throws an eigentorch::Error.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace et = eigentorch;
using et::Tensor;

TEST_CASE("fuzz finding 1: t[index] of a tensor whose dim 0 is empty throws PyTorch's IndexError") {
  CHECK_THROWS_WITH_AS(et::zeros({0, 3}).index(et::from_vector<int64_t>({0}, {1})),
                       "index 0 is out of bounds for dimension 0 with size 0", et::IndexError);
  CHECK(et::zeros({0, 3}).index(et::from_vector<int64_t>({}, {0})).shape() == et::Size({0, 3}));
}

TEST_CASE("fuzz finding 2: int64 sums along a dim and scatter_add wrap around, as PyTorch's") {
  const auto s = et::from_vector<int64_t>({INT64_MIN, -9, 1, 1, 1}, {5}).sum(0);
  CHECK(s.item() == INT64_MAX - 5);
  const auto t = et::from_vector<int64_t>({INT64_MAX}, {1}).scatter_add(0, et::from_vector<int64_t>({0}, {1}),
                                                                        et::from_vector<int64_t>({1}, {1}));
  CHECK(t.item() == INT64_MIN);
}

TEST_CASE("fuzz finding 3: index_select of a 0-d tensor needs exactly one index") {
  CHECK_THROWS_WITH_AS(et::tensor(1.0f).index_select(0, Tensor<int64_t>(et::Size{0})),
                       "index_select(): Index to scalar can have only 1 value, got 0 value(s)", et::IndexError);
  CHECK(et::tensor(2.0f).index_select(0, et::from_vector<int64_t>({0}, {1})).item() == 2.0f);
}

TEST_CASE("fuzz finding 4: sum(0) of a 0-d int64 tensor is the tensor itself") {
  const auto s = et::from_vector<int64_t>({5}, {}).sum(0);
  CHECK(s.dim() == 0);
  CHECK(s.item() == 5);
}

TEST_CASE("fuzz finding 5: a conversion keeps its source as it was, so a later in-place op neither leaks nor loops") {
  auto x = et::rand({3}).requires_grad_();
  auto a = x * et::ones({3});
  a.add_(a.to<double>().exp().to<float>());
  // PyTorch differentiates the round trip; eigentorch refuses it (a backward inside a backward on the
  // same nodes) and leaves the graph as it was: no leak, no loop, no wrong gradient
  CHECK_THROWS_AS(a.sum().backward(), et::Error);
  CHECK(!x.grad().defined());
  auto y = et::rand({3}).requires_grad_();
  auto b = y * et::ones({3});
  const auto d = b.to<double>();
  b.add_(et::ones({3}));  // the conversion still sends its gradient to b as it was: y
  d.sum().backward();
  for (float g : y.grad().to_vector()) CHECK(g == 1.0f);
}

TEST_CASE("fuzz findings 6 and 9: huge slice steps, split sizes and chunk counts") {
  const auto x = et::arange(12).reshape({3, 4});
  CHECK(x.slice(0, 0, 3, INT64_MAX).shape() == et::Size({1, 4}));
  CHECK(x.split(INT64_MAX, 0).size() == 1);
  CHECK(x.chunk(INT64_MAX, 1).size() == 4);
  CHECK_THROWS_AS(et::zeros({0}).chunk(INT64_MAX, 0), et::Error);
}

TEST_CASE("fuzz findings 7 and 8: int64 cumsum and int64 literals stay exact") {
  const int64_t big = (int64_t(1) << 53) + 1;
  const auto c = et::from_vector<int64_t>({big, 0}, {2}).cumsum(0);
  CHECK(c.to_vector() == std::vector<int64_t>{big, big});
  CHECK(et::tensor<int64_t>({big, INT64_MAX}).to_vector() == std::vector<int64_t>{big, INT64_MAX});
}

TEST_CASE("fuzz finding 10: t[i] and index_select of an empty tensor whose dims multiply past int64") {
  // (issue 19's fuzzing: adaptive_avg_pool2d of an empty batch to an output of 2^63 - 1 made such a
  // tensor, as PyTorch's does; t[i] then multiplied its dims, 4 * (2^63 - 1), an int64 overflow)
  const int64_t big = int64_t(1) << 62;
  const auto x = et::zeros({0, 4, big});
  const auto none = et::from_vector<int64_t>({}, {0});
  CHECK(x.index(none).shape() == et::Size({0, 4, big}));  // as PyTorch
  CHECK_THROWS_AS(x.index(et::tensor<int64_t>({0})), et::Error);  // (row 0 of none)
  CHECK(x.index_select(1, none).shape() == et::Size({0, 0, big}));
  CHECK(et::zeros({0, big, 4}).index_select(1, et::tensor<int64_t>({3})).shape() == et::Size({0, 1, 4}));
  // the indices of an empty tensor are still checked
  CHECK(et::zeros({2, 0, 3}).index_select(0, et::tensor<int64_t>({1, 0})).shape() == et::Size({2, 0, 3}));
  CHECK_THROWS_AS(et::zeros({2, 0, 3}).index_select(0, et::tensor<int64_t>({2})), et::IndexError);
}

TEST_CASE("fuzz finding 11: shape ops on an empty tensor whose dims multiply past int64") {
  // (issue 19's fuzzing: select of adaptive_avg_pool2d's [0, 2, 2^63 - 1, 2^63 - 1] computed the
  // contiguous strides 2^63 - 1 times 2^63 - 1, an int64 overflow; an empty window now has strides 0)
  const int64_t big = std::numeric_limits<int64_t>::max();
  const auto x = et::zeros({0, 2, big, big});
  CHECK(x.select(1, 1).shape() == et::Size({0, big, big}));
  CHECK(x.select(3, big - 1).shape() == et::Size({0, 2, big}));
  CHECK(x.narrow(2, big - 2, 2).shape() == et::Size({0, 2, 2, big}));
  CHECK(x.permute({3, 0, 2, 1}).contiguous().shape() == et::Size({big, 0, big, 2}));
  CHECK(et::cat(std::vector<et::Tensor<float>>{x, x}, 1).shape() == et::Size({0, 4, big, big}));
  CHECK(et::nn::functional::adaptive_avg_pool2d(et::zeros({0, 2, 3, 3}), {big, big}).select(1, 0).shape() ==
        et::Size({0, big, big}));
  // a 0 anywhere empties the product, as in PyTorch; without one, it must fit
  CHECK(et::zeros({big, big, 0}).numel() == 0);
  CHECK(et::Size({big, big, 0}).numel() == 0);
  CHECK_THROWS_WITH_AS(et::zeros({big, big, 1}),
                       "numel: integer multiplication overflow for a tensor of shape [9223372036854775807, "
                       "9223372036854775807, 1]",
                       et::Error);
}
