// Tests of tensor/tensor.hpp: handle semantics (copies share storage and autograd state, clone copies and
// stays in the graph, detach shares data and leaves it), the autograd accessors, the data views
// (data, to_vector, item, eigen) and the errors of shape misuse with PyTorch's messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <memory>       // std::dynamic_pointer_cast
#include <stdexcept>    // std::runtime_error
#include <string>
#include <type_traits>  // std::is_base_of_v
#include <vector>

#include "reference/core_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::testing::core_reference;

const ref::Text& error_of(const char* key) { return ref::find_text("error:tensor", key); }
const char* engine_error(const char* key) { return ref::find_text("error:engine", key).text; }

}  // namespace

TEST_CASE_TEMPLATE("tensor: a copy is the same tensor: storage and autograd state", T, float, double) {
  auto a = et::tensor<T>({1, 2, 3});
  et::Tensor<T> b = a;
  CHECK(b.is_same(a));
  CHECK(b.data() == a.data());
  b.data()[0] = 10;
  CHECK(a.to_vector() == std::vector<T>{10, 2, 3});

  b.requires_grad_();
  CHECK(a.requires_grad());  // one autograd state
  (b * b).sum().backward();
  REQUIRE(a.grad().defined());
  CHECK(a.grad().to_vector() == std::vector<T>{20, 4, 6});
  CHECK(a.grad().is_same(b.grad()));

  et::Tensor<T> c;
  c = a;  // assignment rebinds the handle
  CHECK(c.is_same(a));
  c = et::tensor<T>({5});
  CHECK_FALSE(c.is_same(a));
  CHECK(a.numel() == 3);
}

TEST_CASE_TEMPLATE("tensor: clone copies the data and stays in the graph", T, float, double) {
  auto a = et::tensor<T>({1, 2, 3}).requires_grad_();
  auto c = a.clone();
  CHECK_FALSE(c.is_same(a));
  CHECK(c.data() != a.data());
  CHECK(c.to_vector() == a.to_vector());
  CHECK(c.requires_grad());
  CHECK_FALSE(c.is_leaf());
  CHECK(std::string(c.grad_fn()->name()) == "CloneBackward0");
  (c * et::tensor<T>({1, 10, 100})).sum().backward();
  CHECK(a.grad().to_vector() == std::vector<T>{1, 10, 100});

  auto plain = et::tensor<T>({4, 5});
  auto pc = plain.clone();
  CHECK(pc.is_leaf());
  CHECK_FALSE(pc.requires_grad());
  pc.data()[0] = 0;
  CHECK(plain.to_vector() == std::vector<T>{4, 5});
}

TEST_CASE_TEMPLATE("tensor: detach shares the data and leaves the graph", T, float, double) {
  auto a = et::tensor<T>({1, 2, 3}).requires_grad_();
  auto h = a * 2;
  auto d = h.detach();
  CHECK(d.data() == h.data());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.grad_fn() == nullptr);
  d.data()[1] = 0;  // writes through to h
  CHECK(h.to_vector() == std::vector<T>{2, 0, 6});
  CHECK(d.version() == h.version());
  d.add_(1);  // in-place on the detached tensor bumps the shared version counter
  CHECK(h.version() == 1);
  CHECK(h.to_vector() == std::vector<T>{3, 1, 7});
  CHECK(h.requires_grad());  // h itself is still in the graph
}

TEST_CASE_TEMPLATE("tensor: leaves, requires_grad_ and grad()", T, float, double) {
  auto a = et::tensor<T>({1, 2});
  CHECK(a.is_leaf());
  CHECK_FALSE(a.requires_grad());
  CHECK_FALSE(a.grad().defined());
  CHECK(&a.requires_grad_() == &a);  // chains, as in Python
  CHECK(a.requires_grad());
  CHECK(a.is_leaf());
  CHECK_FALSE(a.grad().defined());  // undefined until a backward reaches it

  auto h = a * 3;
  CHECK_FALSE(h.is_leaf());
  CHECK(h.requires_grad());
  h.requires_grad_(true);  // allowed on a non-leaf, changes nothing
  CHECK_THROWS_WITH_AS(h.requires_grad_(false), engine_error("requires_grad_(false) on non-leaf"), et::Error);

  a.requires_grad_(false);
  CHECK_FALSE(a.requires_grad());
  auto k = a * 3;
  CHECK(k.is_leaf());  // nothing to record
  CHECK_FALSE(k.requires_grad());

  auto b = et::tensor<T>({1, 2}).requires_grad_();
  (b * b).sum().backward();
  REQUIRE(b.grad().defined());
  CHECK_FALSE(b.grad().requires_grad());
  CHECK(b.grad().is_leaf());
  b.set_grad(et::Tensor<T>());  // zero_grad(set_to_none=True)
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("tensor: retain_grad, and its error on a tensor that does not require grad") {
  auto a = et::tensor({1.0, 2.0}).requires_grad_();
  a.retain_grad();  // a leaf: nothing to do
  CHECK_FALSE(a.retains_grad());
  auto h = a * 2;
  CHECK_FALSE(h.retains_grad());
  h.retain_grad();
  CHECK(h.retains_grad());
  auto plain = et::zeros({3});
  CHECK_THROWS_WITH_AS(plain.retain_grad(), engine_error("retain_grad without grad"), et::Error);
}

TEST_CASE("tensor: in-place ops refuse a leaf that requires grad, with PyTorch's message") {
  auto a = et::ones({2}).requires_grad_();
  const char* msg = engine_error("in-place on leaf");
  CHECK_THROWS_WITH_AS(a.add_(1), msg, et::Error);
  CHECK_THROWS_WITH_AS(a.mul_(2.0), msg, et::Error);
  CHECK_THROWS_WITH_AS(a.zero_(), msg, et::Error);
  CHECK_THROWS_WITH_AS(a.copy_(et::zeros({2})), msg, et::Error);
  CHECK(a.to_vector() == std::vector<float>{1, 1});
  CHECK(a.version() == 0);
}

TEST_CASE_TEMPLATE("tensor: shape accessors", T, float, double) {
  auto t = et::zeros<T>({2, 3, 4});
  CHECK(t.dim() == 3);
  CHECK(t.numel() == 24);
  CHECK(t.size(0) == 2);
  CHECK(t.size(-1) == 4);
  CHECK(t.size(-3) == 2);
  CHECK(t.shape() == et::Size{2, 3, 4});
  CHECK(t.sizes() == t.shape());
  auto s = et::tensor<T>(1.5);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.shape() == et::Size{});
  auto e = et::zeros<T>({0, 3});
  CHECK(e.numel() == 0);
  CHECK(e.to_vector().empty());
}

