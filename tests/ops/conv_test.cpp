// Tests for ops/conv.hpp: conv1d and conv2d values and the gradients of input, weight and bias
// against PyTorch 1.13 in float and double (tests/reference/conv_cases.hpp) for every option that
// changes the arithmetic, the node names, gradcheck in double, the chunked products against one
// sample at a time, empty batches, and every error message.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>  // numeric_limits
#include <map>
#include <utility>  // pair
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

// This file compiles the convolutions' reference tables for every test that reads them.
#define EIGENTORCH_CONV_REFERENCE_TABLES
#include "reference/conv_cases.hpp"

namespace {

namespace et = eigentorch;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
// NOTE: PyTorch's float convolutions run on oneDNN, whose sums go in another order than a matrix
// product's: float is compared to a few of its roundings of the sums (up to 54 terms here); double,
// whose sums PyTorch makes with a BLAS product, to a few of double's.
const ReferenceTable ref(eigentorch::reference::conv::table, /*float*/ {2e-5, 2e-5}, /*double*/ {1e-12, 1e-12});
using eigentorch::testing::check_allclose;
using List = std::vector<int64_t>;

/// One reference case, with make_conv_reference.py's options: a number is a one-element list
/// (expanded over the dims as PyTorch expands it); `mode` is a padding string or empty.
struct Case {
  const char* key;
  int dims;
  List stride, padding;
  const char* mode;
  List dilation;
  int64_t groups;
  bool bias;
};

const Case kCases[] = {
    {"basic", 2, {1}, {0}, "", {1}, 1, true},
    {"pad1", 2, {1}, {1}, "", {1}, 1, true},
    {"pad2_nobias", 2, {1}, {2}, "", {1}, 1, false},
    {"stride2", 2, {2}, {1}, "", {1}, 1, true},
    {"stride_hw", 2, {2, 1}, {1, 0}, "", {1}, 1, true},
    {"dilation2", 2, {1}, {2}, "", {2}, 1, true},
    {"dilation_hw", 2, {1, 2}, {0, 1}, "", {1, 2}, 1, true},
    {"groups2", 2, {1}, {1}, "", {1}, 2, true},
    {"groups2_nobias", 2, {2, 1}, {1, 1}, "", {2, 1}, 2, false},
    {"depthwise", 2, {2}, {1}, "", {1}, 3, true},
    {"depthwise_mult", 2, {1}, {0}, "", {1}, 3, true},
    {"kernel_1x5", 2, {1}, {0, 2}, "", {1}, 1, true},
    {"pointwise", 2, {1}, {0}, "", {1}, 1, true},
    {"batch1", 2, {1}, {1}, "", {1}, 1, true},
    {"batch8", 2, {1}, {1}, "", {1}, 1, true},
    {"wide", 2, {1}, {1}, "", {1}, 1, true},
    {"stride3_big_pad", 2, {3}, {2}, "", {1}, 1, true},
    {"same", 2, {1}, {0}, "same", {1}, 1, true},
    {"same_even", 2, {1}, {0}, "same", {1}, 1, true},
    {"same_dilated", 2, {1}, {0}, "same", {3, 2}, 1, false},
    {"valid", 2, {1}, {0}, "valid", {1}, 1, true},
    {"unbatched", 2, {1}, {1}, "", {1}, 1, true},
    {"unbatched_groups", 2, {2}, {1}, "", {1}, 2, false},
    {"c1_basic", 1, {1}, {0}, "", {1}, 1, true},
    {"c1_options", 1, {2}, {2}, "", {2}, 1, true},
    {"c1_groups", 1, {1}, {1}, "", {1}, 2, false},
    {"c1_depthwise", 1, {1}, {2}, "", {1}, 3, true},
    {"c1_same_even", 1, {1}, {0}, "same", {1}, 1, true},
    {"c1_unbatched", 1, {1}, {1}, "", {1}, 1, true},
};

/// The case's convolution of x, w and b (b undefined without bias).
template <class T>
Tensor<T> run(const Case& c, const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  if (c.dims == 1) {
    const et::ConvPadding<1> padding = *c.mode ? et::ConvPadding<1>(c.mode) : et::ConvPadding<1>(c.padding);
    return et::ops::conv1d(x, w, b, c.stride, padding, c.dilation, c.groups);
  }
  const et::ConvPadding<2> padding = *c.mode ? et::ConvPadding<2>(c.mode) : et::ConvPadding<2>(c.padding);
  return et::ops::conv2d(x, w, b, c.stride, padding, c.dilation, c.groups);
}

/// The case's input and parameters (shapes from the reference: x's from its output's batch).
template <class T>
struct Inputs {
  Tensor<T> x, w, b;
};
template <class T>
Inputs<T> inputs_of(const Case& c, const List& x_shape, const List& w_shape) {
  const std::string k = c.key;
  Inputs<T> in;
  in.x = ref.tensor_of<T>(k + ".x", x_shape).requires_grad_();
  in.w = ref.tensor_of<T>(k + ".w", w_shape).requires_grad_();
  if (c.bias) in.b = ref.tensor_of<T>(k + ".b", {w_shape[0]}).requires_grad_();
  return in;
}

/// x's and w's shapes, as the script made them (kept beside the case names there).
const std::map<std::string, std::pair<List, List>> kShapes = {
    {"basic", {{2, 3, 5, 6}, {4, 3, 3, 3}}},
    {"pad1", {{2, 3, 5, 6}, {4, 3, 3, 3}}},
    {"pad2_nobias", {{1, 2, 6, 5}, {3, 2, 3, 3}}},
    {"stride2", {{2, 3, 7, 8}, {4, 3, 3, 3}}},
    {"stride_hw", {{2, 2, 9, 7}, {3, 2, 3, 2}}},
    {"dilation2", {{2, 2, 8, 9}, {3, 2, 3, 3}}},
    {"dilation_hw", {{1, 3, 7, 8}, {2, 3, 2, 3}}},
    {"groups2", {{2, 4, 6, 6}, {6, 2, 3, 3}}},
    {"groups2_nobias", {{3, 4, 5, 7}, {4, 2, 2, 3}}},
    {"depthwise", {{2, 3, 7, 6}, {3, 1, 3, 3}}},
    {"depthwise_mult", {{2, 3, 6, 6}, {6, 1, 3, 3}}},
    {"kernel_1x5", {{2, 2, 6, 9}, {3, 2, 1, 5}}},
    {"pointwise", {{3, 4, 5, 5}, {6, 4, 1, 1}}},
    {"batch1", {{1, 1, 8, 8}, {8, 1, 3, 3}}},
    {"batch8", {{8, 1, 8, 8}, {8, 1, 3, 3}}},
    {"wide", {{2, 6, 9, 9}, {10, 6, 3, 3}}},
    {"stride3_big_pad", {{2, 2, 5, 5}, {2, 2, 2, 2}}},
    {"same", {{2, 2, 5, 6}, {3, 2, 3, 3}}},
    {"same_even", {{2, 2, 5, 6}, {3, 2, 4, 3}}},
    {"same_dilated", {{1, 2, 6, 6}, {2, 2, 2, 3}}},
    {"valid", {{2, 2, 5, 6}, {3, 2, 3, 3}}},
    {"unbatched", {{3, 5, 6}, {4, 3, 3, 3}}},
    {"unbatched_groups", {{4, 6, 5}, {2, 2, 3, 2}}},
    {"c1_basic", {{2, 3, 10}, {4, 3, 3}}},
    {"c1_options", {{2, 2, 11}, {4, 2, 3}}},
    {"c1_groups", {{2, 4, 9}, {4, 2, 3}}},
    {"c1_depthwise", {{1, 3, 8}, {3, 1, 5}}},
    {"c1_same_even", {{2, 2, 7}, {3, 2, 4}}},
    {"c1_unbatched", {{3, 10}, {4, 3, 3}}},
};

template <class T>
Inputs<T> inputs_of(const Case& c) {
  const auto& [xs, ws] = kShapes.at(c.key);
  return inputs_of<T>(c, xs, ws);
}

}  // namespace

