// Tests for ops/linalg.hpp and detail/gemm.hpp: matmul in all its 1-D / 2-D / batched forms, mm, mv,
// dot, bmm and linear (F.linear, 1-D to 3-D input, with and without bias), against PyTorch 1.13
// (tests/reference/ops_cases.hpp). The tour's small layers must equal PyTorch's float output exactly.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <cstring>      // strcmp
#include <exception>
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

#include "ops/op_harness.hpp"
#include "reference/ops_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::reference;
namespace F = eigentorch::nn::functional;
using et::Tensor;

using namespace eigentorch::testing::ops_harness;  // ref_inputs, check_group, gradcheck_group, ...

// ---- the ops, by the names the reference script gives them -------------------------------------------


template <class T>
Tensor<T> run(std::vector<Tensor<T>>& in, const ref::OpCase& c) {
  const std::string op = c.op;
  if (op == "matmul") return et::matmul(in[0], in[1]);
  if (op == "mm") return et::mm(in[0], in[1]);
  if (op == "mv") return et::mv(in[0], in[1]);
  if (op == "dot") return et::dot(in[0], in[1]);
  if (op == "bmm") return et::bmm(in[0], in[1]);
  if (op == "linear") return F::linear(in[0], in[1]);
  if (op == "linear_bias") return F::linear(in[0], in[1], in[2]);
  FAIL("unknown op " << op);
  return {};
}

TEST_CASE_TEMPLATE("linalg: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  CHECK(check_group<T>("linalg", run<T>) >= 24);
}

TEST_CASE("linalg: gradcheck on matmul variants, mm, mv, dot, bmm and linear with and without bias") {
  CHECK(gradcheck_group("linalg", run<double>) >= 24);
}

TEST_CASE("linalg: the tour's layers and linear with a one-element bias equal PyTorch's float bits") {
  // The tour's two layers (11x1 by 13x1 transposed, 11x13 by 1x13 transposed): the outputs. A 0-d or
  // [1] bias is spread over every output: the output, and the bias gradient (the sum of all of the
  // output's gradient, in PyTorch's order).
  int checked = 0;
  for (const ref::OpCase& c : ref::op_cases) {
    if (!in_group<float>(c, "linalg") || !c.exact) continue;
    const std::string name = c.name;
    CAPTURE(name);
    std::vector<Tensor<float>> in = ref_inputs<float>(c);
    Tensor<float> out = run<float>(in, c);
    check_same_bits(out.to_vector(), ref_values(c.output));
    if (in.size() == 3 && in[2].numel() == 1) {
      out.backward(ref_tensor<float>(c.grad_output));
      CHECK(in[2].grad().shape() == in[2].shape());
      check_same_bits(in[2].grad().to_vector(), ref_values(c.grads[2]));
    }
    ++checked;
  }
  CHECK(checked == 5);
}

TEST_CASE_TEMPLATE("linalg: methods and free functions agree", T, float, double) {
  et::manual_seed(4);
  Tensor<T> a = et::randn<T>({3, 4}), b = et::randn<T>({4, 2}), w = et::randn<T>({2, 4}), bias = et::randn<T>({2});
  CHECK(a.mm(b).to_vector() == et::mm(a, b).to_vector());
  CHECK(et::ops::linear(a, w, bias).to_vector() == F::linear(a, w, bias).to_vector());
  // linear is x W^T + b
  et::testing::check_allclose(F::linear(a, w, bias).to_vector(), (et::mm(a, w.t()) + bias).to_vector(), 1e-5, 1e-6);
  CHECK(a.matmul(b).to_vector() == et::matmul(a, b).to_vector());
  CHECK(a.matmul(b).to_vector() == et::mm(a, b).to_vector());
}

// Products above detail::kSmallGemm multiply-adds go through Eigen's blocked kernel (or BLAS); each
// operand layout is a separate path there, so every (trans_a, trans_b) pair is checked, with and
// without bias, against sums formed in long double.
TEST_CASE_TEMPLATE("linalg: large products (blocked kernel) in every operand layout, with and without bias", T, float,
                   double) {
  const int64_t n = 67, m = 45, k = 53;  // 159 885 multiply-adds, odd sizes to exercise the edges
  static_assert(n * m * k > et::detail::kSmallGemm);
  et::manual_seed(11);
  const std::vector<T> a = et::randn<T>({n * k}).to_vector(), b = et::randn<T>({k * m}).to_vector();
  const std::vector<T> bias = et::randn<T>({m}).to_vector();
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-13;
  for (const bool trans_a : {false, true}) {
    for (const bool trans_b : {false, true}) {
      for (const bool with_bias : {false, true}) {
        CAPTURE(trans_a);
        CAPTURE(trans_b);
        CAPTURE(with_bias);
        std::vector<T> c(static_cast<std::size_t>(n * m), T(-7));  // overwritten, never accumulated into
        et::detail::gemm<T>(n, m, k, a.data(), trans_a, b.data(), trans_b, c.data(),
                            with_bias ? bias.data() : nullptr);
        std::vector<double> want(c.size());
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < m; ++j) {
            long double s = with_bias ? bias[static_cast<std::size_t>(j)] : 0;
            for (int64_t p = 0; p < k; ++p)
              s += static_cast<long double>(a[static_cast<std::size_t>(trans_a ? p * n + i : i * k + p)]) *
                   b[static_cast<std::size_t>(trans_b ? j * k + p : p * m + j)];
            want[static_cast<std::size_t>(i * m + j)] = static_cast<double>(s);
          }
        et::testing::check_allclose(c, want, tol, tol);
      }
    }
  }
}

