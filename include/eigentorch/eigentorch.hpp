// eigentorch: the whole library. Each public header below is usable alone; this one includes them all.
#pragma once

#include "tensor.hpp"     // Tensor, factories, ops, autograd, random, printing
#include "nn.hpp"         // modules, nn::functional, nn::init
#include "optim.hpp"      // optimizers
#include "data.hpp"       // data loading
#include "serialize.hpp"  // state dicts to and from files
#include "graph.hpp"      // CPUGraph: capture a step once, replay its kernels
