// Tests for nn/normalization.hpp: LayerNorm and BatchNorm1d as modules against PyTorch 1.13, bit for bit
// (tests/reference/layers_cases.hpp): initial values, forward and gradients, BatchNorm1d's running
// statistics over several training steps (momentum and the cumulative average), num_batches_tracked,
// train / eval, state_dict keys in PyTorch's order, reprs and errors; BatchNorm2d likewise
// (tests/reference/pooling_cases.hpp).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cmath>  // sqrt
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reference/layers_cases.hpp"
#include "reference/pooling_cases.hpp"  // BatchNorm2d

namespace {

namespace et = eigentorch;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::layers::table, /*float*/ {1e-5, 1e-5}, /*double*/ {1e-12, 1e-12});
const ReferenceTable pool(eigentorch::reference::pooling::table);  // compared bit for bit

/// The keys joined by commas, as the reference stores them.
template <class T>
std::string joined_keys(const et::nn::Module<T>& m) {
  std::string s;
  for (const auto& k : m.state_dict().keys()) s += (s.empty() ? "" : ",") + k;
  return s;
}

struct BatchNormCase {
  const char* key;
  std::optional<double> momentum;
  bool affine, track;
};
const BatchNormCase kCases[] = {{"nc", 0.1, true, true},
                                {"ncl", 0.1, true, true},
                                {"cumulative", std::nullopt, true, true},
                                {"plain", 0.3, false, true},
                                {"untracked", 0.1, true, false}};

}  // namespace

TEST_CASE_TEMPLATE("LayerNorm: weight 1, bias 0, forward and gradients equal F.layer_norm's (PyTorch's values)", T, float,
                   double) {
  et::nn::LayerNorm<T> norm({4});
  CHECK(norm.weight.to_vector() == std::vector<T>(4, T(1)));
  CHECK(norm.bias.to_vector() == std::vector<T>(4, T(0)));
  CHECK(joined_keys(norm) == "weight,bias");
  // the reference's weight and bias copied in, as a trained model's would be
  const std::string k = "layer_norm.small", kd = k + "." + dname<T>();
  {
    et::NoGradGuard no_grad;
    norm.weight.copy_(ref.tensor_of<T>(k + ".w", {4}));
    norm.bias.copy_(ref.tensor_of<T>(k + ".b", {4}));
  }
  auto x = ref.tensor_of<T>(k + ".x", {2, 3, 4}).requires_grad_();
  Tensor<T> y = norm(x);
  y.backward(ref.tensor_of<T>(k + ".up", {2, 3, 4}));
  CHECK(ref.differing_bits(y, kd + ".y") == 0);
  CHECK(ref.differing_bits(x.grad(), kd + ".gx") == 0);
  CHECK(ref.differing_bits(norm.weight.grad(), kd + ".gw") == 0);
  CHECK(ref.differing_bits(norm.bias.grad(), kd + ".gb") == 0);
  // without elementwise_affine: no parameters
  et::nn::LayerNorm<T> plain({6}, 1e-5, false);
  CHECK(plain.parameters().empty());
  auto xp = ref.tensor_of<T>("layer_norm.plain.x", {4, 6}).requires_grad_();
  Tensor<T> yp = plain(xp);
  yp.backward(ref.tensor_of<T>("layer_norm.plain.up", {4, 6}));
  CHECK(ref.differing_bits(yp, "layer_norm.plain." + dname<T>() + ".y") == 0);
  ref.check(xp.grad(), "layer_norm.plain." + dname<T>() + ".gx");
}

TEST_CASE("LayerNorm: reprs and PyTorch's errors") {
  CHECK(et::nn::LayerNorm<float>({4}).repr() == ref.text("layer_norm.repr"));
  CHECK(et::nn::LayerNorm<double>({3, 4}, 1e-6, false).repr() == ref.text("layer_norm.repr_plain"));
  et::nn::LayerNorm<float> norm({4});
  CHECK_THROWS_WITH_AS(norm(et::zeros({2, 3})), ref.text("layer_norm.err_shape").c_str(), et::Error);
  et::nn::LayerNorm<float> norm2({3, 4});
  CHECK_THROWS_WITH_AS(norm2(et::zeros({2, 4, 3})), ref.text("layer_norm.err_shape2").c_str(), et::Error);
}

