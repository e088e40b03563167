// <eigentorch/tensor.hpp> alone: an op, its backward, and printing.
#include <eigentorch/tensor.hpp>

#include <sstream>
#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  auto x = et::tensor<double>({1.0, 2.0, 3.0}).requires_grad_();
  auto y = (x * x + x).sum();  // y = sum(x^2 + x) = 1+1 + 4+2 + 9+3
  STANDALONE_CHECK(y.item() == 20.0);
  y.backward();  // dy/dx = 2x + 1
  STANDALONE_CHECK(x.grad().to_vector() == (std::vector<double>{3.0, 5.0, 7.0}));
  std::ostringstream printed;
  printed << et::tensor({1.5, -2.0});
  STANDALONE_CHECK(printed.str() == "tensor([ 1.5000, -2.0000])");
  return 0;
}