TEST_CASE_TEMPLATE("conv1d / conv2d: values and the gradients of input, weight and bias equal PyTorch's", T, float,
                   double) {
  for (const Case& c : kCases) {
    const std::string k = c.key, kd = k + "." + dname<T>();
    CAPTURE(k);
    Inputs<T> in = inputs_of<T>(c);
    CHECK(ref.numbers(k + ".x").size() == static_cast<std::size_t>(in.x.numel()));
    CHECK(ref.numbers(k + ".w").size() == static_cast<std::size_t>(in.w.numel()));
    Tensor<T> y = run(c, in.x, in.w, in.b);
    CHECK(y.shape() == et::Size(ref.ints(k + ".y_shape")));
    REQUIRE(y.grad_fn());
    CHECK(std::string(y.grad_fn()->display_name()) == ref.text(k + ".node"));
    y.backward(ref.tensor_of<T>(k + ".up", ref.ints(k + ".y_shape")));
    ref.check(y, kd + ".y");
    ref.check(in.x.grad(), kd + ".gx");
    ref.check(in.w.grad(), kd + ".gw");
    if (c.bias) ref.check(in.b.grad(), kd + ".gb");
  }
}

TEST_CASE("conv1d / conv2d: gradcheck in double for every case") {
  for (const Case& c : kCases) {
    const std::string k = c.key;
    if (k == "batch8" || k == "wide") continue;  // larger copies of others
    CAPTURE(k);
    Inputs<double> in = inputs_of<double>(c);
    std::vector<Tensor<double>> args{in.x, in.w};
    if (c.bias) args.push_back(in.b);
    CHECK(et::autograd::gradcheck(
        [&c](const std::vector<Tensor<double>>& a) { return run(c, a[0], a[1], a.size() > 2 ? a[2] : Tensor<double>()); },
        args));
  }
}

