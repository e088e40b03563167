// Tests for ops/normalization.hpp: layer_norm and batch_norm values and gradients (input, weight,
// bias) against PyTorch 1.13 in float and double (tests/reference/layers_cases.hpp), gradcheck in
// double, the running statistics' update, the node names and the errors.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

// This file compiles the layers' reference tables for every test that reads them (layers_cases.hpp).
#define EIGENTORCH_LAYERS_REFERENCE_TABLES
#include "reference/layers_cases.hpp"

namespace {

namespace et = eigentorch;
using et::Tensor;
using eigentorch::testing::dname;
using eigentorch::testing::ReferenceTable;
const ReferenceTable ref(eigentorch::reference::layers::table, /*float*/ {1e-5, 1e-5}, /*double*/ {1e-12, 1e-12});

const char* const kLayerNormCases[] = {"small", "two_dims", "tail", "chunks", "deep", "plain", "offset"};

template <class T>
struct LayerNormRun {
  Tensor<T> x, w, b, y;
};

template <class T>
LayerNormRun<T> run_layer_norm(const std::string& key) {
  const std::string k = "layer_norm." + key;
  const auto shape = ref.ints(k + ".shape");
  const bool affine = key != "plain";
  LayerNormRun<T> r;
  r.x = ref.tensor_of<T>(k + ".x", ref.ints(k + ".x_shape")).requires_grad_();
  if (affine) {
    r.w = ref.tensor_of<T>(k + ".w", shape).requires_grad_();
    r.b = ref.tensor_of<T>(k + ".b", shape).requires_grad_();
  }
  r.y = et::ops::layer_norm(r.x, et::Size(shape), r.w, r.b, 1e-5);
  r.y.backward(ref.tensor_of<T>(k + ".up", ref.ints(k + ".x_shape")));
  return r;
}

}  // namespace

TEST_CASE_TEMPLATE("layer_norm: values and gradients of input, weight and bias equal PyTorch's", T, float, double) {
  for (const char* key : kLayerNormCases) {
    CAPTURE(key);
    const std::string k = std::string("layer_norm.") + key + "." + dname<T>();
    LayerNormRun<T> r = run_layer_norm<T>(key);
    CHECK(std::string(r.y.grad_fn()->name()) == "NativeLayerNormBackward0");
    ref.check(r.y, k + ".y");
    ref.check(r.x.grad(), k + ".gx");
    if (r.w.defined()) {
      ref.check(r.w.grad(), k + ".gw");
      ref.check(r.b.grad(), k + ".gb");
    }
  }
}

TEST_CASE_TEMPLATE("layer_norm: outputs and gradients equal PyTorch's bits (Welford in lanes, chunks of 16, a cascade)", T,
                   float, double) {
  for (const char* key : kLayerNormCases) {
    CAPTURE(key);
    const std::string k = std::string("layer_norm.") + key + "." + dname<T>();
    LayerNormRun<T> r = run_layer_norm<T>(key);
    CHECK(ref.differing_bits(r.y, k + ".y") == 0);
    CHECK(ref.differing_bits(r.x.grad(), k + ".gx") == 0);
    if (r.w.defined()) {
      CHECK(ref.differing_bits(r.w.grad(), k + ".gw") == 0);
      CHECK(ref.differing_bits(r.b.grad(), k + ".gb") == 0);
    }
  }
}

TEST_CASE("layer_norm: gradcheck in double for input, weight and bias") {
  for (const auto& [xs, ns] : std::vector<std::pair<et::Size, et::Size>>{{{3, 5}, {5}}, {{2, 2, 3}, {2, 3}}, {{2, 11}, {11}}}) {
    et::manual_seed(5);
    auto x = et::randn<double>(xs).requires_grad_();
    auto w = et::randn<double>(ns).requires_grad_();
    auto b = et::randn<double>(ns).requires_grad_();
    const et::Size shape = ns;
    CHECK(et::autograd::gradcheck(
        [shape](const std::vector<Tensor<double>>& in) { return et::ops::layer_norm(in[0], shape, in[1], in[2], 1e-5); },
        {x, w, b}));
    CHECK(et::autograd::gradcheck(
        [shape](const std::vector<Tensor<double>>& in) { return et::ops::layer_norm(in[0], shape, {}, {}, 1e-5); }, {x}));
  }
}

