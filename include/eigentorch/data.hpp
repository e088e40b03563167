// <eigentorch/data.hpp>: data loading (TensorDataset, DataLoader, random_split), filled by issue 16.
// Usable alone: today it brings <eigentorch/tensor.hpp>, which is all a data pipeline needs so far.
#pragma once

#include "tensor.hpp"