TEST_CASE("conv2d: only the gradients asked for, the input alone, the weight alone") {
  const Case& c = kCases[1];  // pad1
  Inputs<double> in = inputs_of<double>(c);
  const auto up = ref.tensor_of<double>("pad1.up", ref.ints("pad1.y_shape"));
  Tensor<double> w = in.w.detach(), b = in.b.detach();
  run(c, in.x, w, b).backward(up);
  ref.check(in.x.grad(), "pad1.double.gx");
  Tensor<double> x = in.x.detach();
  run(c, x, in.w, b).backward(up);
  ref.check(in.w.grad(), "pad1.double.gw");
  CHECK_FALSE(x.grad().defined());
  et::NoGradGuard no_grad;
  CHECK_FALSE(run(c, in.x, in.w, in.b).grad_fn());
}

TEST_CASE("conv2d: batches unfolded in chunks (and one sample at a time) give what each sample gives alone") {
  // 40 samples of 16 x 16 x 16 with a 3x3 kernel unfold in two chunks (28 + 12); 2 samples of 64 x 45 x 45,
  // one at a time (their columns pass the chunk's size), the weight's gradient summed over the chunks.
  struct Big {
    List x, w;
    int64_t groups;
  };
  // (The weight's gradient is made as G cols^T, or as its transpose when a filter has more weights
  // than there are filters: the second case takes the first way.)
  for (const Big& big : {Big{{40, 16, 16, 16}, {8, 16, 3, 3}, 1}, Big{{40, 4, 32, 32}, {64, 4, 3, 3}, 1},
                         Big{{40, 16, 16, 16}, {8, 4, 3, 3}, 4}, Big{{2, 64, 45, 45}, {4, 64, 3, 3}, 1}}) {
    CAPTURE(big.x[0]);
    et::manual_seed(3);
    auto x = et::randn<double>(et::Size(big.x)).requires_grad_();
    auto w = et::randn<double>(et::Size(big.w)).requires_grad_();
    auto b = et::randn<double>({big.w[0]}).requires_grad_();
    Tensor<double> y = et::ops::conv2d(x, w, b, 1, 1, 1, big.groups);
    const auto up = et::randn<double>(y.shape());
    y.backward(up);
    Tensor<double> gw_sum, gb_sum;
    for (int64_t n = 0; n < big.x[0]; ++n) {
      auto xn = x.detach().narrow(0, n, 1).clone().requires_grad_();
      auto wn = w.detach().clone().requires_grad_();
      auto bn = b.detach().clone().requires_grad_();
      Tensor<double> yn = et::ops::conv2d(xn, wn, bn, 1, 1, 1, big.groups);
      yn.backward(up.narrow(0, n, 1).clone());
      check_allclose(yn.to_vector(), y.detach().narrow(0, n, 1).clone().to_vector(), 1e-12, 1e-12);
      check_allclose(xn.grad().to_vector(), x.grad().narrow(0, n, 1).clone().to_vector(), 1e-12, 1e-12);
      gw_sum = n == 0 ? wn.grad() : gw_sum + wn.grad();
      gb_sum = n == 0 ? bn.grad() : gb_sum + bn.grad();
    }
    check_allclose(w.grad().to_vector(), gw_sum.to_vector(), 1e-11, 1e-11);
    check_allclose(b.grad().to_vector(), gb_sum.to_vector(), 1e-11, 1e-11);
  }
}

