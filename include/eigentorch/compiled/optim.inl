// The float and double instantiations behind <eigentorch/optim.hpp>, read twice as
// compiled/tensor.inl is: `extern template` at the end of optim.hpp in compiled mode, definitions in
// the library (src/).
#ifndef EIGENTORCH_T
#ifndef EIGENTORCH_COMPILED_SOURCE  // the library's own sources define them instead
#define EIGENTORCH_INSTANTIATE extern template
#define EIGENTORCH_T float
#include "optim.inl"
#undef EIGENTORCH_T
#define EIGENTORCH_T double
#include "optim.inl"
#undef EIGENTORCH_T
#undef EIGENTORCH_INSTANTIATE
#endif
#else

namespace eigentorch::optim {

EIGENTORCH_INSTANTIATE class Optimizer<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class SGD<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Adam<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class AdamW<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class RMSprop<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Adagrad<EIGENTORCH_T>;

}  // namespace eigentorch::optim

#endif
