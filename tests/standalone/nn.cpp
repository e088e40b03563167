// <eigentorch/nn.hpp> alone: a Linear layer's forward and backward.
#include <eigentorch/nn.hpp>

#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  namespace nn = eigentorch::nn;
  nn::Linear<double> layer(2, 1);
  {
    et::NoGradGuard no_grad;
    layer.weight.copy_(et::tensor<double>({{0.5, -1.0}}));
    layer.bias.fill_(0.25);
  }
  const auto x = et::tensor<double>({{2.0, 3.0}, {-1.0, 4.0}});
  auto out = layer(x);  // [[0.5*2 - 3 + 0.25], [-0.5 - 4 + 0.25]]
  STANDALONE_CHECK(out.to_vector() == (std::vector<double>{-1.75, -4.25}));
  out.sum().backward();  // d/dW = column sums of x, d/db = batch size
  STANDALONE_CHECK(layer.weight.grad().to_vector() == (std::vector<double>{1.0, 7.0}));
  STANDALONE_CHECK(layer.bias.grad().to_vector() == (std::vector<double>{2.0}));
  STANDALONE_CHECK(layer.parameters().size() == 2);
  return 0;
}
