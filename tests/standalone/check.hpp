// The standalone programs' one check: on a wrong value, print where and what, and make main fail.
// Deliberately not doctest and nothing from eigentorch: each program must include only its header.
#pragma once

#include <cstdio>
#include <cstdlib>

#define STANDALONE_CHECK(cond)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)
