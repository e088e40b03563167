// Convolutional networks (issue 19) against libtorch in the same run: conv2d forward and
// forward + backward on four shapes, MaxPool2d and BatchNorm2d (training) forward + backward on the
// first layer's activation, and one training epoch of the digits CNN. Prints the table of bench.cpp
// (medians of alternating repetitions, lt/et, allocations, GFLOP/s and the fraction of this run's
// sgemm peak, measured first with bench.cpp's workload 4a) and the goals with their ratios.
//
// Usage: conv_bench [--reps N] [--target SECONDS] [--filter TEXT] [--threads N] [--torch-threads N]
//
// eigentorch is called through its public API only (nn::Conv2d, nn::functional::max_pool2d,
// nn::BatchNorm2d, backward()), so the rows follow whatever kernel ops/conv.hpp chooses.
#include "alloc_counter.hpp"  // first: replaces operator new/delete and malloc for the whole binary
#include "common.hpp"         // Context, thread settings, the header, workload 4 (sgemm)

#include <algorithm>  // std::max, std::min
#include <cmath>      // std::abs
#include <cstdint>    // int64_t
#include <cstdio>     // std::printf
#include <cstdlib>    // std::getenv
#include <fstream>    // the digits file
#include <memory>     // std::shared_ptr
#include <sstream>
#include <string>
#include <utility>    // std::pair
#include <vector>

namespace {

// ---- what both sides compute ------------------------------------------------------------------------

/// One conv2d shape: a batch of N images [C, H, W], O filters of 3x3, stride 1, the given padding.
struct ConvShape {
  std::string tag;  // "(a)", "(b1)", ...
  int64_t n, c, h, w, o, padding;
  double goal;       // lt/et at 1 thread the issue asks of forward + backward; 0: none
  bool forward_row;  // also time the forward alone
  int64_t oh() const { return h + 2 * padding - 2; }
  int64_t ow() const { return w + 2 * padding - 2; }
  /// 2 N O (C / groups) KH KW OH OW: multiply-adds x 2 of the forward pass.
  double forward_flops() const {
    return 2.0 * static_cast<double>(n * o * c * 9) * static_cast<double>(oh() * ow());
  }
  std::string name(const char* what) const {
    return "conv " + tag + " " + std::to_string(c) + "->" + std::to_string(o) + " " + std::to_string(h) + "x" +
           std::to_string(w) + (padding ? " p" + std::to_string(padding) : "") + " " + what;
  }
};

/// The goals, printed after the table with the measured ratio (lt/et).
struct Goal {
  std::string row;
  double goal = 0;
  double ratio = 0;  // 0: not measured (no libtorch, or the row was filtered out)
};

/// max |e - t| over max |t|: eigentorch's result against libtorch's, both flattened to float.
#ifdef EIGENTORCH_HAVE_LIBTORCH
double relative_difference(const et::Tensor<float>& e, const torch::Tensor& t) {
  const std::vector<float> ev = e.contiguous().to_vector();
  const torch::Tensor tc = t.detach().contiguous();
  if (static_cast<int64_t>(ev.size()) != tc.numel()) return 1e30;
  const float* tp = tc.data_ptr<float>();
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(ev[i]) - static_cast<double>(tp[i])));
    scale = std::max(scale, std::abs(static_cast<double>(tp[i])));
  }
  return diff / std::max(scale, 1e-30);
}

torch::Tensor lt_copy(const et::Tensor<float>& t) {
  std::vector<float> v = t.detach().contiguous().to_vector();
  return torch::from_blob(v.data(), t.shape().vec(), torch::kFloat32).clone();
}
#endif

/// Checks (untimed) that eigentorch's results match libtorch's within float summation-order noise
/// (1e-4 of the largest magnitude); a mismatch becomes a WARNING under the table.
template <class Pairs>
void check_same(Context& ctx, const std::string& name, const Pairs& pairs) {
#ifdef EIGENTORCH_HAVE_LIBTORCH
  for (const auto& [what, e, t] : pairs) {
    const double d = relative_difference(e, t);
    if (!(d <= 1e-4))
      ctx.notes.push_back(name + ": eigentorch's " + what + " differs from libtorch's (max |diff| / max |lt| = " +
                          bench::format_number(d, "%.2g") + ")");
  }
#else
  (void)ctx, (void)name, (void)pairs;
#endif
}

