// Tests for backend/vector_math.hpp's exp and sum_lanes (softmax's): float e^x bit for bit equal to
// torch.exp's (SLEEF's expf_u10) on the edges and a spread of values (tests/reference/loss_cases.hpp,
// from make_loss_reference.py), the 16-wide block and the one-value form alike; the lanes' order of
// sums. (tanh_float is tested with the pointwise ops.)
#include <eigentorch/backend/vector_math.hpp>

#include <doctest/doctest.h>

#include <cmath>    // exp, isnan
#include <cstdint>  // int64_t
#include <vector>

#include "reference/loss_cases.hpp"

namespace {

namespace detail = eigentorch::detail;
namespace lr = eigentorch::testing::loss_reference;

std::vector<float> floats(const lr::TensorRef& r) {
  return std::vector<float>(lr::loss_values + r.offset, lr::loss_values + r.offset + r.shape[0]);
}

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || detail::bits<int32_t>(a) == detail::bits<int32_t>(b); }

}  // namespace

TEST_CASE("vector_math: float exp equals torch.exp bit for bit, in blocks of 16 and one value at a time") {
  const std::vector<float> x = floats(lr::exp_in), expected = floats(lr::exp_out);
  REQUIRE(x.size() == 2020);
  std::vector<float> y(x.size());
  detail::exp_values(x.data(), y.data(), static_cast<int64_t>(x.size()));
  int differ = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i]);
    if (!same(y[i], expected[i]) || !same(detail::exp_float(x[i]), expected[i])) ++differ;
  }
  CHECK(differ == 0);
  std::vector<float> in_place = x;  // y may be x
  detail::exp_values(in_place.data(), in_place.data(), static_cast<int64_t>(in_place.size()));
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(same(in_place[i], y[i]));
  const std::vector<double> xd{-700.0, -1.5, 0.0, 0.25, 709.0};
  std::vector<double> yd(xd.size());
  detail::exp_values(xd.data(), yd.data(), static_cast<int64_t>(xd.size()));
  for (std::size_t i = 0; i < xd.size(); ++i) CHECK(yd[i] == std::exp(xd[i]));
}

TEST_CASE("vector_math: sum_lanes adds as PyTorch's AVX2 reduce_all: 8 lanes, the tail into the first, then a tree") {
  // 2^-24 is half an ulp of 1: added to 1 alone it is lost; added to another 2^-24 first it counts.
  const float h = 1.0f / 16777216.0f;
  // lanes 0 and 4 meet first: (1 + h) + (0 + 0) ... loses h; lanes 1 and 5: h + h = 2^-23 survives
  const std::vector<float> v{1.0f, h, 0.0f, 0.0f, h, h, 0.0f, 0.0f};
  CHECK(detail::sum_lanes(v.data(), 8) == 1.0f + 2 * h);  // ((1 + h) + 0) + ((h + h) + 0) = 1 + 2h
  // fewer values than lanes: in order, ((1 + h) + h) = 1
  CHECK(detail::sum_lanes(v.data(), 3) == 1.0f);
  // a tail: the 9th value joins lane 0: (1 + h) rounds to 1, then the tree
  std::vector<float> w = v;
  w.push_back(h);
  CHECK(detail::sum_lanes(w.data(), 9) == 1.0f + 2 * h);
  CHECK(detail::sum_lanes(w.data(), 0) == 0.0f);
}
