// Handwritten digits (8x8 images, 1797 of them) again, now by a small convolutional network: two 3x3
// convolutions (the first followed by BatchNorm2d), ReLU and 2x2 max pooling after each, then Dropout
// and a Linear classifier, trained by Adam on shuffled batches from a DataLoader, with digits.cpp's
// train / validation split. Each epoch prints its loss and accuracy; at the end it lists the
// validation images it gets wrong and draws them (grey squares, "true 3 / predicted 8") in an SVG,
// and says where that is. Its PyTorch twin, examples/digits_cnn.py, prints the same lines (tests/
// compares the two).
// Run: build/release/examples/digits_cnn [path/to/digits.csv]
#include <eigentorch/eigentorch.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "support/csv.hpp"
#include "support/plot.hpp"

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
namespace data = eigentorch::data;

#ifndef EIGENTORCH_EXAMPLES_DATA
#define EIGENTORCH_EXAMPLES_DATA "examples/data"
#endif

namespace {

int run(const std::string& path) {
  const csv::Table table = csv::read(path, 64, /*header=*/false);
  const int64_t n = table.rows();
  const et::Tensor<float> x = et::from_vector(table.features, {n, 1, 8, 8}) / 16;  // pixels 0..16 -> 0..1
  const et::Tensor<int64_t> y = et::from_vector(table.labels, {n});

  et::manual_seed(0);
  auto parts = data::random_split(data::TensorDataset(x, y), {1437, 360});
  const auto& train_set = parts[0];
  const auto& val_set = parts[1];
  data::DataLoader loader(train_set, data::DataLoaderOptions().batch_size(32).shuffle(true));
  auto [val_x, val_y] =
      *data::DataLoader(val_set, data::DataLoaderOptions().batch_size(static_cast<int64_t>(val_set.size()))).begin();

  // The first convolution has no bias: BatchNorm2d subtracts it again, so its gradient is rounding
  // noise, which Adam would scale up to steps of lr (runs in two summation orders would part ways).
  nn::Sequential model(
      nn::Conv2d(nn::Conv2dOptions(1, 16, 3).padding(1).bias(false)), nn::BatchNorm2d(16), nn::ReLU(),
      nn::MaxPool2d(2),                                                                   // 16 x 4 x 4
      nn::Conv2d(nn::Conv2dOptions(16, 32, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),  // 32 x 2 x 2
      nn::Flatten(), nn::Dropout(0.25), nn::Linear(128, 10));
  nn::CrossEntropyLoss loss_fn;
  const int epochs = 10;
  optim::Adam opt(model.parameters(), optim::AdamOptions(1e-3));
  std::cout << model << "\n";
  std::printf("%zu training and %zu validation images, %zu batches an epoch\n", static_cast<std::size_t>(train_set.size()),
              static_cast<std::size_t>(val_set.size()), static_cast<std::size_t>(loader.size()));

  const auto train_count = static_cast<double>(train_set.size());
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0.0;
    int64_t correct = 0;
    for (auto [xb, yb] : loader) {
      opt.zero_grad();
      et::Tensor<float> logits = model(xb);
      et::Tensor<float> loss = loss_fn(logits, yb);
      loss.backward();
      opt.step();
      total += loss.item() * static_cast<double>(yb.size(0));
      correct += (logits.argmax(1) == yb).sum().item();
    }
    model.eval();
    et::NoGradGuard no_grad;
    et::Tensor<float> val_logits = model(val_x);
    const double val_loss = loss_fn(val_logits, val_y).item();
    const double val_accuracy = (val_logits.argmax(1) == val_y).to<float>().mean().item();
    std::printf("epoch %2d/%d  loss %.4f  accuracy %.4f  validation loss %.4f  accuracy %.4f\n", epoch, epochs,
                total / train_count, static_cast<double>(correct) / train_count, val_loss, val_accuracy);
    std::fflush(stdout);
  }

  et::NoGradGuard no_grad;
  const std::vector<int64_t> predicted = model(val_x).argmax(1).to_vector(), actual = val_y.to_vector();
  std::vector<std::size_t> wrong;
  for (std::size_t i = 0; i < actual.size(); ++i)
    if (predicted[i] != actual[i]) wrong.push_back(i);
  std::printf("%zu of %zu validation images misclassified:\n", wrong.size(), actual.size());
  for (const std::size_t i : wrong)
    std::printf("  image %3zu: true %lld / predicted %lld\n", i, static_cast<long long>(actual[i]),
                static_cast<long long>(predicted[i]));

  // The plot: each misclassified image, its 64 pixels as grey squares, captioned with both labels.
  std::vector<plot::Image> images;
  for (const std::size_t i : wrong)
    images.push_back({val_x[static_cast<int64_t>(i)].to_vector(), 8,
                      "true " + std::to_string(actual[i]) + " / predicted " + std::to_string(predicted[i])});
  const std::size_t columns = 6;
  const auto [width, height] = plot::image_grid_size(images.size(), columns, 8, 10);
  const std::string title = "Misclassified validation digits (" + std::to_string(wrong.size()) + " of " +
                            std::to_string(actual.size()) + ")";
  plot::write_svg("digits_cnn_misclassified.svg", width, height, plot::image_grid(images, title, columns, 0, 0, 10));
  std::cerr << "plot: " << std::filesystem::absolute("digits_cnn_misclassified.svg").string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : EIGENTORCH_EXAMPLES_DATA "/digits.csv";
  try {
    return run(path);
  } catch (const std::exception& e) {  // a missing or malformed data file, or one of another size
    std::cerr << e.what() << " (pass the path of digits.csv)\n";
    return 1;
  }
}
