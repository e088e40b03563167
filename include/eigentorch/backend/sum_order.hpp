// Sums in PyTorch's order. PyTorch's CPU sum (ATen's SumKernel, AVX2 build) adds with 8-float (or
// 4-double) vectors, four interleaved accumulators and a four-level cascade; float addition is not
// associative, so summing in the same order is what makes a mean over a batch (an MSE loss, say)
// round to PyTorch's last bit.
#pragma once

#include <algorithm>  // max, fill
#include <array>
#include <cstdint>    // int64_t

namespace eigentorch::detail {

/// Lanes per AVX2 vector: 8 floats or 4 doubles.
template <class T>
inline constexpr int64_t kVecLanes = 32 / static_cast<int64_t>(sizeof(T));

/// A fixed group of accumulators added lane by lane (a SIMD vector, or several of them).
template <class T, int64_t L>
using Acc = std::array<T, static_cast<std::size_t>(L)>;

/// Item i, lane k at x[i * stride + k]: how every sum below reads its input. One type for all the
/// callers, so that each cascade is compiled once per width rather than once per caller.
template <class T>
struct StridedLoad {
  const T* x;
  int64_t stride;
  T operator()(int64_t i, int64_t k) const { return x[i * stride + k]; }
};

/// The same, for a group wider than what is left: lanes from `lanes` on read as 0.
template <class T>
struct FirstLanesLoad {
  const T* x;
  int64_t stride, lanes;
  T operator()(int64_t i, int64_t k) const { return k < lanes ? x[i * stride + k] : T(0); }
};

inline int64_t ceil_log2(int64_t x) {
  if (x <= 2) return 1;
  int64_t bits = 0;
  for (uint64_t v = static_cast<uint64_t>(x - 1); v; v >>= 1) ++bits;
  return bits;
}

/// PyTorch's multi_row_sum: `size` items, each `Lanes` wide (item i, lane k at load(i, k)), summed
/// per lane with a four-level cascade whose step is 2^max(4, ceil_log2(size) / 4).
template <class T, int64_t Lanes, class Load>
Acc<T, Lanes> multi_row_sum(int64_t size, Load load) {
  constexpr int64_t levels = 4;
  const int64_t level_power = std::max<int64_t>(4, ceil_log2(size) / levels);
  const int64_t level_step = int64_t(1) << level_power;
  const int64_t level_mask = level_step - 1;
  if (size < level_step) {  // the cascade never runs: one pass per lane (plus the levels' zeros)
    Acc<T, Lanes> out;
    out.fill(T(0));
    for (int64_t i = 0; i < size; ++i)
      for (int64_t k = 0; k < Lanes; ++k) out[k] += load(i, k);
    for (int64_t k = 0; k < Lanes; ++k) out[k] += T(0);  // NOTE: keeps -0 + 0 = +0, as the full loop does
    return out;
  }
  Acc<T, Lanes> acc[levels];
  for (auto& a : acc) a.fill(T(0));
  int64_t i = 0;
  while (i + level_step <= size) {
    for (int64_t j = 0; j < level_step; ++j, ++i)
      for (int64_t k = 0; k < Lanes; ++k) acc[0][k] += load(i, k);
    for (int64_t j = 1; j < levels; ++j) {
      for (int64_t k = 0; k < Lanes; ++k) {
        acc[j][k] += acc[j - 1][k];
        acc[j - 1][k] = T(0);
      }
      if ((i & (level_mask << (j * level_power))) != 0) break;
    }
  }
  for (; i < size; ++i)
    for (int64_t k = 0; k < Lanes; ++k) acc[0][k] += load(i, k);
  for (int64_t j = 1; j < levels; ++j)
    for (int64_t k = 0; k < Lanes; ++k) acc[0][k] += acc[j][k];
  return acc[0];
}

/// PyTorch's row_sum: items read four at a time into four accumulators, then folded together.
/// Each item is `Lanes` wide; load(i, k) gives lane k of item i.
template <class T, int64_t Lanes, class Load>
Acc<T, Lanes> row_sum(int64_t size, Load load) {
  constexpr int64_t ilp = 4;
  const int64_t size_ilp = size / ilp;
  if (size_ilp < 16) {  // multi_row_sum's cascade would not run: the same additions, indexed directly
    Acc<T, ilp * Lanes> part;
    part.fill(T(0));
    for (int64_t i = 0; i < size_ilp; ++i)
      for (int64_t r = 0; r < ilp; ++r)
        for (int64_t k = 0; k < Lanes; ++k) part[r * Lanes + k] += load(i * ilp + r, k);
    Acc<T, Lanes> out;
    for (int64_t k = 0; k < Lanes; ++k) out[k] = part[k] + T(0);
    for (int64_t i = size_ilp * ilp; i < size; ++i)
      for (int64_t k = 0; k < Lanes; ++k) out[k] += load(i, k);
    for (int64_t r = 1; r < ilp; ++r)
      for (int64_t k = 0; k < Lanes; ++k) out[k] += part[r * Lanes + k] + T(0);
    return out;
  }
  auto partial = multi_row_sum<T, ilp * Lanes>(size_ilp, [&](int64_t i, int64_t k) {
    return load(i * ilp + k / Lanes, k % Lanes);
  });
  Acc<T, Lanes> out;
  for (int64_t k = 0; k < Lanes; ++k) out[k] = partial[k];
  for (int64_t i = size_ilp * ilp; i < size; ++i)
    for (int64_t k = 0; k < Lanes; ++k) out[k] += load(i, k);
  for (int64_t r = 1; r < ilp; ++r)
    for (int64_t k = 0; k < Lanes; ++k) out[k] += partial[r * Lanes + k];
  return out;
}

/// The sum of n contiguous values, in PyTorch's order (vectorized_inner_sum).
template <class T>
T sum_contiguous(const T* x, int64_t n) {
  constexpr int64_t W = kVecLanes<T>;
  if (n < W)  // too short for a vector: ATen's scalar_inner_sum, four interleaved accumulators
    return row_sum<T, 1>(n, StridedLoad<T>{x, 1})[0];
  const int64_t vec_size = n / W;
  const Acc<T, W> vec = row_sum<T, W>(vec_size, StridedLoad<T>{x, W});
  T acc = T(0);
  for (int64_t k = vec_size * W; k < n; ++k) acc += x[k];
  for (int64_t k = 0; k < W; ++k) acc += vec[k];
  return acc;
}

template <class T>
T sum_contiguous(const T* x, int64_t n);

/// Column sums of a row-major [rows, cols] block into out[cols], in PyTorch's order
/// (vectorized_outer_sum: column groups of 32 floats, then of 8, then single columns; or, for fewer
/// columns than a vector holds, scalar_outer_sum).
template <class T>
void sum_columns(const T* x, int64_t rows, int64_t cols, T* out) {
  if (cols == 1) {  // one column is contiguous: PyTorch sums it as a plain row
    out[0] = sum_contiguous(x, rows);
    return;
  }
  constexpr int64_t W = kVecLanes<T>;
  int64_t j = 0;
  if (cols < W) {  // too narrow for vectors: ATen's scalar_outer_sum, columns four at a time
    for (; j + 4 <= cols; j += 4) {
      const auto s = multi_row_sum<T, 4>(rows, StridedLoad<T>{x + j, cols});
      for (int64_t k = 0; k < 4; ++k) out[j + k] = s[k];
    }
    for (; j < cols; ++j) out[j] = row_sum<T, 1>(rows, StridedLoad<T>{x + j, cols})[0];
    return;
  }
  for (; j + 4 * W <= cols; j += 4 * W) {
    const auto s = multi_row_sum<T, 4 * W>(rows, StridedLoad<T>{x + j, cols});
    for (int64_t k = 0; k < 4 * W; ++k) out[j + k] = s[k];
  }
  for (; j + W <= cols; j += W) {
    const auto s = row_sum<T, W>(rows, StridedLoad<T>{x + j, cols});
    for (int64_t k = 0; k < W; ++k) out[j + k] = s[k];
  }
  if (j == cols) return;
  // The last columns, which PyTorch sums one by one (row_sum of one lane each), summed together as
  // the lanes of one group: lanes never mix, so each column gets the same additions in the same order.
  const auto s = row_sum<T, W>(rows, FirstLanesLoad<T>{x + j, cols, cols - j});
  for (int64_t k = 0; k < cols - j; ++k) out[j + k] = s[k];
}

}  // namespace eigentorch::detail