namespace {

/// make_conv_reference.py's DIRECT cases (3x3, stride 1, >= 16 channels: the direct kernels of
/// backend/conv_kernels.hpp), their inputs drawn as the script draws them: after manual_seed(seed),
/// x, w, b and the output's gradient, in double. padding -1 is "same".
struct DirectCase {
  const char* key;
  uint64_t seed;
  List x, w;
  int64_t padding;
  bool bias, has_double;
};
const DirectCase kDirect[] = {
    {"direct_pad1", 31, {2, 16, 5, 7}, {20, 16, 3, 3}, 1, true, true},
    {"direct_valid_batch1", 32, {1, 24, 4, 14}, {16, 24, 3, 3}, 0, false, false},
    {"direct_same_wide", 33, {1, 16, 2, 27}, {16, 16, 3, 3}, -1, true, false},
};

template <class T>
Tensor<T> as(const Tensor<double>& t) {
  const auto v = t.to_vector();
  return et::from_vector(std::vector<T>(v.begin(), v.end()), t.shape());
}

/// The geometry conv2d gives a stride-1 3x3 convolution of x (shape) padded by p on every side.
et::detail::ConvGeom geom3x3(const List& x, int64_t O, int64_t p) {
  et::detail::ConvGeom g;
  g.N = x[0], g.C = x[1], g.H = x[2], g.W = x[3], g.O = O, g.KH = 3, g.KW = 3, g.ph = p, g.pw = p;
  g.OH = g.H + 2 * p - 2, g.OW = g.W + 2 * p - 2;
  return g;
}

}  // namespace

TEST_CASE_TEMPLATE("conv2d through the direct 3x3 kernels: values and the three gradients equal PyTorch's", T, float,
                   double) {
  for (const DirectCase& c : kDirect) {
    if (std::is_same_v<T, double> && !c.has_double) continue;
    const std::string k = c.key, kd = k + "." + dname<T>();
    CAPTURE(k);
    const et::detail::ConvDirect route = et::detail::conv_direct<T>(geom3x3(c.x, c.w[0], c.padding < 0 ? 1 : c.padding));
    CHECK((route.forward && route.input));  // (the weight's gradient too where a block of lanes fits in c.w[0])
    CHECK(route.weight == (c.w[0] >= et::detail::Direct3x3<T>::BWL));
    et::manual_seed(c.seed);
    const auto x0 = et::randn<double>(et::Size(c.x)), w0 = et::randn<double>(et::Size(c.w));
    const auto b0 = et::randn<double>({c.w[0]});
    const auto up0 = et::randn<double>(et::Size(ref.ints(k + ".y_shape")));
    auto x = as<T>(x0).requires_grad_(), w = as<T>(w0).requires_grad_();
    auto b = c.bias ? as<T>(b0).requires_grad_() : Tensor<T>();
    const et::ConvPadding<2> padding = c.padding < 0 ? et::ConvPadding<2>("same") : et::ConvPadding<2>(c.padding);
    Tensor<T> y = et::ops::conv2d(x, w, b, 1, padding);
    CHECK(y.shape() == et::Size(ref.ints(k + ".y_shape")));
    y.backward(as<T>(up0));
    ref.check(y, kd + ".y");
    ref.check(x.grad(), kd + ".gx");
    ref.check(w.grad(), kd + ".gw");
    if (c.bias) ref.check(b.grad(), kd + ".gb");
  }
}

