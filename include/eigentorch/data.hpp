// <eigentorch/data.hpp>: data loading as torch.utils.data: TensorDataset, Subset, random_split,
// DataLoader (batched, shuffled in PyTorch's order after the same manual_seed) and
// DistributedSampler (one process's share of each epoch, as PyTorch's).
// Usable alone: it brings <eigentorch/tensor.hpp>.
#pragma once

#include "tensor.hpp"
#include "data/dataset.hpp"     // TensorDataset, Subset, random_split
#include "data/dataloader.hpp"  // DataLoaderOptions, DataLoader
#include "data/sampler.hpp"     // DistributedSamplerOptions, DistributedSampler
