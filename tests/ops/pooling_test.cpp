// Tests for ops/pooling.hpp: max_pool2d (values, indices, ties and NaN as PyTorch breaks them),
// max_pool1d, avg_pool2d (padding, ceil_mode, count_include_pad, divisor_override) and
// adaptive_avg_pool2d (windows that divide, that do not, that overlap; the 1x1 mean), values and
// gradients equal to PyTorch 1.13's bits in float and double (tests/reference/pooling_cases.hpp),
// node names, gradcheck in double, and every error message.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

// This file compiles the pooling reference tables for every test that reads them.
#define EIGENTORCH_POOLING_REFERENCE_TABLES
#include "reference/pooling_cases.hpp"

namespace {

namespace et = eigentorch;
using et::Tensor;
using et::ExpandingArray;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::pooling::table);  // compared bit for bit

struct MaxCase {
  const char* key;
  ExpandingArray<2> kernel, stride, padding, dilation;
  bool ceil_mode;
};
// as make_pooling_reference.py's MAX2D (stride {}: omitted, the kernel size)
const MaxCase kMax2d[] = {
    {"k2", 2, {}, 0, 1, false},
    {"k2_ceil", 2, {}, 0, 1, true},
    {"k3s1", 3, 1, 0, 1, false},
    {"k3s2p1", 3, 2, 1, 1, false},
    {"k3s2p1_ceil", 3, 2, 1, 1, true},
    {"k2s1p1", 2, 1, 1, 1, false},
    {"k2s2p1_ceil", 2, 2, 1, 1, true},
    {"rect", {2, 3}, {1, 2}, {1, 1}, {2, 1}, false},
    {"dil", 3, 1, 1, 2, true},
    {"unbatched", 2, {}, 0, 1, false},
    {"ties", 3, 1, 1, 1, false},
    {"ties_k2", 2, {}, 0, 1, false},
    {"nan", 2, 1, 0, 1, false},
    {"neg_inf", 3, 2, 1, 1, false},
    {"wide_nan", 2, {}, 0, 1, false},
    {"wide_nan_k3", 3, 1, 0, 1, false},
    {"wide_ties", 3, 2, 1, 1, true},
    {"wide_ties_k2", 2, {}, 0, 1, false},
    {"wide_neg_inf", 2, {}, 0, 1, false},
};

struct Max1dCase {
  const char* key;
  ExpandingArray<1> kernel, stride, padding, dilation;
  bool ceil_mode;
};
const Max1dCase kMax1d[] = {
    {"k2", 2, {}, 0, 1, false},      {"k3s2p1_ceil", 3, 2, 1, 1, true}, {"dil", 3, 1, 1, 2, false},
    {"unbatched", 2, 1, 0, 1, false}, {"ties", 3, 1, 1, 1, false},
};

struct AvgCase {
  const char* key;
  ExpandingArray<2> kernel, stride, padding;
  bool ceil_mode, count_include_pad;
  std::optional<int64_t> divisor;
};
const AvgCase kAvg2d[] = {
    {"k2", 2, {}, 0, false, true, std::nullopt},
    {"k3s1", 3, 1, 0, false, true, std::nullopt},
    {"k3s2p1", 3, 2, 1, false, true, std::nullopt},
    {"k3s2p1_nopad", 3, 2, 1, false, false, std::nullopt},
    {"k3s2p1_ceil", 3, 2, 1, true, true, std::nullopt},
    {"k3s2p1_ceil_nopad", 3, 2, 1, true, false, std::nullopt},
    {"k2_ceil", 2, {}, 0, true, true, std::nullopt},
    {"k2s1p1_div3", 2, 1, 1, false, true, 3},
    {"rect", {2, 3}, {1, 2}, {1, 1}, false, false, std::nullopt},
    {"unbatched", 2, {}, 0, false, true, std::nullopt},
};

struct AdaptiveCase {
  const char* key;
  ExpandingArray<2> output;
};
const AdaptiveCase kAdaptive[] = {{"divides", {2, 2}}, {"uneven", {3, 2}}, {"overlap", {4, 3}}, {"larger", {7, 3}},
                                  {"one", {1, 1}},     {"one_2d", 1},      {"unbatched", {2, 3}}};