TEST_CASE("conv2d through the direct 3x3 kernels: gradcheck in double") {
  // output channels a multiple of the packets and not, padding 0, 1, 2, batch 1 and 2
  struct Small {
    List x;
    int64_t O, padding;
    bool bias;
  };
  for (const Small& s : {Small{{2, 16, 3, 4}, 17, 1, true}, Small{{1, 16, 4, 3}, 16, 0, false},
                         Small{{1, 17, 2, 2}, 16, 2, true}}) {
    CAPTURE(s.x);
    const et::detail::ConvDirect route = et::detail::conv_direct<double>(geom3x3(s.x, s.O, s.padding));
    CHECK((route.forward && route.input));
    CHECK(route.weight == (s.O >= et::detail::Direct3x3<double>::BWL));
    et::manual_seed(9);
    std::vector<Tensor<double>> args{et::randn<double>(et::Size(s.x)).requires_grad_(),
                                     et::randn<double>({s.O, s.x[1], 3, 3}).requires_grad_()};
    if (s.bias) args.push_back(et::randn<double>({s.O}).requires_grad_());
    CHECK(et::autograd::gradcheck(
        [&s](const std::vector<Tensor<double>>& a) {
          return et::ops::conv2d(a[0], a[1], a.size() > 2 ? a[2] : Tensor<double>(), 1, s.padding);
        },
        args));
  }
}

TEST_CASE_TEMPLATE("conv2d: which parts take the direct 3x3 kernels", T, float, double) {
  using et::detail::conv_direct;
  const auto route = [](const et::detail::ConvGeom& g) {
    const et::detail::ConvDirect d = conv_direct<T>(g);
    return std::vector<bool>{d.forward, d.input, d.weight};
  };
  using V = std::vector<bool>;
  // the weight's gradient from a block of output channels in the lanes: as many as the instruction set has
  const int64_t lanes = et::detail::Direct3x3<T>::BWL;
  CHECK(route(geom3x3({64, 32, 14, 14}, 64, 0)) == V{true, true, 64 >= lanes});   // (b2)
  CHECK(route(geom3x3({32, 64, 32, 32}, 64, 1)) == V{true, true, 64 >= lanes});   // (c)
  CHECK(route(geom3x3({64, 1, 28, 28}, 32, 0)) == V{false, false, 32 >= lanes});  // (b1)
  CHECK(route(geom3x3({64, 1, 8, 8}, 8, 1)) == V{false, false, 8 >= lanes});      // (a)
  CHECK(route(geom3x3({2, 16, 8, 8}, 15, 1)) == V{false, false, 15 >= lanes});
  CHECK(route(geom3x3({2, 15, 8, 8}, 16, 1)) == V{false, false, 16 >= lanes});
  CHECK(route(geom3x3({2, 16, 8, 8}, 16, 3)) == V{true, false, 16 >= lanes});  // the input's gradient: 2 zeros at most
  et::detail::ConvGeom g = geom3x3({2, 16, 8, 8}, 16, 1);
  g.groups = 2;
  CHECK(route(g) == V{false, false, false});
  g = geom3x3({2, 16, 9, 9}, 16, 1);
  g.sh = 2, g.OH = 5;
  CHECK(route(g) == V{false, false, false});
  g = geom3x3({2, 16, 9, 9}, 16, 2);
  g.dw = 2, g.OW = 9;
  CHECK(route(g) == V{false, false, false});
  g = geom3x3({2, 16, 9, 9}, 16, 1);
  g.KW = 2, g.OW = 10;
  CHECK(route(g) == V{false, false, false});
}

TEST_CASE_TEMPLATE("conv2d: an empty batch gives an empty output and zero gradients for weight and bias", T, float,
                   double) {
  auto x = et::zeros<T>({0, 1, 5, 5}).requires_grad_();
  auto w = et::ones<T>({8, 1, 3, 3}).requires_grad_();
  auto b = et::ones<T>({8}).requires_grad_();
  Tensor<T> y = et::ops::conv2d(x, w, b);
  CHECK(y.shape() == et::Size{0, 8, 3, 3});
  y.sum().backward();
  CHECK(x.grad().shape() == et::Size{0, 1, 5, 5});
  CHECK(w.grad().to_vector() == std::vector<T>(72, T(0)));
  CHECK(b.grad().to_vector() == std::vector<T>(8, T(0)));
  // a kernel of zero size or a dilation of zero is only refused when there is something to convolve
  CHECK(et::ops::conv2d(x, w, b, 1, 0, {0, 2}).shape() == et::Size{0, 8, 5, 1});
}

