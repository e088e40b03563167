// Tests for randint, randperm, bernoulli, bernoulli_, normal, multinomial (tensor/factories.hpp,
// tensor/random.hpp) and uniform_ / normal_ in double: PyTorch 1.13's numbers after the same
// manual_seed, from tests/reference/random2_cases.hpp, and its error messages.
#include <eigentorch/graph.hpp>
#include <eigentorch/tensor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // std::abs, std::nan
#include <cstdint>  // int64_t
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "reference/random2_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
using eigentorch::reference::Random2Case;

et::Size shape_of(int dim, const int64_t* s) { return dim == 0 ? et::Size{} : dim == 1 ? et::Size{s[0]} : et::Size{s[0], s[1]}; }

template <class T>
et::Tensor<T> input_of(const Random2Case& c) {
  const et::Size shape = shape_of(c.in_dim, c.in_shape);
  const double* v = et::reference::random2_inputs + c.in_offset;
  return et::from_vector(std::vector<T>(v, v + shape.numel()), shape);
}

bool is_int_op(const std::string& op) { return op == "randint" || op == "randperm" || op == "multinomial"; }

et::Tensor<int64_t> run_int(const Random2Case& c) {
  const std::string op = c.op;
  const et::Size shape = shape_of(c.out_dim, c.out_shape);
  if (op == "randint") return c.flag ? et::randint(c.i1, shape) : et::randint(c.i0, c.i1, shape);
  if (op == "randperm") return et::randperm(c.i0);
  if (c.is_double) return et::multinomial(input_of<double>(c), c.i0, c.flag);
  return et::multinomial(input_of<float>(c), c.i0, c.flag);
}

template <class T>
et::Tensor<T> run_float(const Random2Case& c) {
  const std::string op = c.op;
  const et::Size shape = shape_of(c.out_dim, c.out_shape);
  if (op == "bernoulli_") return et::empty<T>(shape).bernoulli_(c.x0);
  if (op == "bernoulli") return et::bernoulli(input_of<T>(c));
  if (op == "normal") return et::normal<T>(c.x0, c.x1, shape);
  if (op == "normal_mean") return et::normal(input_of<T>(c), c.x1);
  if (op == "normal_std") return et::normal(c.x0, input_of<T>(c));
  if (op == "normal_both") {
    const et::Tensor<T> mean = input_of<T>(c);
    std::vector<T> first_row(mean.data(), mean.data() + c.in_shape[1]);
    for (T& x : first_row) x = std::abs(x);
    return et::normal(mean, et::from_vector(first_row));
  }
  if (op == "uniform_") return et::empty<T>(shape).uniform_(c.x0, c.x1);
  REQUIRE(op == "normal_");
  return et::empty<T>(shape).normal_(c.x0, c.x1);
}

template <class T>
void check_values(const et::Tensor<T>& out, const Random2Case& c) {
  CHECK(out.shape() == shape_of(c.out_dim, c.out_shape));
  const std::vector<T> actual = out.to_vector();
  if constexpr (std::is_same_v<T, int64_t>) {
    const int64_t* e = et::reference::random2_ints + c.out_offset;
    CHECK(actual == std::vector<int64_t>(e, e + out.numel()));
  } else {
    const double* e = et::reference::random2_floats + c.out_offset;
    const std::vector<double> expected(e, e + out.numel());
    // NOTE: PyTorch's float normal_ on 16 or more elements uses avx_mathfun's log and sin/cos (see
    // random.hpp); everything else is bit for bit.
    if (std::is_same_v<T, float> && out.numel() >= 16 && std::string(c.op).find("normal") == 0) {
      et::testing::check_allclose(actual, expected, 1e-6, 1e-6);
      return;
    }
    for (std::size_t i = 0; i < actual.size(); ++i) {
      CAPTURE(i);
      CHECK(static_cast<double>(actual[i]) == expected[i]);
    }
  }
}

void check_case(const Random2Case& c) {
  const std::string op = c.op;
  CAPTURE(op);
  CAPTURE(c.seed);
  CAPTURE(c.is_double);
  CAPTURE(c.i0);
  CAPTURE(c.i1);
  CAPTURE(c.x0);
  CAPTURE(c.flag);
  et::manual_seed(c.seed);
  if (is_int_op(c.op)) check_values(run_int(c), c);
  else if (c.is_double) check_values(run_float<double>(c), c);
  else check_values(run_float<float>(c), c);
  // The generator advanced exactly as PyTorch's: its next draws are PyTorch's next draws.
  CHECK(et::rand<double>({1}).item() == c.next_rand);
  CHECK(et::randn<double>({1}).item() == c.next_randn);
}

