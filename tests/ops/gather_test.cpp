// Tests for ops/gather.hpp (index_select, t[index], t[mask], gather, scatter_add, max(d) / min(d))
// and argmax / argmin: values, indices and gradients against PyTorch 1.13 in float and double
// (tests/reference/gather_cases.hpp, from make_gather_reference.py), gradcheck in double, the errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "reference/gather_cases.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference::gather;
using et::Tensor;

template <class T>
Tensor<T> make(const std::vector<double>& v, const std::vector<int64_t>& shape) {
  return et::from_vector<T>(std::vector<T>(v.begin(), v.end()), et::Size(shape));
}

template <class T>
void check_values(const Tensor<T>& t, const std::vector<double>& want) {
  REQUIRE(t.numel() == static_cast<int64_t>(want.size()));
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]))
      CHECK(std::isnan(static_cast<double>(t.data()[i])));
    else
      CHECK(static_cast<double>(t.data()[i]) == static_cast<double>(static_cast<T>(want[i])));
  }
}

/// The op of a case on x (and src), as (values, indices); either may be undefined.
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> run(const ref::Case& c, const Tensor<T>& x, const Tensor<T>& src) {
  const std::string op = c.op;
  const auto index = et::from_vector<int64_t>(c.index, et::Size(c.index_shape));
  if (op == "index_select") return {x.index_select(c.dim, index), {}};
  if (op == "index") return {x.index(index), {}};
  if (op == "mask") {
    std::vector<bool> m(c.index.begin(), c.index.end());
    return {x.index(et::from_vector<bool>(m, et::Size(c.index_shape))), {}};
  }
  if (op == "gather") return {et::gather(x, c.dim, index), {}};
  if (op == "scatter_add") return {x.scatter_add(c.dim, index, src), {}};
  if (op == "max") return x.max(c.dim, c.keepdim);
  if (op == "min") return x.min(c.dim, c.keepdim);
  if (op == "argmax") return {Tensor<T>(), c.whole ? x.argmax() : x.argmax(c.dim, c.keepdim)};
  return {Tensor<T>(), c.whole ? et::argmin(x) : et::argmin(x, c.dim, c.keepdim)};
}

template <class T>
void check_case(const ref::Case& c) {
  auto x = make<T>(c.x, c.x_shape).requires_grad_();
  Tensor<T> src;
  if (!c.src.empty()) src = make<T>(c.src, c.src_shape).requires_grad_();
  auto [out, indices] = run<T>(c, x, src);
  if (!c.indices_shape.empty() || !c.indices.empty() || std::string(c.op).rfind("arg", 0) == 0) {
    REQUIRE(indices.defined());
    CHECK(indices.shape() == et::Size(c.indices_shape));
    check_values(indices, std::vector<double>(c.indices.begin(), c.indices.end()));
  }
  if (!out.defined()) return;
  CHECK(out.shape() == et::Size(c.out_shape));
  check_values(out, c.out);
  std::vector<T> up;
  for (int64_t i = 0; i < out.numel(); ++i) up.push_back(static_cast<T>(static_cast<T>(i) * static_cast<T>(0.37) + static_cast<T>(0.1)));
  out.backward(et::from_vector<T>(up, out.shape()));
  check_values(x.grad(), c.grad_x);
  if (src.defined()) check_values(src.grad(), c.grad_src);
}

}  // namespace

TEST_CASE("index_select, index, masks, gather, scatter_add, max/min(d), argmax/argmin against PyTorch") {
  for (const auto& c : ref::cases) {
    CAPTURE(c.op);
    CAPTURE(c.dtype);
    CAPTURE(c.x_shape.size());
    if (std::string(c.dtype) == "float")
      check_case<float>(c);
    else
      check_case<double>(c);
  }
}

TEST_CASE("gradcheck in double: every op that takes elements by index") {
  const auto idx = et::from_vector<int64_t>({2, 0, 2}, {3});
  const auto g2 = et::from_vector<int64_t>({3, 0, 1, 1, 2, 2}, {3, 2});
  const auto mask = et::from_vector<bool>({true, false, true}, {3});
  const auto sidx = et::from_vector<int64_t>({0, 0, 3}, {1, 3});
  auto x = et::randn<double>({3, 4}).requires_grad_();
  auto s = et::randn<double>({2, 4}).requires_grad_();
  using V = std::vector<Tensor<double>>;
  CHECK(et::autograd::gradcheck([&](const V& in) { return in[0].index_select(0, idx); }, {x}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return in[0].index(idx); }, {x}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return in[0].index(mask); }, {x}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return in[0].gather(1, g2); }, {x}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return in[0].scatter_add(1, sidx, in[1]); }, {x, s}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return std::get<0>(in[0].max(1)); }, {x}));
  CHECK(et::autograd::gradcheck([&](const V& in) { return std::get<0>(in[0].min(0, true)); }, {x}));
}

TEST_CASE("taking elements by index: PyTorch's errors, nothing read out of bounds") {
  const auto x = et::arange(12).reshape({3, 4});
  auto ix = [](std::vector<int64_t> v, std::vector<int64_t> shape) { return et::from_vector<int64_t>(v, et::Size(shape)); };
  CHECK_THROWS_WITH_AS(x.index_select(0, ix({5}, {1})), ref::index_select_range_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.index_select(0, ix({-1}, {1})), ref::index_select_negative_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.index_select(0, ix({0}, {1, 1})), ref::index_select_vector_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.index(ix({3}, {1})), ref::index_range_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.index(ix({-4}, {1})), ref::index_negative_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.index(et::from_vector<bool>({true, false}, {2})), ref::mask_shape_error, et::IndexError);
  CHECK_THROWS_WITH_AS(x.gather(1, ix({4}, {1, 1})), ref::gather_range_error, et::Error);
  CHECK_THROWS_WITH_AS(x.gather(1, ix({0}, {1})), ref::gather_dims_error, et::Error);
  CHECK_THROWS_WITH_AS(x.scatter_add(1, ix({0, 1}, {1, 2}), et::ones({1, 1})), ref::scatter_add_shape_error, et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({2, 0}).max(1), ref::max_empty_error, et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({0}).argmax(), ref::argmax_empty_error, et::IndexError);
  CHECK_THROWS_WITH_AS(et::zeros({2, 0}).argmax(1), ref::argmax_empty_dim_error, et::IndexError);
}

TEST_CASE("the classification idiom: (model(x).argmax(1) == y).sum()") {
  const auto logits = et::tensor({{0.1, 2.0, -1.0}, {3.0, 0.0, 0.5}, {0.0, 0.1, 0.2}, {1.0, 1.0, 0.0}});
  const auto y = et::from_vector<int64_t>({1, 0, 1, 0}, {4});
  const Tensor<int64_t> correct = (logits.argmax(1) == y).sum();
  CHECK(correct.item() == 3);
  CHECK(et::repr(correct) == "tensor(3)");
}
