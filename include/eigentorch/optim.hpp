// <eigentorch/optim.hpp>: optimizers (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad) and
// their learning-rate schedulers (optim::lr_scheduler). Usable alone: it brings
// <eigentorch/tensor.hpp> with it.
#pragma once

#include "tensor.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
#include "optim/adam.hpp"
#include "optim/adamw.hpp"
#include "optim/rmsprop.hpp"
#include "optim/adagrad.hpp"
#include "optim/lr_scheduler.hpp"

#ifdef EIGENTORCH_COMPILED  // the float and double instantiations live in eigentorch_compiled
#include "compiled/optim.inl"
#endif
