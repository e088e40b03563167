// <eigentorch/optim.hpp> alone: an SGD step on a tensor parameter.
#include <eigentorch/optim.hpp>

#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  auto p = et::tensor<double>({1.0, -2.0}).requires_grad_();
  et::optim::SGD<double> opt({p}, /*lr=*/0.25);
  auto loss = (p * p).sum();  // gradient 2p
  opt.zero_grad();
  loss.backward();
  opt.step();  // p - 0.25 * 2p = p / 2
  STANDALONE_CHECK(p.to_vector() == (std::vector<double>{0.5, -1.0}));
  return 0;
}