TEST_CASE_TEMPLATE("BatchNorm1d: three training steps (outputs, gradients, running statistics, num_batches_tracked), "
                   "then eval, equal PyTorch's", T, float, double) {
  for (const BatchNormCase& c : kCases) {
    CAPTURE(c.key);
    const std::string k = std::string("batch_norm.") + c.key, kd = k + "." + dname<T>();
    const auto shape = ref.ints(k + ".x_shape");
    const int64_t ch = shape[1];
    et::nn::BatchNorm1d<T> bn(ch, 1e-5, c.momentum, c.affine, c.track);
    CHECK(joined_keys(bn) == ref.text(k + ".keys"));
    CHECK(bn.repr() == ref.text(k + ".repr"));
    if (c.affine) {
      CHECK(bn.weight.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(1)));
      CHECK(bn.bias.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(0)));
      et::NoGradGuard no_grad;
      bn.weight.copy_(ref.tensor_of<T>(k + ".w", {ch}));
      bn.bias.copy_(ref.tensor_of<T>(k + ".b", {ch}));
    }
    if (c.track) {
      CHECK(bn.running_mean.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(0)));
      CHECK(bn.running_var.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(1)));
      CHECK(bn.num_batches_tracked.dim() == 0);
      CHECK(bn.num_batches_tracked.item() == T(0));
    }
    for (int s = 0; s < 3; ++s) {
      CAPTURE(s);
      auto x = ref.tensor_of<T>(k + ".x" + std::to_string(s), shape).requires_grad_();
      Tensor<T> y = bn(x);
      if (s == 0) {
        y.backward(ref.tensor_of<T>(k + ".up", shape));
        CHECK(ref.differing_bits(y, kd + ".y0") == 0);
        CHECK(ref.differing_bits(x.grad(), kd + ".gx0") == 0);
        if (c.affine) {
          CHECK(ref.differing_bits(bn.weight.grad(), kd + ".gw0") == 0);
          CHECK(ref.differing_bits(bn.bias.grad(), kd + ".gb0") == 0);
        }
      }
      if (c.track) {
        CHECK(ref.differing_bits(bn.running_mean, kd + ".running_mean" + std::to_string(s)) == 0);
        CHECK(ref.differing_bits(bn.running_var, kd + ".running_var" + std::to_string(s)) == 0);
        CHECK(bn.num_batches_tracked.item() == T(ref.numbers(kd + ".tracked" + std::to_string(s))[0]));
        // state_dict shares the buffers
        CHECK(bn.state_dict()["running_mean"].to_vector() == bn.running_mean.to_vector());
      }
    }
    bn.eval();
    bn.zero_grad();
    auto x = ref.tensor_of<T>(k + ".x0", shape).requires_grad_();
    Tensor<T> y = bn(x);
    y.backward(ref.tensor_of<T>(k + ".up", shape));
    CHECK(ref.differing_bits(y, kd + ".eval_y") == 0);
    CHECK(ref.differing_bits(x.grad(), kd + ".eval_gx") == 0);
    if (c.affine) {
      CHECK(ref.differing_bits(bn.weight.grad(), kd + ".eval_gw") == 0);
      CHECK(ref.differing_bits(bn.bias.grad(), kd + ".eval_gb") == 0);
    }
    if (c.track) CHECK(bn.num_batches_tracked.item() == T(3));  // eval does not count
  }
}

