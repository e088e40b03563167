// <eigentorch/data.hpp> alone: a TensorDataset of float features and int64 labels, batched by a
// DataLoader, split by random_split, shared out by a DistributedSampler.
#include <eigentorch/data.hpp>

#include <cstdint>
#include <vector>

#include "check.hpp"

int main() {
  namespace et = eigentorch;
  namespace data = eigentorch::data;
  const auto x = et::arange<double>(10).reshape({5, 2});  // row i: (2i, 2i + 1)
  const auto y = et::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4});
  data::TensorDataset ds(x, y);
  STANDALONE_CHECK(ds.size() == 5);
  STANDALONE_CHECK(std::get<1>(ds[3]).item() == 3);

  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(2).shuffle(true));
  STANDALONE_CHECK(loader.size() == 3);
  et::manual_seed(0);
  std::vector<int64_t> seen;
  for (auto [xb, yb] : loader) {
    const std::vector<int64_t> labels = yb.to_vector();
    const std::vector<double> rows = xb.to_vector();
    for (std::size_t j = 0; j < labels.size(); ++j) STANDALONE_CHECK(rows[2 * j] == 2.0 * labels[j]);
    seen.insert(seen.end(), labels.begin(), labels.end());
  }
  // PyTorch 1.13: torch.manual_seed(0); [yb.tolist() for _, yb in DataLoader(ds, 2, shuffle=True)]
  STANDALONE_CHECK(seen == (std::vector<int64_t>{1, 4, 2, 3, 0}));

  et::manual_seed(0);
  const auto parts = data::random_split(ds, {3, 2});
  STANDALONE_CHECK(parts[0].size() == 3 && parts[1].size() == 2);
  // torch.manual_seed(0); [s.indices for s in random_split(ds, [3, 2])]
  STANDALONE_CHECK(parts[0].indices() == (std::vector<int64_t>{4, 0, 1}));

  // list(DistributedSampler(ds, num_replicas=2, rank=1)): randperm(5) from seed 0, padded to 6.
  data::DistributedSampler sampler(ds, data::DistributedSamplerOptions().num_replicas(2).rank(1));
  STANDALONE_CHECK(sampler.indices() == (std::vector<int64_t>{0, 3, 4}));
  std::vector<int64_t> rows;
  for (auto [xb, yb] : data::DataLoader(ds, data::DataLoaderOptions().batch_size(2), sampler)) {
    const std::vector<int64_t> labels = yb.to_vector();
    rows.insert(rows.end(), labels.begin(), labels.end());
  }
  STANDALONE_CHECK(rows == sampler.indices());
  return 0;
}
