// eigentorch's benchmark: training steps (forward, MSELoss, zero_grad, backward, SGD step), a
// 1024^3 sgemm and single tensor ops (workload 6: issue 15's index_select, cat, argmax, comparison,
// where, ...), timed side by side with libtorch's C++ frontend in the same process when built with
// EIGENTORCH_HAVE_LIBTORCH. Prints one table: medians, the libtorch/eigentorch ratio, eigentorch's
// heap allocations per steady-state step, GFLOP/s and the fraction of the sgemm peak.
//
// Usage: bench [--reps N] [--target SECONDS] [--filter TEXT] [--threads N] [--torch-threads N]
#include "alloc_counter.hpp"  // first: replaces operator new/delete and malloc for the whole binary
#include "common.hpp"         // Context, thread settings, the header, workload 4 (sgemm)

#include <algorithm>   // std::max
#include <cmath>       // std::isfinite, std::fma
#include <cstdint>     // int64_t
#include <cstdio>      // std::printf
#include <functional>  // std::function
#include <memory>      // std::shared_ptr
#include <string>
#include <tuple>
#include <utility>     // std::pair
#include <vector>

namespace {

// ---- workload descriptions ---------------------------------------------------------------------------

/// A training set-up both libraries build: layer widths, batch, learning rate, and where x and y come from.
struct MlpSpec {
  std::string name;
  std::vector<int64_t> widths;  // in, hidden..., out: Linear layers between neighbours, Tanh between them
  int64_t batch = 0;
  double lr = 0;
  std::vector<float> x, y;      // batch x widths.front(), batch x widths.back(), row-major
  std::vector<float> y_other;   // when not empty, odd steps fit this target instead of y
};

/// Multiply-adds x 2 that one step really executes: per Linear(in, out) the forward product and the
/// weight gradient (2 B in out each), plus the input gradient for every layer but the first (its input
/// does not require grad, so neither library computes it).
double step_flops(const MlpSpec& s) {
  double flops = 0;
  for (std::size_t l = 0; l + 1 < s.widths.size(); ++l) {
    const double mnk = 2.0 * static_cast<double>(s.batch) * static_cast<double>(s.widths[l]) *
                       static_cast<double>(s.widths[l + 1]);
    flops += (l == 0 ? 2 : 3) * mnk;
  }
  return flops;
}

// ---- eigentorch side ---------------------------------------------------------------------------------

/// nn::Sequential(Linear, Tanh, Linear, Tanh, ..., Linear) with the widths of the spec.
nn::Sequential<> et_model(const std::vector<int64_t>& widths) {
  nn::Sequential<> model;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    if (l > 0) model.push_back(nn::Tanh());
    model.push_back(nn::Linear(widths[l], widths[l + 1]));
  }
  return model;
}

struct EtTrainer {
  nn::Sequential<> model;
  et::optim::SGD<> optimizer;
  nn::MSELoss<> loss_fn;
  et::Tensor<> x, y[2];
  int which = 0;
  float last_loss = 0;

  EtTrainer(const MlpSpec& s)
      : model(et_model(s.widths)),
        optimizer(model.parameters(), s.lr),
        x(et::from_vector(s.x, {s.batch, s.widths.front()})),
        y{et::from_vector(s.y, {s.batch, s.widths.back()}),
          et::from_vector(s.y_other.empty() ? s.y : s.y_other, {s.batch, s.widths.back()})} {}

  void step() {
    auto prediction = model(x);
    auto loss = loss_fn(prediction, y[which]);
    which ^= 1;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    last_loss = loss.item();
  }
};

/// The same training step captured once into a CPUGraph (graph.hpp) and replayed: the same kernels
/// as EtTrainer's step, on the same buffers, without making tensors, nodes or engine passes again.
/// One target only (a graph reads the tensors it captured): used for the tiny workloads, whose spec
/// has no second target.
struct CapturedTrainer {
  EtTrainer trainer;
  et::CPUGraph graph;
  et::Tensor<> loss;
  float last_loss = 0;

