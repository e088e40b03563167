// DataLoader, as torch.utils.data.DataLoader with num_workers=0: batches of a dataset's rows in
// order or shuffled, drawing from the default generator exactly what PyTorch 1.13 draws, so that
// the shuffled order and every later draw (Dropout, initialisation) match after the same seed.
#pragma once

#include "dataset.hpp"

#include <algorithm>  // std::max, std::min
#include <cstddef>   // ptrdiff_t, size_t
#include <cstdint>   // int64_t, uint64_t
#include <functional>  // std::function
#include <iterator>  // std::input_iterator_tag
#include <memory>    // std::shared_ptr
#include <numeric>   // std::iota
#include <utility>   // std::declval, std::move
#include <vector>

namespace eigentorch::data {

/// DataLoader's keyword arguments: `DataLoaderOptions().batch_size(16).shuffle(true).drop_last(false)`;
/// `.generator(g)` draws from g (which must outlive the loader) instead of the default generator,
/// as generator=g.
class DataLoaderOptions {
 public:
  DataLoaderOptions& batch_size(int64_t v) { batch_size_ = v; return *this; }
  DataLoaderOptions& shuffle(bool v) { shuffle_ = v; return *this; }
  DataLoaderOptions& drop_last(bool v) { drop_last_ = v; return *this; }
  DataLoaderOptions& generator(Generator& g) { generator_ = &g; return *this; }
  int64_t batch_size() const { return batch_size_; }
  bool shuffle() const { return shuffle_; }
  bool drop_last() const { return drop_last_; }
  /// The generator given, or null (the default generator).
  Generator* generator() const { return generator_; }

 private:
  int64_t batch_size_ = 1;
  bool shuffle_ = false, drop_last_ = false;
  Generator* generator_ = nullptr;
};

namespace detail {

/// torch.empty((), dtype=torch.int64).random_(): a 64-bit value (two 32-bit draws, the first the
/// high half) modulo 2^63.
inline int64_t random_int64(Generator& g) {
  eigentorch::detail::GeneratorLock lock(g);
  return static_cast<int64_t>(lock.random64() & ~(uint64_t{1} << 63));
}

}  // namespace detail

/// torch.utils.data.DataLoader over a dataset (held by value; a TensorDataset shares its tensors):
///
///     data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(16).shuffle(true));
///     for (auto [xb, yb] : loader) { ... }   // std::tuple of batched tensors
///
/// Each pass (each begin()) draws from the default generator what PyTorch's iterator draws: a base
/// seed for worker processes (drawn, then unused, as with num_workers=0), then when shuffling the
/// seed of a fresh Generator from which RandomSampler's randperm comes. The batches are that order
/// cut in batch_size pieces (BatchSampler; drop_last drops a short last one), each gathered from the
/// dataset in one pass per tensor. With a generator of one's own, both the base seed and the
/// randperm come from it, and so does a second randperm that RandomSampler draws (and discards)
/// when the pass pulls past its end, at the step where PyTorch pulls.
///
/// `DataLoader(dataset, options, sampler)` takes the batches in a sampler's order instead, as
/// DataLoader(dataset, batch_size, sampler=s): a sampler is any object with size() and a begin()/end()
/// pass of int64_t indices (DistributedSampler, sampler.hpp). The loader keeps a reference to it, so
/// the sampler must outlive the loader, and what is done to it between passes (set_epoch) shows in
/// the next pass; each pass takes the sampler's whole pass when it starts, after the base seed.
template <class D>
class DataLoader {
 public:
  using Batch = decltype(detail::fetch_batch(std::declval<const D&>(), std::declval<const std::vector<int64_t>&>()));

  explicit DataLoader(D dataset, DataLoaderOptions options = DataLoaderOptions())
      : dataset_(std::move(dataset)), options_(options) {
    // PyTorch makes the RandomSampler, then the BatchSampler, each checking its argument.
    if (options_.shuffle() && dataset_.size() <= 0)
      detail::fail<ValueError>({"num_samples should be a positive integer value, but got num_samples=", dataset_.size()});
    if (options_.batch_size() <= 0)
      detail::fail<ValueError>({"batch_size should be a positive integer value, but got batch_size=", options_.batch_size()});
  }

