// Tests for DistributedSampler (data/sampler.hpp) and the DataLoader that takes a sampler: every
// rank's indices against PyTorch 1.13's for each size, replica count, shuffle, drop_last, seed and
// epoch (tests/reference/sampler_cases.hpp), the ranks' shares together covering the padded order;
// set_epoch on the sampler and through a loader; the batches a loader with a sampler yields and where
// it leaves the default generator (and its own); the defaults from the default process group; every
// error in PyTorch's words.
#include <eigentorch/data.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t, INT64_MAX, INT64_MIN
#include <string>
#include <type_traits>  // std::is_constructible_v
#include <vector>

#include "data/data_test_util.hpp"
#include "reference/sampler_cases.hpp"

namespace {

namespace et = eigentorch;
namespace data = eigentorch::data;
using et::reference::SamplerCase;
using et::reference::SamplerLoaderCase;

/// The only thing a DistributedSampler reads of a dataset: its size.
struct Sized {
  int64_t n;
  int64_t size() const { return n; }
};

data::DistributedSamplerOptions options_of(const SamplerCase& c, int64_t rank) {
  return data::DistributedSamplerOptions().num_replicas(c.num_replicas).rank(rank).shuffle(c.shuffle).seed(c.seed).drop_last(
      c.drop_last);
}

std::vector<int64_t> expected_indices(const SamplerCase& c, int64_t rank) {
  const int64_t* p = et::reference::sampler_indices + c.offset + rank * c.num_samples;
  return std::vector<int64_t>(p, p + c.num_samples);
}

std::vector<int64_t> iterated(const data::DistributedSampler& s) {
  std::vector<int64_t> out;
  for (int64_t i : s) out.push_back(i);
  return out;
}

/// The reference case with these settings.
const SamplerCase& find_case(int64_t n, int64_t replicas, bool shuffle, bool drop_last, int64_t seed, int64_t epoch) {
  for (const SamplerCase& c : et::reference::sampler_cases)
    if (c.n == n && c.num_replicas == replicas && c.shuffle == shuffle && c.drop_last == drop_last && c.seed == seed &&
        c.epoch == epoch)
      return c;
  FAIL("no reference case");
  return et::reference::sampler_cases[0];
}

/// PyTorch's message for a misuse, and whether its type was ValueError (RuntimeError otherwise).
const et::reference::SamplerError& reference_error(const char* name) {
  for (const auto& e : et::reference::sampler_errors)
    if (std::string(e.name) == name) return e;
  FAIL("no reference for ", name);
  return et::reference::sampler_errors[0];
}

template <class F>
void check_error(const char* name, F&& call) {
  CAPTURE(std::string(name));
  const auto& e = reference_error(name);
  if (std::string(e.type) == "ValueError") {
    CHECK_THROWS_WITH_AS(call(), e.message, et::ValueError);
  } else {
    REQUIRE(std::string(e.type) == "RuntimeError");
    CHECK_THROWS_WITH_AS(call(), e.message, et::Error);
    try {
      call();
    } catch (const et::ValueError&) {
      FAIL("a RuntimeError in PyTorch, not a ValueError");
    } catch (const et::Error&) {
    }
  }
}

/// Sets the default process group's rank and size as init_process_group would, and clears it again.
class FakeProcessGroup {
 public:
  FakeProcessGroup(int rank, int world_size) : saved_(et::detail::default_process_group_info()) {
    et::detail::default_process_group_info() = {true, rank, world_size};
  }
  ~FakeProcessGroup() { et::detail::default_process_group_info() = saved_; }
  FakeProcessGroup(const FakeProcessGroup&) = delete;
  FakeProcessGroup& operator=(const FakeProcessGroup&) = delete;

 private:
  et::detail::ProcessGroupInfo saved_;
};

}  // namespace

