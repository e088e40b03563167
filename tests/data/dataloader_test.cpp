// Tests for DataLoader (data/dataloader.hpp): the batches PyTorch 1.13's DataLoader yields after the
// same manual_seed, epoch after epoch, with torch.rand draws between steps and epochs proving that
// each pass moves the default generator (or the loader's own) exactly as PyTorch's
// (tests/reference/data_cases.hpp); the batches' values and dtypes; a user-defined dataset;
// PyTorch's errors.
#include <eigentorch/data.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <string>
#include <tuple>
#include <vector>

#include "data/data_test_util.hpp"
#include "reference/data_cases.hpp"

namespace {

namespace et = eigentorch;
namespace data = eigentorch::data;
using et::reference::LoaderCase;

/// A dataset the library does not know: size() and operator[] giving a tuple of tensors, so the
/// loader stacks its rows.
struct RowDataset {
  et::data::TensorDataset<float, int64_t> inner;
  int64_t size() const { return inner.size(); }
  std::tuple<et::Tensor<float>, et::Tensor<int64_t>> operator[](int64_t i) const { return inner[i]; }
};

struct Run {
  std::vector<int64_t> labels, sizes;
  std::vector<double> rands;
};

/// k doubles of torch.rand(k, generator=g), or of the default generator's.
std::vector<double> draws(int64_t k, et::Generator* g) {
  if (g == nullptr) return et::rand<double>({k}).to_vector();
  std::vector<double> out(static_cast<std::size_t>(k));
  et::detail::fill_uniform(out.data(), k, 0.0, 1.0, *g);
  return out;
}

/// The case's epochs as make_data_reference.py runs them, checking each batch's features.
template <class D>
Run run_epochs(const LoaderCase& c, const D& dataset) {
  et::manual_seed(c.seed);
  et::Generator own(c.gen_seed >= 0 ? static_cast<uint64_t>(c.gen_seed) : 0);
  et::Generator* g = c.gen_seed >= 0 ? &own : nullptr;
  auto options = data::DataLoaderOptions().batch_size(c.batch_size).shuffle(c.shuffle).drop_last(c.drop_last);
  if (g != nullptr) options.generator(own);
  CHECK(options.generator() == g);
  data::DataLoader loader(dataset, options);
  CHECK(loader.size() == c.len);
  Run run;
  for (int e = 0; e < c.epochs; ++e) {
    for (auto [xb, yb] : loader) {
      REQUIRE(xb.dim() == 2);
      REQUIRE(yb.dim() == 1);
      REQUIRE(xb.size(0) == yb.size(0));
      CHECK(xb.size(1) == 3);
      const std::vector<int64_t> labels = yb.to_vector();
      const std::vector<float> features = xb.to_vector();
      for (std::size_t j = 0; j < labels.size(); ++j) {
        const std::vector<float> expected = et::testing::features_of(labels[j]);
        CHECK(std::vector<float>(features.begin() + 3 * j, features.begin() + 3 * j + 3) == expected);
      }
      run.labels.insert(run.labels.end(), labels.begin(), labels.end());
      run.sizes.push_back(yb.size(0));
      const std::vector<double> r = draws(c.per_step, g);
      run.rands.insert(run.rands.end(), r.begin(), r.end());
    }
    const std::vector<double> r = draws(c.per_epoch, g);
    run.rands.insert(run.rands.end(), r.begin(), r.end());
  }
  run.rands.push_back(et::rand<double>({1}).item());
  return run;
}

void check_run(const LoaderCase& c, const Run& run) {
  const int64_t* l = et::reference::data_loader_labels + c.labels_offset;
  const int64_t* s = et::reference::data_loader_sizes + c.sizes_offset;
  const double* r = et::reference::data_loader_rands + c.rands_offset;
  CHECK(run.labels == std::vector<int64_t>(l, l + c.labels_count));
  CHECK(run.sizes == std::vector<int64_t>(s, s + c.sizes_count));
  CHECK(run.rands == std::vector<double>(r, r + c.rands_count));  // bit for bit: the same draws
}

}  // namespace

TEST_CASE("DataLoader: PyTorch's batches and draws, epoch after epoch, shuffled or not") {
  for (const LoaderCase& c : et::reference::data_loader_cases) {
    CAPTURE(std::string(c.name));
    check_run(c, run_epochs(c, et::testing::make_dataset(c.n)));
  }
}

TEST_CASE("DataLoader: a dataset without get_batch has its rows stacked, in the same order") {
  for (const LoaderCase& c : et::reference::data_loader_cases) {
    if (c.n == 0) continue;  // stacking no rows has no dtype to give; PyTorch yields nothing either
    CAPTURE(std::string(c.name));
    check_run(c, run_epochs(c, RowDataset{et::testing::make_dataset(c.n)}));
  }
}

TEST_CASE("DataLoader: a split of a dataset without get_batch, as a split of its TensorDataset") {
  const auto ds = et::testing::make_dataset(11);
  auto labels_of = [](const auto& dataset) {
    et::manual_seed(3);
    const auto parts = data::random_split(dataset, {0.6, 0.4});
    std::vector<int64_t> labels;
    for (const auto& part : parts)
      for (auto [xb, yb] : data::DataLoader(part, data::DataLoaderOptions().batch_size(2).shuffle(true))) {
        CHECK(xb.size(0) == yb.size(0));
        const std::vector<int64_t> l = yb.to_vector();
        labels.insert(labels.end(), l.begin(), l.end());
      }
    labels.push_back(static_cast<int64_t>(et::rand<double>({1}).item() * 1e9));  // the generator after
    return labels;
  };
  const std::vector<int64_t> expected = labels_of(ds);
  CHECK(expected.size() == 12);
  CHECK(labels_of(RowDataset{ds}) == expected);
}

