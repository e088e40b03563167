// eigentorch: the whole library. Include this one header; the finer ones below are in dependency order.
#pragma once

#include "tensor.hpp"             // Tensor<T>: the handle
#include "random.hpp"             // manual_seed and PyTorch's generator
#include "autograd/grad_mode.hpp" // NoGradGuard
#include "autograd/node.hpp"      // the tape's nodes
#include "autograd/engine.hpp"    // backward()
#include "ops/arithmetic.hpp"     // + - * / with broadcasting
#include "ops/pointwise.hpp"      // exp log sqrt abs tanh sigmoid relu pow
#include "ops/reduce.hpp"         // sum mean
#include "ops/shape.hpp"          // reshape view unsqueeze squeeze flatten t transpose clone
#include "ops/linalg.hpp"         // mm matmul bmm linear
#include "ops/loss.hpp"           // mse_loss
#include "ops/activation.hpp"     // leaky_relu elu gelu silu softplus hardtanh mish softmax ...
#include "ops/inplace.hpp"        // fill_ copy_ add_ mul_ uniform_ normal_
#include "factories.hpp"          // tensor zeros ones full arange rand randn from_vector from_eigen
#include "print.hpp"              // std::cout << tensor, as PyTorch prints
#include "autograd/gradcheck.hpp" // finite-difference check of gradients
#include "nn/module.hpp"
#include "nn/init.hpp"
#include "nn/functional.hpp"
#include "nn/linear.hpp"
#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/loss.hpp"
#include "optim/optimizer.hpp"
#include "optim/sgd.hpp"
#include "graph.hpp"              // CPUGraph: capture a step once, replay its kernels
