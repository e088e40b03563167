// Datasets, as torch.utils.data's: TensorDataset (rows of tensors of any element types), Subset,
// random_split, and how a batch of rows is gathered from a dataset (one index_select per tensor
// where the dataset can, a stack of its rows otherwise).
#pragma once

#include "../tensor.hpp"

#include <algorithm>         // std::max, std::min
#include <cmath>             // std::abs, std::floor
#include <cstddef>           // size_t
#include <cstdint>           // int64_t, uint64_t, INT64_MAX, INT64_MIN
#include <initializer_list>
#include <tuple>
#include <type_traits>       // std::void_t, std::is_arithmetic_v, std::is_floating_point_v, std::is_unsigned_v
#include <utility>           // std::declval, std::index_sequence, std::move
#include <vector>

namespace eigentorch::data {

namespace detail {

using eigentorch::detail::fail;

/// Python's list indexing: a negative index counts from the end.
inline int64_t list_index(int64_t i, int64_t n) {
  if (i < -n || i >= n) fail<IndexError>({"list index out of range"});
  return i < 0 ? i + n : i;
}

/// Whether D gathers many rows at once: `d.get_batch(indices)`.
template <class D, class = void>
struct has_get_batch : std::false_type {};
template <class D>
struct has_get_batch<D, std::void_t<decltype(std::declval<const D&>().get_batch(std::declval<const std::vector<int64_t>&>()))>>
    : std::true_type {};

template <class Row, std::size_t... I>
Row stack_rows(const std::vector<Row>& rows, std::index_sequence<I...>) {
  auto column = [&rows](auto tag) {
    constexpr std::size_t k = decltype(tag)::value;
    std::vector<std::decay_t<std::tuple_element_t<k, Row>>> parts;
    parts.reserve(rows.size());
    for (const Row& r : rows) parts.push_back(std::get<k>(r));
    return stack(parts, 0);
  };
  return Row(column(std::integral_constant<std::size_t, I>{})...);
}

/// The rows `indices` of a dataset as one tuple of batched tensors, as PyTorch's default_collate
/// stacks them: with the dataset's get_batch when it has one, else a stack of dataset[i] per tensor.
template <class D>
auto fetch_batch(const D& dataset, const std::vector<int64_t>& indices) {
  if constexpr (has_get_batch<D>::value) {
    return dataset.get_batch(indices);
  } else {
    using Row = std::decay_t<decltype(dataset[int64_t{0}])>;
    std::vector<Row> rows;
    rows.reserve(indices.size());
    for (int64_t i : indices) rows.push_back(dataset[i]);
    return stack_rows(rows, std::make_index_sequence<std::tuple_size_v<Row>>{});
  }
}

}  // namespace detail

/// torch.utils.data.TensorDataset: row i of every tensor. `data::TensorDataset ds(x, y);` with x a
/// float [N, 4] and y an int64 [N]: `ds[i]` is the tuple (x[i], y[i]), `ds.size()` is N.
template <class... Ts>
class TensorDataset {
  static_assert(sizeof...(Ts) > 0, "a TensorDataset holds at least one tensor");

 public:
  using Row = std::tuple<Tensor<Ts>...>;

  explicit TensorDataset(Tensor<Ts>... tensors) : tensors_(std::move(tensors)...) {
    std::apply([](const auto&... t) {
      // NOTE: PyTorch's t.size(0) refuses a 0-d tensor; ours would answer 0, so ask first.
      if (((t.dim() == 0) || ...)) detail::fail<IndexError>({"Dimension specified as 0 but tensor has no dimensions"});
      const int64_t n = std::get<0>(std::forward_as_tuple(t...)).size(0);
      if (!((t.size(0) == n) && ...)) detail::fail({"Size mismatch between tensors"});
    }, tensors_);
  }

  /// The number of rows (the tensors' first dim).
  int64_t size() const { return std::get<0>(tensors_).size(0); }

  /// Row i of every tensor (t[i]: a negative i counts from the end).
  Row operator[](int64_t i) const {
    return std::apply([i](const auto&... t) { return Row(t[i]...); }, tensors_);
  }

  /// The rows `indices` of every tensor, each gathered in one index_select.
  Row get_batch(const std::vector<int64_t>& indices) const {
    const Tensor<int64_t> idx = from_vector(indices);
    return std::apply([&idx](const auto&... t) { return Row(t.index_select(0, idx)...); }, tensors_);
  }

  const std::tuple<Tensor<Ts>...>& tensors() const { return tensors_; }

 private:
  std::tuple<Tensor<Ts>...> tensors_;
};

/// torch.utils.data.Subset: the rows `indices` of a dataset (held by value: a TensorDataset shares
/// its tensors), in that order. `subset[i]` is `dataset[indices[i]]`.
template <class D>
class Subset {
 public:
  Subset(D dataset, std::vector<int64_t> indices) : dataset_(std::move(dataset)), indices_(std::move(indices)) {}

