// Tests of tensor/factories.hpp: tensor({...}) from nested lists of any arithmetic type, zeros / ones / full,
// arange / linspace, rand / randn / *_like and uniform_ / normal_ on the default generator after
// manual_seed, from_vector and from_eigen; values and printed text against PyTorch 1.13
// (reference/core_cases.hpp), errors with PyTorch's messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <algorithm>    // std::max
#include <cmath>        // std::abs
#include <cstdint>      // int64_t
#include <limits>
#include <string>
#include <type_traits>  // std::is_same_v
#include <vector>

#include "reference/core_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::testing::core_reference;

using eigentorch::testing::dtype_name;
using eigentorch::testing::hex;

std::string repr_of(const char* test, const char* key) {
  const ref::Text& t = ref::find_text(test, key);
  REQUIRE(std::string(t.kind) == "repr");
  return t.text;
}

const ref::Text& error_of(const char* test, const char* key) { return ref::find_text(test, key); }

/// actual equals PyTorch's result (test, key) in T: the shape and every bit of every value.
template <class T>
void check_exact(const et::Tensor<T>& actual, const std::string& test, const std::string& key) {
  const std::string where = std::string(test) + " / " + key;
  CAPTURE(where);
  const ref::Array& e = ref::find_array(test, key, dtype_name<T>());
  CHECK(actual.shape() == et::Size(e.shape));
  const std::vector<T> want = ref::values_as<T>(e);
  const std::vector<T> got = actual.to_vector();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    const std::string bits = hex(got[i]) + " vs PyTorch's " + hex(want[i]);
    CAPTURE(bits);
    CHECK(got[i] == want[i]);
  }
}

/// actual is PyTorch's result to within a few roundings of the largest value of the range.
template <class T>
void check_within_rounding(const et::Tensor<T>& actual, const std::string& test, const std::string& key,
                           double start, double end) {
  const std::string where = test + " / " + key;
  CAPTURE(where);
  const ref::Array& e = ref::find_array(test, key, dtype_name<T>());
  CHECK(actual.shape() == et::Size(e.shape));
  const double atol = 4 * std::numeric_limits<T>::epsilon() * std::max(std::abs(start), std::abs(end));
  eigentorch::testing::check_allclose(actual.to_vector(), e.values, 0.0, atol);
}

/// The arguments stored for factory call #i of a test.
std::vector<double> args_of(const std::string& test, int i) {
  return ref::values_as<double>(ref::find_array(test, "args #" + std::to_string(i)));
}

