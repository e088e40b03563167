// Handwritten digits (8x8 images, 1797 of them): an MLP with Dropout trained by AdamW under a
// OneCycleLR schedule, on shuffled batches from a DataLoader, with a train / validation split. Each
// epoch prints its loss and accuracy (behind a progress bar when stdout is a terminal, as plain lines
// otherwise); at the end it prints the confusion matrix and draws two SVG plots, the loss and accuracy
// curves and the confusion matrix, and says where they are. Its PyTorch twin, examples/digits.py,
// prints the same lines (tests/ compares the two).
// Run: build/release/examples/digits [path/to/digits.csv]
#include <eigentorch/eigentorch.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // isatty
#endif

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

bool stdout_is_terminal() {
#if defined(__unix__) || defined(__APPLE__)
  return isatty(fileno(stdout)) != 0;
#else
  return false;
#endif
}

/// "epoch  3/12 [=========>          ] 20/45  loss 0.3253", redrawn in place.
void progress(int epoch, int epochs, int64_t batch, int64_t batches, double loss) {
  const int width = 30;
  const auto done = static_cast<int>(width * batch / batches);
  std::printf("\repoch %2d/%d [%s%s] %2lld/%lld  loss %.4f", epoch, epochs, std::string(done, '=').c_str(),
              std::string(width - done, ' ').c_str(), static_cast<long long>(batch), static_cast<long long>(batches),
              loss);
  std::fflush(stdout);
}

int run(const std::string& path) {
  const csv::Table table = csv::read(path, 64, /*header=*/false);
  const int64_t n = table.rows();
  const et::Tensor<float> x = et::from_vector(table.features, {n, 64}) / 16;  // pixels 0..16 -> 0..1
  const et::Tensor<int64_t> y = et::from_vector(table.labels, {n});

  et::manual_seed(0);
  auto parts = data::random_split(data::TensorDataset(x, y), {1437, 360});
  const auto& train_set = parts[0];
  const auto& val_set = parts[1];
  data::DataLoader loader(train_set, data::DataLoaderOptions().batch_size(32).shuffle(true));
  auto [val_x, val_y] =
      *data::DataLoader(val_set, data::DataLoaderOptions().batch_size(static_cast<int64_t>(val_set.size()))).begin();

  nn::Sequential model(nn::Linear(64, 128), nn::ReLU(), nn::Dropout(0.2), nn::Linear(128, 10));
  nn::CrossEntropyLoss loss_fn;
  const int epochs = 12;
  optim::AdamW opt(model.parameters(), optim::AdamWOptions(1e-3).weight_decay(1e-2));
  optim::lr_scheduler::OneCycleLR sched(
      opt, optim::lr_scheduler::OneCycleLROptions(0.01).epochs(epochs).steps_per_epoch(static_cast<int64_t>(loader.size())));
  std::cout << model << "\n";
  std::printf("%zu training and %zu validation images, %zu batches an epoch\n", static_cast<std::size_t>(train_set.size()),
              static_cast<std::size_t>(val_set.size()), static_cast<std::size_t>(loader.size()));

  const bool terminal = stdout_is_terminal();
  std::vector<double> train_loss, train_accuracy, val_loss, val_accuracy;
  const auto train_count = static_cast<double>(train_set.size());
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0.0;
    int64_t correct = 0, batch = 0;
    for (auto [xb, yb] : loader) {
      opt.zero_grad();
      et::Tensor<float> logits = model(xb);
      et::Tensor<float> loss = loss_fn(logits, yb);
      loss.backward();
      opt.step();
      sched.step();
      total += loss.item() * static_cast<double>(yb.size(0));
      correct += (logits.argmax(1) == yb).sum().item();
      if (terminal) progress(epoch, epochs, ++batch, static_cast<int64_t>(loader.size()), total / train_count);
    }
    model.eval();
    et::NoGradGuard no_grad;
    et::Tensor<float> val_logits = model(val_x);
    train_loss.push_back(total / train_count);
    train_accuracy.push_back(static_cast<double>(correct) / train_count);
    val_loss.push_back(loss_fn(val_logits, val_y).item());
    val_accuracy.push_back((val_logits.argmax(1) == val_y).to<float>().mean().item());
    if (terminal) std::printf("\r%80s\r", "");  // the finished bar makes way for the epoch's line
    std::printf("epoch %2d/%d  loss %.4f  accuracy %.4f  validation loss %.4f  accuracy %.4f  lr %.6f\n", epoch, epochs,
                train_loss.back(), train_accuracy.back(), val_loss.back(), val_accuracy.back(), sched.get_last_lr()[0]);
    std::fflush(stdout);
  }

  et::NoGradGuard no_grad;
  const std::vector<int64_t> predicted = model(val_x).argmax(1).to_vector(), actual = val_y.to_vector();
  std::vector<int64_t> counts(100, 0);
  for (std::size_t i = 0; i < actual.size(); ++i) ++counts[static_cast<std::size_t>(actual[i] * 10 + predicted[i])];
  std::cout << "confusion matrix (rows: true digit, columns: predicted):\n"
            << et::from_vector(counts, {10, 10}) << "\n";

  // The plots: loss and accuracy by epoch side by side, and the confusion matrix.
  plot::LineChart losses("Loss", "epoch", "cross-entropy loss"), accuracies("Accuracy", "epoch", "accuracy");
  losses.add({"training", "#1f77b4", train_loss}).add({"validation", "#d62728", val_loss});
  accuracies.add({"training", "#1f77b4", train_accuracy}).add({"validation", "#d62728", val_accuracy});
  plot::write_svg("digits_curves.svg", 900, 360, losses.svg(0, 0, 450, 360) + accuracies.svg(450, 0, 450, 360));
  std::vector<std::vector<long long>> matrix(10, std::vector<long long>(10));
  for (std::size_t i = 0; i < counts.size(); ++i) matrix[i / 10][i % 10] = counts[i];
  plot::write_svg("digits_confusion.svg", 520, 520,
                  plot::heat_map(matrix, "Confusion matrix (validation)", "true digit", "predicted digit", 0, 0, 40));
  std::cerr << "plots: " << std::filesystem::absolute("digits_curves.svg").string() << ", "
            << std::filesystem::absolute("digits_confusion.svg").string() << "\n";
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