TEST_CASE("BatchNorm1d: in a Sequential, state_dict has PyTorch's keys in PyTorch's order, load_state_dict restores "
          "the running statistics") {
  et::nn::Sequential<float> model(et::nn::Linear<float>(3, 4), et::nn::BatchNorm1d<float>(4), et::nn::ReLU<float>(),
                                  et::nn::Linear<float>(4, 2));
  CHECK(joined_keys(model) == ref.text("batch_norm.model_keys"));
  et::manual_seed(1);
  model(et::randn({5, 3}));
  et::nn::Sequential<float> copy(et::nn::Linear<float>(3, 4), et::nn::BatchNorm1d<float>(4), et::nn::ReLU<float>(),
                                 et::nn::Linear<float>(4, 2));
  copy.load_state_dict(model.state_dict());
  CHECK(copy.state_dict()["1.running_mean"].to_vector() == model.state_dict()["1.running_mean"].to_vector());
  CHECK(copy.state_dict()["1.num_batches_tracked"].item() == 1.0f);
}

TEST_CASE("BatchNorm1d: PyTorch's errors (one value per channel, wrong channels, wrong dims)") {
  et::nn::BatchNorm1d<float> bn(4);
  CHECK_THROWS_WITH_AS(bn(et::zeros({1, 4})), ref.text("batch_norm.err_one").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(bn(et::zeros({2, 3})), ref.text("batch_norm.err_channels").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(bn(et::zeros({2, 4, 3, 1})), ref.text("batch_norm.err_dims").c_str(), et::ValueError);
  // as in PyTorch, the first two calls counted a batch before failing; the third did not
  CHECK(bn.num_batches_tracked.item() == 2.0f);
  et::nn::BatchNorm1d<float> untracked(4, 1e-5, 0.1, true, false);
  CHECK_THROWS_WITH_AS(untracked(et::zeros({2, 3})), ref.text("batch_norm.err_weight").c_str(), et::Error);
  bn.eval();
  CHECK(bn(et::zeros({1, 4})).numel() == 4);  // one sample is fine in evaluation
}

TEST_CASE_TEMPLATE("F.layer_norm and F.batch_norm give PyTorch's values, F.batch_norm checks the batch when training", T,
                   float, double) {
  namespace F = eigentorch::nn::functional;
  const std::string k = "layer_norm.two_dims";
  Tensor<T> y = F::layer_norm(ref.tensor_of<T>(k + ".x", {2, 3, 4}), et::Size{3, 4}, ref.tensor_of<T>(k + ".w", {3, 4}),
                              ref.tensor_of<T>(k + ".b", {3, 4}));
  CHECK(ref.differing_bits(y, k + "." + dname<T>() + ".y") == 0);
  const std::string b = "batch_norm.ncl";
  Tensor<T> rm = et::zeros<T>({3}), rv = et::ones<T>({3});
  Tensor<T> z = F::batch_norm(ref.tensor_of<T>(b + ".x0", {6, 3, 5}), rm, rv, ref.tensor_of<T>(b + ".w", {3}),
                              ref.tensor_of<T>(b + ".b", {3}), true);
  CHECK(ref.differing_bits(z, b + "." + dname<T>() + ".y0") == 0);
  CHECK(ref.differing_bits(rm, b + "." + dname<T>() + ".running_mean0") == 0);
  // training by default is false (F.batch_norm's default): the running statistics normalise
  Tensor<T> e = F::batch_norm(et::ones<T>({1, 3}), et::zeros<T>({3}), et::full<T>({3}, 4.0));
  CHECK(e.to_vector() == std::vector<T>(3, T(1) / std::sqrt(T(4) + T(1e-5))));
  CHECK_THROWS_WITH_AS(F::batch_norm(et::zeros<T>({1, 4}), Tensor<T>(), Tensor<T>(), {}, {}, true),
                       ref.text("batch_norm.err_one").c_str(), et::ValueError);
}

namespace {
const BatchNormCase kCases2d[] = {{"default", 0.1, true, true},
                                  {"square", 0.1, true, true},
                                  {"channels", 0.1, true, true},
                                  {"cumulative", std::nullopt, true, true},
                                  {"plain", 0.3, false, true},
                                  {"untracked", 0.1, true, false}};
}  // namespace

TEST_CASE_TEMPLATE("BatchNorm2d: three training steps (outputs, gradients, running statistics, num_batches_tracked), "
                   "then eval, equal PyTorch's bits", T, float, double) {
  for (const BatchNormCase& c : kCases2d) {
    CAPTURE(c.key);
    const std::string k = std::string("batch_norm2d.") + c.key, kd = k + "." + dname<T>();
    const auto shape = pool.ints(k + ".x_shape");
    const int64_t ch = shape[1];
    et::nn::BatchNorm2d<T> bn(ch, 1e-5, c.momentum, c.affine, c.track);
    CHECK(joined_keys(bn) == pool.text(k + ".keys"));
    CHECK(bn.repr() == pool.text(k + ".repr"));
    if (c.affine) {
      CHECK(bn.weight.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(1)));
      CHECK(bn.bias.to_vector() == std::vector<T>(static_cast<std::size_t>(ch), T(0)));
      et::NoGradGuard no_grad;
      bn.weight.copy_(pool.tensor_of<T>(k + ".w", {ch}));
      bn.bias.copy_(pool.tensor_of<T>(k + ".b", {ch}));
    }
    for (int s = 0; s < 3; ++s) {
      CAPTURE(s);
      auto x = pool.tensor_of<T>(k + ".x" + std::to_string(s), shape).requires_grad_();
      Tensor<T> y = bn(x);
      if (s == 0) {
        CHECK(std::string(y.grad_fn()->name()) == "NativeBatchNormBackward0");
        y.backward(pool.tensor_of<T>(k + ".up", shape));
        CHECK(pool.differing_bits(y, kd + ".y0") == 0);
        CHECK(pool.differing_bits(x.grad(), kd + ".gx0") == 0);
        if (c.affine) {
          CHECK(pool.differing_bits(bn.weight.grad(), kd + ".gw0") == 0);
          CHECK(pool.differing_bits(bn.bias.grad(), kd + ".gb0") == 0);
        }
      }
      if (c.track) {
        CHECK(pool.differing_bits(bn.running_mean, kd + ".running_mean" + std::to_string(s)) == 0);
        CHECK(pool.differing_bits(bn.running_var, kd + ".running_var" + std::to_string(s)) == 0);
        CHECK(bn.num_batches_tracked.item() == T(pool.numbers(kd + ".tracked" + std::to_string(s))[0]));
      }
    }
    bn.eval();
    bn.zero_grad();
    auto x = pool.tensor_of<T>(k + ".x0", shape).requires_grad_();
    Tensor<T> y = bn(x);
    y.backward(pool.tensor_of<T>(k + ".up", shape));
    CHECK(pool.differing_bits(y, kd + ".eval_y") == 0);
    CHECK(pool.differing_bits(x.grad(), kd + ".eval_gx") == 0);
    if (c.affine) {
      CHECK(pool.differing_bits(bn.weight.grad(), kd + ".eval_gw") == 0);
      CHECK(pool.differing_bits(bn.bias.grad(), kd + ".eval_gb") == 0);
    }
  }
}

TEST_CASE("BatchNorm2d: reprs and PyTorch's errors (wrong dims, one value per channel, wrong channels)") {
  CHECK(et::nn::BatchNorm2d<float>(8).repr() == pool.text("repr.batch_norm2d"));
  CHECK(et::nn::BatchNorm2d<double>(4, 1e-3, std::nullopt, false, false).repr() == pool.text("repr.batch_norm2d_full"));
  et::nn::BatchNorm2d bn(3);  // float deduced
  CHECK_THROWS_WITH_AS(bn(et::zeros({2, 3, 4})), pool.text("err.batch_norm2d.dims").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(bn(et::zeros({1, 3, 1, 1})), pool.text("err.batch_norm2d.one").c_str(), et::ValueError);
  CHECK_THROWS_WITH_AS(bn(et::zeros({2, 4, 2, 2})), pool.text("err.batch_norm2d.channels").c_str(), et::Error);
  bn.eval();
  CHECK(bn(et::zeros({1, 3, 1, 1})).numel() == 3);
}
