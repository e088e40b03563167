// Builds against the installed eigentorch::distributed as a downstream project would, and runs in a
// world of one process (no launcher): a collective and one DistributedDataParallel step.
#include <eigentorch/distributed.hpp>

#include <iostream>

int main() {
  namespace et = eigentorch;
  et::distributed::init_process_group("mpi");
  et::manual_seed(0);
  et::nn::Linear model(2, 1);
  et::nn::parallel::DistributedDataParallel ddp(model);
  ddp(et::ones({1, 2})).sum().backward();
  et::distributed::all_reduce(model.weight.grad());
  std::cout << model.weight.grad() << "\n";  // the local gradient: tensor([[1., 1.]])
  et::distributed::destroy_process_group();
  return model.weight.grad().sum().item() == 2.0f ? 0 : 1;
}