TEST_CASE("DistributedSampler: every rank's indices are PyTorch's, and together they cover the padded order") {
  REQUIRE_FALSE(et::detail::default_process_group_info().initialized);
  for (const SamplerCase& c : et::reference::sampler_cases) {
    CAPTURE(c.n);
    CAPTURE(c.num_replicas);
    CAPTURE(c.shuffle);
    CAPTURE(c.drop_last);
    CAPTURE(c.seed);
    CAPTURE(c.epoch);
    // padded[rank + k * num_replicas] is rank's k-th index: the list PyTorch strides through.
    std::vector<int64_t> padded(static_cast<std::size_t>(c.total_size), -1);
    for (int64_t rank = 0; rank < c.num_replicas; ++rank) {
      CAPTURE(rank);
      data::DistributedSampler s(Sized{c.n}, options_of(c, rank));
      s.set_epoch(c.epoch);
      CHECK(s.size() == c.num_samples);
      CHECK(s.total_size() == c.total_size);
      CHECK(s.num_replicas() == c.num_replicas);
      CHECK(s.rank() == rank);
      const std::vector<int64_t> expected = expected_indices(c, rank);
      CHECK(s.indices() == expected);
      CHECK(iterated(s) == expected);
      for (int64_t k = 0; k < c.num_samples; ++k)
        padded[static_cast<std::size_t>(rank + k * c.num_replicas)] = expected[static_cast<std::size_t>(k)];
    }
    // The first min(n, total_size) positions are distinct rows (all of them without drop_last), the
    // rest wrap around: position p repeats position p - n.
    std::vector<int> seen(static_cast<std::size_t>(c.n), 0);
    for (int64_t p = 0; p < c.total_size; ++p) {
      const int64_t i = padded[static_cast<std::size_t>(p)];
      REQUIRE(i >= 0);
      REQUIRE(i < c.n);
      if (p < c.n)
        CHECK(++seen[static_cast<std::size_t>(i)] == 1);
      else
        CHECK(i == padded[static_cast<std::size_t>(p - c.n)]);
    }
    if (!c.drop_last) CHECK(c.total_size >= c.n);
    if (c.drop_last) CHECK(c.total_size > c.n - c.num_replicas);
    if (!c.shuffle)
      for (int64_t p = 0; p < c.total_size; ++p) CHECK(padded[static_cast<std::size_t>(p)] == p % c.n);
  }
}

TEST_CASE("DistributedSampler: set_epoch reorders the next pass, the same object epoch after epoch") {
  for (const bool drop_last : {false, true}) {
    CAPTURE(drop_last);
    data::DistributedSampler s(et::testing::make_dataset(17),
                               data::DistributedSamplerOptions().num_replicas(3).rank(2).seed(7).drop_last(drop_last));
    CHECK(s.epoch() == 0);
    std::vector<std::vector<int64_t>> passes;
    for (const int64_t epoch : {0, 1, 5}) {
      s.set_epoch(epoch);
      CHECK(s.epoch() == epoch);
      const std::vector<int64_t> got = iterated(s);
      CHECK(got == expected_indices(find_case(17, 3, true, drop_last, 7, epoch), 2));
      CHECK(iterated(s) == got);  // the same epoch twice: the same order
      passes.push_back(got);
    }
    CHECK(passes[0] != passes[1]);
    CHECK(passes[1] != passes[2]);
    s.set_epoch(0);
    CHECK(s.indices() == passes[0]);
  }
  // Without shuffle the epoch changes nothing.
  data::DistributedSampler plain(Sized{10}, data::DistributedSamplerOptions().num_replicas(4).rank(1).shuffle(false));
  const std::vector<int64_t> first = plain.indices();
  CHECK(first == std::vector<int64_t>{1, 5, 9});
  plain.set_epoch(3);
  CHECK(plain.indices() == first);

  // A pass started before set_epoch keeps its order.
  data::DistributedSampler s(Sized{11}, data::DistributedSamplerOptions().num_replicas(3).rank(0).seed(7));
  auto it = s.begin();
  s.set_epoch(1);
  std::vector<int64_t> old;
  for (; it != s.end(); ++it) old.push_back(*it);
  CHECK(old == expected_indices(find_case(11, 3, true, false, 7, 0), 0));
  CHECK(iterated(s) == expected_indices(find_case(11, 3, true, false, 7, 1), 0));
}