  explicit CapturedTrainer(const MlpSpec& s) : trainer(s) {
    et::GraphCaptureGuard capture(graph);
    loss = trainer.loss_fn(trainer.model(trainer.x), trainer.y[0]);
    trainer.optimizer.zero_grad();
    loss.backward();
    trainer.optimizer.step();
  }
  void step() {
    graph.replay();
    last_loss = loss.item();
  }
};

/// Workload 1's arithmetic alone: one tour step done by the kernels eigentorch's ops call (the same
/// products, tanh, sums and updates, in the same rounding), on buffers allocated once, with no
/// tensor, graph node or optimiser. The gap between this and workload 1 is what the per-op machinery
/// (a tensor per result, a node per op, the engine's passes) costs; the ratio to libtorch is what a
/// step with none of it could reach.
struct TourArithmetic {
  static constexpr int64_t B = 11, H = 13;
  std::vector<float> x, y, w1, b1, w2, b2, pre, h, out, sq, g, gw2, gb2, gh, gpre, gw1, gb1;
  float lr = 0, last_loss = 0;

  explicit TourArithmetic(const MlpSpec& s) : x(s.x), y(s.y), lr(static_cast<float>(s.lr)) {
    et::manual_seed(1);  // the same initial weights as the trainers
    auto params = et_model(s.widths).parameters();
    w1 = params[0].to_vector(), b1 = params[1].to_vector(), w2 = params[2].to_vector(), b2 = params[3].to_vector();
    for (auto* v : {&pre, &h, &gh, &gpre}) v->resize(B * H);
    for (auto* v : {&out, &sq, &g}) v->resize(B);
    gw2.resize(H), gb2.resize(1), gw1.resize(H), gb1.resize(H);
  }

  void step() {
    namespace d = et::detail;
    d::gemm<float>(B, H, 1, x.data(), false, w1.data(), true, pre.data(), b1.data());  // Linear(1, 13)
    et::detail::tanh_float(pre.data(), h.data(), B * H);                                 // Tanh
    d::gemm<float>(B, 1, H, h.data(), false, w2.data(), true, out.data(), b2.data());   // Linear(13, 1)
    for (int64_t i = 0; i < B; ++i) sq[i] = (out[i] - y[i]) * (out[i] - y[i]);          // MSELoss
    last_loss = d::sum_contiguous(sq.data(), B) / static_cast<float>(B);
    const float norm = 2.0f / static_cast<float>(B);
    for (int64_t i = 0; i < B; ++i) g[i] = norm * (out[i] - y[i]) * 1.0f;               // its backward
    d::gemm<float>(1, H, B, g.data(), true, h.data(), false, gw2.data());               // Linear(13, 1)'s
    d::sum_columns(g.data(), B, 1, gb2.data());
    d::gemm<float>(B, H, 1, g.data(), false, w2.data(), false, gh.data());
    for (int64_t i = 0; i < B * H; ++i) gpre[i] = gh[i] * std::fma(-h[i], h[i], 1.0f);   // Tanh's
    d::gemm<float>(H, 1, B, gpre.data(), true, x.data(), false, gw1.data());            // Linear(1, 13)'s
    d::sum_columns(gpre.data(), B, H, gb1.data());
    for (auto [p, dp, n] : {std::tuple{w1.data(), gw1.data(), H}, std::tuple{b1.data(), gb1.data(), H},
                            std::tuple{w2.data(), gw2.data(), H}, std::tuple{b2.data(), gb2.data(), int64_t{1}}})
      for (int64_t j = 0; j < n; ++j) p[j] = std::fma(-lr, dp[j], p[j]);                // SGD
  }
};

// ---- libtorch side -----------------------------------------------------------------------------------

#ifdef EIGENTORCH_HAVE_LIBTORCH
torch::nn::Sequential lt_model(const std::vector<int64_t>& widths) {
  torch::nn::Sequential model;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    if (l > 0) model->push_back(torch::nn::Tanh());
    model->push_back(torch::nn::Linear(widths[l], widths[l + 1]));
  }
  return model;
}

struct LtTrainer {
  torch::nn::Sequential model;
  torch::optim::SGD optimizer;
  torch::Tensor x, y[2];
  int which = 0;
  float last_loss = 0;

