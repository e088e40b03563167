// DistributedSampler, as torch.utils.data.distributed.DistributedSampler of PyTorch 1.13: the share of
// a dataset's indices that one of num_replicas processes takes in an epoch (shuffled with randperm
// from seed + epoch, padded by wrapping or cut to a multiple of num_replicas, then every
// num_replicas-th index from rank). It reads the default process group for its defaults only
// through detail/process_group.hpp, so the data layer needs no MPI.
#pragma once

#include "../detail/process_group.hpp"
#include "../error.hpp"
#include "../tensor/random.hpp"  // Generator, detail::fill_randperm

#include <cstddef>   // ptrdiff_t, size_t
#include <cstdint>   // int64_t, uint64_t, INT64_MAX, INT64_MIN
#include <iterator>  // std::input_iterator_tag
#include <memory>    // std::shared_ptr
#include <numeric>   // std::iota
#include <optional>
#include <utility>   // std::move
#include <vector>

namespace eigentorch::data {

/// DistributedSampler's keyword arguments: `DistributedSamplerOptions().num_replicas(2).rank(0)
/// .shuffle(true).seed(0).drop_last(false)`. num_replicas and rank not given come from the default
/// process group (init_process_group of <eigentorch/distributed.hpp>), as PyTorch's get_world_size()
/// and get_rank().
class DistributedSamplerOptions {
 public:
  DistributedSamplerOptions& num_replicas(int64_t v) { num_replicas_ = v; return *this; }
  DistributedSamplerOptions& rank(int64_t v) { rank_ = v; return *this; }
  DistributedSamplerOptions& shuffle(bool v) { shuffle_ = v; return *this; }
  DistributedSamplerOptions& seed(int64_t v) { seed_ = v; return *this; }
  DistributedSamplerOptions& drop_last(bool v) { drop_last_ = v; return *this; }
  /// The values given, or none (the default process group's).
  std::optional<int64_t> num_replicas() const { return num_replicas_; }
  std::optional<int64_t> rank() const { return rank_; }
  bool shuffle() const { return shuffle_; }
  int64_t seed() const { return seed_; }
  bool drop_last() const { return drop_last_; }

 private:
  std::optional<int64_t> num_replicas_, rank_;
  bool shuffle_ = true, drop_last_ = false;
  int64_t seed_ = 0;
};

/// torch.utils.data.distributed.DistributedSampler: this rank's indices of a dataset for the epoch.
///
///     data::DistributedSampler sampler(ds, data::DistributedSamplerOptions().num_replicas(2).rank(r));
///     data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(16), sampler);
///     for (int64_t epoch = 0; epoch < 10; ++epoch) {
///       sampler.set_epoch(epoch);   // a new order for every epoch, the same on every rank
///       for (auto [xb, yb] : loader) { ... }
///     }
///
/// Only the dataset's size() is read, when the sampler is made (PyTorch reads len(dataset) again at
/// each pass and asserts that it did not change). A range-for over the sampler yields int64_t
/// indices; each pass computes the epoch's order afresh. seed + epoch is what manual_seed keeps of
/// the Python int: its value modulo 2^64 (a negative sum or one beyond INT64_MAX seeds as PyTorch's
/// does); a sum below -2^63 throws PyTorch's "Overflow when unpacking long" when a shuffled pass starts.
class DistributedSampler {
 public:
  template <class D>
  explicit DistributedSampler(const D& dataset, const DistributedSamplerOptions& options = DistributedSamplerOptions())
      : shuffle_(options.shuffle()), drop_last_(options.drop_last()), seed_(options.seed()) {
    // PyTorch asks the group for the world size first, then for the rank, then checks the rank.
    num_replicas_ = options.num_replicas() ? *options.num_replicas()
                                           : eigentorch::detail::require_default_process_group().world_size;
    rank_ = options.rank() ? *options.rank() : eigentorch::detail::require_default_process_group().rank;
    // (a num_replicas <= 0 fails here too: no rank is in [0, num_replicas - 1])
    if (rank_ >= num_replicas_ || rank_ < 0) {
      if (num_replicas_ == INT64_MIN)  // num_replicas - 1 is a Python int: it does not overflow
        eigentorch::detail::fail<ValueError>(
            {"Invalid rank ", rank_, ", rank should be in the interval [0, -9223372036854775809]"});
      eigentorch::detail::fail<ValueError>(
          {"Invalid rank ", rank_, ", rank should be in the interval [0, ", num_replicas_ - 1, "]"});
    }
    n_ = static_cast<int64_t>(dataset.size());
    if (n_ < 0) eigentorch::detail::fail<ValueError>({"__len__() should return >= 0"});  // Python's len()
    // PyTorch: ceil((n - r) / r) with drop_last and r not dividing n, else ceil(n / r), in floating
    // point. NOTE: computed here exactly, in integers; the two agree for every n below 2^53.
    num_samples_ = drop_last_ ? n_ / num_replicas_ : n_ / num_replicas_ + (n_ % num_replicas_ != 0 ? 1 : 0);
    if (num_samples_ > INT64_MAX / num_replicas_)
      eigentorch::detail::fail({"DistributedSampler: total_size ", num_samples_, " * ", num_replicas_,
                                " does not fit in int64"});
    total_size_ = num_samples_ * num_replicas_;
  }

