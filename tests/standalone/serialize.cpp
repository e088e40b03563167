// <eigentorch/serialize.hpp> alone: a state dict saved in both formats and loaded back, as double.
#include <eigentorch/serialize.hpp>

#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // unlink, rmdir

#include <string>
#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  et::nn::OrderedDict<float> state;
  state.insert("weight", et::tensor({1.0f, 2.5f}));
  state.insert("bn.num_batches_tracked", et::tensor(3.0f));
  char dir_template[] = "/tmp/eigentorch-standalone-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  STANDALONE_CHECK(dir != nullptr);
  for (const std::string name : {"/m.pt", "/m.safetensors"}) {
    const std::string path = dir + name;
    et::save(state, path);
    const et::nn::OrderedDict<double> back = et::load<double>(path);
    STANDALONE_CHECK(back["weight"].to_vector() == (std::vector<double>{1.0, 2.5}));
    STANDALONE_CHECK(back["bn.num_batches_tracked"].item() == 3.0);
    unlink(path.c_str());
  }
  rmdir(dir);
  return 0;
}