TEST_CASE("linalg: a large linear layer's gradients (transposed blocked products) pass gradcheck") {
  et::manual_seed(12);
  Tensor<double> x = et::randn<double>({40, 35}).requires_grad_();
  Tensor<double> w = et::randn<double>({30, 35}).requires_grad_();
  Tensor<double> bias = et::randn<double>({30}).requires_grad_();
  static_assert(40 * 30 * 35 > et::detail::kSmallGemm);
  CHECK(et::autograd::gradcheck([](const std::vector<Tensor<double>>& in) { return F::linear(in[0], in[1], in[2]); },
                                {x, w, bias}));
}

TEST_CASE("linalg: shape mismatches throw PyTorch's messages") {
  et::manual_seed(0);
  auto r = [](et::Size s) { return et::randn(s); };
  CHECK_THROWS_WITH_AS(et::mm(r({2, 3}), r({4, 5})), torch_message("mm [2,3] [4,5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::mm(r({3}), r({3, 2})), torch_message("mm [3] [3,2]"), et::Error);
  CHECK_THROWS_WITH_AS(et::mm(r({2, 3}), r({3})), torch_message("mm [2,3] [3]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({3}), r({4})), torch_message("matmul [3] [4]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3}), r({4})), torch_message("matmul [2,3] [4]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({3}), r({4, 5})), torch_message("matmul [3] [4,5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3}), r({4, 5})), torch_message("matmul [2,3] [4,5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3, 4}), r({5, 6})), torch_message("matmul [2,3,4] [5,6]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3, 4}), r({5})), torch_message("matmul [2,3,4] [5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3, 4}), r({2, 5, 6})), torch_message("matmul [2,3,4] [2,5,6]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({2, 3, 4}), r({3, 4, 5})), torch_message("matmul [2,3,4] [3,4,5]"), et::Error);
  CHECK_THROWS_WITH_AS(et::matmul(r({}), r({2, 3})), torch_message("matmul 0-d [2,3]"), et::Error);
  CHECK_THROWS_WITH_AS(et::bmm(r({2, 3, 4}), r({2, 5, 6})), torch_message("bmm [2,3,4] [2,5,6]"), et::Error);
  CHECK_THROWS_WITH_AS(et::bmm(r({3, 4}), r({2, 4, 5})), torch_message("bmm [3,4] [2,4,5]"), et::Error);
  CHECK_THROWS_WITH_AS(F::linear(r({3, 2}), r({13, 1}), r({13})), torch_message("linear [3,2] [13,1]"), et::Error);
  CHECK_THROWS_WITH_AS(F::linear(r({3, 2}), r({13, 1})), torch_message("linear [3,2] [13,1] no bias"), et::Error);
  CHECK_THROWS_WITH_AS(F::linear(r({2}), r({13, 1}), r({13})), torch_message("linear [2] [13,1]"), et::Error);
  CHECK_THROWS_WITH_AS(F::linear(r({4, 3, 2}), r({13, 1}), r({13})), torch_message("linear [4,3,2] [13,1]"),
                       et::Error);
  CHECK_THROWS_WITH_AS(F::linear(r({3, 2}), r({4, 2}), r({5})), torch_message("linear bias [3,2] [4,2] [5]"),
                       et::Error);
}

}  // namespace

#ifdef EIGENTORCH_USE_BLAS
// The BLAS build of these tests (eigentorch_blas_tests in tests/CMakeLists.txt) interposes sgemm_ and
// dgemm_: each call is counted, then handed to the linked BLAS (the next definition, found with
// dlsym), so that the route itself is checked, not only the values the cases above check.
#include <dlfcn.h>  // dlsym, RTLD_NEXT

#include <atomic>

namespace {
std::atomic<int> blas_gemm_calls{0};

template <class Fn>
Fn next_blas(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" int sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
                      const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
                      const int* ldc) {
  using Fn = int (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                     const int*, const float*, const int*, const float*, float*, const int*);
  static const Fn next = next_blas<Fn>("sgemm_");
  ++blas_gemm_calls;
  return next ? next(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) : 0;
}

extern "C" int dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const double* alpha,
                      const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
                      const int* ldc) {
  using Fn = int (*)(const char*, const char*, const int*, const int*, const int*, const double*, const double*,
                     const int*, const double*, const int*, const double*, double*, const int*);
  static const Fn next = next_blas<Fn>("dgemm_");
  ++blas_gemm_calls;
  return next ? next(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) : 0;
}

namespace {

TEST_CASE_TEMPLATE("linalg: with EIGENTORCH_USE_BLAS, large products call the BLAS, small and one-row ones do not", T,
                   float, double) {
  REQUIRE_MESSAGE(next_blas<void*>(std::is_same_v<T, float> ? "sgemm_" : "dgemm_") != nullptr,
                  "the linked BLAS is not loaded: the interposers below have nothing to forward to");
  et::manual_seed(13);
  et::NoGradGuard no_grad;
  const auto a = et::randn<T>({67, 53}), b = et::randn<T>({53, 45});
  int before = blas_gemm_calls;
  const auto c = et::mm(a, b);
  CHECK(blas_gemm_calls == before + 1);
  CHECK(c.to_vector() == et::mm(a, b).to_vector());  // the same call, the same bits
  before = blas_gemm_calls;
  et::mm(et::randn<T>({2, 3}), et::randn<T>({3, 4}));   // small: the exact-order loops
  et::mm(et::randn<T>({1, 300}), et::randn<T>({300, 300}));  // one row: streamed (gemv.hpp)
  CHECK(blas_gemm_calls == before);
}

}  // namespace
#endif