  LtTrainer(const MlpSpec& s)
      : model(lt_model(s.widths)),
        optimizer(model->parameters(), torch::optim::SGDOptions(s.lr)),
        x(lt_tensor(s.x, s.batch, s.widths.front())),
        y{lt_tensor(s.y, s.batch, s.widths.back()),
          lt_tensor(s.y_other.empty() ? s.y : s.y_other, s.batch, s.widths.back())} {}

  void step() {
    auto prediction = model->forward(x);
    auto loss = torch::mse_loss(prediction, y[which]);
    which ^= 1;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    last_loss = loss.item<float>();
  }
};
#endif

// ---- the runs ----------------------------------------------------------------------------------------

MlpSpec tutorial_spec();

/// Times eigentorch's step against libtorch's training step for the same spec (alternating), prints
/// the row and checks the last losses. libtorch runs once per intra-op thread count in
/// ctx.torch_threads, each with its own model from the same seed, and the row quotes the fastest.
void compare(Context& ctx, const std::string& name, const MlpSpec& spec, const bench::Step& et_step,
             const std::function<float()>& et_loss, bool report_flops) {
  std::vector<bench::Contender> contenders{{et_step, ctx.et_prepare}};
  std::vector<std::function<float()>> lt_losses;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  for (int threads : ctx.torch_threads) {
    torch::manual_seed(1);
    auto lt_trainer = std::make_shared<LtTrainer>(spec);
    contenders.push_back({[lt_trainer] { lt_trainer->step(); }, torch_prepare(threads)});
    lt_losses.push_back([lt_trainer] { return lt_trainer->last_loss; });
  }
#endif
  const auto m = bench::measure(contenders, ctx.opts);
  bench::Row row{name, m[0]};
  for (std::size_t i = 1; i < m.size(); ++i)
    if (!row.torch.valid || m[i].median_s < row.torch.median_s) {
      row.torch = m[i];
      row.torch_threads = ctx.torch_threads[i - 1];
    }
  if (report_flops) {
    row.flops_per_step = step_flops(spec);
    row.peak_gflops = ctx.peak_gflops;
  }
  bench::print_row(row);
  check_loss(ctx, name + ": eigentorch", et_loss());
  for (std::size_t i = 0; i < lt_losses.size(); ++i)
    check_loss(ctx, name + ": libtorch (" + std::to_string(ctx.torch_threads[i]) + " intra-op threads)",
               lt_losses[i]());
}

void run_training(Context& ctx, const MlpSpec& spec, bool report_flops) {
  if (!ctx.wanted(spec.name)) return;
  // Both models start from PyTorch's seeded initialisation (eigentorch draws PyTorch's numbers).
  et::manual_seed(1);
  auto trainer = std::make_shared<EtTrainer>(spec);
  compare(ctx, spec.name, spec, [trainer] { trainer->step(); }, [trainer] { return trainer->last_loss; },
          report_flops);
}

/// Workloads 1 and 2 as CPUGraph replays (rows 1g and 2g).
void run_captured(Context& ctx, const std::string& name, const MlpSpec& spec) {
  if (!ctx.wanted(name)) return;
  et::manual_seed(1);
  auto captured = std::make_shared<CapturedTrainer>(spec);
  compare(ctx, name, spec, [captured] { captured->step(); }, [captured] { return captured->last_loss; }, false);
}

/// 1f: workload 1's arithmetic alone (TourArithmetic) against libtorch's whole tour step.
void run_tour_arithmetic(Context& ctx) {
  const std::string name = "1f tutorial, arithmetic only";
  if (!ctx.wanted(name)) return;
  const MlpSpec spec = tutorial_spec();
  auto arithmetic = std::make_shared<TourArithmetic>(spec);
  compare(ctx, name, spec, [arithmetic] { arithmetic->step(); }, [arithmetic] { return arithmetic->last_loss; },
          false);
}

/// Flattens a result to doubles, to check once (untimed) that both libraries computed the same thing.
template <class T>
std::vector<double> as_doubles(const et::Tensor<T>& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(static_cast<double>(t.data()[i]));
  return v;
}

