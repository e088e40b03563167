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
  auto et_epoch = std::make_shared<EtClassifierEpoch>(
      x, y, s.batch,
      nn::Sequential<>(nn::Linear(s.in, s.hidden), nn::ReLU(), nn::Dropout(0.1), nn::Linear(s.hidden, s.classes)));
  std::vector<bench::Contender> contenders{{[et_epoch] { et_epoch->epoch(); }, ctx.et_prepare}};
#ifdef EIGENTORCH_HAVE_LIBTORCH
  torch::manual_seed(7);
  auto lt_epoch = std::make_shared<LtClassifierEpoch>(
      lt_tensor(x.to_vector(), s.samples, s.in),
      torch::from_blob(y.to_vector().data(), {s.samples}, torch::kLong).clone(), s.batch,
      torch::nn::Sequential(torch::nn::Linear(s.in, s.hidden), torch::nn::ReLU(), torch::nn::Dropout(0.1),
                            torch::nn::Linear(s.hidden, s.classes)));
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
