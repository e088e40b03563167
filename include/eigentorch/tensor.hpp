// <eigentorch/tensor.hpp>: Tensor<T> with its factories, ops, autograd, random numbers and printing.
// Usable alone: a program that includes only this header compiles and links.
#pragma once

#include "error.hpp"               // Error, IndexError, ValueError, KeyError
#include "size.hpp"                // Size
#include "tensor/tensor.hpp"       // Tensor<T>: the handle
#include "tensor/random.hpp"       // manual_seed and PyTorch's generator
#include "autograd/grad_mode.hpp"  // NoGradGuard
#include "autograd/node.hpp"       // the tape's nodes
#include "autograd/engine.hpp"     // backward()
#include "ops/arithmetic.hpp"      // + - * / with broadcasting
#include "ops/pointwise.hpp"       // exp log sqrt abs tanh sigmoid relu pow
#include "ops/math.hpp"            // clamp square rsqrt reciprocal sin cos ... maximum minimum
#include "ops/reduce.hpp"          // sum mean
#include "ops/shape.hpp"           // reshape view unsqueeze squeeze flatten t transpose clone
#include "ops/index.hpp"           // select narrow slice permute repeat split chunk cat stack ...
#include "ops/linalg.hpp"          // mm matmul bmm dot mv
#include "ops/linear.hpp"          // linear: x W^T + b in one pass
#include "ops/loss.hpp"            // mse_loss
#include "ops/activation.hpp"      // leaky_relu elu gelu silu softplus hardtanh mish softmax ...
#include "ops/inplace.hpp"         // fill_ copy_ add_ mul_ uniform_ normal_
#include "ops/compare.hpp"         // to<U>() == < ... logical_and all any where masked_fill
#include "ops/gather.hpp"          // index_select index gather scatter_add max(d) min(d)
#include "tensor/factories.hpp"    // tensor zeros ones full arange rand randn from_vector from_eigen
#include "tensor/print.hpp"        // std::cout << tensor, as PyTorch prints
#include "autograd/gradcheck.hpp"  // finite-difference check of gradients

#ifdef EIGENTORCH_COMPILED  // the float and double instantiations live in eigentorch_compiled
#include "compiled/tensor.inl"
#endif
