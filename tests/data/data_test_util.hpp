// The dataset of tests/reference/make_data_reference.py, shared by the data tests: row i holds the
// features (3i, 3i + 1, 3i + 2) / 8 (float) and the label 2^40 + 3i (int64).
#pragma once

#include <eigentorch/data.hpp>

#include <cstdint>  // int64_t
#include <vector>

#include "reference/data_cases.hpp"

namespace eigentorch::testing {

inline data::TensorDataset<float, int64_t> make_dataset(int64_t n) {
  std::vector<float> x(static_cast<std::size_t>(3 * n));
  for (int64_t k = 0; k < 3 * n; ++k) x[static_cast<std::size_t>(k)] = static_cast<float>(k) / 8;
  std::vector<int64_t> y(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = reference::data_label_base + 3 * i;
  return data::TensorDataset(from_vector(x, Size{n, 3}), from_vector(y, Size{n}));
}

/// The features of the row whose label is `label`, as make_dataset made them.
inline std::vector<float> features_of(int64_t label) {
  const int64_t i = (label - reference::data_label_base) / 3;
  return {static_cast<float>(3 * i) / 8, static_cast<float>(3 * i + 1) / 8, static_cast<float>(3 * i + 2) / 8};
}

}  // namespace eigentorch::testing
