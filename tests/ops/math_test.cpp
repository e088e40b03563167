// Tests for ops/math.hpp: values, signed zeros, gradients and grad_fn names of clamp, square, rsqrt,
// reciprocal, erfinv, sin, cos, log1p, expm1, log2, floor, ceil, round, sign, maximum and minimum against
// PyTorch 1.13 (tests/reference/math_cases.hpp), through both the method and the free function, in
// float and double; gradcheck on each in double; PyTorch's error messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // signbit
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>  // is_same_v
#include <utility>      // pair
#include <vector>

#include "reference/math_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference::math;
using et::Tensor;

template <class T>
using Fn = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&)>;  // y unused by one-input ops

/// The C++ spellings of each reference op, by the script's key: the method, then the free function.
template <class T>
std::map<std::string, std::pair<Fn<T>, Fn<T>>> ops() {
  using X = const Tensor<T>&;
  const double nan = NAN;
  const auto unary = [](Tensor<T> (Tensor<T>::*method)() const, Tensor<T> (*free)(X)) {
    return std::pair<Fn<T>, Fn<T>>{[method](X x, X) { return (x.*method)(); }, [free](X x, X) { return free(x); }};
  };
  return {
      {"clamp", {[](X x, X) { return x.clamp(-0.5, 1.0); }, [](X x, X) { return et::clamp(x, -0.5, 1.0); }}},
      {"clamp_only_min", {[](X x, X) { return x.clamp(-0.5); }, [](X x, X) { return et::clamp(x, -0.5, std::nullopt); }}},
      {"clamp_only_max", {[](X x, X) { return x.clamp(std::nullopt, 1); }, [](X x, X) { return et::clamp(x, std::nullopt, 1.0); }}},
      {"clamp_reversed", {[](X x, X) { return x.clamp(1.0, -0.5); }, [](X x, X) { return et::clamp(x, 1.0, -0.5); }}},
      {"clamp_nan_min", {[nan](X x, X) { return x.clamp(nan, 1.0); }, [nan](X x, X) { return et::clamp(x, nan, 1.0); }}},
      {"clamp_only_nan_min", {[nan](X x, X) { return x.clamp(nan); }, [nan](X x, X) { return et::clamp(x, nan); }}},
      {"clamp_min", {[](X x, X) { return x.clamp_min(-0.5); }, [](X x, X) { return et::clamp_min(x, -0.5); }}},
      {"clamp_max", {[](X x, X) { return x.clamp_max(1.0); }, [](X x, X) { return et::clamp_max(x, 1.0); }}},
      {"clamp_min_nan", {[nan](X x, X) { return x.clamp_min(nan); }, [nan](X x, X) { return et::clamp_min(x, nan); }}},
      {"clamp_max_nan", {[nan](X x, X) { return x.clamp_max(nan); }, [nan](X x, X) { return et::clamp_max(x, nan); }}},
      {"square", unary(&Tensor<T>::square, et::square<T>)},
      {"rsqrt", unary(&Tensor<T>::rsqrt, et::rsqrt<T>)},
      {"reciprocal", unary(&Tensor<T>::reciprocal, et::reciprocal<T>)},
      {"erfinv", unary(&Tensor<T>::erfinv, et::erfinv<T>)},
      {"sin", unary(&Tensor<T>::sin, et::sin<T>)},
      {"cos", unary(&Tensor<T>::cos, et::cos<T>)},
      {"log1p", unary(&Tensor<T>::log1p, et::log1p<T>)},
      {"expm1", unary(&Tensor<T>::expm1, et::expm1<T>)},
      {"log2", unary(&Tensor<T>::log2, et::log2<T>)},
      {"floor", unary(&Tensor<T>::floor, et::floor<T>)},
      {"ceil", unary(&Tensor<T>::ceil, et::ceil<T>)},
      {"round", unary(&Tensor<T>::round, et::round<T>)},
      {"sign", unary(&Tensor<T>::sign, et::sign<T>)},
      {"maximum", {[](X a, X b) { return a.maximum(b); }, [](X a, X b) { return et::maximum(a, b); }}},
      {"minimum", {[](X a, X b) { return a.minimum(b); }, [](X a, X b) { return et::minimum(a, b); }}},
  };
}

template <class T>
Tensor<T> from(const std::vector<double>& v, const std::vector<int64_t>& shape) {
  return et::from_vector(std::vector<T>(v.begin(), v.end()), et::Size(shape));
}

/// Values (allclose, nan equal to nan) and, where PyTorch's value is a zero, its sign.
template <class T>
void check_values(const Tensor<T>& actual, const std::vector<double>& expected) {
  const bool is_double = std::is_same_v<T, double>;
  const std::vector<T> got = actual.to_vector();
  et::testing::check_allclose(got, expected, is_double ? 1e-12 : 1e-5, is_double ? 1e-14 : 1e-6);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    if (expected[i] == 0) {
      CAPTURE(i);
      CHECK(std::signbit(got[i]) == std::signbit(expected[i]));
    }
}

}  // namespace

