// <eigentorch/distributed.hpp> alone, in a world of one process (no launcher): the group, a
// collective, and one DistributedDataParallel step whose gradient is the local one.
#include <eigentorch/distributed.hpp>

#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  namespace dist = eigentorch::distributed;
  dist::init_process_group("mpi");
  STANDALONE_CHECK(dist::get_world_size() == 1 && dist::get_rank() == 0);
  auto t = et::tensor({1.0, 2.0});
  dist::all_reduce(t, dist::ReduceOp::MAX);
  STANDALONE_CHECK(t.to_vector() == (std::vector<float>{1, 2}));

  et::manual_seed(0);
  et::nn::Linear model(2, 1);
  et::nn::parallel::DistributedDataParallel ddp(model);
  ddp(et::tensor({{3.0, -1.0}})).sum().backward();
  STANDALONE_CHECK(model.weight.grad().to_vector() == (std::vector<float>{3, -1}));
  dist::destroy_process_group();
  return 0;
}
