// Data-parallel training over MPI (issue 18's goals), run as
//   mpiexec -n 2 build/bench/bench/ddp_bench [--reps 7] [--warmup 5] [--steps 20] [--no-torch]
// one thread per process. Rows (medians; per-step rows timed between barriers, each the slower
// rank's median):
//   mlp_1proc        the 784-512-512-10 MLP (ReLU), CrossEntropyLoss, SGD lr 0.01, batch 128, one
//                    process alone (rank 1 sleeps meanwhile): samples/s
//   mlp_ddp2         the same under DistributedDataParallel, 2 processes, batch 128 each: samples/s
//                    of both together; mlp_ddp2_speedup = mlp_ddp2 / mlp_1proc (goal >= 1.7);
//                    mlp_2proc_alone: both processes training without DDP at once (the ceiling);
//                    mlp_ddp2_view: DDP with gradient_as_bucket_view, gradients zeroed in place
//   fwdbwd_1m        the 512-1024-512-10 MLP (1,055,242 parameters), batch 32: forward + backward,
//                    both processes at once, no DDP
//   fwdbwd_1m_ddp2   the same through DDP; sync_1m_ddp2 = the difference: what gradient
//                    synchronisation adds to a step; sync_1m_ddp2_view the same with
//                    gradient_as_bucket_view (no copy back from the buckets), sync_1m_ddp2_overlap
//                    with overlap(true) (non-blocking allreduces; on one machine the default is
//                    blocking ones)
//   allreduce_4m     a bare MPI_Allreduce of 1,055,242 floats (in place, buffer reused); the goal:
//                    sync_1m_ddp2 <= 1.2x this
// Then PyTorch's DDP over Gloo on the same rows (bench/ddp_torch.py, run by rank 0 while rank 1
// sleeps) when /usr/bin/python3 has torch, and the ratios.
#include <eigentorch/distributed.hpp>

#include <mpi.h>
#include <unistd.h>  // usleep

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace dist = eigentorch::distributed;