TEST_CASE("conv1d / conv2d: PyTorch's errors, in its order") {
  using F = Tensor<float>;
  const auto z = [](et::Size s) { return et::zeros<float>(s); };
  const F none;
  const std::map<std::string, std::function<void()>> cases = {
      {"channels", [&] { et::ops::conv2d(z({64, 3, 8, 8}), z({8, 1, 3, 3})); }},
      {"kernel_too_big", [&] { et::ops::conv2d(z({1, 1, 2, 2}), z({8, 1, 3, 3})); }},
      {"kernel_too_big_1d", [&] { et::ops::conv1d(z({1, 1, 2}), z({8, 1, 3})); }},
      {"kernel_dilated_too_big", [&] { et::ops::conv2d(z({1, 1, 2, 9}), z({8, 1, 2, 3}), none, 1, 0, {2, 1}); }},
      {"stride_zero", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 0); }},
      {"stride_negative", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, {1, -1}); }},
      {"padding_negative", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 1, -1); }},
      {"padding_and_stride", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 0, -1); }},
      {"dilation_zero", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 1, 0, 0); }},
      {"dilation_negative", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 1, 0, {-1, 2}); }},
      {"dilation_zero_1d", [&] { et::ops::conv1d(z({1, 1, 5}), z({8, 1, 3}), none, 1, 0, 0); }},
      {"kernel_zero", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 0})); }},
      {"kernel_zero_dilated", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 0, 3}), none, 1, 0, 2); }},
      {"kernel_zero_1d", [&] { et::ops::conv1d(z({1, 3, 5}), z({4, 3, 0})); }},
      {"groups_zero", [&] { et::ops::conv2d(z({1, 4, 5, 5}), z({4, 2, 3, 3}), none, 1, 0, 1, 0); }},
      {"groups_and_stride", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3, 3}), none, 0, 0, 1, 0); }},
      {"groups_not_dividing_weight", [&] { et::ops::conv2d(z({1, 4, 5, 5}), z({6, 1, 3, 3}), none, 1, 0, 1, 4); }},
      {"groups_above_weight", [&] { et::ops::conv2d(z({1, 4, 5, 5}), z({2, 2, 3, 3}), none, 1, 0, 1, 4); }},
      {"groups_channels", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 1, 3, 3}), none, 1, 0, 1, 2); }},
      {"input_dims_2d", [&] { et::ops::conv2d(z({2, 3}), z({4, 3, 3, 3})); }},
      {"input_dims_5d", [&] { et::ops::conv2d(z({1, 2, 3, 3, 3}), z({4, 3, 3, 3})); }},
      {"input_dims_1d", [&] { et::ops::conv1d(z({1, 2, 3, 4}), z({8, 2, 3})); }},
      {"input_dims_1d_vector", [&] { et::ops::conv1d(z({4}), z({8, 2, 3})); }},
      {"unbatched_channels", [&] { et::ops::conv2d(z({2, 5, 5}), z({8, 1, 3, 3})); }},
      {"unbatched_channels_1d", [&] { et::ops::conv1d(z({2, 5}), z({8, 1, 3})); }},
      {"weight_2d", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1})); }},
      {"weight_3d_for_conv2d", [&] { et::ops::conv2d(z({1, 1, 5, 5}), z({8, 1, 3}), none, {2, 3}); }},
      {"weight_4d_for_conv1d", [&] { et::ops::conv1d(z({1, 1, 5}), z({8, 1, 3, 3})); }},
      {"stride_list", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 3}), none, {1, 2, 3}); }},
      {"bias_size", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 3}), z({3})); }},
      {"bias_dims", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 3}), z({4, 1})); }},
      {"padding_string", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 3}), none, 1, "foo"); }},
      {"same_strided", [&] { et::ops::conv2d(z({1, 3, 5, 5}), z({4, 3, 3, 3}), none, 2, "same"); }},
  };
  for (const auto& [key, f] : cases) {
    CAPTURE(key);
    CHECK_THROWS_WITH_AS(f(), ref.text("error." + key).c_str(), et::Error);
  }
}