TEST_CASE("DistributedSampler: options, their defaults and the sampler's settings") {
  const data::DistributedSamplerOptions defaults;
  CHECK_FALSE(defaults.num_replicas().has_value());
  CHECK_FALSE(defaults.rank().has_value());
  CHECK(defaults.shuffle());
  CHECK(defaults.seed() == 0);
  CHECK_FALSE(defaults.drop_last());
  const auto o = data::DistributedSamplerOptions().num_replicas(4).rank(3).shuffle(false).seed(-9).drop_last(true);
  CHECK(o.num_replicas() == 4);
  CHECK(o.rank() == 3);
  CHECK_FALSE(o.shuffle());
  CHECK(o.seed() == -9);
  CHECK(o.drop_last());
  const data::DistributedSampler s(Sized{10}, o);
  CHECK(s.num_replicas() == 4);
  CHECK(s.rank() == 3);
  CHECK_FALSE(s.shuffle());
  CHECK(s.seed() == -9);
  CHECK(s.drop_last());
  CHECK(s.size() == 2);
  CHECK(s.total_size() == 8);
  CHECK(s.indices() == std::vector<int64_t>{3, 7});

  // Only the size is read, when the sampler is made: huge sizes need no memory until a pass.
  const data::DistributedSampler huge(Sized{INT64_MAX - 1}, data::DistributedSamplerOptions().num_replicas(2).rank(1));
  CHECK(huge.size() == INT64_MAX / 2);
  CHECK(huge.total_size() == INT64_MAX - 1);
  const data::DistributedSampler cut(Sized{INT64_MAX}, data::DistributedSamplerOptions().num_replicas(2).rank(1).drop_last(true));
  CHECK(cut.size() == INT64_MAX / 2);
  CHECK(cut.total_size() == INT64_MAX - 1);
  // PyTorch's Python ints would hold total_size = 2^63; an int64 does not.
  CHECK_THROWS_WITH_AS(data::DistributedSampler(Sized{INT64_MAX}, data::DistributedSamplerOptions().num_replicas(2).rank(0)),
                       "DistributedSampler: total_size 4611686018427387904 * 2 does not fit in int64", et::Error);
}

TEST_CASE("DistributedSampler: num_replicas and rank from the default process group") {
  REQUIRE_FALSE(et::detail::default_process_group_info().initialized);
  check_error("no process group, rank given",
              [] { return data::DistributedSampler(Sized{5}, data::DistributedSamplerOptions().rank(0)); });
  check_error("no process group, num_replicas given",
              [] { return data::DistributedSampler(Sized{5}, data::DistributedSamplerOptions().num_replicas(2)); });
  CHECK_THROWS_AS(data::DistributedSampler(Sized{5}), et::Error);
  {
    const FakeProcessGroup group(1, 3);
    const data::DistributedSampler s(Sized{11}, data::DistributedSamplerOptions().seed(7));
    CHECK(s.num_replicas() == 3);
    CHECK(s.rank() == 1);
    CHECK(s.indices() == expected_indices(find_case(11, 3, true, false, 7, 0), 1));
    // One given, the other from the group.
    const data::DistributedSampler r(Sized{11}, data::DistributedSamplerOptions().rank(2).seed(7));
    CHECK(r.num_replicas() == 3);
    CHECK(r.rank() == 2);
    CHECK(r.indices() == expected_indices(find_case(11, 3, true, false, 7, 0), 2));
    const data::DistributedSampler w(Sized{11}, data::DistributedSamplerOptions().num_replicas(8).seed(7));
    CHECK(w.num_replicas() == 8);
    CHECK(w.rank() == 1);
    CHECK(w.indices() == expected_indices(find_case(11, 8, true, false, 7, 0), 1));
    // The group's rank checked against a num_replicas given: PyTorch's error.
    CHECK_THROWS_WITH_AS(data::DistributedSampler(Sized{11}, data::DistributedSamplerOptions().num_replicas(1)),
                         "Invalid rank 1, rank should be in the interval [0, 0]", et::ValueError);
    const data::DistributedSampler d{Sized{0}};
    CHECK(d.num_replicas() == 3);
    CHECK(d.size() == 0);
  }
  CHECK_FALSE(et::detail::default_process_group_info().initialized);  // restored
  CHECK_THROWS_AS(data::DistributedSampler(Sized{5}), et::Error);
}