std::string message(const std::string& name) {
  for (const auto& e : et::reference::random2_errors)
    if (name == e.name) return e.message;
  FAIL("no reference message named " << name);
  return "";
}

}  // namespace

TEST_CASE("random2: randint, randperm, bernoulli, normal, multinomial, uniform_ draw PyTorch's numbers") {
  for (const Random2Case& c : et::reference::random2_cases) check_case(c);
}

TEST_CASE("random2: a generator of one's own draws what the default one does after the same seed") {
  et::Generator g(42);
  std::vector<int64_t> mine(7), theirs(7);
  et::detail::fill_randint(mine.data(), 7, -3, 1000, g);
  et::manual_seed(42);
  et::detail::fill_randint(theirs.data(), 7, -3, 1000);
  CHECK(mine == theirs);
  g.seed(42);
  et::detail::fill_randperm(mine.data(), 7, g);
  et::manual_seed(42);
  CHECK(mine == et::randperm(7).to_vector());
}

TEST_CASE("random2: errors in PyTorch's words") {
  const std::map<std::string, std::function<void()>> calls = {
      {"randint equal", [] { et::randint(3, 3, {2}); }},
      {"randint reversed", [] { et::randint(5, 2, {2}); }},
      {"randint high 0", [] { et::randint(0, {2}); }},
      {"randperm negative", [] { et::randperm(-1); }},
      {"bernoulli_ p above 1", [] { et::empty({3}).bernoulli_(1.5); }},
      {"bernoulli_ p below 0", [] { et::empty({3}).bernoulli_(-0.1); }},
      {"bernoulli_ p nan", [] { et::empty({3}).bernoulli_(std::nan("")); }},
      {"bernoulli p tensor", [] { et::bernoulli(et::tensor({0.2, 1.5})); }},
      {"normal std", [] { et::normal(0.0, -1.0, {2}); }},
      {"normal mean tensor std", [] { et::normal(et::tensor({1.0}), -0.5); }},
      {"normal std tensor", [] { et::normal(1.0, et::tensor({1.0, -1.0})); }},
      {"normal std tensor nan", [] { et::normal(1.0, et::tensor({1.0, std::nan("")})); }},
      {"normal both std", [] { et::normal(et::ones({2}), et::tensor({1.0, -1.0})); }},
      {"normal both shapes", [] { et::normal(et::ones({2}), et::ones({3})); }},
      {"multinomial 3-d", [] { et::multinomial(et::ones({2, 2, 2}), 1); }},
      {"multinomial 0-d", [] { et::multinomial(et::tensor(0.5), 1); }},
      {"multinomial n 0", [] { et::multinomial(et::ones({3}), 0); }},
      {"multinomial n above", [] { et::multinomial(et::ones({3}), 4); }},
      {"multinomial categories", [] { et::multinomial(et::ones({(int64_t{1} << 24) + 1}), 1); }},
      {"multinomial negative", [] { et::multinomial(et::tensor({0.1, -1.0}), 1); }},
      {"multinomial inf", [] { et::multinomial(et::tensor({0.1, INFINITY}), 2); }},
      {"multinomial nan", [] { et::multinomial(et::tensor({0.1, std::nan("")}), 1); }},
      {"multinomial zero row", [] { et::multinomial(et::tensor({{1.0, 2.0}, {0.0, 0.0}}), 1); }},
      {"multinomial replacement negative", [] { et::multinomial(et::tensor({0.1, -1.0}), 2, true); }},
      {"multinomial replacement nan", [] { et::multinomial(et::tensor({0.1, std::nan("")}), 2, true); }},
      {"multinomial replacement inf", [] { et::multinomial(et::tensor({0.1, INFINITY}), 2, true); }},
      {"multinomial replacement zero", [] { et::multinomial(et::tensor({0.0, 0.0}), 2, true); }},
  };
  CHECK(calls.size() == std::size(et::reference::random2_errors));
  for (const auto& [name, call] : calls) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(call(), message(name).c_str(), et::Error);
  }
}