TEST_CASE("DataLoader: batches keep each tensor's dtype, int64 labels exact beyond 2^53") {
  const int64_t big = (int64_t{1} << 62) + 1;
  const auto x = et::tensor<double>({{0.5, 1.5}, {2.5, 3.5}, {4.5, 5.5}});
  const auto y = et::from_vector(std::vector<int64_t>{big, -big, 7});
  const auto m = et::tensor<bool>({true, false, true});
  data::DataLoader loader(data::TensorDataset(x, y, m), data::DataLoaderOptions().batch_size(2));
  CHECK(loader.size() == 2);
  std::vector<std::tuple<et::Tensor<double>, et::Tensor<int64_t>, et::Tensor<bool>>> batches;
  for (auto batch : loader) batches.push_back(batch);
  REQUIRE(batches.size() == 2);
  CHECK(std::get<0>(batches[0]).to_vector() == std::vector<double>{0.5, 1.5, 2.5, 3.5});
  CHECK(std::get<0>(batches[0]).shape() == et::Size{2, 2});
  CHECK(std::get<1>(batches[0]).to_vector() == std::vector<int64_t>{big, -big});
  CHECK(std::get<2>(batches[0]).to_vector() == std::vector<bool>{true, false});
  CHECK(std::get<0>(batches[1]).to_vector() == std::vector<double>{4.5, 5.5});
  CHECK(std::get<0>(batches[1]).shape() == et::Size{1, 2});
  CHECK(std::get<1>(batches[1]).to_vector() == std::vector<int64_t>{7});
  CHECK(std::get<2>(batches[1]).to_vector() == std::vector<bool>{true});
}

TEST_CASE("DataLoader: options, an early break, a loader over a subset") {
  const auto opts = data::DataLoaderOptions().batch_size(16).shuffle(true).drop_last(true);
  CHECK(opts.batch_size() == 16);
  CHECK(opts.shuffle());
  CHECK(opts.drop_last());
  const data::DataLoaderOptions defaults;
  CHECK(defaults.batch_size() == 1);
  CHECK_FALSE(defaults.shuffle());
  CHECK_FALSE(defaults.drop_last());

  // A pass draws its seeds when it starts: breaking after one batch leaves the generator where a
  // whole pass leaves it (the order comes from a generator of its own).
  const auto ds = et::testing::make_dataset(10);
  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(3).shuffle(true));
  et::manual_seed(5);
  for (auto batch : loader) {
    (void)batch;
    break;
  }
  const double after_break = et::rand<double>({1}).item();
  et::manual_seed(5);
  for (auto batch : loader) (void)batch;
  CHECK(et::rand<double>({1}).item() == after_break);
  CHECK(loader.dataset().size() == 10);
  CHECK(loader.options().batch_size() == 3);

  // A batch size beyond the dataset: one batch of every row (no overflow on the way).
  data::DataLoader whole(ds, data::DataLoaderOptions().batch_size(INT64_MAX));
  CHECK(whole.size() == 1);
  std::vector<int64_t> sizes;
  for (auto [xb, yb] : whole) sizes.push_back(yb.size(0));
  CHECK(sizes == std::vector<int64_t>{10});
  CHECK(data::DataLoader(ds, data::DataLoaderOptions().batch_size(INT64_MAX).drop_last(true)).size() == 0);

  // An empty pass of a sequential loader still draws its base seed.
  const data::DataLoader empty(et::testing::make_dataset(0), data::DataLoaderOptions().batch_size(2));
  et::manual_seed(1);
  et::rand<double>({2});  // what random_() draws: two 32-bit words
  const double expected = et::rand<double>({1}).item();
  et::manual_seed(1);
  CHECK(empty.size() == 0);
  CHECK_FALSE(empty.begin() != empty.end());
  CHECK(et::rand<double>({1}).item() != expected);  // a double takes two words: four were drawn...
  et::manual_seed(1);
  (void)empty.begin();
  et::rand<float>({2});  // ...two for random_(), then two floats take one word each
  CHECK(et::rand<double>({1}).item() == expected);
}

TEST_CASE("DataLoader: PyTorch's errors") {
  auto message = [](const char* name) {
    for (const auto& e : et::reference::data_errors)
      if (std::string(e.name) == name) return std::string(e.message);
    FAIL("no reference for ", name);
    return std::string();
  };
  const auto ds = et::testing::make_dataset(3);
  CHECK_THROWS_WITH_AS(data::DataLoader(ds, data::DataLoaderOptions().batch_size(0)), message("batch_size 0").c_str(),
                       et::ValueError);
  CHECK_THROWS_WITH_AS(data::DataLoader(ds, data::DataLoaderOptions().batch_size(-2)),
                       message("batch_size negative").c_str(), et::ValueError);
  const auto empty = et::testing::make_dataset(0);
  CHECK_THROWS_WITH_AS(data::DataLoader(empty, data::DataLoaderOptions().batch_size(2).shuffle(true)),
                       message("empty shuffle").c_str(), et::ValueError);
  // The sampler is made (and checked) before the batch sampler, as in PyTorch.
  CHECK_THROWS_WITH_AS(data::DataLoader(empty, data::DataLoaderOptions().batch_size(0).shuffle(true)),
                       message("empty shuffle").c_str(), et::ValueError);
}