TEST_CASE_TEMPLATE("tensor: item, to_vector and data", T, float, double) {
  auto t = et::tensor<T>({{1, 2, 3}, {4, 5, 6}});
  CHECK(t.to_vector() == std::vector<T>{1, 2, 3, 4, 5, 6});
  T* p = t.data();
  p[5] = 60;  // contiguous and writable
  CHECK(t.to_vector().back() == T(60));
  CHECK(t.sum().item() == T(75));
  CHECK(et::tensor<T>({2.5}).item() == T(2.5));
  CHECK(et::from_vector(std::vector<T>{-1}, {1, 1}).item() == T(-1));
  CHECK_THROWS_WITH_AS(t.item(), error_of("item on 6 elements").text, et::Error);
  CHECK_THROWS_WITH_AS(et::zeros<T>({0}).item(), error_of("item on 0 elements").text, et::Error);
  auto v = t.to_vector();
  v[0] = 100;  // a copy
  CHECK(t.data()[0] == T(1));
}

TEST_CASE_TEMPLATE("tensor: eigen() is a writable row-major view", T, float, double) {
  auto m = et::tensor<T>({{1, 2, 3}, {4, 5, 6}});
  auto view = m.eigen();
  CHECK(view.rows() == 2);
  CHECK(view.cols() == 3);
  CHECK(view(0, 2) == T(3));
  CHECK(view(1, 0) == T(4));
  view(1, 2) = 60;
  CHECK(m.to_vector()[5] == T(60));
  CHECK(view.data() == m.data());

  auto v = et::tensor<T>({7, 8, 9});
  auto col = v.eigen();
  CHECK(col.rows() == 3);
  CHECK(col.cols() == 1);  // 1-D is n x 1
  col(1, 0) = 80;
  CHECK(v.to_vector() == std::vector<T>{7, 80, 9});
  col *= T(2);
  CHECK(v.to_vector() == std::vector<T>{14, 160, 18});

  auto s = et::tensor<T>(4.0);
  CHECK(s.eigen().rows() == 1);
  CHECK(s.eigen().cols() == 1);
  CHECK(s.eigen()(0, 0) == T(4));

  // Eigen arithmetic on the view: (2x3) * (3x1)
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> prod = m.eigen() * et::tensor<T>({1, 0, 1}).eigen();
  CHECK(prod(0, 0) == T(4));
  CHECK(prod(1, 0) == T(64));
  CHECK_THROWS_AS(et::zeros<T>({2, 2, 2}).eigen(), et::Error);

  // The view shares storage with every handle and view of the tensor.
  auto r = m.reshape({3, 2});
  CHECK(r.eigen()(2, 1) == T(60));
}

TEST_CASE("tensor: a view op shares storage, writes through one show through the other") {
  auto a = et::tensor({{1, 2, 3}, {4, 5, 6}});
  auto r = a.reshape({-1});
  auto v = a.view({3, 2});
  auto u = a.unsqueeze(0);
  CHECK(r.data() == a.data());
  CHECK(v.data() == a.data());
  CHECK(u.data() == a.data());
  r.data()[0] = 9;
  CHECK(a.to_vector()[0] == 9.0f);
  CHECK(v.shape() == et::Size{3, 2});
  CHECK(u.shape() == et::Size{1, 2, 3});
}