  /// The next pass's epoch: with shuffle, the order comes from seed + epoch.
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  int64_t epoch() const { return epoch_; }

  /// len(sampler): the number of indices a pass yields (num_samples, the same on every rank).
  int64_t size() const { return num_samples_; }
  /// The padded (or cut) length over all ranks: size() * num_replicas().
  int64_t total_size() const { return total_size_; }
  int64_t num_replicas() const { return num_replicas_; }
  int64_t rank() const { return rank_; }
  bool shuffle() const { return shuffle_; }
  bool drop_last() const { return drop_last_; }
  int64_t seed() const { return seed_; }

  /// This rank's indices for the current epoch, in order: randperm(n) from a fresh Generator seeded
  /// with seed + epoch (or 0, 1, ..., n - 1 without shuffle), extended to total_size by wrapping
  /// around (repeating the whole list when it is shorter than the padding) or cut to it with
  /// drop_last, then the elements rank, rank + num_replicas, ...
  std::vector<int64_t> indices() const {
    std::vector<int64_t> order(static_cast<std::size_t>(n_));
    if (shuffle_) {
      Generator g(generator_seed());
      eigentorch::detail::fill_randperm(order.data(), n_, g);
    } else {
      std::iota(order.begin(), order.end(), int64_t{0});
    }
    std::vector<int64_t> mine(static_cast<std::size_t>(num_samples_));
    // Position p of the padded list is order[p % n] (padding and cut alike); p < total_size, and
    // n > 0 whenever num_samples > 0.
    for (int64_t k = 0; k < num_samples_; ++k)
      mine[static_cast<std::size_t>(k)] = order[static_cast<std::size_t>((rank_ + k * num_replicas_) % n_)];
    return mine;
  }

  struct Sentinel {};

  /// One pass over the indices (an input iterator over the epoch's indices, computed at begin()).
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = int64_t;
    using difference_type = std::ptrdiff_t;
    using pointer = const int64_t*;
    using reference = int64_t;

    int64_t operator*() const { return (*indices_)[pos_]; }
    Iterator& operator++() { ++pos_; return *this; }
    bool operator!=(Sentinel) const { return pos_ < indices_->size(); }
    bool operator==(Sentinel s) const { return !(*this != s); }

   private:
    friend class DistributedSampler;
    explicit Iterator(std::vector<int64_t> indices)
        : indices_(std::make_shared<const std::vector<int64_t>>(std::move(indices))) {}
    std::shared_ptr<const std::vector<int64_t>> indices_;
    std::size_t pos_ = 0;
  };

  /// Starts a pass: the current epoch's indices() (with shuffle, a randperm of the dataset's size).
  Iterator begin() const { return Iterator(indices()); }
  Sentinel end() const { return {}; }

 private:
  // What torch.Generator.manual_seed(seed + epoch) keeps of the Python int: its value modulo 2^64,
  // refused below -2^63 (the sum of two int64 never reaches 2^64, PyTorch's other bound).
  uint64_t generator_seed() const {
    if (epoch_ < 0 && seed_ < INT64_MIN - epoch_) eigentorch::detail::fail({"Overflow when unpacking long"});
    return static_cast<uint64_t>(seed_) + static_cast<uint64_t>(epoch_);
  }

  int64_t n_ = 0, num_replicas_ = 1, rank_ = 0;
  bool shuffle_, drop_last_;
  int64_t seed_, epoch_ = 0, num_samples_ = 0, total_size_ = 0;
};

}  // namespace eigentorch::data