TEST_CASE("DistributedSampler: PyTorch's errors") {
  const auto ds = et::testing::make_dataset(5);
  check_error("rank too big", [&] { return data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(2).rank(2)); });
  check_error("rank negative",
              [&] { return data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(4).rank(-1)); });
  check_error("num_replicas 0", [&] { return data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(0).rank(0)); });
  check_error("num_replicas negative",
              [&] { return data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(-3).rank(0)); });
  check_error("negative length",
              [] { return data::DistributedSampler(Sized{-1}, data::DistributedSamplerOptions().num_replicas(2).rank(0)); });
  // (Python prints num_replicas - 1 without overflow)
  CHECK_THROWS_WITH_AS(data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(INT64_MIN).rank(0)),
                       "Invalid rank 0, rank should be in the interval [0, -9223372036854775809]", et::ValueError);
  CHECK_THROWS_WITH_AS(data::DistributedSampler(ds, data::DistributedSamplerOptions().num_replicas(3).rank(INT64_MAX)),
                       "Invalid rank 9223372036854775807, rank should be in the interval [0, 2]", et::ValueError);

  // seed + epoch below -2^63: refused when a shuffled pass starts, as manual_seed refuses it.
  data::DistributedSampler s(ds, data::DistributedSamplerOptions().num_replicas(2).rank(0).seed(INT64_MIN));
  CHECK(s.indices() == std::vector<int64_t>{4, 1, 2});  // randperm(5) from seed 2^63 = torch's (-2^63)
  s.set_epoch(-1);
  check_error("seed + epoch below int64", [&] { return s.indices(); });
  check_error("seed + epoch below int64", [&] { return s.begin(); });
  data::DistributedSampler plain(ds, data::DistributedSamplerOptions().num_replicas(2).rank(0).shuffle(false).seed(INT64_MIN));
  plain.set_epoch(-1);
  CHECK(plain.indices() == std::vector<int64_t>{0, 2, 4});  // no generator, no seed to unpack

  const data::DistributedSampler sampler(ds, data::DistributedSamplerOptions().num_replicas(2).rank(0));
  check_error("sampler and shuffle",
              [&] { return data::DataLoader(ds, data::DataLoaderOptions().batch_size(3).shuffle(true), sampler); });
  check_error("sampler and shuffle, batch_size 0",
              [&] { return data::DataLoader(ds, data::DataLoaderOptions().batch_size(0).shuffle(true), sampler); });
  check_error("sampler, batch_size 0", [&] { return data::DataLoader(ds, data::DataLoaderOptions().batch_size(0), sampler); });
}

TEST_CASE("DataLoader with a DistributedSampler: PyTorch's batches pass after pass, and its draws") {
  for (const SamplerLoaderCase& c : et::reference::sampler_loader_cases) {
    CAPTURE(std::string(c.name));
    et::manual_seed(c.manual_seed);
    const auto ds = et::testing::make_dataset(c.n);
    data::DistributedSampler sampler(ds, data::DistributedSamplerOptions()
                                             .num_replicas(c.num_replicas)
                                             .rank(c.rank)
                                             .shuffle(c.shuffle)
                                             .seed(c.seed)
                                             .drop_last(c.drop_last));
    et::Generator own(c.gen_seed >= 0 ? static_cast<uint64_t>(c.gen_seed) : 0);
    auto options = data::DataLoaderOptions().batch_size(c.batch_size).drop_last(c.loader_drop_last);
    if (c.gen_seed >= 0) options.generator(own);
    data::DataLoader loader(ds, options, sampler);
    CHECK(loader.size() == c.len);
    std::vector<int64_t> labels, sizes;
    std::vector<double> rands;
    for (int p = 0; p < c.passes; ++p) {
      sampler.set_epoch(c.epochs[p]);  // on the sampler: the loader sees it
      for (auto [xb, yb] : loader) {
        REQUIRE(xb.size(0) == yb.size(0));
        const std::vector<int64_t> l = yb.to_vector();
        const std::vector<float> x = xb.to_vector();
        for (std::size_t j = 0; j < l.size(); ++j)
          CHECK(std::vector<float>(x.begin() + 3 * j, x.begin() + 3 * j + 3) == et::testing::features_of(l[j]));
        labels.insert(labels.end(), l.begin(), l.end());
        sizes.push_back(yb.size(0));
      }
      rands.push_back(et::rand<double>({1}).item());
      if (c.gen_seed >= 0) {
        double r = 0;
        et::detail::fill_uniform(&r, 1, 0.0, 1.0, own);
        rands.push_back(r);
      }
    }
    const int64_t* l = et::reference::sampler_loader_labels + c.labels_offset;
    const int64_t* s = et::reference::sampler_loader_sizes + c.sizes_offset;
    const double* r = et::reference::sampler_loader_rands + c.rands_offset;
    CHECK(labels == std::vector<int64_t>(l, l + c.labels_count));
    CHECK(sizes == std::vector<int64_t>(s, s + c.sizes_count));
    CHECK(rands == std::vector<double>(r, r + c.rands_count));  // bit for bit: the same draws
  }
}

