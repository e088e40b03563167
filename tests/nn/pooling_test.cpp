// Tests for nn/pooling.hpp: MaxPool1d, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d as modules and as
// nn::functional forms against PyTorch 1.13 (tests/reference/pooling_cases.hpp): outputs and
// gradients, indices, options, reprs, and a seeded model of the layers (BatchNorm2d, ReLU,
// MaxPool2d, Dropout2d, AvgPool2d, AdaptiveAvgPool2d, Flatten) over two training steps and eval.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "reference/pooling_cases.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace F = eigentorch::nn::functional;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::pooling::table);  // compared bit for bit

/// The module's output and x's gradient against the reference case `k`.
template <class T>
void check_module(nn::Module<T>& m, const std::string& k) {
  CAPTURE(k);
  auto x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
  Tensor<T> y = m(x);
  y.backward(ref.tensor_of<T>(k + ".up", ref.ints(k + ".y_shape")));
  CHECK(ref.differing_bits(y, k + "." + dname<T>() + ".y") == 0);
  CHECK(ref.differing_bits(x.grad(), k + "." + dname<T>() + ".gx") == 0);
}

}  // namespace

TEST_CASE_TEMPLATE("pooling modules: outputs and gradients equal PyTorch's", T, float, double) {
  nn::MaxPool2d<T> max2(2);
  check_module(max2, "max_pool2d.k2");
  nn::MaxPool2d<T> max3(nn::MaxPool2dOptions(3).stride(2).padding(1).ceil_mode(true));
  check_module(max3, "max_pool2d.k3s2p1_ceil");
  nn::MaxPool2d<T> rect(nn::MaxPool2dOptions({2, 3}).stride({1, 2}).padding({1, 1}).dilation({2, 1}));
  check_module(rect, "max_pool2d.rect");
  nn::MaxPool1d<T> max1(nn::MaxPool1dOptions(3).stride(2).padding(1).ceil_mode(true));
  check_module(max1, "max_pool1d.k3s2p1_ceil");
  nn::MaxPool1d<T> dil(nn::MaxPool1dOptions(3).stride(1).padding(1).dilation(2));
  check_module(dil, "max_pool1d.dil");
  nn::AvgPool2d<T> avg(nn::AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false));
  check_module(avg, "avg_pool2d.k3s2p1_ceil_nopad");
  nn::AvgPool2d<T> div(nn::AvgPool2dOptions(2).stride(1).padding(1).divisor_override(3));
  check_module(div, "avg_pool2d.k2s1p1_div3");
  nn::AdaptiveAvgPool2d<T> adaptive({3, 2});
  check_module(adaptive, "adaptive_avg_pool2d.uneven");
  nn::AdaptiveAvgPool2d<T> one(1);
  check_module(one, "adaptive_avg_pool2d.one_2d");
  // forward_with_indices
  const std::string k = "max_pool2d.ties";
  nn::MaxPool2d<T> ties(nn::MaxPool2dOptions(3).stride(1).padding(1));
  auto [y, idx] = ties.forward_with_indices(ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")));
  CHECK(ref.differing_bits(y, k + "." + dname<T>() + ".y") == 0);
  CHECK(idx.to_vector() == ref.ints(k + "." + dname<T>() + ".indices"));
  nn::MaxPool1d<T> ties1(nn::MaxPool1dOptions(3).stride(1).padding(1));
  auto [y1, idx1] = ties1.forward_with_indices(ref.tensor_of<T>("max_pool1d.ties.x", ref.ints("max_pool1d.ties.x_shape")));
  CHECK(idx1.to_vector() == ref.ints("max_pool1d.ties." + dname<T>() + ".indices"));
}

TEST_CASE_TEMPLATE("nn::functional pooling forms equal PyTorch's", T, float, double) {
  const auto run = [](const std::string& k) { return ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")); };
  const std::string d = "." + dname<T>() + ".y";
  CHECK(ref.differing_bits(F::max_pool2d(run("max_pool2d.k3s2p1"), 3, 2, 1), "max_pool2d.k3s2p1" + d) == 0);
  CHECK(ref.differing_bits(F::max_pool2d(run("max_pool2d.dil"), 3, 1, 1, 2, true), "max_pool2d.dil" + d) == 0);
  auto [y, idx] = F::max_pool2d_with_indices(run("max_pool2d.nan"), 2, 1);
  CHECK(ref.differing_bits(y, "max_pool2d.nan" + d) == 0);
  CHECK(idx.to_vector() == ref.ints("max_pool2d.nan." + dname<T>() + ".indices"));
  CHECK(ref.differing_bits(F::max_pool1d(run("max_pool1d.k2"), 2), "max_pool1d.k2" + d) == 0);
  auto [y1, idx1] = F::max_pool1d_with_indices(run("max_pool1d.unbatched"), 2, 1);
  CHECK(ref.differing_bits(y1, "max_pool1d.unbatched" + d) == 0);
  CHECK(idx1.to_vector() == ref.ints("max_pool1d.unbatched." + dname<T>() + ".indices"));
  CHECK(ref.differing_bits(F::avg_pool2d(run("avg_pool2d.k3s2p1_nopad"), 3, 2, 1, false, false), "avg_pool2d.k3s2p1_nopad" + d) == 0);
  CHECK(ref.differing_bits(F::avg_pool2d(run("avg_pool2d.rect"), {2, 3}, {1, 2}, {1, 1}, false, false), "avg_pool2d.rect" + d) == 0);
  CHECK(ref.differing_bits(F::adaptive_avg_pool2d(run("adaptive_avg_pool2d.overlap"), {4, 3}), "adaptive_avg_pool2d.overlap" + d) == 0);
  CHECK(ref.differing_bits(F::adaptive_avg_pool2d(run("adaptive_avg_pool2d.one"), {1, 1}), "adaptive_avg_pool2d.one" + d) == 0);
  // Python's check of an output size tuple against the input's dims (an int is not checked: a mean)
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(et::zeros<T>({8, 8}), {2, 2}), ref.text("err.adaptive_avg_pool2d.pair_2d").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(et::zeros<T>({2, 8, 8}), {1, 2, 3}),
                       ref.text("err.adaptive_avg_pool2d.triple_3d").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(et::zeros<T>({8, 8}), std::vector<int64_t>{5}),
                       ref.text("err.adaptive_avg_pool2d.one_tuple_2d").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(et::zeros<T>({8, 8}), 2), ref.text("err.adaptive_avg_pool2d.dims").c_str(),
                       et::Error);
}

