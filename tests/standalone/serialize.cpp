// <eigentorch/serialize.hpp> alone (today tensor.hpp and nn::OrderedDict, what a state dict is).
#include <eigentorch/serialize.hpp>

#include <string>
#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  et::nn::OrderedDict<double> state;
  state.insert("weight", et::tensor<double>({1.0, 2.0}));
  state.insert("bias", et::tensor<double>({0.5}));
  STANDALONE_CHECK(state.keys() == (std::vector<std::string>{"weight", "bias"}));
  STANDALONE_CHECK(state["weight"].sum().item() == 3.0);
  bool threw = false;
  try {
    (void)state["missing"];
  } catch (const et::KeyError&) {
    threw = true;
  }
  STANDALONE_CHECK(threw);
  return 0;
}
