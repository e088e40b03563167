// <eigentorch/optim.hpp>: optimizers (Optimizer, SGD). Usable alone: it brings
// <eigentorch/tensor.hpp> with it.
#pragma once

#include "tensor.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
