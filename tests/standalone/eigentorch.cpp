// <eigentorch/eigentorch.hpp> alone: the umbrella, a Sequential trained one SGD step.
#include <eigentorch/eigentorch.hpp>

#include <string>
#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  namespace nn = eigentorch::nn;
  nn::Sequential model(nn::Linear<double>(1, 1, /*with_bias=*/false), nn::ReLU<double>());
  {
    et::NoGradGuard no_grad;
    for (auto& p : model.parameters()) p.fill_(1.0);
  }
  et::optim::SGD<double> opt(model.parameters(), /*lr=*/0.125);
  nn::MSELoss<double> mse;
  const auto x = et::tensor<double>({{2.0}}), y = et::tensor<double>({{0.0}});
  auto loss = mse(model(x), y);  // (1*2 - 0)^2
  STANDALONE_CHECK(loss.item() == 4.0);
  opt.zero_grad();
  loss.backward();  // d/dw = 2 * (w*x - y) * x = 8
  opt.step();       // w = 1 - 0.125 * 8 = 0
  STANDALONE_CHECK(model.parameters()[0].to_vector() == (std::vector<double>{0.0}));
  STANDALONE_CHECK(model.state_dict().keys() == (std::vector<std::string>{"0.weight"}));
  return 0;
}
