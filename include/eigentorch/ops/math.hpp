// More elementwise math (issue 15): clamp, square, rsqrt, reciprocal, sin, cos, log1p, expm1, log2,
// floor, ceil, round, sign, maximum, minimum, each a rule over ops::pointwise or a node with its
// derivative.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "pointwise.hpp"