TEST_CASE("pooling modules: reprs as PyTorch 1.13 prints them, options read back, float deduced") {
  CHECK(nn::MaxPool2d<float>(2).repr() == ref.text("repr.max_pool2d"));
  CHECK(nn::MaxPool2d<float>(nn::MaxPool2dOptions({2, 3}).stride(1).padding({1, 0}).dilation(2).ceil_mode(true)).repr() ==
        ref.text("repr.max_pool2d_full"));
  CHECK(nn::MaxPool1d<double>(3).repr() == ref.text("repr.max_pool1d"));
  CHECK(nn::MaxPool1d<float>(nn::MaxPool1dOptions(3).stride(2).padding(1).dilation(2).ceil_mode(true)).repr() ==
        ref.text("repr.max_pool1d_full"));
  CHECK(nn::AvgPool2d<float>(2).repr() == ref.text("repr.avg_pool2d"));
  CHECK(nn::AvgPool2d<float>(
            nn::AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false).divisor_override(4))
            .repr() == ref.text("repr.avg_pool2d_full"));
  CHECK(nn::AvgPool2d<float>({2, 3}).repr() == ref.text("repr.avg_pool2d_rect"));
  CHECK(nn::AdaptiveAvgPool2d<float>({2, 3}).repr() == ref.text("repr.adaptive_avg_pool2d"));
  CHECK(nn::AdaptiveAvgPool2d<double>(2).repr() == ref.text("repr.adaptive_avg_pool2d_int"));
  const auto o = nn::MaxPool2dOptions(3).padding(1);
  CHECK(o.stride() == et::ExpandingArray<2>(3));
  CHECK(o.padding() == et::ExpandingArray<2>(1));
  CHECK(o.stride().str() == "3");
  // one-element lists, printed as Python's 1-tuples (a braced {3} alone would also match the options)
  CHECK(nn::MaxPool1d<float>(nn::MaxPool1dOptions(et::ExpandingArray<1>{3}).stride({2})).repr() ==
        ref.text("repr.max_pool1d_tuple"));
  CHECK(nn::MaxPool2d<float>(et::ExpandingArray<2>{2}).repr() == ref.text("repr.max_pool2d_one_tuple"));
  CHECK(!o.ceil_mode());
  CHECK(nn::AvgPool2dOptions(2).count_include_pad());
  CHECK(!nn::AvgPool2dOptions(2).divisor_override().has_value());
  nn::MaxPool2d pool(2);
  nn::AvgPool2d avg({2, 3});
  nn::AdaptiveAvgPool2d adaptive({1, 1});
  nn::MaxPool1d pool1(nn::MaxPool1dOptions(2));
  CHECK(pool(et::zeros({1, 1, 4, 4})).shape() == et::Size{1, 1, 2, 2});
  CHECK(avg(et::zeros({1, 1, 4, 6})).shape() == et::Size{1, 1, 2, 2});
  CHECK(adaptive(et::zeros({1, 1, 4, 6})).shape() == et::Size{1, 1, 1, 1});
  CHECK(pool1(et::zeros({1, 4})).shape() == et::Size{1, 2});
  CHECK(pool.parameters().empty());
}

TEST_CASE_TEMPLATE("a seeded model of BatchNorm2d, MaxPool2d, Dropout2d, AvgPool2d, AdaptiveAvgPool2d: PyTorch's repr, "
                   "keys, outputs, gradients and running statistics over two steps, then eval", T, float, double) {
  nn::Sequential<T> model(nn::BatchNorm2d<T>(3), nn::ReLU<T>(), nn::MaxPool2d<T>(2), nn::Dropout2d<T>(0.25),
                          nn::AvgPool2d<T>(2), nn::AdaptiveAvgPool2d<T>({1, 1}), nn::Flatten<T>());
  CHECK(model.repr() == ref.text("repr.model"));
  std::string keys;
  for (const auto& key : model.state_dict().keys()) keys += (keys.empty() ? "" : ",") + key;
  CHECK(keys == ref.text("keys.model"));
  const std::string d = "model." + dname<T>();
  et::manual_seed(5);
  for (int s = 0; s < 2; ++s) {
    CAPTURE(s);
    auto x = ref.tensor_of<T>("model.x", {4, 3, 8, 8}).requires_grad_();
    Tensor<T> y = model(x);
    y.sum().backward();
    CHECK(ref.differing_bits(y, d + ".y" + std::to_string(s)) == 0);
    CHECK(ref.differing_bits(x.grad(), d + ".gx" + std::to_string(s)) == 0);
  }
  CHECK(ref.differing_bits(model.state_dict()["0.running_mean"], d + ".running_mean") == 0);
  CHECK(ref.differing_bits(model.state_dict()["0.running_var"], d + ".running_var") == 0);
  model.eval();
  CHECK(ref.differing_bits(model(ref.tensor_of<T>("model.x", {4, 3, 8, 8})), d + ".eval") == 0);
}