/// Times eigentorch's step against libtorch's (at each of ctx.torch_threads' counts, the faster
/// quoted, as bench.cpp's training rows do), prints the row, returns lt/et (0 without libtorch).
double compare(Context& ctx, const std::string& name, const bench::Step& et_step, const bench::Step& lt_step,
               double flops) {
  std::vector<bench::Contender> contenders{{et_step, ctx.et_prepare}};
  if (lt_step)
    for (int threads : ctx.torch_threads) contenders.push_back({lt_step, torch_prepare(threads)});
  const auto m = bench::measure(contenders, ctx.opts);
  bench::Row row{name, m[0]};
  for (std::size_t i = 1; i < m.size(); ++i)
    if (!row.torch.valid || m[i].median_s < row.torch.median_s) {
      row.torch = m[i];
      row.torch_threads = ctx.torch_threads[i - 1];
    }
  row.flops_per_step = flops;
  row.peak_gflops = ctx.peak_gflops;
  bench::print_row(row);
  return row.torch.valid ? row.torch.median_s / row.et.median_s : 0;
}

// ---- conv2d, pooling, batch norm ------------------------------------------------------------------------

/// conv2d of one shape: forward (NoGradGuard on both sides: the kernel alone) and forward + backward
/// (x, weight and bias require grad; y.backward(gy) with a fixed random gy, then every gradient set to
/// none, so nothing accumulates). Both sides start from the same x, weight, bias and gy.
void run_conv(Context& ctx, const ConvShape& s, std::vector<Goal>& goals) {
  const std::string fwd_name = s.name("fwd"), both_name = s.name("fwd+bwd");
  const bool fwd = s.forward_row && ctx.wanted(fwd_name), both = ctx.wanted(both_name);
  if (!fwd && !both) return;
  et::manual_seed(19);
  auto conv = std::make_shared<nn::Conv2d<>>(nn::Conv2dOptions(s.c, s.o, 3).padding(s.padding));
  const auto x = et::randn({s.n, s.c, s.h, s.w}).requires_grad_();
  const auto gy = et::randn({s.n, s.o, s.oh(), s.ow()});
  bench::Step lt_fwd, lt_both;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  const auto tx = lt_copy(x).requires_grad_(), tgy = lt_copy(gy);
  const auto tw = lt_copy(conv->weight).requires_grad_(), tb = lt_copy(conv->bias).requires_grad_();
  const int64_t pad = s.padding;
  lt_fwd = [=] {
    torch::NoGradGuard no_grad;
    auto y = torch::conv2d(tx, tw, tb, 1, pad);
    keep(y.data_ptr());
  };
  lt_both = [=]() mutable {
    auto y = torch::conv2d(tx, tw, tb, 1, pad);
    y.backward(tgy);
    keep(tx.grad().data_ptr());
    for (auto* t : {&tx, &tw, &tb}) t->mutable_grad() = torch::Tensor();
  };
#endif
  if (fwd) {
    const bench::Step et_fwd = [conv, x] {
      et::NoGradGuard no_grad;
      auto y = (*conv)(x);
      keep(y.data());
    };
#ifdef EIGENTORCH_HAVE_LIBTORCH
    {
      et::NoGradGuard no_grad;
      torch::NoGradGuard lt_no_grad;
      check_same(ctx, fwd_name, std::vector<std::tuple<std::string, et::Tensor<float>, torch::Tensor>>{
                                    {"output", (*conv)(x), torch::conv2d(tx, tw, tb, 1, pad)}});
    }
#endif
    compare(ctx, fwd_name, et_fwd, lt_fwd, s.forward_flops());
  }
  if (both) {
    auto xx = x;  // the lambda's copy shares x's storage and gradient slot
    const bench::Step et_both = [conv, xx, gy]() mutable {
      auto y = (*conv)(xx);
      y.backward(gy);
      keep(xx.grad().data());
      xx.set_grad(et::Tensor<float>());
      conv->zero_grad();
    };
#ifdef EIGENTORCH_HAVE_LIBTORCH
    et_both();  // leaves no gradient behind: run once more without the reset to compare them
    {
      auto y = (*conv)(xx);
      y.backward(gy);
      auto ty = torch::conv2d(tx, tw, tb, 1, pad);
      ty.backward(tgy);
      check_same(ctx, both_name, std::vector<std::tuple<std::string, et::Tensor<float>, torch::Tensor>>{
                                     {"input gradient", xx.grad(), tx.grad()},
                                     {"weight gradient", conv->weight.grad(), tw.grad()},
                                     {"bias gradient", conv->bias.grad(), tb.grad()}});
      xx.set_grad(et::Tensor<float>());
      conv->zero_grad();
      for (auto t : {tx, tw, tb}) t.mutable_grad() = torch::Tensor();
    }
#endif
    const double ratio = compare(ctx, both_name, et_both, lt_both, 3 * s.forward_flops());
    if (s.goal > 0) goals.push_back({both_name, s.goal, ratio});
  }
}

