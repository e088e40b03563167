// Tests for nn/conv.hpp: Conv1d and Conv2d against PyTorch 1.13 (tests/reference/conv_cases.hpp):
// initial values after manual_seed bit for bit (and where the generator stands after them), reprs,
// state_dict keys, a model of two convolutions trained one step, the options, the constructors'
// errors. (Built alone, this file needs -DEIGENTORCH_CONV_REFERENCE_TABLES.)
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reference/conv_cases.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
// NOTE: PyTorch's float convolutions run on oneDNN, whose sums go in another order than a matrix
// product's: float is compared to a few of its roundings of the sums (up to 54 terms here); double,
// whose sums PyTorch makes with a BLAS product, to a few of double's.
const ReferenceTable ref(eigentorch::reference::conv::table, /*float*/ {2e-5, 2e-5}, /*double*/ {1e-12, 1e-12});

/// The keys joined by commas, as the reference stores them.
template <class T>
std::string joined_keys(const nn::Module<T>& m) {
  std::string s;
  for (const auto& k : m.state_dict().keys()) s += (s.empty() ? "" : ",") + k;
  return s;
}

/// make_conv_reference.py's MODULES, built the same way.
template <class T>
std::map<std::string, std::function<std::shared_ptr<nn::Module<T>>()>> modules() {
  return {
      {"c2_plain", [] { return std::make_shared<nn::Conv2d<T>>(3, 4, 3); }},
      {"c2_pad", [] { return std::make_shared<nn::Conv2d<T>>(nn::Conv2dOptions(1, 8, 3).padding(1)); }},
      {"c2_all",
       [] {
         return std::make_shared<nn::Conv2d<T>>(
             nn::Conv2dOptions(4, 8, {3, 5}).stride(2).padding({1, 2}).dilation({2, 1}).groups(2).bias(false));
       }},
      {"c2_depthwise", [] { return std::make_shared<nn::Conv2d<T>>(nn::Conv2dOptions(3, 6, 3).groups(3)); }},
      {"c2_same", [] { return std::make_shared<nn::Conv2d<T>>(nn::Conv2dOptions(2, 4, 3).padding("same")); }},
      {"c2_valid_dil",
       [] { return std::make_shared<nn::Conv2d<T>>(nn::Conv2dOptions(2, 4, {2, 3}).padding("valid").dilation(2)); }},
      {"c1_plain", [] { return std::make_shared<nn::Conv1d<T>>(2, 4, 3); }},
      {"c1_all",
       [] {
         return std::make_shared<nn::Conv1d<T>>(
             nn::Conv1dOptions(4, 6, 5).stride(2).padding(2).dilation(3).groups(2).bias(false));
       }},
      {"c1_same", [] { return std::make_shared<nn::Conv1d<T>>(nn::Conv1dOptions(2, 4, 4).padding("same")); }},
  };
}

}  // namespace

TEST_CASE_TEMPLATE("Conv1d / Conv2d: PyTorch's initial values after manual_seed, bit for bit, and its reprs and keys", T,
                   float, double) {
  for (const auto& [key, make] : modules<T>()) {
    CAPTURE(key);
    const std::string k = "module." + key, kd = k + "." + dname<T>();
    et::manual_seed(5);
    auto m = make();
    const auto params = m->named_parameters();
    REQUIRE(!params.empty());
    CHECK(ref.differing_bits(params[0].second, kd + ".weight") == 0);
    if (params.size() > 1) CHECK(ref.differing_bits(params[1].second, kd + ".bias") == 0);
    CHECK(ref.differing_bits(et::rand<T>({3}), kd + ".after") == 0);  // the generator where PyTorch's stands
    CHECK(m->repr() == ref.text(k + ".repr"));
    CHECK(joined_keys(*m) == ref.text(k + ".keys"));
  }
}

TEST_CASE_TEMPLATE("Conv2d: weight and bias as members, forward is F.conv2d with the options", T, float, double) {
  et::manual_seed(0);
  nn::Conv2d<T> conv(nn::Conv2dOptions(4, 6, {3, 2}).stride({2, 1}).padding(1).dilation({1, 2}).groups(2));
  CHECK(conv.weight.shape() == et::Size{6, 2, 3, 2});
  CHECK(conv.bias.shape() == et::Size{6});
  CHECK(conv.options().groups() == 2);
  CHECK(conv.options().stride().values() == std::vector<int64_t>{2, 1});
  CHECK(conv.options().padding().values() == std::vector<int64_t>{1, 1});
  CHECK(conv.options().dilation().values() == std::vector<int64_t>{1, 2});
  CHECK(conv.options().kernel_size().values() == std::vector<int64_t>{3, 2});
  CHECK(conv.options().bias());
  const auto x = et::randn<T>({2, 4, 7, 6});
  const Tensor<T> expected = nn::functional::conv2d(x, conv.weight, conv.bias, {2, 1}, 1, {1, 2}, 2);
  CHECK(conv(x).to_vector() == expected.to_vector());
  // unbatched: [C, H, W] in, [O, OH, OW] out
  CHECK(conv(x.select(0, 1)).to_vector() == expected.select(0, 1).to_vector());
  nn::Conv1d<T> conv1(3, 2, 2);
  const auto x1 = et::randn<T>({2, 3, 5});
  CHECK(conv1(x1).to_vector() == nn::functional::conv1d(x1, conv1.weight, conv1.bias).to_vector());
}

