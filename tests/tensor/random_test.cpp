// Tests for tensor/random.hpp: its draws against PyTorch 1.13's, from tests/reference/random_cases.hpp.
#include <eigentorch/tensor/random.hpp>

#include <doctest/doctest.h>

#include <algorithm>    // std::adjacent_find, std::sort
#include <cstdint>      // int64_t, uint64_t
#include <functional>   // std::ref
#include <string>
#include <thread>
#include <type_traits>  // std::is_same_v
#include <vector>

#include "reference/random_cases.hpp"
#include "test_util.hpp"

namespace {

using eigentorch::Generator;
using eigentorch::detail::fill_normal;
using eigentorch::detail::fill_uniform;
using eigentorch::reference::RandomStep;

bool is_normal_op(const std::string& op) { return op == "randn" || op == "normal"; }

template <class T>
std::vector<T> run_step(const RandomStep& step, Generator& g) {
  std::vector<T> out(static_cast<std::size_t>(step.n));
  const std::string op = step.op;
  if (op == "manual_seed") {
    g.seed(static_cast<uint64_t>(step.a));
  } else if (is_normal_op(op)) {
    fill_normal(out.data(), step.n, step.a, step.b, g);
  } else {
    fill_uniform(out.data(), step.n, step.a, step.b, g);
  }
  return out;
}

template <class T>
void check_step(const RandomStep& step, Generator& g) {
  const std::vector<T> actual = run_step<T>(step, g);
  const std::vector<double> expected(eigentorch::reference::random_values + step.offset,
                                     eigentorch::reference::random_values + step.offset + step.n);
  // NOTE: PyTorch's float normal_ on 16 or more elements uses avx_mathfun's log and sin/cos, an ulp
  // or so from the C library's; everything else must be bit for bit.
  if (std::is_same_v<T, float> && is_normal_op(step.op) && step.n >= 16) {
    eigentorch::testing::check_allclose(actual, expected, 1e-6, 1e-6);
    return;
  }
  for (std::size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(i);
    CHECK(static_cast<double>(actual[i]) == expected[i]);
  }
}

void run_sequence(const eigentorch::reference::RandomSequence& sequence, Generator& g) {
  for (int s = sequence.first_step; s < sequence.first_step + sequence.num_steps; ++s) {
    const RandomStep& step = eigentorch::reference::random_steps[s];
    CAPTURE(step.op);
    CAPTURE(step.is_double);
    CAPTURE(step.n);
    if (step.is_double) {
      check_step<double>(step, g);
    } else {
      check_step<float>(step, g);
    }
  }
}

}  // namespace

TEST_CASE("random: draws match PyTorch's, on a generator of one's own") {
  for (const auto& sequence : eigentorch::reference::random_sequences) {
    CAPTURE(sequence.name);
    Generator g;
    if (sequence.seeded) g.seed(sequence.seed);
    run_sequence(sequence, g);
  }
}

TEST_CASE("random: draws match PyTorch's, on the default generator after manual_seed") {
  for (const auto& sequence : eigentorch::reference::random_sequences) {
    if (!sequence.seeded) continue;
    CAPTURE(sequence.name);
    eigentorch::manual_seed(sequence.seed);
    CHECK(eigentorch::initial_seed() == sequence.seed);
    run_sequence(sequence, eigentorch::default_generator());
  }
}

TEST_CASE("random: a fresh generator starts from PyTorch's default seed") {
  CHECK(Generator().initial_seed() == 67280421310721ull);
  CHECK(Generator::default_seed == 67280421310721ull);
}

TEST_CASE("random: seeds differing by 2^32 draw the same numbers") {
  Generator low(7);
  Generator high((uint64_t{1} << 32) + 7);
  CHECK(high.initial_seed() == (uint64_t{1} << 32) + 7);
  std::vector<double> a(10), b(10);
  fill_uniform(a.data(), 10, 0.0, 1.0, low);
  fill_uniform(b.data(), 10, 0.0, 1.0, high);
  CHECK(a == b);
}

TEST_CASE_TEMPLATE("random: reseeding reproduces the draws and drops the cached normal", T, float,
                   double) {
  Generator g(123);
  std::vector<T> first(40), again(40), extra(2);
  fill_normal(first.data(), 3, 0.0, 1.0, g);
  fill_uniform(first.data() + 3, 20, -1.0, 1.0, g);
  fill_normal(first.data() + 23, 17, 0.0, 1.0, g);

  fill_normal(extra.data(), 2, 0.0, 1.0, g);  // takes the cached sample, then caches a new one
  g.seed(123);
  fill_normal(again.data(), 3, 0.0, 1.0, g);
  fill_uniform(again.data() + 3, 20, -1.0, 1.0, g);
  fill_normal(again.data() + 23, 17, 0.0, 1.0, g);
  CHECK(first == again);
}

TEST_CASE("random: bad arguments are refused with PyTorch's messages") {
  std::vector<float> x(4);
  CHECK_THROWS_WITH_AS(fill_uniform(x.data(), 4, 2.0, 1.0),
                       "uniform_ expects to return a [from, to) range, but found from=2 > to=1",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fill_normal(x.data(), 4, 0.0, -0.5),
                       "normal expects std >= 0.0, but found std -0.5", std::invalid_argument);
}

TEST_CASE("random: two threads sharing a generator draw the serial sequence between them") {
  // Every call holds the generator's lock, so however identical calls interleave, together they
  // draw exactly the numbers one thread would: nothing lost, nothing drawn twice.
  constexpr int kCalls = 5000;
  auto draw = [](Generator& g, bool normal, std::vector<double>& out) {
    for (int i = 0; i < kCalls; ++i) {
      double x = 0.0;
      if (normal) {
        fill_normal(&x, 1, 0.0, 1.0, g);  // the cached second sample is shared by the threads
      } else {
        fill_uniform(&x, 1, 0.0, 1.0, g);
      }
      out.push_back(x);
    }
  };
  for (const bool normal : {false, true}) {
    CAPTURE(normal);
    Generator shared(2024);
    std::vector<double> a, b;
    std::thread t1(draw, std::ref(shared), normal, std::ref(a));
    std::thread t2(draw, std::ref(shared), normal, std::ref(b));
    t1.join();
    t2.join();

    Generator serial(2024);
    std::vector<double> expected;
    draw(serial, normal, expected);
    draw(serial, normal, expected);

    std::vector<double> actual = a;
    actual.insert(actual.end(), b.begin(), b.end());
    std::sort(actual.begin(), actual.end());
    std::sort(expected.begin(), expected.end());
    CHECK(actual == expected);
    CHECK(std::adjacent_find(actual.begin(), actual.end()) == actual.end());
  }
}