/// y's values and x's gradient for the upstream gradient, against PyTorch's bits.
template <class T>
void check_run(const std::string& k, const Tensor<T>& x, const Tensor<T>& y) {
  CHECK(y.shape() == et::Size(ref.ints(k + ".y_shape")));
  y.backward(ref.tensor_of<T>(k + ".up", ref.ints(k + ".y_shape")));
  const std::string kd = k + "." + dname<T>();
  CHECK(ref.differing_bits(y, kd + ".y") == 0);
  CHECK(ref.differing_bits(x.grad(), kd + ".gx") == 0);
}

/// The indices against PyTorch's.
void check_indices(const Tensor<int64_t>& idx, const std::string& key) {
  CAPTURE(key);
  CHECK(idx.to_vector() == ref.ints(key));
}

}  // namespace

TEST_CASE_TEMPLATE("max_pool2d: values, indices and gradients equal PyTorch's (ties: the first maximum, NaN wins)", T,
                   float, double) {
  for (const MaxCase& c : kMax2d) {
    CAPTURE(c.key);
    const std::string k = std::string("max_pool2d.") + c.key;
    auto x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
    auto [y, idx] = et::ops::max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    CHECK(std::string(y.grad_fn()->name()) == "MaxPool2DWithIndicesBackward0");
    check_indices(idx, k + "." + dname<T>() + ".indices");
    CHECK(idx.shape() == y.shape());
    check_run(k, x, y);
    // the form without indices gives the same values
    CHECK(ref.differing_bits(et::ops::max_pool2d(x.detach(), c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode),
                         k + "." + dname<T>() + ".y") == 0);
  }
}

