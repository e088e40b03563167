// eigentorch_compiled, the double half: every instantiation listed in include/eigentorch/compiled/*.inl
// for T = double, defined here once, so that programs built with EIGENTORCH_COMPILED compile none of them.
#define EIGENTORCH_COMPILED_SOURCE  // the headers declare no extern templates here
#include <eigentorch/eigentorch.hpp>

#define EIGENTORCH_INSTANTIATE template
#define EIGENTORCH_T double
#include <eigentorch/compiled/tensor.inl>
#include <eigentorch/compiled/nn.inl>
#include <eigentorch/compiled/optim.inl>