TEST_CASE("layer_norm: PyTorch's errors for a shape that does not fit") {
  CHECK_THROWS_WITH_AS(et::ops::layer_norm(et::zeros({2, 3}), et::Size{4}, {}, {}, 1e-5),
                       ref.text("layer_norm.err_shape").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::layer_norm(et::zeros({2, 4, 3}), et::Size{3, 4}, {}, {}, 1e-5),
                       ref.text("layer_norm.err_shape2").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::layer_norm(et::zeros({2, 3}), et::Size{3}, et::zeros({4}), {}, 1e-5),
                       ref.text("layer_norm.err_weight").c_str(), et::Error);
}

namespace {

const char* const kBatchNormCases[] = {"nc", "ncl", "plain"};

}  // namespace

TEST_CASE_TEMPLATE("batch_norm: training values, gradients and the running statistics' update equal PyTorch's", T,
                   float, double) {
  for (const char* key : kBatchNormCases) {
    CAPTURE(key);
    const std::string k = std::string("batch_norm.") + key, kd = k + "." + dname<T>();
    const auto shape = ref.ints(k + ".x_shape");
    const int64_t c = shape[1];
    const bool affine = std::string(key) != "plain";
    const double momentum = std::string(key) == "plain" ? 0.3 : 0.1;
    Tensor<T> w, b;
    if (affine) {
      w = ref.tensor_of<T>(k + ".w", {c}).requires_grad_();
      b = ref.tensor_of<T>(k + ".b", {c}).requires_grad_();
    }
    Tensor<T> rm = et::zeros<T>({c}), rv = et::ones<T>({c});
    for (int s = 0; s < 3; ++s) {
      CAPTURE(s);
      auto x = ref.tensor_of<T>(k + ".x" + std::to_string(s), shape).requires_grad_();
      Tensor<T> y = et::ops::batch_norm(x, rm, rv, w, b, true, momentum, 1e-5);
      if (s == 0) {
        CHECK(std::string(y.grad_fn()->name()) == "NativeBatchNormBackward0");
        y.backward(ref.tensor_of<T>(k + ".up", shape));
        ref.check(y, kd + ".y0");
        ref.check(x.grad(), kd + ".gx0");
        if (affine) {
          ref.check(w.grad(), kd + ".gw0");
          ref.check(b.grad(), kd + ".gb0");
        }
      }
      ref.check(rm, kd + ".running_mean" + std::to_string(s));
      ref.check(rv, kd + ".running_var" + std::to_string(s));
    }
    // evaluation: the running statistics normalise, d/dx = g invstd w
    if (affine) {
      w.set_grad({});
      b.set_grad({});
    }
    auto x = ref.tensor_of<T>(k + ".x0", shape).requires_grad_();
    Tensor<T> y = et::ops::batch_norm(x, rm, rv, w, b, false, momentum, 1e-5);
    y.backward(ref.tensor_of<T>(k + ".up", shape));
    ref.check(y, kd + ".eval_y");
    ref.check(x.grad(), kd + ".eval_gx");
    if (affine) {
      ref.check(w.grad(), kd + ".eval_gw");
      ref.check(b.grad(), kd + ".eval_gb");
    }
  }
}

