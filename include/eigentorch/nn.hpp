// <eigentorch/nn.hpp>: modules (Module, Linear, Conv1d, Conv2d, Sequential, ModuleList, ModuleDict,
// Flatten, Unflatten, activations, losses, dropout, normalisation, pooling), nn::functional, nn::init
// and nn::utils. Usable alone: it brings <eigentorch/tensor.hpp> with it.
#pragma once

#include "tensor.hpp"
#include "nn/ordered_dict.hpp"  // OrderedDict: what state_dict() returns
#include "nn/module.hpp"
#include "nn/init.hpp"
#include "nn/functional.hpp"
#include "nn/linear.hpp"
#include "nn/conv.hpp"
#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/flatten.hpp"
#include "nn/utils.hpp"
#include "nn/loss.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/normalization.hpp"
#include "nn/pooling.hpp"

#ifdef EIGENTORCH_COMPILED  // the float and double instantiations live in eigentorch_compiled
#include "compiled/nn.inl"
#endif
