// A small classifier, end to end: the iris flowers (150 samples, 4 features, 3 species), standardised,
// split 120 / 30, an MLP with Dropout trained by Adam on shuffled batches of 16 for 30 epochs. It
// prints what its PyTorch twin, examples/iris.py, prints (tests/ compares the two), in well under a
// second. Run: build/release/examples/iris [path/to/iris.csv]
#include <eigentorch/eigentorch.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "support/csv.hpp"

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
namespace data = eigentorch::data;

#ifndef EIGENTORCH_EXAMPLES_DATA
#define EIGENTORCH_EXAMPLES_DATA "examples/data"
#endif

namespace {

int run(const std::string& path) {
  const csv::Table table = csv::read(path, 4, /*header=*/true);
  const int64_t n = table.rows();
  et::Tensor<float> x = et::from_vector(table.features, {n, 4});
  const et::Tensor<int64_t> y = et::from_vector(table.labels, {n});
  x = (x - x.mean(0)) / x.std(0);  // standardised features

  et::manual_seed(0);
  auto parts = data::random_split(data::TensorDataset(x, y), {120, 30});
  const auto& train_set = parts[0];
  const auto& val_set = parts[1];
  data::DataLoader loader(train_set, data::DataLoaderOptions().batch_size(16).shuffle(true));
  auto [val_x, val_y] = *data::DataLoader(val_set, data::DataLoaderOptions().batch_size(30)).begin();

  nn::Sequential model(nn::Linear(4, 16), nn::ReLU(), nn::Dropout(0.1), nn::Linear(16, 3));
  nn::CrossEntropyLoss loss_fn;
  optim::Adam opt(model.parameters(), optim::AdamOptions(0.01));
  std::cout << model << "\n";

  for (int epoch = 1; epoch <= 30; ++epoch) {
    model.train();
    double total = 0.0;
    for (auto [xb, yb] : loader) {
      opt.zero_grad();
      et::Tensor<float> loss = loss_fn(model(xb), yb);
      loss.backward();
      opt.step();
      total += loss.item() * static_cast<double>(yb.size(0));
    }
    if (epoch % 5 == 0) {
      model.eval();
      et::NoGradGuard no_grad;
      const double accuracy = (model(val_x).argmax(1) == val_y).to<float>().mean().item();
      std::printf("epoch %2d  loss %.4f  validation accuracy %.4f\n", epoch, total / static_cast<double>(train_set.size()),
                  accuracy);
      std::fflush(stdout);
    }
  }

  model.eval();
  et::NoGradGuard no_grad;
  std::cout << "predicted: " << model(val_x.narrow(0, 0, 10)).argmax(1) << "\n";
  std::cout << "actual:    " << val_y.narrow(0, 0, 10) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : EIGENTORCH_EXAMPLES_DATA "/iris.csv";
  try {
    return run(path);
  } catch (const std::exception& e) {  // a missing or malformed data file, or one of another size
    std::cerr << e.what() << " (pass the path of iris.csv)\n";
    return 1;
  }
}