TEST_CASE_TEMPLATE("math: values, gradients and grad_fn names equal PyTorch's, method and function", T, float,
                   double) {
  const auto table = ops<T>();
  std::map<std::string, int> seen;
  for (const ref::Case& c : ref::cases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    const std::string name = c.name;
    CAPTURE(name);
    REQUIRE(table.count(c.op) == 1);
    const bool two = !c.y.empty();
    for (const Fn<T>& fn : {table.at(c.op).first, table.at(c.op).second}) {
      Tensor<T> x = from<T>(c.x, c.x_shape).requires_grad_();
      Tensor<T> y = two ? from<T>(c.y, c.y_shape).requires_grad_() : Tensor<T>();
      Tensor<T> out = fn(x, y);
      REQUIRE(out.grad_fn());
      CHECK(std::string(out.grad_fn()->name()) == c.grad_fn);
      CHECK(out.shape() == (two ? et::detail::broadcast_shapes(x.shape(), y.shape()) : x.shape()));
      check_values(out, c.output);
      out.backward(from<T>(c.grad_output, out.shape().vec()));
      REQUIRE(x.grad().defined());
      CHECK(x.grad().shape() == x.shape());
      check_values(x.grad(), c.grad_x);
      if (two) {
        REQUIRE(y.grad().defined());
        CHECK(y.grad().shape() == y.shape());
        check_values(y.grad(), c.grad_y);
      }
    }
    ++seen[c.op];
  }
  for (const auto& [op, fns] : table) {
    CAPTURE(op);
    CHECK(seen[op] >= 1);  // every C++ spelling has PyTorch's values
  }
}

TEST_CASE_TEMPLATE("math: without grad mode or requires_grad, no node", T, float, double) {
  const Tensor<T> x = from<T>({-1.5, 0.5, 2.5}, {3});
  for (const auto& [op, fns] : ops<T>()) {
    CAPTURE(op);
    CHECK(!fns.first(x, x).grad_fn());
    CHECK(!fns.second(x, x).requires_grad());
  }
  Tensor<T> w = from<T>({-1.5, 0.5, 2.5}, {3}).requires_grad_();
  et::NoGradGuard no_grad;
  CHECK(!et::sin(w).requires_grad());
  CHECK(!et::maximum(w, x).requires_grad());
}

TEST_CASE("math: gradcheck on every op in double") {
  // Points away from clamp's bounds, the integers and halves, and ties; positive for rsqrt, log1p, log2.
  const std::vector<double> x = {-1.3, -0.2, 0.4, 0.9, 2.1}, positive = {0.3, 0.8, 1.7, 4.2, 9.5};
  const std::vector<double> y = {0.1, -0.7, 1.1, 0.3, 2.5};
  const std::vector<double> inside = {-0.95, -0.4, 0.05, 0.6, 0.85};  // erfinv's domain
  int checked = 0;
  for (const auto& [op, fns] : ops<double>()) {
    // a nan bound: every value nan, or (clamp(min=nan)) x passed on with PyTorch's zero gradient
    if (op.find("nan") != std::string::npos) continue;
    CAPTURE(op);
    const bool pos = op == "rsqrt" || op == "log1p" || op == "log2";
    const bool two = op == "maximum" || op == "minimum";
    for (const Fn<double>& fn : {fns.first, fns.second}) {
      std::vector<Tensor<double>> in = {from<double>(op == "erfinv" ? inside : pos ? positive : x, {5}).requires_grad_()};
      if (two) in.push_back(from<double>(y, {5}).requires_grad_());
      CHECK(et::autograd::gradcheck(
          [&fn = fn, two](std::vector<Tensor<double>>& v) { return fn(v[0], two ? v[1] : v[0]); }, in));
    }
    // broadcasting: a (2, 1) against a (3,)
    if (two)
      CHECK(et::autograd::gradcheck([&fn = fns.first](std::vector<Tensor<double>>& v) { return fn(v[0], v[1]); },
                                    {from<double>({0.2, -0.4}, {2, 1}).requires_grad_(),
                                     from<double>({-1.0, 0.1, 0.5}, {3}).requires_grad_()}));
    ++checked;
  }
  CHECK(checked == 21);
}

TEST_CASE("math: errors carry PyTorch's messages") {
  const auto message = [](const char* key) -> std::string {
    for (const ref::Message& m : ref::errors)
      if (std::string(m.key) == key) {
        CHECK(std::string(m.type) == "RuntimeError");  // eigentorch's Error
        return m.message;
      }
    FAIL("no reference message " << key);
    return "";
  };
  const Tensor<float> t = et::zeros({3});
  const std::string none = message("clamp none");
  CHECK_THROWS_WITH_AS(et::clamp(t, std::nullopt), none.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::clamp(t, std::nullopt, std::nullopt), none.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(t.clamp(std::nullopt), none.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(t.clamp(std::nullopt, std::optional<double>()), none.c_str(), et::Error);
  const std::string max34 = message("maximum [3] [4]"), min232 = message("minimum [2,3] [2]");
  CHECK_THROWS_WITH_AS(et::maximum(t, et::zeros({4})), max34.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(t.maximum(et::zeros({4})), max34.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::minimum(et::zeros({2, 3}), et::zeros({2})), min232.c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::zeros<double>({2, 3}).minimum(et::zeros<double>({2})), min232.c_str(), et::Error);
}
