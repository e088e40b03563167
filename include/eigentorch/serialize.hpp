// <eigentorch/serialize.hpp>: saving and loading state dicts (safetensors and PyTorch's .pt), filled
// by issue 17. Usable alone: today it brings <eigentorch/tensor.hpp> and the OrderedDict a state dict is.
#pragma once

#include "tensor.hpp"
#include "nn/ordered_dict.hpp"
