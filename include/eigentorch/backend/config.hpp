// Build switches, read before Eigen is first included.
// EIGENTORCH_USE_BLAS: large matrix products go to an external BLAS (link one, e.g. -lopenblas),
// through Eigen's own BLAS back end (backend/gemm.hpp says which products are large).
#pragma once

#if defined(EIGENTORCH_USE_BLAS) && !defined(EIGEN_USE_BLAS)
#define EIGEN_USE_BLAS
#endif
