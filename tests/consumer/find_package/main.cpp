// Builds against eigentorch as a downstream project would: one include, one forward pass.
#include <eigentorch/eigentorch.hpp>

#include <iostream>

int main() {
  eigentorch::manual_seed(0);
  eigentorch::nn::Linear model(1, 1);
  auto y = model(eigentorch::rand({3, 1}));
  std::cout << y << "\n";
  return 0;
}
