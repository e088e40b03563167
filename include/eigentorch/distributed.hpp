// Data-parallel training over MPI, as torch.distributed with backend "mpi": the process group and its
// collectives (distributed/process_group.hpp), nn::parallel::DistributedDataParallel
// (distributed/data_parallel.hpp, its gradient buckets in distributed/reducer.hpp), with
// data::DistributedSampler from the data layer. Not part of <eigentorch/eigentorch.hpp>: it needs
// MPI's headers and library (CMake: link eigentorch::distributed; see docs/DISTRIBUTED.md).
#pragma once

#include "eigentorch.hpp"
#include "distributed/data_parallel.hpp"
#include "distributed/process_group.hpp"
