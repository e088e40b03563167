// <eigentorch/data.hpp> alone (today it brings tensor.hpp): a tensor from it.
#include <eigentorch/data.hpp>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  const auto batch = et::arange<double>(6).reshape({3, 2});
  STANDALONE_CHECK(batch.size(0) == 3);
  STANDALONE_CHECK(batch.mean().item() == 2.5);
  return 0;
}
