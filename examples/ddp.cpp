// The digits classifier (8x8 images) trained data-parallel on several processes: each process
// trains a replica of the MLP on its share of every epoch (DistributedSampler), and
// DistributedDataParallel averages the gradients across processes during backward, so that every
// replica takes the same steps. Rank 0 prints the loss and accuracy of each epoch over the whole
// training set (summed across the processes with all_reduce) and the validation accuracy. Its
// PyTorch twin, examples/ddp.py, trains the same way with DDP over Gloo and prints the same lines.
//
// Run (Open MPI; as root add OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):
//   mpiexec -n 2 build/default/examples/ddp [path/to/digits.csv]
// See docs/DISTRIBUTED.md for several machines and Slurm.
#include <eigentorch/distributed.hpp>

#include <algorithm>  // std::max
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "support/csv.hpp"

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
namespace data = eigentorch::data;
namespace dist = eigentorch::distributed;

#ifndef EIGENTORCH_EXAMPLES_DATA
#define EIGENTORCH_EXAMPLES_DATA "examples/data"
#endif

namespace {

int run(const std::string& path) {
  dist::init_process_group("mpi");
  const int rank = dist::get_rank(), world = dist::get_world_size();

  const csv::Table table = csv::read(path, 64, /*header=*/false);
  const int64_t n = table.rows();
  const et::Tensor<float> x = et::from_vector(table.features, {n, 64}) / 16;  // pixels 0..16 -> 0..1
  const et::Tensor<int64_t> y = et::from_vector(table.labels, {n});

  et::manual_seed(0);  // the same split on every process
  auto parts = data::random_split(data::TensorDataset(x, y), {1437, 360});
  const auto& train_set = parts[0];
  const auto& val_set = parts[1];
  data::DistributedSampler sampler(train_set, data::DistributedSamplerOptions().shuffle(true).seed(0));
  data::DataLoader loader(train_set, data::DataLoaderOptions().batch_size(32), sampler);
  auto [val_x, val_y] =
      *data::DataLoader(val_set, data::DataLoaderOptions().batch_size(static_cast<int64_t>(val_set.size()))).begin();

  nn::Sequential model(nn::Linear(64, 128), nn::ReLU(), nn::Linear(128, 10));
  nn::parallel::DistributedDataParallel ddp(model);  // every replica starts from rank 0's weights
  nn::CrossEntropyLoss loss_fn;
  optim::SGD opt(ddp.parameters(), optim::SGDOptions(0.05).momentum(0.9));
  if (rank == 0) {
    std::cout << ddp << "\n";
    std::printf("%d processes, %lld training images, %lld per process, %lld batches an epoch\n", world,
                static_cast<long long>(train_set.size()), static_cast<long long>(sampler.size()),
                static_cast<long long>(loader.size()));
  }

  const int epochs = 8;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    sampler.set_epoch(epoch);  // a new shuffle each epoch, the same on every process
    ddp.train();
    // This process's summed loss, correct answers and samples, added across the processes below.
    double loss_sum = 0, correct = 0, samples = 0;
    for (auto [xb, yb] : loader) {
      opt.zero_grad();
      et::Tensor<float> logits = ddp(xb);
      et::Tensor<float> loss = loss_fn(logits, yb);
      loss.backward();  // the gradients are averaged across the processes here
      opt.step();
      loss_sum += loss.item() * static_cast<double>(yb.size(0));
      correct += static_cast<double>((logits.argmax(1) == yb).sum().item());
      samples += static_cast<double>(yb.size(0));
    }
    auto totals = et::from_vector(std::vector<double>{loss_sum, correct, samples}, {3});
    dist::all_reduce(totals);
    ddp.eval();
    et::NoGradGuard no_grad;
    const double val_accuracy = (model(val_x).argmax(1) == val_y).to<float>().mean().item();
    const auto t = totals.to_vector();
    if (rank == 0)
      std::printf("epoch %d/%d  loss %.4f  accuracy %.4f  validation accuracy %.4f\n", epoch, epochs, t[0] / t[2],
                  t[1] / t[2], val_accuracy);
  }

  // Every replica took the same steps: the largest difference to rank 0's weights is zero.
  double largest = 0;
  for (const auto& p : model.parameters()) {
    auto rank0 = p.detach().clone();
    dist::broadcast(rank0, 0);
    auto difference = et::tensor({(rank0 - p.detach()).abs().max().item()}).to<double>();
    dist::all_reduce(difference, dist::ReduceOp::MAX);
    largest = std::max(largest, difference.item());
  }
  if (rank == 0) std::printf("largest difference between the replicas' weights: %g\n", largest);
  dist::destroy_process_group();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : EIGENTORCH_EXAMPLES_DATA "/digits.csv";
  try {
    return run(path);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