TEST_CASE("random2: a draw refused by a check before it draws leaves the generator alone") {
  et::manual_seed(9);
  const uint64_t stamp = et::default_generator().stamp();
  CHECK_THROWS_AS(et::randint(1, 1, {2}), et::Error);
  CHECK_THROWS_AS(et::empty({3}).bernoulli_(2.0), et::Error);
  CHECK_THROWS_AS(et::multinomial(et::tensor({0.0, 0.0}), 1), et::Error);
  CHECK(et::default_generator().stamp() == stamp);
}

TEST_CASE("random2: multinomial of no rows draws nothing, as PyTorch's") {
  et::manual_seed(1);
  const uint64_t stamp = et::default_generator().stamp();
  CHECK(et::multinomial(et::ones({0, 3}), 2).shape() == et::Size{0, 2});
  CHECK(et::default_generator().stamp() == stamp);
}

TEST_CASE("random2: bernoulli_ on int64 and bool tensors, 0 and 1 as PyTorch draws them") {
  et::manual_seed(5);
  const std::vector<float> expected = et::empty({9}).bernoulli_(0.4).to_vector();
  et::manual_seed(5);
  auto i = et::zeros<int64_t>({9});
  i.bernoulli_(0.4);
  et::manual_seed(5);
  auto b = et::zeros<bool>({9});
  b.bernoulli_(0.4);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    CHECK(i.to_vector()[k] == static_cast<int64_t>(expected[k]));
    CHECK(b.to_vector()[k] == (expected[k] == 1.0f));
  }
}

TEST_CASE("random2: results of tensors that require grad carry PyTorch's nodes, with zero gradients") {
  auto p = et::full<double>({3}, 0.5).requires_grad_();
  auto drawn = et::bernoulli(p);
  REQUIRE(drawn.grad_fn());
  CHECK(std::string(drawn.grad_fn()->name()) == "BernoulliBackward0");
  auto mean = et::normal(p, 1.0);
  CHECK(std::string(mean.grad_fn()->name()) == "NormalBackward1");
  auto std_ = et::normal(1.0, p);
  CHECK(std::string(std_.grad_fn()->name()) == "NormalBackward2");
  (drawn.sum() + mean.sum() + std_.sum()).backward();
  CHECK(p.grad().to_vector() == std::vector<double>{0, 0, 0});
  auto m = et::ones<double>({2, 3}).requires_grad_();
  auto both = et::normal(m, p);  // [2, 3] from means [2, 3] and deviations [3]
  CHECK(std::string(both.grad_fn()->name()) == "NormalBackward3");
  both.sum().backward();
  CHECK(m.grad().shape() == et::Size{2, 3});
  CHECK(m.grad().to_vector() == std::vector<double>(6, 0.0));
  CHECK(p.grad().to_vector() == std::vector<double>{0, 0, 0});

  auto x = et::ones<double>({2}).requires_grad_();
  auto y = x * 2.0;
  y.bernoulli_(0.5);
  CHECK(std::string(y.grad_fn()->name()) == "BernoulliBackward2");
  CHECK_THROWS_WITH_AS(x.bernoulli_(0.5), "a leaf Variable that requires grad is being used in an in-place operation.",
                       et::Error);
  CHECK_FALSE(et::bernoulli(et::full<double>({2}, 0.5)).requires_grad());
}

TEST_CASE("random2: draws are refused while a CPUGraph captures, drawing nothing") {
  const auto probs = et::tensor({0.2, 0.8});
  auto target = et::zeros({3});
  const std::vector<std::function<void()>> draws = {
      [] { et::randint(0, 10, {3}); },
      [] { et::randperm(4); },
      [&] { et::bernoulli(probs); },
      [&] { target.bernoulli_(0.5); },
      [] { et::normal(0.0, 1.0, {2}); },
      [&] { et::multinomial(probs, 1); },
  };
  for (std::size_t k = 0; k < draws.size(); ++k) {
    CAPTURE(k);
    const uint64_t stamp = et::default_generator().stamp();
    et::CPUGraph graph;
    graph.capture_begin();
    CHECK_THROWS_AS(draws[k](), et::Error);
    CHECK_THROWS_AS(graph.capture_end(), et::Error);
    CHECK(et::default_generator().stamp() == stamp);
  }
}