TEST_CASE_TEMPLATE("batch_norm: training outputs, running statistics and gradients equal PyTorch's bits", T, float,
                   double) {
  for (const char* key : kBatchNormCases) {
    CAPTURE(key);
    const std::string k = std::string("batch_norm.") + key;
    const auto shape = ref.ints(k + ".x_shape");
    const int64_t c = shape[1];
    const bool affine = std::string(key) != "plain";
    Tensor<T> w = affine ? ref.tensor_of<T>(k + ".w", {c}) : Tensor<T>();
    Tensor<T> b = affine ? ref.tensor_of<T>(k + ".b", {c}) : Tensor<T>();
    Tensor<T> rm = et::zeros<T>({c}), rv = et::ones<T>({c});
    Tensor<T> y = et::ops::batch_norm(ref.tensor_of<T>(k + ".x0", shape), rm, rv, w, b, true,
                                          std::string(key) == "plain" ? 0.3 : 0.1, 1e-5);
    CHECK(ref.differing_bits(y, k + "." + dname<T>() + ".y0") == 0);
    auto x = ref.tensor_of<T>(k + ".x0", shape).requires_grad_();
    if (affine) {
      w.requires_grad_();
      b.requires_grad_();
    }
    Tensor<T> rm2 = et::zeros<T>({c}), rv2 = et::ones<T>({c});
    et::ops::batch_norm(x, rm2, rv2, w, b, true, 0.1, 1e-5).backward(ref.tensor_of<T>(k + ".up", shape));
    CHECK(ref.differing_bits(x.grad(), k + "." + dname<T>() + ".gx0") == 0);
    if (affine) {
      CHECK(ref.differing_bits(w.grad(), k + "." + dname<T>() + ".gw0") == 0);
      CHECK(ref.differing_bits(b.grad(), k + "." + dname<T>() + ".gb0") == 0);
    }
    CHECK(ref.differing_bits(rm, k + "." + dname<T>() + ".running_mean0") == 0);
    CHECK(ref.differing_bits(rv, k + "." + dname<T>() + ".running_var0") == 0);
  }
}

TEST_CASE("batch_norm: gradcheck in double, training and evaluation, for input, weight and bias") {
  // [N, C, H, W] too (BatchNorm2d's input), and 9 channels: a group of 8 summed side by side and one
  for (const et::Size& xs : {et::Size{5, 3}, et::Size{4, 2, 3}, et::Size{2, 3, 2, 3}, et::Size{2, 9, 2, 3}}) {
    et::manual_seed(8);
    auto x = et::randn<double>(xs).requires_grad_();
    auto w = et::randn<double>({xs[1]}).requires_grad_();
    auto b = et::randn<double>({xs[1]}).requires_grad_();
    for (bool training : {true, false}) {
      CAPTURE(training);
      const int64_t c = xs[1];
      CHECK(et::autograd::gradcheck(
          [c, training](const std::vector<Tensor<double>>& in) {
            Tensor<double> rm = et::full<double>({c}, 0.25), rv = et::full<double>({c}, 1.5);
            return et::ops::batch_norm(in[0], rm, rv, in[1], in[2], training, 0.1, 1e-5);
          },
          {x, w, b}));
    }
    CHECK(et::autograd::gradcheck(
        [](const std::vector<Tensor<double>>& in) { return et::ops::batch_norm(in[0], {}, {}, {}, {}, true, 0.1, 1e-5); },
        {x}));
  }
}

TEST_CASE("batch_norm: PyTorch's errors for statistics of the wrong size, and missing running statistics") {
  Tensor<float> x = et::zeros({2, 3});
  CHECK_THROWS_WITH_AS(et::ops::batch_norm(x, et::zeros({4}), et::ones({4}), {}, {}, true, 0.1, 1e-5),
                       ref.text("batch_norm.err_channels").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::batch_norm(x, {}, {}, et::ones({4}), et::zeros({4}), true, 0.1, 1e-5),
                       ref.text("batch_norm.err_weight").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(et::ops::batch_norm(x, {}, {}, {}, {}, false, 0.1, 1e-5),
                       "running_mean must be defined in evaluation mode", et::Error);
  CHECK_THROWS_WITH_AS(et::ops::batch_norm(x, et::zeros({3}), {}, {}, {}, false, 0.1, 1e-5),
                       "running_var must be defined in evaluation mode", et::Error);
}