  /// Batches in the order of `sampler` (held by reference: it must outlive the loader).
  template <class S>
  DataLoader(D dataset, DataLoaderOptions options, S& sampler)
      : dataset_(std::move(dataset)), options_(options) {
    if (options_.shuffle()) detail::fail<ValueError>({"sampler option is mutually exclusive with shuffle"});
    if (options_.batch_size() <= 0)
      detail::fail<ValueError>({"batch_size should be a positive integer value, but got batch_size=", options_.batch_size()});
    S* s = &sampler;
    sampler_size_ = [s] { return static_cast<int64_t>(s->size()); };
    sampler_order_ = [s] {
      std::vector<int64_t> order;
      order.reserve(static_cast<std::size_t>(std::max<int64_t>(s->size(), 0)));
      for (auto i : *s) order.push_back(static_cast<int64_t>(i));
      return order;
    };
  }
  /// A temporary sampler would be gone before the first pass.
  template <class S>
  DataLoader(D dataset, DataLoaderOptions options, const S&& sampler) = delete;

  /// The number of batches a pass yields, len(loader).
  int64_t size() const {
    const int64_t n = sampler_size_ ? sampler_size_() : dataset_.size(), b = options_.batch_size();
    return options_.drop_last() || n == 0 ? n / b : (n - 1) / b + 1;  // no n + b - 1: b may be huge
  }

  struct Sentinel {};

  /// One pass over the batches (an input iterator: each dereference gathers the batch).
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Batch;

    Batch operator*() const {
      const auto begin = order_->begin() + pos_;
      const auto end = begin + std::min(loader_->options_.batch_size(), stop_ - pos_);
      return detail::fetch_batch(loader_->dataset_, std::vector<int64_t>(begin, end));
    }
    Iterator& operator++() {
      pos_ += std::min(loader_->options_.batch_size(), stop_ - pos_);
      pull_past_end();
      return *this;
    }
    bool operator!=(Sentinel) const { return pos_ < stop_; }
    bool operator==(Sentinel s) const { return !(*this != s); }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order, int64_t stop,
             Generator* sampler_generator)
        : loader_(loader), order_(std::move(order)), stop_(stop), sampler_generator_(sampler_generator) {
      // BatchSampler pulls past the sampler's end before a short last batch, else after the last one.
      const int64_t n = static_cast<int64_t>(order_->size()), rest = n % loader_->options_.batch_size();
      end_pull_ = loader_->options_.drop_last() || rest == 0 ? stop_ : n - rest;
      pull_past_end();
    }

    // RandomSampler with the loader's generator: past its end it draws randperm(n)[:0] from it.
    void pull_past_end() {
      if (sampler_generator_ == nullptr || pos_ != end_pull_) return;
      std::vector<int64_t> discarded(order_->size());
      eigentorch::detail::fill_randperm(discarded.data(), static_cast<int64_t>(discarded.size()), *sampler_generator_);
      sampler_generator_ = nullptr;
    }

    const DataLoader* loader_;
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t pos_ = 0, stop_, end_pull_ = 0;
    Generator* sampler_generator_;  // the loader's own generator while its sampler has not pulled past its end
  };

  /// Starts a pass: draws as PyTorch's `iter(loader)` and first `next` do, then yields the batches.
  Iterator begin() const {
    Generator* own = options_.generator();
    Generator& g = own != nullptr ? *own : default_generator();
    detail::random_int64(g);  // _BaseDataLoaderIter's _base_seed: drawn even without shuffle
    if (sampler_order_) {
      auto order = std::make_shared<std::vector<int64_t>>(sampler_order_());
      const int64_t n = static_cast<int64_t>(order->size()), b = options_.batch_size();
      return Iterator(this, std::move(order), options_.drop_last() ? n / b * b : n, nullptr);
    }
    const int64_t n = dataset_.size();
    auto order = std::make_shared<std::vector<int64_t>>(static_cast<std::size_t>(n));
    if (options_.shuffle() && own != nullptr) {
      eigentorch::detail::fill_randperm(order->data(), n, *own);  // RandomSampler(generator=g)
    } else if (options_.shuffle()) {
      // RandomSampler: a seed from the default generator, a randperm from a Generator seeded with it.
      Generator sampler_generator(static_cast<uint64_t>(detail::random_int64(g)));
      eigentorch::detail::fill_randperm(order->data(), n, sampler_generator);
    } else {
      std::iota(order->begin(), order->end(), int64_t{0});
    }
    const int64_t b = options_.batch_size();
    return Iterator(this, std::move(order), options_.drop_last() ? n / b * b : n, options_.shuffle() ? own : nullptr);
  }
  Sentinel end() const { return {}; }

  const D& dataset() const { return dataset_; }
  const DataLoaderOptions& options() const { return options_; }

 private:
  D dataset_;
  DataLoaderOptions options_;
  // With a sampler: its len() and one pass of its indices (empty without one).
  std::function<int64_t()> sampler_size_;
  std::function<std::vector<int64_t>()> sampler_order_;
};

}  // namespace eigentorch::data