  int64_t size() const { return static_cast<int64_t>(indices_.size()); }

  auto operator[](int64_t i) const { return dataset_[indices_[static_cast<std::size_t>(detail::list_index(i, size()))]]; }

  /// The rows `indices` of the subset, gathered from the dataset in one batch.
  auto get_batch(const std::vector<int64_t>& indices) const {
    std::vector<int64_t> rows(indices.size());
    for (std::size_t j = 0; j < indices.size(); ++j)
      rows[j] = indices_[static_cast<std::size_t>(detail::list_index(indices[j], size()))];
    return detail::fetch_batch(dataset_, rows);
  }

  const D& dataset() const { return dataset_; }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  D dataset_;
  std::vector<int64_t> indices_;
};

namespace detail {

/// Python's math.isclose(a, b) with its default relative tolerance 1e-9.
inline bool isclose(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

/// Python's list slice v[start:stop].
inline std::vector<int64_t> py_slice(const std::vector<int64_t>& v, int64_t start, int64_t stop) {
  const auto n = static_cast<int64_t>(v.size());
  auto clamp = [n](int64_t i) { return i < 0 ? std::max<int64_t>(i + n, 0) : std::min(i, n); };
  start = clamp(start), stop = clamp(stop);
  if (start >= stop) return {};
  return std::vector<int64_t>(v.begin() + start, v.begin() + stop);
}

[[noreturn]] inline void fail_sum() {
  fail<ValueError>({"Sum of input lengths does not equal the length of the input dataset!"});
}

/// random_split's lengths, as PyTorch 1.13 works them out: fractions (they sum to 1) become
/// floor(n * fraction) each, plus one each in turn from the first while rows are left over.
template <class N>
std::vector<int64_t> split_lengths(const std::vector<N>& lengths, int64_t n) {
  double total = 0;
  for (N v : lengths) total += static_cast<double>(v);
  std::vector<int64_t> out;
  if (isclose(total, 1.0) && total <= 1.0) {
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      const double f = static_cast<double>(lengths[i]);
      if (f < 0 || f > 1) fail<ValueError>({"Fraction at index ", i, " is not between 0 and 1"});
      out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(n) * f)));
    }
    int64_t remainder = n;
    for (int64_t v : out) remainder -= v;
    for (int64_t i = 0; i < remainder; ++i) ++out[static_cast<std::size_t>(i) % out.size()];
    return out;
  }
  if constexpr (std::is_floating_point_v<N>) {
    // NOTE: PyTorch hands a float sum that equals the size to randperm, which refuses it (a
    // TypeError; its first line here).
    if (total != static_cast<double>(n)) fail_sum();
    fail({"randperm() received an invalid combination of arguments - got (float, generator=torch._C.Generator), "
          "but expected one of:"});
  }
  for (N v : lengths) {
    if constexpr (std::is_unsigned_v<N>)
      if (v > static_cast<uint64_t>(INT64_MAX)) fail_sum();  // beyond any dataset's size
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

}  // namespace detail

/// torch.utils.data.random_split: subsets of the given lengths (or fractions summing to 1) from
/// one randperm of the dataset's size drawn from `generator` (the default one unless given), so
/// the same manual_seed gives PyTorch's split. `auto parts = data::random_split(ds, {120, 30});`
template <class D, class N>
std::vector<Subset<D>> random_split(const D& dataset, const std::vector<N>& lengths,
                                    Generator& generator = default_generator()) {
  static_assert(std::is_arithmetic_v<N>, "lengths are numbers");
  const int64_t n = dataset.size();
  const std::vector<int64_t> sizes = detail::split_lengths(lengths, n);
  int64_t total = 0;
  for (int64_t v : sizes) {
    // NOTE: Python's sum has no overflow; a partial sum beyond int64 is refused here as a wrong sum.
    if ((v > 0 && total > INT64_MAX - v) || (v < 0 && total < INT64_MIN - v)) detail::fail_sum();
    total += v;
  }
  if (total != n) detail::fail_sum();
  std::vector<int64_t> perm(static_cast<std::size_t>(n));
  eigentorch::detail::fill_randperm(perm.data(), n, generator);
  std::vector<Subset<D>> out;
  int64_t offset = 0;
  for (int64_t length : sizes) {
    offset += length;
    out.emplace_back(dataset, detail::py_slice(perm, offset - length, offset));
  }
  return out;
}

/// random_split(dataset, {7, 3}) and random_split(dataset, {0.8, 0.2}).
template <class D, class N>
std::vector<Subset<D>> random_split(const D& dataset, std::initializer_list<N> lengths,
                                    Generator& generator = default_generator()) {
  return random_split(dataset, std::vector<N>(lengths), generator);
}

}  // namespace eigentorch::data
