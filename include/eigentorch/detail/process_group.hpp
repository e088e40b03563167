// The default process group as the layers below distributed/ see it: whether one exists, this
// process's rank and the world's size. <eigentorch/distributed.hpp> (MPI) fills it in
// init_process_group and clears it in destroy_process_group; data::DistributedSampler reads it for
// its defaults, so that the data layer needs no MPI.
#pragma once

#include "../error.hpp"

namespace eigentorch::detail {

struct ProcessGroupInfo {
  bool initialized = false;
  int rank = 0;
  int world_size = 1;
};

/// The one default group of this process (written only by distributed.hpp).
inline ProcessGroupInfo& default_process_group_info() {
  static ProcessGroupInfo info;
  return info;
}

/// The default group, or PyTorch's error when init_process_group was not called.
inline const ProcessGroupInfo& require_default_process_group() {
  const ProcessGroupInfo& info = default_process_group_info();
  if (!info.initialized)
    fail({"Default process group has not been initialized, please make sure to call init_process_group."});
  return info;
}

}  // namespace eigentorch::detail