TEST_CASE("tensor: reshape and view of impossible shapes throw PyTorch's messages") {
  auto t = et::zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.reshape({4, 2}), error_of("reshape({4, 2}) of 6").text, et::Error);
  CHECK_THROWS_WITH_AS(t.view({5, -1}), error_of("view({5, -1}) of 6").text, et::Error);
  CHECK_THROWS_WITH_AS(t.view({-1, -1}), error_of("view({-1, -1})").text, et::Error);
  CHECK_THROWS_WITH_AS(t.reshape({-2, 3}), error_of("reshape({-2, 3})").text, et::Error);
  CHECK_THROWS_WITH_AS(t.reshape({0, -1}), error_of("reshape({0, -1}) of 6").text, et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({2, 2, 2}).t(), error_of("t() of 3-d").text, et::Error);
  CHECK(t.reshape({3, -1}).shape() == et::Size{3, 2});
  CHECK(t.view({-1}).shape() == et::Size{6});
}

TEST_CASE("tensor: dims out of range throw IndexError with PyTorch's message") {
  auto t = et::zeros({2, 3});
  const auto check_index_error = [](const char* key) {
    const std::string name = key;
    CAPTURE(name);
    CHECK(std::string(error_of(key).kind) == "IndexError");
  };
  for (const char* key : {"size(2) of 2-d", "size(-3) of 2-d", "sum(-3) of 2-d", "mean(2) of 2-d", "unsqueeze(3) of 2-d",
                          "unsqueeze(-4) of 2-d", "squeeze(2) of 2-d", "transpose(0, 2) of 2-d", "sum(1) of 0-d"})
    check_index_error(key);
  CHECK_THROWS_WITH_AS(t.size(2), error_of("size(2) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.size(-3), error_of("size(-3) of 2-d").text, et::IndexError);
  // PyTorch: torch.tensor(1.).size(0) and .size(-1)
  CHECK_THROWS_WITH_AS(et::tensor(1.0f).size(0), "Dimension specified as 0 but tensor has no dimensions", et::IndexError);
  CHECK_THROWS_WITH_AS(et::tensor(1.0f).size(-1), "Dimension specified as -1 but tensor has no dimensions",
                       et::IndexError);
  CHECK_THROWS_WITH_AS(t.sum(-3), error_of("sum(-3) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.mean(2), error_of("mean(2) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.unsqueeze(3), error_of("unsqueeze(3) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.unsqueeze(-4), error_of("unsqueeze(-4) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.squeeze(2), error_of("squeeze(2) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(t.transpose(0, 2), error_of("transpose(0, 2) of 2-d").text, et::IndexError);
  CHECK_THROWS_WITH_AS(et::tensor(1.0).sum(1), error_of("sum(1) of 0-d").text, et::IndexError);
  CHECK_THROWS_AS(t.size(2), et::Error);  // an IndexError is an eigentorch::Error
  CHECK_THROWS_AS(t.size(2), std::exception);
}

TEST_CASE("tensor: every error is an eigentorch::Error, itself a std::runtime_error") {
  static_assert(std::is_base_of_v<et::Error, et::IndexError>);
  static_assert(std::is_base_of_v<et::Error, et::ValueError>);
  static_assert(std::is_base_of_v<std::runtime_error, et::Error>);
  CHECK_THROWS_AS(et::zeros({2, 3}).item(), std::runtime_error);
}

TEST_CASE("tensor: an undefined tensor throws on use instead of crashing") {
  et::Tensor<> undefined;
  CHECK_FALSE(undefined.defined());
  CHECK_THROWS_AS(undefined.numel(), et::Error);
  CHECK_THROWS_AS(undefined.data(), et::Error);
  CHECK_THROWS_AS(undefined.requires_grad(), et::Error);
  CHECK_THROWS_AS(undefined.grad(), et::Error);
  CHECK_THROWS_AS(undefined.backward(), et::Error);
  CHECK_THROWS_AS(undefined.item(), et::Error);
  et::Tensor<> grad = et::tensor({1.0}).grad();
  CHECK_THROWS_AS(grad.to_vector(), et::Error);
}

TEST_CASE("tensor: negative dimensions are refused at construction") {
  CHECK_THROWS_WITH_AS(et::Tensor<>(et::Size{-1, 2}), ref::find_text("factory:fill", "zeros({-1, 2})").text, et::Error);
}

TEST_CASE_TEMPLATE("tensor: a handle outlives the expression that made it", T, float, double) {
  et::Tensor<T> kept;
  const T* storage = nullptr;
  {
    auto a = et::tensor<T>({1, 2, 3}).requires_grad_();
    kept = (a * 2).sum();
    storage = a.data();
  }  // a's handle is gone; the graph keeps a alive
  CHECK(kept.item() == T(12));
  kept.backward();
  // NOTE: unlike PyTorch, the accumulator holds its leaf weakly (a strong hold can close a cycle,
  // see tests/reliability/deep_test.cpp), so a leaf nobody holds is gone and its gradient dropped.
  auto acc = std::dynamic_pointer_cast<et::autograd::AccumulateGrad<T>>(kept.grad_fn()->next[0]->next[0]);
  REQUIRE(acc != nullptr);
  CHECK(acc->variable.expired());
  (void)storage;
}
