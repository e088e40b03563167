// Workload 9: issue 16's training epochs, each library's whole epoch timed as one step: a shuffled
// pass over a data set in mini-batches, forward, CrossEntropyLoss, zero_grad, backward, Adam's step.
//   9a iris-shaped:   120 x 4, Linear(4, 16), ReLU, Dropout(0.1), Linear(16, 3), batches of 16
//   9b digits-shaped: 1797 x 64, Linear(64, 128), ReLU, Dropout(0.1), Linear(128, 10), batches of 32
// eigentorch iterates a data::DataLoader (shuffle=true); libtorch, as a C++ user of it would, draws a
// randperm per epoch and index_selects each batch (its torch::data loaders stack example by example,
// which is slower still). GFLOP/s count the three products per Linear (the first layer's input
// gradient excepted), as workload 3 does. Included by bench.cpp after its Context and helpers.
#pragma once

struct EpochSpec {
  std::string name;
  int64_t samples, in, hidden, classes, batch;
};

/// Multiply-adds x 2 of one epoch: per batch, 2 products for the first Linear, 3 for the second.
inline double epoch_flops(const EpochSpec& s) {
  return 2.0 * static_cast<double>(s.samples) *
         (2.0 * static_cast<double>(s.in * s.hidden) + 3.0 * static_cast<double>(s.hidden * s.classes));
}

inline void run_epoch(Context& ctx, const EpochSpec& s) {
  if (!ctx.wanted(s.name)) return;
  et::manual_seed(7);
  const et::Tensor<float> x = et::randn({s.samples, s.in});
  const et::Tensor<int64_t> y = et::randint(0, s.classes, {s.samples});
  struct EtEpoch {
    et::data::TensorDataset<float, int64_t> dataset;
    et::data::DataLoader<et::data::TensorDataset<float, int64_t>> loader;
    nn::Sequential<> model;
    nn::CrossEntropyLoss<> loss_fn;
    et::optim::Adam<> opt;
    float last_loss = 0;
    EtEpoch(const EpochSpec& s, const et::Tensor<float>& x, const et::Tensor<int64_t>& y)
        : dataset(x, y),
          loader(dataset, et::data::DataLoaderOptions().batch_size(s.batch).shuffle(true)),
          model(nn::Linear(s.in, s.hidden), nn::ReLU(), nn::Dropout(0.1), nn::Linear(s.hidden, s.classes)),
          opt(model.parameters(), et::optim::AdamOptions(1e-3)) {}
    void epoch() {
      for (auto [xb, yb] : loader) {
        auto loss = loss_fn(model(xb), yb);
        opt.zero_grad();
        loss.backward();
        opt.step();
        last_loss = loss.item();
      }
    }
  };
  auto et_epoch = std::make_shared<EtEpoch>(s, x, y);
  std::vector<bench::Contender> contenders{{[et_epoch] { et_epoch->epoch(); }, ctx.et_prepare}};
#ifdef EIGENTORCH_HAVE_LIBTORCH
  struct LtEpoch {
    torch::Tensor x, y;
    torch::nn::Sequential model;
    torch::optim::Adam opt;
    int64_t batch;
    float last_loss = 0;
    LtEpoch(const EpochSpec& s, const et::Tensor<float>& ex, const et::Tensor<int64_t>& ey)
        : x(lt_tensor(ex.to_vector(), s.samples, s.in)),
          y(torch::from_blob(ey.to_vector().data(), {s.samples}, torch::kLong).clone()),
          model(torch::nn::Linear(s.in, s.hidden), torch::nn::ReLU(), torch::nn::Dropout(0.1),
                torch::nn::Linear(s.hidden, s.classes)),
          opt(model->parameters(), torch::optim::AdamOptions(1e-3)),
          batch(s.batch) {}
    void epoch() {
      const torch::Tensor perm = torch::randperm(x.size(0), torch::kLong);
      for (int64_t b = 0; b < x.size(0); b += batch) {
        const torch::Tensor idx = perm.slice(0, b, std::min(b + batch, x.size(0)));
        auto loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, idx)), y.index_select(0, idx));
        opt.zero_grad();
        loss.backward();
        opt.step();
        last_loss = loss.item<float>();
      }
    }
  };
  torch::manual_seed(7);
  auto lt_epoch = std::make_shared<LtEpoch>(s, x, y);
  contenders.push_back({[lt_epoch] { lt_epoch->epoch(); }, torch_prepare(ctx.torch_threads.back())});
#endif
  const auto m = bench::measure(contenders, ctx.opts);
  bench::Row row{s.name, m[0], m.size() > 1 ? m[1] : bench::Measurement{}};
  row.torch_threads = ctx.torch_threads.back();
  row.flops_per_step = epoch_flops(s);
  row.peak_gflops = ctx.peak_gflops;
  bench::print_row(row);
  check_loss(ctx, s.name + ": eigentorch", et_epoch->last_loss);
}

inline void run_epochs(Context& ctx) {
  run_epoch(ctx, {"9a epoch iris-shaped 120x4, B=16", 120, 4, 16, 3, 16});
  run_epoch(ctx, {"9b epoch digits-shaped 1797x64, B=32", 1797, 64, 128, 10, 32});
}