/// MaxPool2d(2) forward + backward on (b1)'s activation [64, 32, 28, 28]: y = max_pool2d(x, 2),
/// y.backward(gy), x's gradient set to none.
void run_max_pool(Context& ctx, std::vector<Goal>& goals) {
  const std::string name = "MaxPool2d(2) on (b1) f+b";
  if (!ctx.wanted(name)) return;
  et::manual_seed(20);
  auto x = et::randn({64, 32, 28, 28}).requires_grad_();
  const auto gy = et::randn({64, 32, 14, 14});
  const bench::Step et_step = [x, gy]() mutable {
    auto y = nn::functional::max_pool2d(x, 2);
    y.backward(gy);
    keep(x.grad().data());
    x.set_grad(et::Tensor<float>());
  };
  bench::Step lt_step;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  auto tx = lt_copy(x).requires_grad_();
  const auto tgy = lt_copy(gy);
  lt_step = [tx, tgy]() mutable {
    auto y = torch::max_pool2d(tx, {2, 2});
    y.backward(tgy);
    keep(tx.grad().data_ptr());
    tx.mutable_grad() = torch::Tensor();
  };
  nn::functional::max_pool2d(x, 2).backward(gy);
  torch::max_pool2d(tx, {2, 2}).backward(tgy);
  check_same(ctx, name, std::vector<std::tuple<std::string, et::Tensor<float>, torch::Tensor>>{
                            {"input gradient", x.grad(), tx.grad()}});
  x.set_grad(et::Tensor<float>());
  tx.mutable_grad() = torch::Tensor();
#endif
  goals.push_back({name, 2.0, compare(ctx, name, et_step, lt_step, 0)});
}

/// BatchNorm2d(32) in training mode, forward + backward on [64, 32, 28, 28]: batch statistics,
/// running statistics updated, y.backward(gy), the input's, weight's and bias's gradients set to none.
void run_batch_norm(Context& ctx, std::vector<Goal>& goals) {
  const std::string name = "BatchNorm2d train on (b1) f+b";
  if (!ctx.wanted(name)) return;
  et::manual_seed(21);
  auto bn = std::make_shared<nn::BatchNorm2d<>>(32);
  auto x = et::randn({64, 32, 28, 28}).requires_grad_();
  const auto gy = et::randn({64, 32, 28, 28});
  const bench::Step et_step = [bn, x, gy]() mutable {
    auto y = (*bn)(x);
    y.backward(gy);
    keep(x.grad().data());
    x.set_grad(et::Tensor<float>());
    bn->zero_grad();
  };
  bench::Step lt_step;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  torch::nn::BatchNorm2d tbn(32);
  auto tx = lt_copy(x).requires_grad_();
  const auto tgy = lt_copy(gy);
  lt_step = [tbn, tx, tgy]() mutable {
    auto y = tbn->forward(tx);
    y.backward(tgy);
    keep(tx.grad().data_ptr());
    tx.mutable_grad() = torch::Tensor();
    tbn->zero_grad();
  };
  (*bn)(x).backward(gy);
  tbn->forward(tx).backward(tgy);
  check_same(ctx, name, std::vector<std::tuple<std::string, et::Tensor<float>, torch::Tensor>>{
                            {"input gradient", x.grad(), tx.grad()},
                            {"weight gradient", bn->weight.grad(), tbn->weight.grad()},
                            {"bias gradient", bn->bias.grad(), tbn->bias.grad()}});
  x.set_grad(et::Tensor<float>());
  bn->zero_grad();
  tx.mutable_grad() = torch::Tensor();
  for (auto& p : tbn->parameters()) p.mutable_grad() = torch::Tensor();
#endif
  goals.push_back({name, 2.0, compare(ctx, name, et_step, lt_step, 0)});
}