/// 6. The tensor ops of issue 15, one op per step, float, 1 thread meant (--threads 1), at 16x16
/// (per-op overhead; goal: 10x below libtorch) and 1000x1000 = 1M elements (the loop itself; goal:
/// no slower than libtorch). The inputs do not require grad and no NoGradGuard is set: what a user's
/// code runs. Each step makes the op's result and discards it. Both sides get the same numbers.
void run_tensor_ops(Context& ctx) {
  for (int64_t n : {int64_t{16}, int64_t{1000}}) {
    const std::string size = std::to_string(n) + "x" + std::to_string(n);
    et::manual_seed(5);
    const auto a = et::randn({n, n}), b = et::randn({n, n});
    const auto idx = et::randint(0, n, {n});         // n random rows for index_select
    const auto gidx = et::randint(0, n, {n, n});     // a random column per element for gather(1, .)
    const et::Tensor<bool> cond = a < b;
#ifdef EIGENTORCH_HAVE_LIBTORCH
    const auto ta = lt_tensor(a.to_vector(), n, n), tb = lt_tensor(b.to_vector(), n, n);
    auto long_tensor = [](const et::Tensor<int64_t>& t, std::vector<int64_t> shape) {
      auto v = t.to_vector();
      return torch::from_blob(v.data(), shape, torch::kLong).clone();
    };
    const auto tidx = long_tensor(idx, {n}), tgidx = long_tensor(gidx, {n, n});
    const auto tcond = torch::lt(ta, tb);
#endif
    // et_op and lt_op return the op's result; the step discards it, the check compares them once.
    auto op = [&](const std::string& what, auto et_op, [[maybe_unused]] auto lt_op) {
      const std::string name = "6 ops " + size + " " + what;
      if (!ctx.wanted(name)) return;
      const bench::Step et_step = [et_op] { auto r = et_op(); keep(r.data()); };
      bench::Step lt_step;
#ifdef EIGENTORCH_HAVE_LIBTORCH
      lt_step = [lt_op] { auto r = lt_op(); keep(r.data_ptr()); };
      const std::vector<double> e = as_doubles(et_op());
      const torch::Tensor t = lt_op().to(torch::kFloat64).contiguous();
      const bool same = static_cast<int64_t>(e.size()) == t.numel() &&
                        std::equal(e.begin(), e.end(), t.data_ptr<double>());
      if (!same) ctx.notes.push_back(name + ": eigentorch's result differs from libtorch's");
#endif
      const int threads = ctx.torch_threads.back();  // 1 with --threads 1 (the run these rows are for)
      const auto m = bench::measure({{et_step, ctx.et_prepare}, {lt_step, torch_prepare(threads)}}, ctx.opts);
      bench::Row row{name, m[0], m[1]};
      row.torch_threads = threads;
      bench::print_row(row);
    };
#ifdef EIGENTORCH_HAVE_LIBTORCH
#define EIGENTORCH_LT(...) [=] { return __VA_ARGS__; }
#else
#define EIGENTORCH_LT(...) 0
#endif
    op("index_select(0, idx)", [=] { return a.index_select(0, idx); }, EIGENTORCH_LT(ta.index_select(0, tidx)));
    op("cat({a, b}, 0)", [=] { return et::cat({a, b}, 0); }, EIGENTORCH_LT(torch::cat({ta, tb}, 0)));
    op("argmax(1)", [=] { return a.argmax(1); }, EIGENTORCH_LT(ta.argmax(1)));
    op("a < b", [=] { return a < b; }, EIGENTORCH_LT(ta < tb));
    op("where(cond, a, b)", [=] { return et::where(cond, a, b); }, EIGENTORCH_LT(torch::where(tcond, ta, tb)));
    op("gather(1, idx)", [=] { return a.gather(1, gidx); }, EIGENTORCH_LT(ta.gather(1, tgidx)));
    op("cond.sum() (bool)", [=] { return cond.sum(); }, EIGENTORCH_LT(tcond.sum()));
    op("a.to<double>()", [=] { return a.to<double>(); }, EIGENTORCH_LT(ta.to(torch::kFloat64)));
#undef EIGENTORCH_LT
  }
}

