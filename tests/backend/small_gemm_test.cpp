// Tests for backend/small_gemm.hpp through detail::gemm's small-product path: every element must be
// the exact fused multiply-add chain in k order (PyTorch's rounding), bit for bit, for every operand
// layout and for widths that fill, miss and overrun a vector; nothing outside C may be written.
// The suite runs this file twice: in the main test executable (the default flags, lane-by-lane code)
// and in eigentorch_simd_tests, compiled with -march=native (the vector code, where the host has
// AVX2 and FMA).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include "test_util.hpp"

#include <cmath>    // fma, ldexp
#include <cstdint>  // int64_t
#include <cstring>  // memcmp
#include <random>
#include <vector>

namespace {

using eigentorch::detail::gemm;
using eigentorch::detail::kSmallGemm;
using eigentorch::testing::hex;

/// Values of mixed signs and magnitudes (2^-6 to 2^6), so that the summation order shows in the bits.
template <class T>
std::vector<T> mixed_values(int64_t count, std::mt19937& rng) {
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-6, 6);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<T>(std::ldexp(mantissa(rng), exponent(rng)));
  return v;
}

/// The definition: C(i, j) = fma chain over p from fma(A(i, 0), B(0, j), +0), then + bias(j).
template <class T>
std::vector<T> reference(int64_t n, int64_t m, int64_t k, const std::vector<T>& a, bool trans_a,
                         const std::vector<T>& b, bool trans_b, const T* bias) {
  std::vector<T> c(static_cast<std::size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      T acc = T(0);
      for (int64_t p = 0; p < k; ++p) {
        const T aip = trans_a ? a[static_cast<std::size_t>(p * n + i)] : a[static_cast<std::size_t>(i * k + p)];
        const T bpj = trans_b ? b[static_cast<std::size_t>(j * k + p)] : b[static_cast<std::size_t>(p * m + j)];
        acc = std::fma(aip, bpj, acc);
      }
      c[static_cast<std::size_t>(i * m + j)] = bias ? acc + bias[j] : acc;
    }
  return c;
}

}  // namespace

TEST_CASE_TEMPLATE("small_gemm: every layout and width gives the exact k-order FMA chain, and writes only C", T,
                   float, double) {
  std::mt19937 rng(12345);
  constexpr int64_t kGuard = 64;  // sentinel elements on each side of C
  const T sentinel = T(-7.25);
  int64_t cases = 0;
  for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 17, 33})
    for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 24, 31, 32, 33, 40, 47, 64})
      for (int64_t k : {1, 2, 3, 11, 16, 17}) {
        if (n * m * k > kSmallGemm) continue;
        const auto a = mixed_values<T>(n * k, rng);
        const auto b = mixed_values<T>(k * m, rng);
        const auto bias = mixed_values<T>(m, rng);
        for (int layout = 0; layout < 8; ++layout) {
          const bool trans_a = layout & 1, trans_b = layout & 2, with_bias = layout & 4;
          const T* bias_ptr = with_bias ? bias.data() : nullptr;
          std::vector<T> c(static_cast<std::size_t>(n * m + 2 * kGuard), sentinel);
          gemm<T>(n, m, k, a.data(), trans_a, b.data(), trans_b, c.data() + kGuard, bias_ptr);
          const auto expected = reference<T>(n, m, k, a, trans_a, b, trans_b, bias_ptr);
          CAPTURE(n);
          CAPTURE(m);
          CAPTURE(k);
          CAPTURE(layout);
          for (int64_t g = 0; g < kGuard; ++g) {
            REQUIRE(c[static_cast<std::size_t>(g)] == sentinel);
            REQUIRE(c[static_cast<std::size_t>(kGuard + n * m + g)] == sentinel);
          }
          const T* got = c.data() + kGuard;
          for (int64_t i = 0; i < n * m; ++i) {
            if (std::memcmp(&got[i], &expected[static_cast<std::size_t>(i)], sizeof(T)) != 0) {
              CAPTURE(i);
              FAIL_CHECK("element differs: " << hex(got[i]) << " vs " << hex(expected[static_cast<std::size_t>(i)]));
              break;
            }
          }
          ++cases;
        }
      }
  CHECK(cases > 5000);
}

#if defined(EIGENTORCH_TEST_NATIVE) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
TEST_CASE("small_gemm: built for this host, the vector kernel is the one tested when the CPU has AVX2 and FMA") {
  const bool host_has_simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  CAPTURE(host_has_simd);
  CHECK(EIGENTORCH_SMALL_GEMM_SIMD == (host_has_simd ? 1 : 0));
}
#endif

TEST_CASE_TEMPLATE("small_gemm: a -0 product starts the sum at +0, and an empty sum is the bias", T, float, double) {
  const T a[2] = {T(-1), T(1)};
  const T b[2] = {T(0), T(0)};
  T c[2] = {T(9), T(9)};
  gemm<T>(2, 1, 1, a, false, b, false, c);  // (-1) * 0 = -0; fma(-1, 0, +0) = +0
  CHECK_FALSE(std::signbit(c[0]));
  CHECK_FALSE(std::signbit(c[1]));
  const T bias[3] = {T(1.5), T(-2), T(0.25)};
  T d[6] = {};
  gemm<T>(2, 3, 0, a, false, b, false, d, bias);
  for (int i = 0; i < 6; ++i) CHECK(d[i] == bias[i % 3]);
}