TEST_CASE("conv1d / conv2d: sizes near the int64 limits are refused, never overflowed (a fuzz finding)") {
  constexpr int64_t big = std::numeric_limits<int64_t>::max(), low = std::numeric_limits<int64_t>::min();
  const auto z = [](std::initializer_list<int64_t> s) { return et::zeros(et::Size(s)); };
  const Tensor<float> none;
  // The finding (fuzz_ops, UBSan): the padded size 5 + 2 * padding overflowed int64 in ops/conv.hpp.
  // PyTorch 1.13 crashes on this call; its argument parser's words for out-of-range integers are kept.
  CHECK_THROWS_WITH_AS(et::ops::conv1d(z({1, 1, 5}), z({1, 1, 3}), none, 1, big), "integer out of range", et::Error);
  CHECK_THROWS_WITH_AS(et::ops::conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), none, 1, {0, big}), "integer out of range",
                       et::Error);
  // the dilated kernel dilation * (k - 1) + 1, with numbers and with "same"
  CHECK_THROWS_WITH_AS(et::ops::conv2d(z({1, 1, 5, 5}), z({1, 1, 3, 3}), none, 1, 0, {1, big}), "integer out of range",
                       et::Error);
  CHECK_THROWS_WITH_AS(et::ops::conv1d(z({1, 1, 5}), z({1, 1, 3}), none, 1, "same", big), "integer out of range",
                       et::Error);
  // an empty input skips the dilation check (as PyTorch's): a negative extreme must not overflow either
  CHECK_THROWS_WITH_AS(et::ops::conv1d(z({0, 1, 5}), z({1, 1, 3}), none, 1, 0, low), "integer out of range", et::Error);
  CHECK(et::ops::conv1d(z({0, 1, 5}), z({1, 1, 3}), none, 1, 0, -1).shape() == et::Size{0, 1, 7});  // as PyTorch
  // a stride of the int64 maximum is a number like any other: one window, as PyTorch gives
  const Tensor<float> y = et::ops::conv1d(et::ones({1, 1, 5}), et::ones({1, 1, 3}), none, big);
  CHECK(y.shape() == et::Size{1, 1, 1});
  CHECK(y.item() == 3.0f);
  // with padding: the first window starts in the zeros (the unfolding's ceil(first / stride) overflowed,
  // a second fuzz finding); values and gradients as PyTorch's
  const Tensor<float> x = et::ones({1, 1, 5}).requires_grad_(), w = et::ones({1, 1, 3}).requires_grad_();
  const Tensor<float> yp = et::ops::conv1d(x, w, none, big, 1);
  CHECK(yp.shape() == et::Size{1, 1, 1});
  CHECK(yp.item() == 2.0f);
  yp.sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{1, 1, 0, 0, 0});
  CHECK(w.grad().to_vector() == std::vector<float>{0, 1, 1});
}

TEST_CASE_TEMPLATE("conv1d / conv2d without a bias, of tensors that require no grad: PyTorch's values, no graph", T, float,
                   double) {
  // Found while writing the test above: an undefined bias was asked whether it requires grad (an Error).
  const Tensor<T> x = ref.tensor_of<T>("pad2_nobias.x", {1, 2, 6, 5}), w = ref.tensor_of<T>("pad2_nobias.w", {3, 2, 3, 3});
  const Tensor<T> y = et::ops::conv2d(x, w, Tensor<T>(), 1, 2);
  CHECK_FALSE(y.requires_grad());
  ref.check(y, "pad2_nobias." + dname<T>() + ".y");
  const Tensor<T> x1 = ref.tensor_of<T>("c1_groups.x", {2, 4, 9}), w1 = ref.tensor_of<T>("c1_groups.w", {4, 2, 3});
  const Tensor<T> y1 = et::ops::conv1d(x1, w1, Tensor<T>(), 1, 1, 1, 2);
  CHECK_FALSE(y1.requires_grad());
  ref.check(y1, "c1_groups." + dname<T>() + ".y");
}
