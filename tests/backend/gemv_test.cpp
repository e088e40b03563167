// Tests for backend/gemv.hpp: large products with a dimension of 1 (matrix times vector, vector times
// matrix, outer product), through detail::gemm in every operand layout and directly with padded row
// strides. Values against sums formed in long double; nothing outside C may be written. Like
// small_gemm_test.cpp, this file also runs in eigentorch_simd_tests (-march=native: other packets).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>    // abs
#include <cstdint>  // int64_t
#include <random>
#include <type_traits>  // is_same_v
#include <vector>

namespace {

template <class T>
std::vector<T> uniform_values(int64_t count, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

constexpr int64_t kGuard = 19;  // elements checked on each side of C
constexpr double kSentinel = -12345.0;

/// C (between guards) against the long double sums; `scale` is the sum of |terms| per element, so
/// that the bound follows the rounding of a long sum rather than its (possibly cancelled) value.
template <class T>
void check_product(const std::vector<T>& guarded, int64_t n, int64_t m, int64_t k, const std::vector<T>& a,
                   bool trans_a, const std::vector<T>& b, bool trans_b, const T* bias) {
  const double tol = std::is_same_v<T, float> ? 2e-6 : 4e-15;
  for (int64_t g = 0; g < kGuard; ++g) {
    CHECK(guarded[static_cast<std::size_t>(g)] == T(kSentinel));
    CHECK(guarded[static_cast<std::size_t>(kGuard + n * m + g)] == T(kSentinel));
  }
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      long double s = bias ? bias[j] : 0;
      long double scale = bias ? std::abs(static_cast<long double>(bias[j])) : 0;
      for (int64_t p = 0; p < k; ++p) {
        const long double t = static_cast<long double>(a[static_cast<std::size_t>(trans_a ? p * n + i : i * k + p)]) *
                              b[static_cast<std::size_t>(trans_b ? j * k + p : p * m + j)];
        s += t;
        scale += std::abs(t);
      }
      const double got = static_cast<double>(guarded[static_cast<std::size_t>(kGuard + i * m + j)]);
      if (std::abs(got - static_cast<double>(s)) > tol * static_cast<double>(scale) + 1e-30) {
        if (bad++ == 0) {
          CAPTURE(i);
          CAPTURE(j);
          CAPTURE(got);
          CHECK(got == static_cast<double>(s));
        }
      }
    }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE_TEMPLATE("gemv: large products with a dimension of 1, every layout, with and without bias", T, float,
                   double) {
  struct Shape {
    int64_t n, m, k;
  };
  // Each above detail::kSmallGemm multiply-adds; odd sizes so that vector tails and the row groups
  // of four all have leftovers.
  // {214, 1, 173}: row groups of four leave 2; {1, 3, 20000} and {5000, 1, 7}: shorter than a vector.
  const Shape shapes[] = {{251, 199, 1}, {211, 1, 173}, {214, 1, 173}, {1, 301, 157},  {1, 1, 40009},
                          {1, 33001, 1}, {33003, 1, 1}, {1, 3, 20000},  {5000, 1, 7}, {1, 2051, 3001}};
  std::mt19937 rng(7);
  for (const Shape& s : shapes) {
    REQUIRE(s.n * s.m * s.k > eigentorch::detail::kSmallGemm);
    const std::vector<T> a = uniform_values<T>(s.n * s.k, rng), b = uniform_values<T>(s.k * s.m, rng);
    const std::vector<T> bias = uniform_values<T>(s.m, rng);
    for (const bool trans_a : {false, true})
      for (const bool trans_b : {false, true})
        for (const bool with_bias : {false, true}) {
          CAPTURE(s.n);
          CAPTURE(s.m);
          CAPTURE(s.k);
          CAPTURE(trans_a);
          CAPTURE(trans_b);
          CAPTURE(with_bias);
          std::vector<T> c(static_cast<std::size_t>(s.n * s.m + 2 * kGuard), T(kSentinel));
          eigentorch::detail::gemm<T>(s.n, s.m, s.k, a.data(), trans_a, b.data(), trans_b, c.data() + kGuard,
                                      with_bias ? bias.data() : nullptr);
          check_product(c, s.n, s.m, s.k, a, trans_a, b, trans_b, with_bias ? bias.data() : nullptr);
        }
  }
}

TEST_CASE_TEMPLATE("gemv: the kernels honour row strides wider than the rows", T, float, double) {
  std::mt19937 rng(8);
  const int64_t rows = 23, cols = 37, ld = 45;  // padding between rows must be neither read into C nor written
  std::vector<T> mat = uniform_values<T>(rows * ld, rng);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = cols; j < ld; ++j) mat[static_cast<std::size_t>(i * ld + j)] = T(1e30f);  // poison
  const std::vector<T> xr = uniform_values<T>(cols, rng), xc = uniform_values<T>(rows, rng);

  std::vector<T> y(static_cast<std::size_t>(rows + 1), T(kSentinel));
  eigentorch::detail::gemv_rows<T>(rows, cols, mat.data(), ld, xr.data(), y.data());
  for (int64_t i = 0; i < rows; ++i) {
    long double s = 0;
    for (int64_t p = 0; p < cols; ++p) s += static_cast<long double>(mat[static_cast<std::size_t>(i * ld + p)]) * xr[static_cast<std::size_t>(p)];
    CHECK(static_cast<double>(y[static_cast<std::size_t>(i)]) == doctest::Approx(static_cast<double>(s)).epsilon(1e-5));
  }
  CHECK(y[static_cast<std::size_t>(rows)] == T(kSentinel));

  std::vector<T> z(static_cast<std::size_t>(cols + 1), T(kSentinel));
  eigentorch::detail::gevm_rows<T>(rows, cols, xc.data(), mat.data(), ld, z.data());
  for (int64_t j = 0; j < cols; ++j) {
    long double s = 0;
    for (int64_t p = 0; p < rows; ++p) s += static_cast<long double>(xc[static_cast<std::size_t>(p)]) * mat[static_cast<std::size_t>(p * ld + j)];
    CHECK(static_cast<double>(z[static_cast<std::size_t>(j)]) == doctest::Approx(static_cast<double>(s)).epsilon(1e-5));
  }
  CHECK(z[static_cast<std::size_t>(cols)] == T(kSentinel));
}

TEST_CASE("gemv: a batch of one through a wide Linear matches the same rows of a larger batch") {
  // Batch 1 takes the streaming kernels, batch 8 the blocked one: the same layer, to float rounding.
  eigentorch::manual_seed(21);
  eigentorch::nn::Linear<float> layer(300, 200);
  const std::vector<float> values = eigentorch::randn({8, 300}).to_vector();
  const eigentorch::Tensor<float> y8 = layer(eigentorch::from_vector(values, {8, 300}));
  for (int64_t r = 0; r < 8; ++r) {
    const std::vector<float> row(values.begin() + r * 300, values.begin() + (r + 1) * 300);
    const eigentorch::Tensor<float> y1 = layer(eigentorch::from_vector(row, {1, 300}));
    for (int64_t j = 0; j < 200; ++j)
      CHECK(y1.data()[j] == doctest::Approx(y8.data()[r * 200 + j]).epsilon(1e-5).scale(1.0));
  }
}

TEST_CASE_TEMPLATE("gemv: long sums round like blocked ones, not like one running sum", T, float, double) {
  // A million positive terms: one running sum (per vector lane, or per output) loses about k / L or k
  // ulps; stretches of kRun terms keep the error near kRun + k / kRun ulps (measured 1.7e-4 relative
  // before, about 1e-7 after, for float).
  const int64_t k = 1000000;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<T> a(static_cast<std::size_t>(k)), b(static_cast<std::size_t>(k));
  long double want = 0;
  for (int64_t p = 0; p < k; ++p) {
    a[static_cast<std::size_t>(p)] = static_cast<T>(u(rng));
    b[static_cast<std::size_t>(p)] = static_cast<T>(u(rng));
    want += static_cast<long double>(a[static_cast<std::size_t>(p)]) * b[static_cast<std::size_t>(p)];
  }
  const double tol = std::is_same_v<T, float> ? 5e-6 : 1e-14;
  for (const bool as_rows : {true, false}) {  // a dot product (gemv_rows), then B as k rows of 1 (gevm_rows)
    CAPTURE(as_rows);
    T c[1] = {T(kSentinel)};
    if (as_rows)
      eigentorch::detail::gemm<T>(1, 1, k, a.data(), false, b.data(), false, c);
    else
      eigentorch::detail::gevm_rows<T>(k, 1, a.data(), b.data(), 1, c);
    CHECK(std::abs(static_cast<double>(c[0]) - static_cast<double>(want)) <= tol * static_cast<double>(want));
  }
}