int count_cases(const std::string& test) {
  int n = 0;
  for (const ref::Array& a : ref::kArrays)
    if (test == a.test && std::string(a.key).rfind("args #", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("factories: tensor() from lists of ints, doubles and both prints as PyTorch's") {
  const char* test = "factory:list";
  CHECK(et::repr(et::tensor({1, 2.5, -3})) == repr_of(test, "{1, 2.5, -3}"));
  CHECK(et::repr(et::tensor({1, 2, 3})) == repr_of(test, "ints {1, 2, 3}"));
  CHECK(et::repr(et::tensor({{1, 2}, {3, 4}})) == repr_of(test, "ints {{1, 2}, {3, 4}}"));
  CHECK(et::repr(et::tensor({{1, 2.5}, {-3, 4}})) == repr_of(test, "mixed {{1, 2.5}, {-3, 4}}"));
  CHECK(et::repr(et::tensor<double>({0.1, 0.2})) == repr_of(test, "double {0.1, 0.2}"));
  CHECK(et::repr(et::tensor({{{1.0, 2}, {3, 4}}, {{5, 6}, {7, 8}}})) == repr_of(test, "3-d"));
  CHECK(et::repr(et::tensor(3.5)) == repr_of(test, "0-d 3.5"));

  check_exact(et::tensor<double>({0.1, 0.2}), test, "double {0.1, 0.2}");
  check_exact(et::tensor({0.1, 0.2}), test, "float {0.1, 0.2}");

  auto t = et::tensor({{1, 2, 3}, {4, 5, 6}});
  CHECK(t.shape() == et::Size{2, 3});
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK_FALSE(t.requires_grad());
  CHECK(t.is_leaf());
  auto mixed = et::tensor<double>({1, 2.5f, static_cast<int64_t>(3), 'A', true});
  CHECK(mixed.to_vector() == std::vector<double>{1, 2.5, 3, 65, 1});
  auto zero_d = et::tensor<double>(7);
  CHECK(zero_d.dim() == 0);
  CHECK(zero_d.item() == 7.0);
}

TEST_CASE("factories: ragged lists throw ValueError with PyTorch's message") {
  const char* test = "factory:list";
  CHECK(std::string(error_of(test, "ragged 2-d").kind) == "ValueError");
  CHECK_THROWS_WITH_AS(et::tensor({{1.0, 2.0}, {3.0}}), error_of(test, "ragged 2-d").text, et::ValueError);
  CHECK_THROWS_WITH_AS(et::tensor({{1.0}, {2.0, 3.0}}), error_of(test, "ragged 2-d long").text, et::ValueError);
  CHECK_THROWS_WITH_AS(et::tensor({{{1.0, 2.0}}, {{3.0, 4.0}, {5.0, 6.0}}}), error_of(test, "ragged 3-d").text,
                       et::ValueError);
  CHECK_THROWS_WITH_AS(et::tensor({{{1.0, 2.0}, {3.0, 4.0}}, {{5.0, 6.0}, {7.0}}}),
                       error_of(test, "ragged 3-d inner").text, et::ValueError);
  CHECK_THROWS_AS(et::tensor<double>({{1.0, 2.0}, {3.0}}), et::Error);  // a ValueError is an eigentorch::Error
}

TEST_CASE_TEMPLATE("factories: zeros, ones, full, empty and the *_like forms", T, float, double) {
  auto z = et::zeros<T>({2, 3});
  CHECK(z.shape() == et::Size{2, 3});
  CHECK(z.to_vector() == std::vector<T>(6, T(0)));
  CHECK(et::ones<T>({3}).to_vector() == std::vector<T>(3, T(1)));
  CHECK(et::full<T>({2, 2}, 3.5).to_vector() == std::vector<T>(4, T(3.5)));
  CHECK(et::full<T>({2}, -1).to_vector() == std::vector<T>(2, T(-1)));
  CHECK(et::empty<T>({4, 0}).numel() == 0);

  auto like = et::tensor<T>({{1, 2, 3}, {4, 5, 6}}).requires_grad_();
  CHECK(et::zeros_like(like).shape() == like.shape());
  CHECK(et::zeros_like(like).to_vector() == std::vector<T>(6, T(0)));
  CHECK(et::ones_like(like).to_vector() == std::vector<T>(6, T(1)));
  CHECK(et::full_like(like, 2.5).to_vector() == std::vector<T>(6, T(2.5)));
  CHECK(et::empty_like(like).shape() == like.shape());
  CHECK_FALSE(et::zeros_like(like).requires_grad());  // like PyTorch: *_like does not copy requires_grad
  CHECK_FALSE(et::ones_like(like).data() == like.data());
}

TEST_CASE("factories: zeros, ones and full print as PyTorch's") {
  const char* test = "factory:fill";
  CHECK(et::repr(et::zeros({2, 3})) == repr_of(test, "zeros({2, 3})"));
  CHECK(et::repr(et::ones({3})) == repr_of(test, "ones({3})"));
  CHECK(et::repr(et::full({2, 2}, 3.5)) == repr_of(test, "full({2, 2}, 3.5)"));
  CHECK(et::repr(et::full<double>({2}, -1)) == repr_of(test, "full<double>({2}, -1)"));
  CHECK(et::repr(et::zeros({0})) == repr_of(test, "zeros({0})"));
  CHECK(et::repr(et::zeros(et::Size{})) == repr_of(test, "zeros({})"));
  CHECK_THROWS_WITH_AS(et::zeros({-1, 2}), error_of(test, "zeros({-1, 2})").text, et::Error);
}

TEST_CASE_TEMPLATE("factories: arange matches PyTorch's values to rounding", T, float, double) {
  const std::string test = "factory:arange";
  const int n = count_cases(test);
  REQUIRE(n >= 5);
  for (int i = 0; i < n; ++i) {
    const std::vector<double> a = args_of(test, i);
    CAPTURE(i);
    check_within_rounding(et::arange<T>(a[0], a[1], a[2]), test, "#" + std::to_string(i), a[0], a[1]);
  }
}

// NOTE: PyTorch's CPU kernel fills blocks of 2 SIMD vectors (16 floats / 8 doubles) from
// base = start + step * i (one FMA, in double), then base + k * step (FMA, in T); the remaining
// tail is start + step * i (FMA). Bit-identical values need the same arithmetic.
TEST_CASE_TEMPLATE("factories: arange matches PyTorch's values bit for bit", T, float, double) {
  const std::string test = "factory:arange";
  check_exact(et::arange<T>(5), test, "arange(5)");
  check_exact(et::arange<T>(0), test, "arange(0)");
  const int n = count_cases(test);
  REQUIRE(n >= 5);
  for (int i = 0; i < n; ++i) {
    const std::vector<double> a = args_of(test, i);
    CAPTURE(a[0]);
    CAPTURE(a[1]);
    CAPTURE(a[2]);
    check_exact(et::arange<T>(a[0], a[1], a[2]), test, "#" + std::to_string(i));
  }
}

TEST_CASE("factories: arange prints and refuses bad steps as PyTorch does") {
  const char* test = "factory:arange";
  CHECK(et::repr(et::arange(5)) == repr_of(test, "arange(5)"));
  CHECK(et::repr(et::arange(0.0, 1.0, 0.1)) == repr_of(test, "arange(0.0, 1.0, 0.1)"));
  CHECK_THROWS_WITH_AS(et::arange(0.0, 1.0, 0.0), error_of(test, "step 0").text, et::Error);
  CHECK_THROWS_WITH_AS(et::arange(1.0, 0.0, 1.0), error_of(test, "wrong sign").text, et::Error);
}

TEST_CASE_TEMPLATE("factories: linspace with one step holds start, as PyTorch's", T, float, double) {
  const std::string test = "factory:linspace";
  for (int i = 0; i < count_cases(test); ++i) {
    const std::vector<double> a = args_of(test, i);
    if (a[2] != 1) continue;
    CAPTURE(a[0]);
    CAPTURE(a[1]);
    check_exact(et::linspace<T>(a[0], a[1], 1), test, "#" + std::to_string(i));
  }
  CHECK(et::linspace<T>(3, 5, 1).to_vector() == std::vector<T>{3});
}

TEST_CASE_TEMPLATE("factories: linspace matches PyTorch's values to rounding", T, float, double) {
  const std::string test = "factory:linspace";
  const int n = count_cases(test);
  REQUIRE(n >= 5);
  for (int i = 0; i < n; ++i) {
    const std::vector<double> a = args_of(test, i);
    if (a[2] == 1) continue;  // the test above
    CAPTURE(i);
    check_within_rounding(et::linspace<T>(a[0], a[1], static_cast<int64_t>(a[2])), test, "#" + std::to_string(i),
                          a[0], a[1]);
  }
}

// NOTE: PyTorch computes linspace's step in T (float for a float tensor), not in double, and fills
// blocks of 2 SIMD vectors from one base with FMAs, as arange does. eigentorch follows that scheme
// but does not reproduce every last bit (a few elements of long ranges differ by one ulp), so this
// checks to within rounding; both ends are exact.
TEST_CASE_TEMPLATE("factories: linspace matches PyTorch's values to rounding, ends exactly", T, float, double) {
  const std::string test = "factory:linspace";
  const int n = count_cases(test);
  REQUIRE(n >= 5);
  for (int i = 0; i < n; ++i) {
    const std::vector<double> a = args_of(test, i);
    CAPTURE(a[0]);
    CAPTURE(a[1]);
    CAPTURE(a[2]);
    const auto t = et::linspace<T>(a[0], a[1], static_cast<int64_t>(a[2]));
    check_within_rounding(t, test, "#" + std::to_string(i), a[0], a[1]);
    if (t.numel() > 0) CHECK(t.to_vector().front() == static_cast<T>(a[0]));
    if (t.numel() > 1) CHECK(t.to_vector().back() == static_cast<T>(a[1]));
  }
}

TEST_CASE("factories: linspace prints and refuses negative steps as PyTorch does") {
  const char* test = "factory:linspace";
  CHECK(et::repr(et::linspace(0.0, 1.0, 7)) == repr_of(test, "linspace(0.0, 1.0, 7)"));
  CHECK_THROWS_WITH_AS(et::linspace(0.0, 1.0, -1), error_of(test, "steps -1").text, et::Error);
}

namespace {

struct Draw {
  const char* op;  // rand, randn, rand_like, randn_like, uniform_, normal_
  et::Size shape;
  double a = 0.0, b = 0.0;
};

struct Sequence {
  const char* name;
  uint64_t seed;
  std::vector<Draw> draws;
};

// The calls tests/reference/make_core_reference.py made, each sequence right after its manual_seed.
const std::vector<Sequence>& random_sequences() {
  static const std::vector<Sequence> sequences = {
      {"rand [3] seed 0", 0, {{"rand", {3}}}},
      {"rand [2, 3] seed 42", 42, {{"rand", {2, 3}}}},
      {"rand [5, 7] seed 7", 7, {{"rand", {5, 7}}}},
      {"rand [] seed 3", 3, {{"rand", et::Size{}}}},
      {"randn [5] seed 0", 0, {{"randn", {5}}}},
      {"randn [4, 4] seed 0", 0, {{"randn", {4, 4}}}},
      {"randn [3, 7] seed 123", 123, {{"randn", {3, 7}}}},
      {"randn [1] seed 5", 5, {{"randn", {1}}}},
      {"randn then rand seed 9", 9, {{"randn", {3}}, {"randn", {5}}, {"rand", {2}}, {"randn", {17}}}},
      {"rand_like [2, 3] seed 11", 11, {{"rand_like", {2, 3}}}},
      {"randn_like [2, 3] seed 11", 11, {{"randn_like", {2, 3}}}},
      {"uniform_(-2, 3) [6] seed 4", 4, {{"uniform_", {6}, -2.0, 3.0}}},
      {"uniform_(-2, 3) [40] seed 4", 4, {{"uniform_", {40}, -2.0, 3.0}}},
      {"normal_(1.5, 0.5) [5] seed 8", 8, {{"normal_", {5}, 1.5, 0.5}}},
      {"normal_(-1, 2) [20] seed 8", 8, {{"normal_", {20}, -1.0, 2.0}}},
  };
  return sequences;
}

template <class T>
et::Tensor<T> draw(const Draw& d) {
  const std::string op = d.op;
  if (op == "rand") return et::rand<T>(d.shape);
  if (op == "randn") return et::randn<T>(d.shape);
  if (op == "rand_like") return et::rand_like(et::zeros<T>(d.shape));
  if (op == "randn_like") return et::randn_like(et::zeros<T>(d.shape));
  et::Tensor<T> t = et::empty<T>(d.shape);
  if (op == "uniform_") return t.uniform_(d.a, d.b);
  REQUIRE(op == "normal_");
  return t.normal_(d.a, d.b);
}

bool is_normal(const std::string& op) { return op == "randn" || op == "randn_like" || op == "normal_"; }

}  // namespace

TEST_CASE_TEMPLATE("factories: rand, randn, *_like, uniform_ and normal_ draw PyTorch's numbers after manual_seed",
                   T, float, double) {
  for (const Sequence& s : random_sequences()) {
    const std::string sequence = s.name;
    CAPTURE(sequence);
    et::manual_seed(s.seed);
    for (std::size_t i = 0; i < s.draws.size(); ++i) {
      const Draw& d = s.draws[i];
      CAPTURE(i);
      const et::Tensor<T> t = draw<T>(d);
      const std::string key = std::string(s.name) + " #" + std::to_string(i);
      // NOTE: PyTorch's float normal on 16 or more elements uses vectorised log and sin/cos, an ulp
      // or so from the C library's (see random_test.cpp); everything else is bit for bit.
      if (std::is_same_v<T, float> && is_normal(d.op) && t.numel() >= 16) {
        const ref::Array& e = ref::find_array("factory:random", key, dtype_name<T>());
        CHECK(t.shape() == et::Size(e.shape));
        eigentorch::testing::check_allclose(t.to_vector(), e.values, 1e-6, 1e-6);
      } else {
        check_exact(t, "factory:random", key);
      }
      CHECK_FALSE(t.requires_grad());
    }
  }
}

TEST_CASE("factories: uniform_ and normal_ refuse bad ranges with PyTorch's messages") {
  const char* test = "factory:random";
  auto t = et::empty({3});
  CHECK_THROWS_WITH_AS(t.uniform_(1, 0), error_of(test, "uniform_(1, 0)").text, et::Error);
  CHECK_THROWS_WITH_AS(t.uniform_(1.5, 0.25), error_of(test, "uniform_(1.5, 0.25)").text, et::Error);
  CHECK_THROWS_WITH_AS(t.normal_(0, -1), error_of(test, "normal_(0, -1)").text, et::Error);
  CHECK_THROWS_WITH_AS(t.normal_(0, -0.5), error_of(test, "normal_(0, -0.5)").text, et::Error);
}

TEST_CASE_TEMPLATE("factories: rand lies in 0 to 1 and uniform_ in from to to", T, float, double) {
  et::manual_seed(2024);
  for (T v : et::rand<T>({1000}).to_vector()) {
    CHECK(v >= T(0));
    CHECK(v < T(1));
  }
  for (T v : et::empty<T>({1000}).uniform_(-3, -2).to_vector()) {
    CHECK(v >= T(-3));
    CHECK(v < T(-2));
  }
}

TEST_CASE_TEMPLATE("factories: from_vector copies the values into the given shape", T, float, double) {
  std::vector<T> values{1, 2, 3, 4, 5, 6};
  auto t = et::from_vector(values, {2, 3});
  CHECK(t.shape() == et::Size{2, 3});
  CHECK(t.to_vector() == values);
  values[0] = 100;  // a copy: the tensor does not see it
  CHECK(t.to_vector()[0] == T(1));
  auto flat = et::from_vector(std::vector<T>{7, 8});
  CHECK(flat.shape() == et::Size{2});
  auto zero_d = et::from_vector(std::vector<T>{9}, et::Size{});
  CHECK(zero_d.dim() == 0);
  CHECK(zero_d.item() == T(9));
  CHECK_THROWS_WITH_AS(et::from_vector(std::vector<T>{1, 2, 3}, {2, 2}),
                       error_of("error:tensor", "from_vector 3 values as {2, 2}").text, et::Error);
}

TEST_CASE_TEMPLATE("factories: from_eigen copies a matrix or expression, rows x cols", T, float, double) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;  // column-major, unlike ours
  Matrix m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  auto t = et::from_eigen(m);
  static_assert(std::is_same_v<decltype(t), et::Tensor<T>>);
  CHECK(t.shape() == et::Size{2, 3});
  CHECK(t.to_vector() == std::vector<T>{1, 2, 3, 4, 5, 6});  // row-major, whatever m's layout
  m(0, 0) = 100;
  CHECK(t.to_vector()[0] == T(1));

  auto expr = et::from_eigen(m.transpose() * T(2));
  CHECK(expr.shape() == et::Size{3, 2});
  CHECK(expr.to_vector() == std::vector<T>{200, 8, 4, 10, 6, 12});

  Eigen::Matrix<T, 3, 1> v(1, 2, 3);
  CHECK(et::from_eigen(v).shape() == et::Size{3, 1});
  CHECK(et::from_eigen(Matrix(0, 4)).shape() == et::Size{0, 4});
}