namespace {

struct Args {
  int reps = 7, warmup = 5, steps = 20;
  bool torch = true;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// A barrier that sleeps while it waits, so that a rank waiting for the other's solo measurement
/// leaves the core to it (MPI_Barrier polls).
void sleeping_barrier() {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    usleep(2000);
  }
}

/// The larger of the ranks' values.
double slowest(double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

nn::Sequential<float> mlp_784() {
  return nn::Sequential<float>(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 512), nn::ReLU(), nn::Linear(512, 10));
}
nn::Sequential<float> mlp_1m() {
  return nn::Sequential<float>(nn::Linear(512, 1024), nn::ReLU(), nn::Linear(1024, 512), nn::ReLU(), nn::Linear(512, 10));
}

/// Seconds per window of args.steps SGD steps of `forward`'s model, after args.warmup steps; with
/// `together`, every window starts after a barrier and counts as the slower rank's.
template <class Forward>
std::vector<double> train_windows(Forward forward, const std::vector<et::Tensor<float>>& params, const Args& args,
                                  bool together, bool set_to_none = true) {
  const auto x = et::randn({128, 784});
  et::Tensor<int64_t> y({128});
  et::detail::fill_randint(y.data(), 128, 0, 10);
  nn::CrossEntropyLoss loss_fn;
  et::optim::SGD opt(params, et::optim::SGDOptions(0.01));
  auto step = [&] {
    opt.zero_grad(set_to_none);
    loss_fn(forward(x), y).backward();
    opt.step();
  };
  for (int i = 0; i < args.warmup; ++i) step();
  std::vector<double> windows;
  for (int r = 0; r < args.reps; ++r) {
    if (together) MPI_Barrier(MPI_COMM_WORLD);
    const auto start = Clock::now();
    for (int i = 0; i < args.steps; ++i) step();
    windows.push_back(together ? slowest(seconds_since(start)) : seconds_since(start));
  }
  return windows;
}

/// Seconds of one forward + backward (gradients kept, as zero_grad(set_to_none=False)), each timed
/// between barriers; the slower rank's median.
template <class Forward>
double fwdbwd_median(Forward forward, nn::Module<float>& model, const Args& args) {
  const auto x = et::randn({32, 512});
  et::Tensor<int64_t> y({32});
  et::detail::fill_randint(y.data(), 32, 0, 10);
  nn::CrossEntropyLoss loss_fn;
  std::vector<double> times;
  for (int i = 0; i < args.warmup + args.reps * args.steps; ++i) {
    model.zero_grad(false);
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = Clock::now();
    loss_fn(forward(x), y).backward();
    if (i >= args.warmup) times.push_back(seconds_since(start));
  }
  return slowest(median(times));
}

/// PyTorch's rows from bench/ddp_torch.py ("name value unit" lines), or none.
std::map<std::string, double> torch_rows(const Args& args) {
  std::map<std::string, double> rows;
  const std::string cmd = "/usr/bin/python3 " EIGENTORCH_BENCH_DIR "/ddp_torch.py --reps " + std::to_string(args.reps) +
                          " --warmup " + std::to_string(args.warmup) + " --steps " + std::to_string(args.steps) +
                          " 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char name[64], unit[32];
    double value = 0;
    while (std::fscanf(p, "%63s %lf %31s", name, &value, unit) == 3) rows[name] = value;
    pclose(p);
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) args.reps = std::atoi(argv[++i]);
    else if (a == "--warmup" && i + 1 < argc) args.warmup = std::atoi(argv[++i]);
    else if (a == "--steps" && i + 1 < argc) args.steps = std::atoi(argv[++i]);
    else if (a == "--no-torch") args.torch = false;
    else {
      std::fprintf(stderr, "usage: mpiexec -n 2 ddp_bench [--reps N] [--warmup N] [--steps N] [--no-torch]\n");
      return 2;
    }
  }
  if (args.reps < 1 || args.steps < 1 || args.warmup < 0) {
    std::fprintf(stderr, "ddp_bench: --reps and --steps must be at least 1, --warmup at least 0\n");
    return 2;
  }
  dist::init_process_group("mpi");
  const int rank = dist::get_rank();
  if (dist::get_world_size() != 2) {
    if (rank == 0) std::fprintf(stderr, "ddp_bench: run it with mpiexec -n 2 (got a world of %d)\n", dist::get_world_size());
    return 2;
  }
  Eigen::setNbThreads(1);
  et::manual_seed(static_cast<uint64_t>(rank));
  std::map<std::string, double> ours;

  // One process alone; rank 1 sleeps.
  if (rank == 0) {
    auto model = mlp_784();
    const auto windows = train_windows([&](const et::Tensor<float>& x) { return model(x); }, model.parameters(), args, false);
    std::vector<double> rates;
    for (double w : windows) rates.push_back(128.0 * args.steps / w);
    ours["mlp_1proc"] = median(rates);
  }
  sleeping_barrier();
  {
    // The ceiling: both processes train alone at the same time (no synchronisation at all).
    auto model = mlp_784();
    const auto windows = train_windows([&](const et::Tensor<float>& x) { return model(x); }, model.parameters(), args, true);
    std::vector<double> rates;
    for (double w : windows) rates.push_back(2 * 128.0 * args.steps / w);
    ours["mlp_2proc_alone"] = median(rates);
  }
  {
    auto model = mlp_784();
    nn::parallel::DistributedDataParallel ddp(model);
    const auto windows = train_windows([&](const et::Tensor<float>& x) { return ddp(x); }, ddp.parameters(), args, true);
    std::vector<double> rates;
    for (double w : windows) rates.push_back(2 * 128.0 * args.steps / w);
    ours["mlp_ddp2"] = median(rates);
  }
  {
    // With gradient_as_bucket_view, gradients zeroed in place: backward accumulates into the buckets.
    auto model = mlp_784();
    nn::parallel::DistributedDataParallel ddp(model, nn::parallel::DistributedDataParallelOptions().gradient_as_bucket_view(true));
    const auto windows =
        train_windows([&](const et::Tensor<float>& x) { return ddp(x); }, ddp.parameters(), args, true, false);
    std::vector<double> rates;
    for (double w : windows) rates.push_back(2 * 128.0 * args.steps / w);
    ours["mlp_ddp2_view"] = median(rates);
  }
  {
    auto plain = mlp_1m();
    ours["fwdbwd_1m"] = fwdbwd_median([&](const et::Tensor<float>& x) { return plain(x); }, plain, args);
    auto model = mlp_1m();
    nn::parallel::DistributedDataParallel ddp(model);
    ours["fwdbwd_1m_ddp2"] = fwdbwd_median([&](const et::Tensor<float>& x) { return ddp(x); }, model, args);
    auto viewed = mlp_1m();
    nn::parallel::DistributedDataParallel ddp_view(
        viewed, nn::parallel::DistributedDataParallelOptions().gradient_as_bucket_view(true));
    ours["fwdbwd_1m_ddp2_view"] = fwdbwd_median([&](const et::Tensor<float>& x) { return ddp_view(x); }, viewed, args);
    auto overlapped = mlp_1m();
    nn::parallel::DistributedDataParallel ddp_overlap(overlapped, nn::parallel::DistributedDataParallelOptions().overlap(true));
    ours["fwdbwd_1m_ddp2_overlap"] =
        fwdbwd_median([&](const et::Tensor<float>& x) { return ddp_overlap(x); }, overlapped, args);
  }
  {
    std::vector<float> buffer(1055242, 1.0f);
    std::vector<double> times;
    for (int i = 0; i < args.warmup + args.reps * args.steps; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = Clock::now();
      MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (i >= args.warmup) times.push_back(seconds_since(start));
      std::fill(buffer.begin(), buffer.end(), 1.0f);
    }
    ours["allreduce_4m"] = slowest(median(times));
  }

  std::map<std::string, double> theirs;
  if (args.torch && rank == 0) theirs = torch_rows(args);
  sleeping_barrier();
  if (rank == 0) {
    const char* mmap = std::getenv("MALLOC_MMAP_THRESHOLD_");
    std::printf("# eigentorch DistributedDataParallel over MPI, 2 processes, 1 thread each; MALLOC_MMAP_THRESHOLD_=%s; "
                "load %.2f\n",
                mmap ? mmap : "(unset)", [] {
                  double l[1] = {0};
                  return getloadavg(l, 1) == 1 ? l[0] : -1.0;
                }());
    std::printf("%-18s %14s %14s %10s\n", "row", "eigentorch", "PyTorch DDP", "ratio");
    auto row = [&](const char* name, double value, const char* unit, double scale, bool higher_is_better) {
      const auto t = theirs.find(name);
      if (t == theirs.end()) {
        std::printf("%-18s %11.4f %-2s %14s\n", name, value * scale, unit, "-");
        return;
      }
      const double their = t->second;
      const double ratio = higher_is_better ? value * scale / their : their / (value * scale);
      std::printf("%-18s %11.4f %-2s %11.4f %-2s %9.2fx\n", name, value * scale, unit, their, unit, ratio);
    };
    row("mlp_1proc", ours["mlp_1proc"], "/s", 1, true);
    row("mlp_ddp2", ours["mlp_ddp2"], "/s", 1, true);
    std::printf("%-18s %11.4f /s   (2 processes training alone at once: the ceiling, %.3fx)\n", "mlp_2proc_alone",
                ours["mlp_2proc_alone"], ours["mlp_2proc_alone"] / ours["mlp_1proc"]);
    std::printf("%-18s %11.4f /s   gradient_as_bucket_view + zero_grad(false): %.3fx one process\n", "mlp_ddp2_view",
                ours["mlp_ddp2_view"], ours["mlp_ddp2_view"] / ours["mlp_1proc"]);
    std::printf("%-18s %11.3fx %14s   (goal >= 1.7)\n", "mlp_ddp2_speedup", ours["mlp_ddp2"] / ours["mlp_1proc"],
                theirs.count("mlp_ddp2_speedup") ? (std::to_string(theirs["mlp_ddp2_speedup"]).substr(0, 5) + "x").c_str() : "-");
    row("fwdbwd_1m", ours["fwdbwd_1m"], "ms", 1e3, false);
    row("fwdbwd_1m_ddp2", ours["fwdbwd_1m_ddp2"], "ms", 1e3, false);
    const double sync = ours["fwdbwd_1m_ddp2"] - ours["fwdbwd_1m"];
    std::printf("%-18s %11.4f ms %11s\n", "sync_1m_ddp2", sync * 1e3,
                theirs.count("sync_1m_ddp2") ? (std::to_string(theirs["sync_1m_ddp2"]).substr(0, 6) + " ms").c_str() : "-");
    std::printf("%-18s %11.4f ms %11s\n", "allreduce_4m", ours["allreduce_4m"] * 1e3,
                theirs.count("allreduce_4m_gloo") ? (std::to_string(theirs["allreduce_4m_gloo"]).substr(0, 6) + " ms (Gloo)").c_str() : "-");
    std::printf("%-18s %11.3fx   (goal <= 1.2)\n", "sync / allreduce", sync / ours["allreduce_4m"]);
    const double sync_view = ours["fwdbwd_1m_ddp2_view"] - ours["fwdbwd_1m"];
    std::printf("%-18s %11.4f ms   gradient_as_bucket_view: %.3fx the allreduce\n", "sync_1m_ddp2_view", sync_view * 1e3,
                sync_view / ours["allreduce_4m"]);
    const double sync_overlap = ours["fwdbwd_1m_ddp2_overlap"] - ours["fwdbwd_1m"];
    std::printf("%-18s %11.4f ms   overlap(true), non-blocking: %.3fx the allreduce\n", "sync_1m_ddp2_overlap",
                sync_overlap * 1e3, sync_overlap / ours["allreduce_4m"]);
    if (theirs.count("mlp_ddp2"))
      std::printf("%-18s %11.3fx   (goal >= 1)\n", "mlp_ddp2 vs torch", ours["mlp_ddp2"] / theirs["mlp_ddp2"]);
  }
  dist::destroy_process_group();
  return 0;
}
