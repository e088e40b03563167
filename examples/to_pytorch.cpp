// Weights and checkpoints between eigentorch and PyTorch, both ways. The same three commands as its
// PyTorch half, examples/to_pytorch.py, printing the same text:
//
//   to_pytorch train DIR     train the iris classifier 60 steps (batches of 30, SGD with momentum, StepLR);
//                            write DIR/iris.pt, DIR/iris.safetensors and the checkpoint DIR/checkpoint.pt
//   to_pytorch predict DIR   load DIR/iris.pt and print the model's outputs
//   to_pytorch resume DIR    load DIR/checkpoint.pt (model, optimizer, scheduler), train 40 more steps
//
// `to_pytorch train /tmp/m && python3 examples/to_pytorch.py predict /tmp/m` trains in C++ and predicts in
// PyTorch; `python3 examples/to_pytorch.py train /tmp/m && to_pytorch resume /tmp/m` goes the other way.
// Loaded weights give PyTorch's outputs to the last bit. Training and resuming print 4 decimals, as the
// other examples: float matrix products with inner sizes past 16 round differently in the last bit in
// eigentorch and in PyTorch's BLAS, so long runs agree to rounding rather than bit for bit.
#include <eigentorch/eigentorch.hpp>
#include <eigentorch/serialize.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "support/csv.hpp"

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;

#ifndef EIGENTORCH_EXAMPLES_DATA
#define EIGENTORCH_EXAMPLES_DATA "examples/data"
#endif

namespace {

struct Run {
  nn::Sequential<> model{nn::Linear(4, 16), nn::Tanh(), nn::BatchNorm1d(16), nn::Linear(16, 3)};
  optim::SGD<> opt{model.parameters(), optim::SGDOptions(0.1).momentum(0.9)};
  optim::lr_scheduler::StepLR<float> sched{opt, 20, 0.5};
};

void train(Run& r, const et::Tensor<float>& x, const et::Tensor<int64_t>& y, int steps) {
  nn::CrossEntropyLoss loss_fn;
  r.model.train();
  const et::Tensor<int64_t> order = et::arange<int64_t>(150).view({3, 50}).t().reshape({-1});  // species interleaved
  const et::Tensor<float> xs = x.index_select(0, order);
  const et::Tensor<int64_t> ys = y.index_select(0, order);
  for (int step = 0; step < steps; ++step) {
    const int64_t first = step % 5 * 30;  // batches of 30 in turn
    r.opt.zero_grad();
    et::Tensor<float> loss = loss_fn(r.model(xs.narrow(0, first, 30)), ys.narrow(0, first, 30));
    loss.backward();
    r.opt.step();
    r.sched.step();
    if (step % 20 == 19) std::printf("step %2d  loss %.4f  lr %.6f\n", step + 1, loss.item(), r.sched.get_last_lr()[0]);
  }
}

/// The accuracy; with `exact`, the outputs for one flower of each species to the last bit (%.9g).
void show(Run& r, const et::Tensor<float>& x, const et::Tensor<int64_t>& y, bool exact) {
  r.model.eval();
  et::NoGradGuard no_grad;
  const et::Tensor<float> out = r.model(x);
  if (exact)
    for (int64_t row : {0, 50, 100}) {
      std::printf("outputs");
      for (float v : out[row].to_vector()) std::printf(" %.9g", v);
      std::printf("\n");
    }
  std::printf("accuracy %.4f\n", (out.argmax(1) == y).to<float>().mean().item());
}

int run(const std::string& command, const std::string& dir) {
  const csv::Table table = csv::read(EIGENTORCH_EXAMPLES_DATA "/iris.csv", 4, /*header=*/true);
  et::Tensor<float> x = et::from_vector(table.features, {table.rows(), 4});
  const et::Tensor<int64_t> y = et::from_vector(table.labels, {table.rows()});
  x = (x - x.mean(0)) / x.std(0);

  et::manual_seed(0);
  Run r;
  if (command == "train") {
    train(r, x, y, 60);
    et::save(r.model.state_dict(), dir + "/iris.pt");
    et::save(r.model.state_dict(), dir + "/iris.safetensors");
    et::save_checkpoint(dir + "/checkpoint.pt", r.model, r.opt, r.sched);
  } else if (command == "predict") {
    r.model.load_state_dict(et::load(dir + "/iris.pt"));
  } else {
    et::load_checkpoint(dir + "/checkpoint.pt", r.model, r.opt, r.sched);
    train(r, x, y, 40);
  }
  show(r, x, y, command == "predict");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc == 3 ? argv[1] : "";
  if (command != "train" && command != "predict" && command != "resume") {
    std::cerr << "usage: to_pytorch train|predict|resume DIR\n";
    return 2;
  }
  try {
    return run(command, argv[2]);
  } catch (const std::exception& e) {  // a missing or corrupt file, a model that does not fit it
    std::cerr << e.what() << "\n";
    return 1;
  }
}
