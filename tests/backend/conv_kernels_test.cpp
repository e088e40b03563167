// Tests for backend/conv_kernels.hpp: the direct 3x3 kernels (forward, input gradient, weight
// gradient) against the im2col path of ops/conv.hpp and, in double, against sums formed in long
// double, over shapes that reach every branch: output channels fewer than a packet, a multiple of the
// packets and not; input channels above a pass (several passes over the tiles); rows narrower than a
// register tile, as wide and several tiles wide; padding 0, 1 and 2, unequal before and after; batch
// 1 and more. Like gemv_test.cpp, this file also runs in eigentorch_simd_tests (-march=native: other
// packets and register tiles). PyTorch's values through these kernels: tests/ops/conv_test.cpp.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <stdexcept>  // runtime_error
#include <type_traits>  // is_same_v
#include <vector>

#include "test_util.hpp"

namespace {

namespace det = eigentorch::detail;
using eigentorch::testing::check_allclose;

template <class T>
std::vector<T> normal_values(int64_t count, std::mt19937& rng) {
  std::normal_distribution<double> d(0.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

/// A stride-1 3x3 convolution: N, C, H, W, O and the zeros before and after each dim.
struct Shape {
  int64_t N, C, H, W, O, ph, pw, ah, aw;
};

det::ConvGeom geom_of(const Shape& s) {
  det::ConvGeom g;
  g.N = s.N, g.C = s.C, g.H = s.H, g.W = s.W, g.O = s.O, g.KH = 3, g.KW = 3, g.ph = s.ph, g.pw = s.pw;
  g.OH = s.H + s.ph + s.ah - 2;
  g.OW = s.W + s.pw + s.aw - 2;
  return g;
}

// (C = 350 makes several passes over the tiles for every instruction set; W = 40 and 27 several tiles
// per row; O = 1 and 3 leave most lanes empty.)
const Shape kShapes[] = {
    {2, 16, 6, 7, 20, 1, 1, 1, 1},  {1, 24, 4, 14, 16, 0, 0, 0, 0}, {3, 17, 5, 5, 33, 2, 2, 2, 2},
    {1, 16, 2, 27, 16, 1, 1, 1, 1}, {2, 40, 7, 40, 32, 1, 0, 2, 1}, {1, 350, 3, 6, 24, 1, 1, 1, 1},
    {2, 5, 3, 3, 1, 0, 2, 1, 0},    {1, 3, 9, 2, 3, 2, 1, 0, 2},    {2, 18, 1, 1, 19, 1, 1, 1, 1},
    {1, 64, 14, 14, 64, 0, 0, 0, 0}, {1, 16, 4, 5, 16, 3, 3, 3, 3},  // (padding 3: whole rows of zeros)
};

/// Long double sums of one sample's forward (y), as the definition writes them.
template <class T>
std::vector<long double> forward_sums(const Shape& s, const std::vector<T>& x, const std::vector<T>& w,
                                      const std::vector<T>& b) {
  const det::ConvGeom g = geom_of(s);
  std::vector<long double> y(static_cast<std::size_t>(s.N * s.O * g.OH * g.OW));
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t o = 0; o < s.O; ++o)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          long double acc = b[static_cast<std::size_t>(o)];
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t h = oh + i - s.ph, v = ow + j - s.pw;
                if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
                acc += static_cast<long double>(x[static_cast<std::size_t>(((n * s.C + c) * s.H + h) * s.W + v)]) *
                       w[static_cast<std::size_t>(((o * s.C + c) * 3 + i) * 3 + j)];
              }
          y[static_cast<std::size_t>(((n * s.O + o) * g.OH + oh) * g.OW + ow)] = acc;
        }
  return y;
}

/// The input's and the weight's gradients for the output gradient gy, in long double.
template <class T>
void backward_sums(const Shape& s, const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& gy,
                   std::vector<long double>& dx, std::vector<long double>& dw) {
  const det::ConvGeom g = geom_of(s);
  dx.assign(x.size(), 0.0L);
  dw.assign(w.size(), 0.0L);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t o = 0; o < s.O; ++o)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const long double gv = gy[static_cast<std::size_t>(((n * s.O + o) * g.OH + oh) * g.OW + ow)];
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t h = oh + i - s.ph, v = ow + j - s.pw;
                if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
                const auto xi = static_cast<std::size_t>(((n * s.C + c) * s.H + h) * s.W + v);
                const auto wi = static_cast<std::size_t>(((o * s.C + c) * 3 + i) * 3 + j);
                dx[xi] += gv * w[wi];
                dw[wi] += gv * x[xi];
              }
        }
}

}  // namespace

