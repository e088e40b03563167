// Tests for ops/activation.hpp (and the activation modules of nn/activation.hpp): values, input
// gradients and grad_fn names against PyTorch 1.13 (tests/reference/activation_cases.hpp), gradcheck
// on each in double, and the modules' reprs.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "reference/activation_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace F = eigentorch::nn::functional;
namespace ref = eigentorch::reference::activation;

template <class T>
using Fn = std::function<et::Tensor<T>(const et::Tensor<T>&)>;

/// The C++ spelling of each reference case, by the script's name.
template <class T>
std::map<std::string, Fn<T>> activations() {
  return {
      {"leaky_relu_0.1", [](const et::Tensor<T>& t) { return F::leaky_relu(t, 0.1); }},
      {"elu_1.5", [](const et::Tensor<T>& t) { return F::elu(t, 1.5); }},
      {"gelu", [](const et::Tensor<T>& t) { return F::gelu(t); }},
      {"gelu_tanh", [](const et::Tensor<T>& t) { return F::gelu(t, "tanh"); }},
      {"silu", [](const et::Tensor<T>& t) { return F::silu(t); }},
      {"softplus_2_1", [](const et::Tensor<T>& t) { return F::softplus(t, 2.0, 1.0); }},
      {"hardtanh_-0.5_0.5", [](const et::Tensor<T>& t) { return F::hardtanh(t, -0.5, 0.5); }},
      {"relu6", [](const et::Tensor<T>& t) { return F::relu6(t); }},
      {"mish", [](const et::Tensor<T>& t) { return F::mish(t); }},
      {"logsigmoid", [](const et::Tensor<T>& t) { return F::logsigmoid(t); }},
      {"softsign", [](const et::Tensor<T>& t) { return F::softsign(t); }},
      {"tanhshrink", [](const et::Tensor<T>& t) { return F::tanhshrink(t); }},
      {"softmax_1", [](const et::Tensor<T>& t) { return F::softmax(t.reshape({3, 4}), 1); }},
      {"log_softmax_0", [](const et::Tensor<T>& t) { return F::log_softmax(t.reshape({3, 4}), 0); }},
      {"hardswish", [](const et::Tensor<T>& t) { return F::hardswish(t); }},
  };
}

template <class T>
et::Tensor<T> from(const std::vector<double>& v) {
  return et::from_vector(std::vector<T>(v.begin(), v.end()));
}

}  // namespace

TEST_CASE_TEMPLATE("activation: values, gradients and grad_fn names equal PyTorch's", T, float, double) {
  const auto fns = activations<T>();
  const bool is_double = std::is_same_v<T, double>;
  const double rtol = is_double ? 1e-12 : 1e-5, atol = is_double ? 1e-14 : 1e-6;
  int checked = 0;
  for (const ref::Case& c : ref::cases) {
    if (c.is_double != is_double) continue;
    const std::string name = c.name;
    CAPTURE(name);
    REQUIRE(fns.count(name) == 1);
    auto x = from<T>(ref::input).requires_grad_();
    et::Tensor<T> y = fns.at(name)(x);
    CHECK(std::string(y.grad_fn()->display_name()) == c.grad_fn);
    eigentorch::testing::check_allclose(y.to_vector(), c.output, rtol, atol);
    y.backward(from<T>(ref::grad_output).reshape(y.shape()));
    eigentorch::testing::check_allclose(x.grad().to_vector(), c.grad, rtol, atol);
    ++checked;
  }
  CHECK(checked == static_cast<int>(fns.size()));  // every C++ spelling has PyTorch's values
}

TEST_CASE("activation: gradcheck on every activation in double") {
  for (const auto& [name, fn] : activations<double>()) {
    CAPTURE(name);
    // Points away from the kinks of leaky_relu / hardtanh / relu6, where a central difference straddles.
    std::vector<et::Tensor<double>> in{et::tensor<double>({-2.3, -0.7, -0.2, 0.15, 0.45, 1.3, 2.2, 3.1, -1.6, 0.9, 4.4, -3.3})
                                           .requires_grad_()};
    CHECK(eigentorch::autograd::gradcheck([&fn = fn](std::vector<et::Tensor<double>>& v) { return fn(v[0]); }, in));
  }
}

TEST_CASE("activation: modules print PyTorch's repr and forward to their function") {
  std::vector<std::shared_ptr<nn::Module<>>> modules = {
      std::make_shared<nn::LeakyReLU<>>(), std::make_shared<nn::ELU<>>(), std::make_shared<nn::GELU<>>(),
      std::make_shared<nn::SiLU<>>(), std::make_shared<nn::Softplus<>>(), std::make_shared<nn::Hardtanh<>>(),
      std::make_shared<nn::ReLU6<>>(), std::make_shared<nn::Mish<>>(), std::make_shared<nn::LogSigmoid<>>(),
      std::make_shared<nn::Softsign<>>(), std::make_shared<nn::Tanhshrink<>>(), std::make_shared<nn::Softmax<>>(1),
      std::make_shared<nn::LogSoftmax<>>(0), std::make_shared<nn::Identity<>>(), std::make_shared<nn::LeakyReLU<>>(0.2),
      std::make_shared<nn::ELU<>>(0.5),
      std::make_shared<nn::Hardswish<>>(),
  };
  REQUIRE(modules.size() == ref::reprs.size());
  for (std::size_t i = 0; i < modules.size(); ++i) {
    std::ostringstream os;
    os << *modules[i];
    CHECK(os.str() == ref::reprs[i]);
  }
  auto x = et::tensor({{-1.0, 2.0}, {0.5, -3.0}});
  CHECK(nn::GELU<>()(x).to_vector() == F::gelu(x).to_vector());
  CHECK(nn::Softmax<>(1)(x).to_vector() == F::softmax(x, 1).to_vector());
  CHECK(nn::Identity<>()(x).is_same(x));
  CHECK_THROWS_WITH_AS(nn::GELU<>("fast"), "approximate argument must be either none or tanh.", et::ValueError);
  CHECK_THROWS_WITH_AS(nn::Hardtanh<>(1.0, -1.0), "min_val cannot be greater than max_val", et::Error);
}