// ---- the digits CNN epoch ------------------------------------------------------------------------------

/// examples/data/digits.csv: 1797 rows of 64 pixels (0..16) and a label. Returns the 1437 training
/// images of a random 1437 / 360 split (randperm(1797) after manual_seed(0), as random_split draws
/// it), pixels / 16, as [1437, 1, 8, 8], and their labels; empty if the file cannot be read.
std::pair<std::vector<float>, std::vector<int64_t>> digits_training_set(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<float>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<float> row;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) row.push_back(std::stof(cell));
    if (row.size() == 65) rows.push_back(std::move(row));
  }
  if (rows.size() != 1797) return {};
  et::manual_seed(0);
  const std::vector<int64_t> perm = et::randperm(1797).to_vector();
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 1437; ++i) {
    const auto& row = rows[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])];
    for (int p = 0; p < 64; ++p) x.push_back(row[static_cast<std::size_t>(p)] / 16.0f);
    y.push_back(static_cast<int64_t>(row[64]));
  }
  return {x, y};
}

/// Multiply-adds x 2 of one epoch per image: the first conv's forward and weight gradient (its input,
/// the image, needs no gradient), the second conv's and the Linear's three products.
constexpr double kDigitsFlopsPerImage = 2 * (2.0 * 16 * 1 * 9 * 8 * 8) + 3 * (2.0 * 32 * 16 * 9 * 4 * 4) +
                                        3 * (2.0 * 128 * 10);

/// One epoch of examples/digits_cnn's model, Sequential(Conv2d(1,16,3,padding=1,bias=False),
/// BatchNorm2d(16), ReLU(), MaxPool2d(2), Conv2d(16,32,3,padding=1), ReLU(), MaxPool2d(2), Flatten(),
/// Dropout(0.25), Linear(128,10)) over the 1437 training digits in shuffled batches of 32,
/// CrossEntropyLoss, Adam(1e-3). eigentorch iterates a DataLoader; libtorch a randperm and an
/// index_select per batch, as bench.cpp's workload 9 does.
void run_digits_epoch(Context& ctx, std::vector<Goal>& goals) {
  const std::string name = "epoch digits CNN 1437, B=32";
  if (!ctx.wanted(name)) return;
  const auto [xv, yv] = digits_training_set(EIGENTORCH_BENCH_DIR "/../examples/data/digits.csv");
  if (xv.empty()) {
    ctx.notes.push_back(name + ": examples/data/digits.csv not found or not 1797 rows; row skipped");
    return;
  }
  const int64_t n = 1437;
  const auto x = et::from_vector(xv, {n, 1, 8, 8});
  const auto y = et::from_vector(yv, {n});
  et::manual_seed(1);
  auto et_epoch = std::make_shared<EtClassifierEpoch>(
      x, y, 32,
      nn::Sequential<>(nn::Conv2d(nn::Conv2dOptions(1, 16, 3).padding(1).bias(false)), nn::BatchNorm2d(16), nn::ReLU(),
                       nn::MaxPool2d(2), nn::Conv2d(nn::Conv2dOptions(16, 32, 3).padding(1)), nn::ReLU(),
                       nn::MaxPool2d(2), nn::Flatten(), nn::Dropout(0.25), nn::Linear(128, 10)));
  bench::Step lt_step;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  namespace tnn = torch::nn;
  torch::manual_seed(1);
  auto lt_epoch = std::make_shared<LtClassifierEpoch>(
      torch::from_blob(const_cast<float*>(xv.data()), {n, 1, 8, 8}, torch::kFloat32).clone(),
      torch::from_blob(const_cast<int64_t*>(yv.data()), {n}, torch::kLong).clone(), 32,
      tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(1, 16, 3).padding(1).bias(false)), tnn::BatchNorm2d(16),
                      tnn::ReLU(), tnn::MaxPool2d(tnn::MaxPool2dOptions(2)),
                      tnn::Conv2d(tnn::Conv2dOptions(16, 32, 3).padding(1)), tnn::ReLU(),
                      tnn::MaxPool2d(tnn::MaxPool2dOptions(2)), tnn::Flatten(), tnn::Dropout(0.25),
                      tnn::Linear(128, 10)));
  lt_step = [lt_epoch] { lt_epoch->epoch(); };
