// Tests of tensor/print.hpp on real tensors: results of ops with their grad_fn, leaves, doubles, .grad
// after backward, lists of tensors and shapes must print as PyTorch 1.13 printed the same tensors
// (reference/core_cases.hpp). The number formatting itself is tested in tensor/format_test.cpp.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <sstream>  // std::ostringstream
#include <string>
#include <utility>  // std::pair
#include <vector>

#include "reference/core_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
namespace ref = eigentorch::testing::core_reference;

/// The stored input (test, key) as a Tensor<T> leaf.
template <class T = float>
et::Tensor<T> input(const char* test, const char* key, bool requires_grad = false) {
  const ref::Array& a = ref::find_array(test, key);
  et::Tensor<T> t = et::from_vector(ref::values_as<T>(a), et::Size(a.shape));
  t.requires_grad_(requires_grad);
  return t;
}

/// What PyTorch's print() showed for (test, key).
std::string expected(const char* test, const char* key) {
  const ref::Text& t = ref::find_text(test, key);
  REQUIRE(std::string(t.kind) == "repr");
  return t.text;
}

/// What `std::cout << x` shows.
template <class X>
std::string shown(const X& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

}  // namespace

TEST_CASE("print: nn.functional.linear, mse_loss and the gradients they leave") {
  const char* test = "print:linear";
  auto x = input(test, "x");
  auto w = input(test, "w", true);
  auto b = input(test, "b", true);
  auto y = F::linear(x, w, b);
  CHECK(shown(y) == expected(test, "y"));
  CHECK(et::repr(y) == expected(test, "y"));
  CHECK(shown(w) == expected(test, "w"));
  CHECK(shown(x) == expected(test, "x"));
  CHECK(shown(y.shape()) == expected(test, "y.shape"));

  auto loss = F::mse_loss(y, input(test, "target"));
  CHECK(shown(loss) == expected(test, "mse_loss"));
  loss.backward();
  CHECK(shown(w.grad()) == expected(test, "w.grad"));
  CHECK(shown(b.grad()) == expected(test, "b.grad"));
  CHECK(shown(x.grad()) == expected(test, "x.grad"));  // None
  CHECK(shown(std::vector<et::Tensor<>>{w.grad(), b.grad()}) == expected(test, "[w.grad, b.grad]"));
}

TEST_CASE("print: every kind of grad_fn names PyTorch's node") {
  const char* test = "print:ops";
  auto a = input(test, "a", true);
  auto c = input(test, "c");
  const std::vector<std::pair<const char*, et::Tensor<>>> cases = {
      {"a", a},
      {"a*c", a * c},
      {"a*2.5", a * 2.5},
      {"(a*c).sum()", (a * c).sum()},
      {"c.sum()", c.sum()},
      {"a.mean()", a.mean()},
      {"a.mean(1)", a.mean(1)},
      {"a.sum(0)", a.sum(0)},
      {"a.tanh()", a.tanh()},
      {"a.reshape(-1,1)", a.reshape({-1, 1})},
      {"a.view(3,2)", a.view({3, 2})},
      {"a.unsqueeze(0)", a.unsqueeze(0)},
      {"a.t()", a.t()},
      {"a.clone()", a.clone()},
      {"a.pow(2)", a.pow(2)},
      {"a/3", a / 3.0},
      {"a/c", a / c},
      {"1-a", 1 - a},
      {"a+c", a + c},
      {"a-c", a - c},
      {"-a", -a},
      {"a.detach()", a.detach()},
      {"c*2", c * 2},
  };
  for (const auto& [key, t] : cases) {
    const std::string name = key;
    CAPTURE(name);
    CHECK(shown(t) == expected(test, key));
  }
  CHECK(shown(a.sum().shape()) == expected(test, "a.sum().shape"));
  CHECK(shown(a.reshape({-1, 1}).shape()) == expected(test, "a.reshape(-1,1).shape"));
  CHECK(shown(a.unsqueeze(0).shape()) == expected(test, "a.unsqueeze(0).shape"));
  CHECK(shown(std::vector<et::Tensor<>>{a, a * c}) == expected(test, "[a, a*c]"));

  (a * c).sum().backward();
  CHECK(shown(a.grad()) == expected(test, "a.grad"));
}

TEST_CASE("print: double tensors show dtype=float64 before the grad_fn") {
  const char* test = "print:double";
  auto d = input<double>(test, "d", true);
  CHECK(shown(d) == expected(test, "d"));
  CHECK(shown(d.tanh()) == expected(test, "d.tanh()"));
  CHECK(shown(d.sum()) == expected(test, "d.sum()"));
  CHECK(shown(d.detach()) == expected(test, "d.detach()"));
  (d * d).sum().backward();
  CHECK(shown(d.grad()) == expected(test, "d.grad"));
}

TEST_CASE("print: leaves that require grad, 0-d and in lists") {
  const char* test = "print:leaf";
  auto s = input(test, "s").reshape({}).detach().requires_grad_();
  auto v = input(test, "v", true);
  CHECK(s.dim() == 0);
  CHECK(shown(s) == expected(test, "s"));
  CHECK(shown(v) == expected(test, "v"));
  CHECK(shown(std::vector<et::Tensor<>>{v, s}) == expected(test, "[v, s]"));
  CHECK(shown(std::vector<et::Tensor<>>{}) == expected(test, "[]"));
}

TEST_CASE("print: a wide result wraps its rows and keeps its grad_fn") {
  const char* test = "print:wide";
  auto x = input(test, "x", true);
  CHECK(shown(x.tanh()) == expected(test, "x.tanh()"));
  CHECK(shown(x * 1000) == expected(test, "x*1000"));
}

TEST_CASE("print: Size prints as torch.Size does") {
  const std::vector<std::pair<const char*, et::Size>> cases = {
      {"[]", et::Size{}}, {"[0]", et::Size{0}}, {"[3]", et::Size{3}}, {"[11, 1]", et::Size{11, 1}},
      {"[2, 3, 4]", et::Size{2, 3, 4}},
  };
  for (const auto& [key, size] : cases) {
    const std::string name = key;
    CAPTURE(name);
    CHECK(shown(size) == expected("print:size", key));
    CHECK(size.str() == expected("print:size", key));
  }
}

TEST_CASE("print: an undefined tensor prints None, as Python's None") {
  CHECK(shown(et::Tensor<>()) == "None");
  CHECK(shown(et::Tensor<double>()) == "None");
}
