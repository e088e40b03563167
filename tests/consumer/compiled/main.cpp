// Builds against eigentorch's compiled mode as a downstream project would: eigentorch::compiled must
// bring EIGENTORCH_COMPILED with it, and the program must link against the library's instantiations
// (float and double) without compiling them itself.
#include <eigentorch/eigentorch.hpp>

#include <iostream>

#ifndef EIGENTORCH_COMPILED
#error "eigentorch::compiled did not define EIGENTORCH_COMPILED"
#endif

int main() {
  eigentorch::manual_seed(0);
  eigentorch::nn::Linear model(1, 1);
  auto y = model(eigentorch::rand({3, 1}));
  std::cout << y << "\n";
  eigentorch::nn::Linear<double> model64(2, 1);
  auto y64 = eigentorch::nn::functional::tanh(model64(eigentorch::ones<double>({1, 2})));
  std::cout << y64.sum() << "\n";
  return 0;
}