#endif
  const double ratio = compare(ctx, name, [et_epoch] { et_epoch->epoch(); }, lt_step, kDigitsFlopsPerImage * n);
  goals.push_back({name, 3.0, ratio});
  check_loss(ctx, name + ": eigentorch", et_epoch->last_loss);
#ifdef EIGENTORCH_HAVE_LIBTORCH
  check_loss(ctx, name + ": libtorch", lt_epoch->last_loss);
#endif
}

/// How glibc's malloc was configured for this process (libtorch's large temporaries depend on its
/// mmap threshold: each fresh mmap'd block is page-faulted again on this VM).
std::string malloc_setting() {
  std::string s;
  for (const char* var : {"GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_",
                          "MALLOC_TOP_PAD_"})
    if (const char* v = std::getenv(var)) s += std::string(s.empty() ? "" : ", ") + var + "=" + v;
  return "  malloc        : " + (s.empty() ? std::string("glibc's defaults (no GLIBC_TUNABLES, no MALLOC_*_)") : s) +
         "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const auto start = bench::Clock::now();
  const double cpu_start = process_cpu_seconds();
  const std::string load_start = load_average();
  Context ctx{parse(argc, argv)};
  setup_run(ctx, "eigentorch convolution benchmark", load_start, malloc_setting());
  bench::print_header();

  // The peak the %peak column divides by: measured whatever --filter says.
  const std::string filter = ctx.opts.filter;
  ctx.opts.filter.clear();
  run_sgemm(ctx, /*with_et_mm=*/false);
  ctx.opts.filter = filter;
  std::vector<Goal> goals;
  // The four shapes, then the digits CNN's two convolutions on one batch of 32 (what its
  // epoch runs 45 times; forward + backward only, no goal of their own).
  for (const ConvShape& s : {ConvShape{"(a)", 64, 1, 8, 8, 8, 1, 1.5, true},
                             ConvShape{"(b1)", 64, 1, 28, 28, 32, 0, 1.5, true},
                             ConvShape{"(b2)", 64, 32, 14, 14, 64, 0, 0.8, true},
                             ConvShape{"(c)", 32, 64, 32, 32, 64, 1, 0.8, true},
                             ConvShape{"(d1)", 32, 1, 8, 8, 16, 1, 0, false},
                             ConvShape{"(d2)", 32, 16, 4, 4, 32, 1, 0, false}})
    run_conv(ctx, s, goals);
  run_max_pool(ctx, goals);
  run_batch_norm(ctx, goals);
  run_digits_epoch(ctx, goals);

  const double wall = bench::seconds_since(start);
  std::printf("\nsgemm peak of this run: %.1f GFLOP/s. conv GFLOP/s count 2 N O (C/groups) KH KW OH OW per forward,\n"
              "3x that for forward + backward (input, weight and bias gradients); the epoch counts its convolutions'\n"
              "and Linear's products (the first conv's input gradient is never computed).\n",
              ctx.peak_gflops);
  // The goals are for one thread: a run with more prints the ratios without judging them.
  const bool one_thread = Eigen::nbThreads() == 1 && ctx.torch_threads == std::vector<int>{1};
  std::printf("\nIssue 19's goals, lt/et at 1 thread%s:\n",
              one_thread ? "" : " (this run has more threads: the ratios are printed, not judged)");
  for (const Goal& g : goals) {
    std::string verdict = "- (no libtorch)";
    if (g.ratio > 0)
      verdict = bench::format_number(g.ratio, "%.2fx") + (!one_thread ? "" : g.ratio >= g.goal ? "  met" : "  missed");
    std::printf("  %-36s >= %.1fx: %s\n", g.row.c_str(), g.goal, verdict.c_str());
  }
  std::printf("\nRun time %.1f s; the process used %.1f CPU s (%.2f cores on average); load average now %s.\n", wall,
              process_cpu_seconds() - cpu_start, (process_cpu_seconds() - cpu_start) / wall, load_average().c_str());
  for (const auto& note : ctx.notes) std::printf("WARNING: %s\n", note.c_str());
  return 0;
}
