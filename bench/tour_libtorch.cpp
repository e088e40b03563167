// The spec's torch.nn tour (tests/data/spec_seed_tour.cpp), statement for statement in libtorch's C++
// frontend: the yardstick for compile_time.sh (compile time and peak memory of the same user program).
// Its printing follows libtorch's own format, not Python's.
#include <torch/torch.h>

#include <cstdio>
#include <iostream>

namespace nn = torch::nn;

template <class Model, class Optimizer, class Loss>
void training_loop(int epochsN, Optimizer& optimizer, Model& model, Loss& lossF,
                   const torch::Tensor& xtr, const torch::Tensor& ytr, int printN) {
  for (int epoch = 1; epoch <= epochsN; ++epoch) {
    auto ptr = model->forward(xtr);
    auto loss = lossF(ptr, ytr);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (epoch == 1 || epoch % printN == 0)
      std::printf("Epoch %d, training loss %.4f\n", epoch, loss.template item<float>());
  }
}

int main() {
  // layer building
  torch::manual_seed(0);
  auto x = torch::rand({3, 1});
  std::cout << x << "\n";
  nn::Linear model(1, 1);
  std::cout << model(x) << "\n";
  std::cout << model->weight << "\n";
  std::cout << model->bias << "\n";

  torch::manual_seed(0);
  auto t_c = torch::rand({11}).unsqueeze(1);
  auto t_u = torch::rand({11}).unsqueeze(1);
  std::cout << t_u.sizes() << "\n";
  model = nn::Linear(1, 1);
  std::cout << model(t_u) << "\n";
  std::cout << model->parameters() << "\n";

  // cost function and optimisation
  model = nn::Linear(1, 1);
  torch::optim::SGD optim(model->parameters(), torch::optim::SGDOptions(/*lr=*/1e-1));
  nn::MSELoss mse;
  training_loop(100, optim, model, mse, t_c, t_u, 10);
  std::cout << model->weight << "\n";
  std::cout << model->bias << "\n";

  // non-linear and multi-layer models
  nn::Sequential seqModel(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  std::cout << seqModel << "\n";
  for (const auto& p : seqModel->named_parameters()) std::cout << p.key() << " " << p.value() << "\n";
  for (const auto& t : seqModel->named_buffers()) std::cout << t.key() << " " << t.value().sizes() << "\n";
  for (const auto& t : seqModel->named_parameters()) std::cout << t.key() << " " << t.value().sizes() << "\n";
  std::cout << seqModel->named_parameters()["2.weight"] << "\n";

  auto xs = torch::tensor({0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0}, torch::kFloat32).reshape({-1, 1});
  auto ys = torch::tensor({35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4}, torch::kFloat32).reshape({-1, 1});
  std::cout << xs << "\n";
  seqModel = nn::Sequential(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  torch::optim::SGD seqOptim(seqModel->parameters(), torch::optim::SGDOptions(/*lr=*/1e-3));
  training_loop(1000, seqOptim, seqModel, mse, xs, ys, 100);
  std::cout << seqModel->named_parameters()["2.weight"] << "\n";
  auto pre = seqModel->forward(xs);
  std::cout << pre << "\n";
}