TEST_CASE("DataLoader with a sampler: the rows the sampler picks, any sampler, held by reference") {
  // The batches are the dataset's rows at the sampler's indices, in its order.
  const auto ds = et::testing::make_dataset(11);
  data::DistributedSampler sampler(ds, data::DistributedSamplerOptions().num_replicas(2).rank(1).seed(7));
  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(4), sampler);
  CHECK(loader.size() == 2);  // 6 indices in batches of 4
  for (const int64_t epoch : {0, 1}) {
    sampler.set_epoch(epoch);
    const std::vector<int64_t> order = expected_indices(find_case(11, 2, true, false, 7, epoch), 1);
    std::vector<int64_t> labels;
    for (auto [xb, yb] : loader) {
      const std::vector<int64_t> l = yb.to_vector();
      labels.insert(labels.end(), l.begin(), l.end());
    }
    REQUIRE(labels.size() == order.size());
    for (std::size_t j = 0; j < order.size(); ++j) CHECK(labels[j] == et::reference::data_label_base + 3 * order[j]);
  }

  // Any object with size() and a pass of int64 indices is a sampler; a sampler made later for a
  // const loader still counts, and len(loader) follows len(sampler).
  struct Reversed {
    std::vector<int64_t> order;
    int64_t size() const { return static_cast<int64_t>(order.size()); }
    auto begin() const { return order.rbegin(); }
    auto end() const { return order.rend(); }
  };
  Reversed mine{{0, 4, 9, 9}};
  const data::DataLoader custom(ds, data::DataLoaderOptions().batch_size(3), mine);
  CHECK(custom.size() == 2);
  std::vector<std::vector<float>> batches;
  for (auto [xb, yb] : custom) batches.push_back(xb.to_vector());
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == std::vector<float>{27 / 8.f, 28 / 8.f, 29 / 8.f, 27 / 8.f, 28 / 8.f, 29 / 8.f, 12 / 8.f, 13 / 8.f, 14 / 8.f});
  CHECK(batches[1] == std::vector<float>{0.f, 1 / 8.f, 2 / 8.f});
  mine.order = {1, 2, 3, 5, 6, 7, 8};
  CHECK(custom.size() == 3);  // the loader reads the sampler it was given, as it is now
  const data::DataLoader cut(ds, data::DataLoaderOptions().batch_size(3).drop_last(true), mine);
  CHECK(cut.size() == 2);
  int64_t rows = 0;
  for (auto [xb, yb] : cut) rows += yb.size(0);
  CHECK(rows == 6);

  // A temporary sampler would be gone before the loader's first pass: refused at compile time.
  using Loader = data::DataLoader<data::TensorDataset<float, int64_t>>;
  static_assert(std::is_constructible_v<Loader, data::TensorDataset<float, int64_t>, data::DataLoaderOptions,
                                        data::DistributedSampler&>);
  static_assert(!std::is_constructible_v<Loader, data::TensorDataset<float, int64_t>, data::DataLoaderOptions,
                                         data::DistributedSampler&&>);
  static_assert(!std::is_constructible_v<Loader, data::TensorDataset<float, int64_t>, data::DataLoaderOptions,
                                         Reversed>);
}