TEST_CASE_TEMPLATE("Conv2d in a Sequential: drawn in argument order, forward and gradients equal PyTorch's", T, float,
                   double) {
  et::manual_seed(11);
  nn::Sequential<T> model(nn::Conv2d<T>(nn::Conv2dOptions(1, 4, 3).padding(1)), nn::ReLU<T>(),
                          nn::Conv2d<T>(nn::Conv2dOptions(4, 2, {2, 3}).stride(2).bias(false)));
  CHECK(joined_keys(model) == ref.text("model.keys"));
  CHECK(model.repr() == ref.text("model.repr"));
  const auto x = ref.tensor_of<T>("model.x", {3, 1, 7, 6});
  Tensor<T> y = model(x);
  CHECK(y.shape() == et::Size(ref.ints("model.y_shape")));
  y.backward(ref.tensor_of<T>("model.up", ref.ints("model.y_shape")));
  const std::string kd = "model." + dname<T>();
  ref.check(y, kd + ".y");
  const auto params = model.named_parameters();
  REQUIRE(params.size() == 3);
  ref.check(params[0].second.grad(), kd + ".g0w");
  ref.check(params[1].second.grad(), kd + ".g0b");
  ref.check(params[2].second.grad(), kd + ".g2w");
}

TEST_CASE("Conv1d / Conv2d: PyTorch's errors at construction and in forward") {
  const std::map<std::string, std::function<void()>> cases = {
      {"module_groups", [] { nn::Conv2d<float>(nn::Conv2dOptions(4, 8, 3).groups(0)); }},
      {"module_in_groups", [] { nn::Conv2d<float>(nn::Conv2dOptions(3, 8, 3).groups(2)); }},
      {"module_out_groups", [] { nn::Conv2d<float>(nn::Conv2dOptions(4, 6, 3).groups(4)); }},
      {"module_padding_string", [] { nn::Conv2d<float>(nn::Conv2dOptions(4, 8, 3).padding("foo")); }},
      {"module_same_strided", [] { nn::Conv1d<float>(nn::Conv1dOptions(4, 8, 3).padding("same").stride(2)); }},
      {"module_negative", [] { nn::Conv2d<float>(-4, 8, 3); }},
      {"module_negative_kernel", [] { nn::Conv2d<float>(4, 8, -1); }},
      {"module_input", [] { nn::Conv2d<float>(4, 8, 3)(et::zeros({4, 5})); }},
      {"module_stride", [] { nn::Conv2d<float>(nn::Conv2dOptions(4, 8, 3).stride(0))(et::zeros({1, 4, 5, 5})); }},
  };
  for (const auto& [key, f] : cases) {
    CAPTURE(key);
    CHECK_THROWS_WITH_AS(f(), ref.text("error." + key).c_str(), et::Error);
  }
  // PyTorch raises ValueError for the constructor's own checks
  CHECK_THROWS_AS(nn::Conv2d<float>(nn::Conv2dOptions(4, 8, 3).groups(0)), et::ValueError);
  CHECK_THROWS_AS(nn::Conv2d<float>(nn::Conv2dOptions(4, 8, 3).padding("foo")), et::ValueError);
}

TEST_CASE_TEMPLATE("a CNN training step captured in a CPUGraph and replayed gives the eager steps bit for bit", T, float,
                   double) {
  const auto make = [] {
    et::manual_seed(7);
    return nn::Sequential<T>(nn::Conv2d<T>(nn::Conv2dOptions(2, 4, 3).padding(1)), nn::ReLU<T>(),
                             nn::Conv2d<T>(nn::Conv2dOptions(4, 2, {2, 3}).stride(2).groups(2)), nn::Flatten<T>(),
                             nn::Linear<T>(2 * 3 * 3, 1));
  };
  nn::Sequential<T> eager = make(), replayed = make();
  et::optim::SGD<T> eager_opt(eager.parameters(), 1e-2), replayed_opt(replayed.parameters(), 1e-2);
  nn::MSELoss<T> mse;
  et::manual_seed(8);
  const auto x = et::randn<T>({5, 2, 6, 7}), y = et::randn<T>({5, 1});
  et::CPUGraph graph;
  Tensor<T> loss;
  {
    et::GraphCaptureGuard capture(graph);
    loss = mse(replayed(x), y);
    replayed_opt.zero_grad();
    loss.backward();
    replayed_opt.step();
  }
  REQUIRE(graph.captured());
  for (int step = 0; step < 20; ++step) {
    auto l = mse(eager(x), y);
    eager_opt.zero_grad();
    l.backward();
    eager_opt.step();
    if (step > 0) graph.replay();  // the capture made the first step
    REQUIRE(loss.item() == l.item());
  }
  const auto e = eager.parameters(), r = replayed.parameters();
  REQUIRE(e.size() == r.size());
  for (std::size_t i = 0; i < e.size(); ++i) CHECK(e[i].to_vector() == r[i].to_vector());
}