TEST_CASE_TEMPLATE("max_pool1d: values, indices and gradients equal PyTorch's, with and without autograd", T, float,
                   double) {
  for (const Max1dCase& c : kMax1d) {
    CAPTURE(c.key);
    const std::string k = std::string("max_pool1d.") + c.key, kd = k + "." + dname<T>();
    auto x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
    Tensor<T> y = et::ops::max_pool1d(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    CHECK(std::string(y.grad_fn()->name()) == ref.text(k + ".grad_fn"));  // SqueezeBackward1, as PyTorch's graph
    check_run(k, x, y);
    auto [y2, idx] = et::ops::max_pool1d_with_indices(x.detach(), c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    check_indices(idx, kd + ".indices");
    CHECK(idx.shape() == y2.shape());
    CHECK(ref.differing_bits(y2, kd + ".y") == 0);
  }
}

TEST_CASE_TEMPLATE("avg_pool2d: values and gradients equal PyTorch's for padding, ceil_mode, count_include_pad and "
                   "divisor_override", T, float, double) {
  for (const AvgCase& c : kAvg2d) {
    CAPTURE(c.key);
    const std::string k = std::string("avg_pool2d.") + c.key;
    auto x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
    Tensor<T> y = et::ops::avg_pool2d(x, c.kernel, c.stride, c.padding, c.ceil_mode, c.count_include_pad, c.divisor);
    CHECK(std::string(y.grad_fn()->name()) == "AvgPool2DBackward0");
    check_run(k, x, y);
  }
}

TEST_CASE_TEMPLATE("adaptive_avg_pool2d: values and gradients equal PyTorch's (windows that divide, that do not, that "
                   "overlap, the 1x1 mean)", T, float, double) {
  for (const AdaptiveCase& c : kAdaptive) {
    CAPTURE(c.key);
    const std::string k = std::string("adaptive_avg_pool2d.") + c.key;
    auto x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
    Tensor<T> y = et::ops::adaptive_avg_pool2d(x, c.output);
    CHECK(std::string(y.grad_fn()->name()) == ref.text(k + ".grad_fn"));
    check_run(k, x, y);
  }
}

TEST_CASE("pooling: gradcheck in double (max pooling on inputs without ties)") {
  et::manual_seed(11);
  const auto x4 = et::randn<double>({2, 2, 7, 6}).requires_grad_();
  const auto x3 = et::randn<double>({2, 6, 5}).requires_grad_();
  using In = const std::vector<Tensor<double>>&;
  for (const MaxCase& c : kMax2d) {
    CAPTURE(c.key);
    CHECK(et::autograd::gradcheck(
        [c](In in) { return et::ops::max_pool2d(in[0], c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode); }, {x4}));
  }
  CHECK(et::autograd::gradcheck([](In in) { return et::ops::max_pool2d(in[0], 2); }, {x3}));
  const auto x1 = et::randn<double>({2, 3, 11}).requires_grad_();
  for (const Max1dCase& c : kMax1d) {
    CAPTURE(c.key);
    CHECK(et::autograd::gradcheck(
        [c](In in) { return et::ops::max_pool1d(in[0], c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode); }, {x1}));
  }
  for (const AvgCase& c : kAvg2d) {
    CAPTURE(c.key);
    CHECK(et::autograd::gradcheck(
        [c](In in) {
          return et::ops::avg_pool2d(in[0], c.kernel, c.stride, c.padding, c.ceil_mode, c.count_include_pad, c.divisor);
        },
        {x4}));
  }
  for (const AdaptiveCase& c : kAdaptive) {
    CAPTURE(c.key);
    CHECK(et::autograd::gradcheck([c](In in) { return et::ops::adaptive_avg_pool2d(in[0], c.output); }, {x4}));
    CHECK(et::autograd::gradcheck([c](In in) { return et::ops::adaptive_avg_pool2d(in[0], c.output); }, {x3}));
  }
}

TEST_CASE("pooling: without autograd, no node, max_pool1d then allows an empty output as PyTorch does") {
  const Tensor<float> x = et::randn({1, 2, 6, 6});
  CHECK(et::ops::max_pool2d(x, 2).grad_fn() == nullptr);
  CHECK(et::ops::avg_pool2d(x, 2).grad_fn() == nullptr);
  CHECK(et::ops::adaptive_avg_pool2d(x, {2, 2}).grad_fn() == nullptr);
  {
    et::NoGradGuard no_grad;
    CHECK(et::ops::max_pool2d(x.detach().requires_grad_(), 2).grad_fn() == nullptr);
  }
  const Tensor<float> y = et::ops::max_pool1d(et::zeros({1, 1, 2}), 3);
  CHECK(y.shape() == et::Size{1, 1, 0});
  // a batch of none is fine
  CHECK(et::ops::max_pool2d(et::zeros({0, 1, 4, 4}), 2).shape() == et::Size{0, 1, 2, 2});
  CHECK(et::ops::adaptive_avg_pool2d(et::zeros({0, 1, 4, 4}), {2, 2}).shape() == et::Size{0, 1, 2, 2});
}

TEST_CASE("pooling: PyTorch's error messages") {
  const auto z = [](std::vector<int64_t> s) { return et::zeros(et::Size(std::move(s))); };
  const auto zg = [](std::vector<int64_t> s) { return et::zeros(et::Size(std::move(s))).requires_grad_(); };
  namespace ops = et::ops;
#define ET_CHECK_ERR(expr, key, E) CHECK_THROWS_WITH_AS(expr, ref.text("err." key).c_str(), E)
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 2, 2}), 3), "max_pool2d.too_small", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 4, 4}), 2, {}, 0, 4), "max_pool2d.too_small_dilation", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 1, 1}), 2, {}, 0, 10), "max_pool2d.negative_size", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 1}), 2, {}, 0, 10), "max_pool1d.negative_size", et::Error);
  // absurd sizes overflow nothing
  CHECK_THROWS_AS(ops::max_pool2d(z({1, 1, 4, 4}), int64_t{1} << 40), et::Error);
  CHECK_THROWS_AS(ops::max_pool2d(z({1, 1, 4, 4}), 2, {}, 0, int64_t{1} << 62), et::Error);
  CHECK_THROWS_AS(ops::avg_pool2d(z({1, 1, 4, 4}), {2, std::numeric_limits<int64_t>::max()}), et::Error);
  CHECK(ops::max_pool2d(z({1, 1, 4, 4}), 2, int64_t{1} << 40).shape() == et::Size{1, 1, 1, 1});
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 3, {}, 2), "max_pool2d.pad_half", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), {5, 3}, {}, {2, 2}), "max_pool2d.pad_half_w", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, {}, -1), "max_pool2d.pad_negative", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({8, 8}), 2), "max_pool2d.dims", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 1, 8, 8}), 2), "max_pool2d.dims5", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 0, 8, 8}), 2), "max_pool2d.empty", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 0), "max_pool2d.stride_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, -1), "max_pool2d.stride_negative", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 0, 1), "max_pool2d.kernel_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, {}, 0, 0), "max_pool2d.dilation_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(zg({1, 1, 2}), 3), "max_pool1d.too_small_grad", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 3, {}, 2), "max_pool1d.pad_half", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(zg({1, 1, 8}), 3, {}, 2), "max_pool1d.pad_half_grad", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 1, 8}), 2), "max_pool1d.dims", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 0, 8}), 2), "max_pool1d.empty", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 0), "max_pool1d.kernel_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, -1), "max_pool1d.stride_negative", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, {}, 0, 0), "max_pool1d.dilation_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(zg({1, 1, 8}), 2, {}, 0, 0), "max_pool1d.dilation_zero_grad", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 2, 2}), 3), "avg_pool2d.too_small", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 3, {}, 2), "avg_pool2d.pad_half", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({8, 8}), 2), "avg_pool2d.dims", et::IndexError);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 1, 8, 8}), 2), "avg_pool2d.dims5", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 0, 1), "avg_pool2d.kernel_zero", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 0), "avg_pool2d.stride_zero", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 2, {}, 0, false, true, 0), "avg_pool2d.divisor_zero", et::Error);
  ET_CHECK_ERR(ops::adaptive_avg_pool2d(z({8, 8}), 2), "adaptive_avg_pool2d.dims", et::Error);
  ET_CHECK_ERR(ops::adaptive_avg_pool2d(z({1, 1, 0, 8}), 2), "adaptive_avg_pool2d.empty", et::Error);
  ET_CHECK_ERR(ops::adaptive_avg_pool2d(z({1, 1, 8, 8}), {-1, 2}), "adaptive_avg_pool2d.negative", et::Error);
  ET_CHECK_ERR(ops::adaptive_avg_pool2d(z({8}), 1), "adaptive_avg_pool2d.one_1d", et::IndexError);
  // a stride given as 0 is not an omitted one; size arguments of the wrong length
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, 0), "max_pool2d.stride_given_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), {1, 2, 3}), "max_pool2d.kernel_count", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, {1, 2, 3}), "max_pool2d.stride_count", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, {}, std::vector<int64_t>{}), "max_pool2d.padding_count", et::Error);
  ET_CHECK_ERR(ops::max_pool2d(z({1, 1, 8, 8}), 2, {}, 0, {1, 2, 3}), "max_pool2d.dilation_count", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, 0), "max_pool1d.stride_given_zero", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(zg({1, 1, 8}), 2, 0), "max_pool1d.stride_given_zero_grad", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), {1, 2}), "max_pool1d.kernel_count", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, {1, 2}), "max_pool1d.stride_count", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, {}, std::vector<int64_t>{}), "max_pool1d.padding_count", et::Error);
  ET_CHECK_ERR(ops::max_pool1d(z({1, 1, 8}), 2, {}, 0, {1, 2}), "max_pool1d.dilation_count", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 2, 0), "avg_pool2d.stride_given_zero", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), std::vector<int64_t>{}), "avg_pool2d.kernel_count", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 2, {1, 2, 3}), "avg_pool2d.stride_count", et::Error);
  ET_CHECK_ERR(ops::avg_pool2d(z({1, 1, 8, 8}), 2, {}, {1, 2, 3}), "avg_pool2d.padding_count", et::Error);
  ET_CHECK_ERR(ops::adaptive_avg_pool2d(z({1, 1, 8, 8}), {2}), "adaptive_avg_pool2d.count", et::Error);
  // a one-element list is the size for both dims
  CHECK(ops::max_pool2d(z({1, 1, 8, 8}), {2}).shape() == et::Size{1, 1, 4, 4});
#undef ET_CHECK_ERR
}