TEST_CASE_TEMPLATE("direct 3x3 kernels: forward, input and weight gradients equal im2col's (and long double sums)",
                   T, float, double) {
  // float: both ways round sums of up to 9 C terms of products of normal numbers
  const double tol = std::is_same_v<T, float> ? 2e-4 : 1e-12;
  std::mt19937 rng(5);
  CHECK(det::Direct3x3<T>::channels_per_pass(350) < 350);  // the passes are reached
  for (const Shape& s : kShapes) {
    const std::vector<int64_t> shape{s.N, s.C, s.H, s.W, s.O, s.ph, s.pw, s.ah, s.aw};
    CAPTURE(shape);
    const det::ConvGeom g = geom_of(s);
    const det::Conv3x3Shape d{s.N, s.C, s.H, s.W, s.O, g.OH, g.OW, s.ph, s.pw};
    const auto x = normal_values<T>(s.N * s.C * s.H * s.W, rng);
    const auto w = normal_values<T>(s.O * s.C * 9, rng);
    const auto b = normal_values<T>(s.O, rng);
    const auto gy = normal_values<T>(s.N * s.O * g.OH * g.OW, rng);
    // the outputs start as garbage: every element must be written
    std::vector<T> y(gy.size(), T(7)), y_ref(gy.size()), dx(x.size(), T(7)), dx_ref(x.size()), dw(w.size(), T(7)),
        dw_ref(w.size());
    det::direct3x3_forward(d, x.data(), w.data(), b.data(), y.data());
    det::conv_forward_im2col(g, true, x.data(), w.data(), b.data(), y_ref.data());
    check_allclose(y, y_ref, tol, tol);
    det::direct3x3_forward(d, x.data(), w.data(), static_cast<const T*>(nullptr), y.data());  // no bias
    det::conv_forward_im2col(g, false, x.data(), w.data(), b.data(), y_ref.data());
    check_allclose(y, y_ref, tol, tol);
    const bool input_direct = s.ph <= 2 && s.pw <= 2 && s.ah <= 2 && s.aw <= 2;  // (its precondition)
    if (input_direct) {
      det::direct3x3_backward_input(d, gy.data(), w.data(), dx.data());
      det::conv_backward_input_im2col(g, gy.data(), w.data(), dx_ref.data());
      check_allclose(dx, dx_ref, tol, tol);
    }
    det::direct3x3_backward_weight(d, x.data(), gy.data(), dw.data());
    det::conv_backward_weight_im2col(g, x.data(), gy.data(), dw_ref.data());
    check_allclose(dw, dw_ref, tol, tol);
    if constexpr (std::is_same_v<T, double>) {
      std::vector<long double> ly, ldx, ldw;
      det::direct3x3_forward(d, x.data(), w.data(), b.data(), y.data());
      ly = forward_sums(s, x, w, b);
      check_allclose(y, ly, 1e-12, 1e-12);
      backward_sums(s, x, w, gy, ldx, ldw);
      if (input_direct) check_allclose(dx, ldx, 1e-12, 1e-12);
      check_allclose(dw, ldw, 1e-12, 1e-12);
    }
  }
}

TEST_CASE("for_batch: every index once, with its thread's slot, an exception in a body reaches the caller") {
  std::vector<int> seen(10, 0);
  std::vector<int> slots(10, -1);
  det::for_batch(10, det::batch_threads(10), [&](int64_t i, int slot) {
    ++seen[static_cast<std::size_t>(i)];
    slots[static_cast<std::size_t>(i)] = slot;
  });
  CHECK(seen == std::vector<int>(10, 1));
  for (int slot : slots) CHECK((slot >= 0 && slot < det::batch_threads(10)));
  CHECK_THROWS_WITH_AS(det::for_batch(4, det::batch_threads(4),
                                      [](int64_t i, int) {
                                        if (i == 3) throw std::runtime_error("sample 3");
                                      }),
                       "sample 3", std::runtime_error);
}

#ifdef _OPENMP
TEST_CASE("direct 3x3 kernels and im2col inside a caller's OpenMP parallel region: each thread's own gradient") {
  // Inside a parallel region batch_threads gives 1: each call runs serially on its caller's thread,
  // whatever that thread's number in the caller's team (it once indexed the per-thread sums by it).
  const Shape s{2, 32, 5, 5, 32, 1, 1, 1, 1};
  const det::ConvGeom g = geom_of(s);
  const det::Conv3x3Shape d{s.N, s.C, s.H, s.W, s.O, g.OH, g.OW, s.ph, s.pw};
  std::mt19937 rng(9);
  const auto x = normal_values<float>(s.N * s.C * s.H * s.W, rng);
  const auto gy = normal_values<float>(s.N * s.O * g.OH * g.OW, rng);
  std::vector<float> want(static_cast<std::size_t>(s.O * s.C * 9));
  det::conv_backward_weight_im2col(g, x.data(), gy.data(), want.data());
  std::vector<std::vector<float>> direct(4, std::vector<float>(want.size())), im2col = direct;
#pragma omp parallel num_threads(4)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    det::direct3x3_backward_weight(d, x.data(), gy.data(), direct[t].data());
    det::conv_backward_weight_im2col(g, x.data(), gy.data(), im2col[t].data());
  }
  for (std::size_t t = 0; t < 4; ++t) {
    CAPTURE(t);
    check_allclose(direct[t], want, 2e-4, 2e-4);
    check_allclose(im2col[t], want, 2e-4, 2e-4);  // (outside the region the batch was split: other sums)
  }
}
#endif
