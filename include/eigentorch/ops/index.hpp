// Indexing and joining (issue 15): select, narrow, slice, permute, repeat, split, chunk, cat, stack,
// each with its derivative.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"
#include "shape.hpp"