#include "loss_bench.hpp"  // 7. CrossEntropyLoss forward + backward

/// The tour's data: x = temperatures, y = readings (11 samples each).
MlpSpec tutorial_spec() {
  MlpSpec s{"1 tutorial 1-13-1 Tanh, B=11", {1, 13, 1}, 11, 1e-3};
  s.x = {0.5f, 14.0f, 15.0f, 28.0f, 11.0f, 8.0f, 3.0f, -4.0f, 6.0f, 13.0f, 21.0f};
  s.y = {35.7f, 55.9f, 58.2f, 81.9f, 56.3f, 48.9f, 33.9f, 21.8f, 48.4f, 60.4f, 68.4f};
  return s;
}

/// The tour's first model: Linear(1, 1) fitted to t_u from t_c, both torch.rand(11) after seed 0.
MlpSpec linear_spec() {
  MlpSpec s{"2 Linear(1,1), B=11", {1, 1}, 11, 1e-1};
  et::manual_seed(0);
  s.x = et::rand({11}).to_vector();
  s.y = et::rand({11}).to_vector();
  return s;
}

MlpSpec mlp_spec(std::string name, std::vector<int64_t> widths, int64_t batch, double lr) {
  MlpSpec s{std::move(name), std::move(widths), batch, lr};
  et::manual_seed(3);
  s.x = random_normal(batch, s.widths.front());
  s.y = random_normal(batch, s.widths.back());
  // NOTE: with one fixed target, a batch no larger than the input width is fitted to float rounding
  // within a few thousand steps (loss ~1e-11 to 1e-19), after which every step pushes gradients of
  // ~1e-10 through the graph: not what training looks like, and one step from subnormal floats, which
  // x86 computes tens of times slower. Alternating between two targets keeps the residuals of order one.
  s.y_other = random_normal(batch, s.widths.back());
  return s;
}

}  // namespace

#include "optim_bench.hpp"  // workload 8: an Adam step
#include "training_bench.hpp"  // workload 9: training epochs (DataLoader, CrossEntropyLoss, Adam)

int main(int argc, char** argv) {
  const auto start = bench::Clock::now();
  const double cpu_start = process_cpu_seconds();
  const std::string load_start = load_average();
  Context ctx{parse(argc, argv)};

  setup_run(ctx, "eigentorch benchmark", load_start);
  bench::print_header();

  run_sgemm(ctx);
  run_training(ctx, tutorial_spec(), false);
  run_captured(ctx, "1g tutorial, CPUGraph replay", tutorial_spec());
  run_tour_arithmetic(ctx);
  run_training(ctx, linear_spec(), false);
  run_captured(ctx, "2g Linear(1,1), CPUGraph replay", linear_spec());
  run_training(ctx, mlp_spec("3 MLP 784-512-512-10, B=128", {784, 512, 512, 10}, 128, 0.01), true);
  for (int64_t h : {16, 64, 256, 1024, 2048})
    for (int64_t batch : {1, 32, 1024}) {
      const std::string name = "5 sweep 64-" + std::to_string(h) + "-" + std::to_string(h) + "-10, B=" +
                               std::to_string(batch);
      if (ctx.wanted(name)) run_training(ctx, mlp_spec(name, {64, h, h, 10}, batch, 0.01), true);
    }
  run_tensor_ops(ctx);
  run_optim(ctx);
  run_cross_entropy(ctx);
  run_epochs(ctx);

  const double wall = bench::seconds_since(start);
  std::printf("\nsgemm peak of this run: %.1f GFLOP/s. GFLOP/s count 2mnk for the 3 forward products, the 3\n"
              "weight gradients and the 2 hidden input gradients (the first layer's input gradient is never\n"
              "computed: x does not require grad).\n"
              "Run time %.1f s; the process used %.1f CPU s (%.2f cores on average); load average now %s.\n",
              ctx.peak_gflops, wall, process_cpu_seconds() - cpu_start, (process_cpu_seconds() - cpu_start) / wall,
              load_average().c_str());
  for (const auto& note : ctx.notes) std::printf("WARNING: %s\n", note.c_str());
  return 0;
}
