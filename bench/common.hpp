// What the benchmark executables that compare with libtorch share (bench.cpp, conv_bench.cpp): the
// run's settings (Context, --threads and friends), setting every library's thread count, the header
// that says how the run was made, libtorch helpers, and workload 4, the sgemm that measures this
// machine's peak (GFLOP/s columns are quoted as a fraction of it). Include after alloc_counter.hpp,
// from the one translation unit of an executable.
#pragma once

#include "alloc_counter.hpp"
#include "harness.hpp"

#include <eigentorch/eigentorch.hpp>

#include <Eigen/Core>  // Eigen::nbThreads, the raw sgemm

#ifdef EIGENTORCH_USE_BLAS
#include <cblas.h>  // cblas_sgemm of the linked BLAS
#endif
#ifdef EIGENTORCH_HAVE_LIBTORCH
#include <torch/torch.h>
#include <torch/version.h>  // TORCH_VERSION
#endif

#ifdef _OPENMP
#include <omp.h>  // omp_set_num_threads
#endif

#include <dlfcn.h>   // dlsym: OpenBLAS's thread count, when some library loaded it
#include <time.h>    // clock_gettime
#include <unistd.h>  // sysconf

#include <algorithm>   // std::max
#include <cmath>       // std::isfinite
#include <cstdint>     // int64_t
#include <cstdio>      // std::printf
#include <cstdlib>     // std::atoi, std::atof, std::exit
#include <cstring>     // std::strcmp
#include <functional>  // std::function
#include <memory>      // std::shared_ptr
#include <string>
#include <vector>

namespace et = eigentorch;
namespace nn = eigentorch::nn;

inline std::vector<float> random_normal(int64_t rows, int64_t cols) { return et::randn({rows, cols}).to_vector(); }

#ifdef EIGENTORCH_HAVE_LIBTORCH
inline torch::Tensor lt_tensor(const std::vector<float>& v, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<float*>(v.data()), {rows, cols}, torch::kFloat32).clone();
}
#endif

/// Keeps the compiler from dropping a result it can see nobody reads (an empty asm that takes the
/// pointer and clobbers memory): each op runs and its result is discarded, as in user code.
inline void keep(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

struct Context {
  bench::Options opts;
  // libtorch's intra-op thread counts to time (the fastest is quoted): with N > 1 threads, both N and
  // 1, because libtorch's OpenMP threads and OpenBLAS's own N threads can oversubscribe the cores
  // (measured on a 2-core machine: a 784-512-512-10 step took 13 to 19 ms with 2 intra-op threads,
  // 3.6 ms with 1 and OpenBLAS on 2); --torch-threads fixes one count.
  std::vector<int> torch_threads{1};
  // Untimed, before each of eigentorch's repetitions: restores OpenMP's thread count, which
  // torch::set_num_threads changes and an OpenMP build of OpenBLAS would follow.
  std::function<void()> et_prepare;
  double peak_gflops = 0;  // best sgemm GFLOP/s of this run, by any route
  std::vector<std::string> notes;
  bool wanted(const std::string& name) const {
    return opts.filter.empty() || name.find(opts.filter) != std::string::npos;
  }
};

/// A loss that is not finite, or so small that the gradients may be subnormal floats (which x86
/// computes tens of times slower), would make the timing measure something else than a training step.
inline void check_loss(Context& ctx, const std::string& who, float loss) {
  char value[32];
  std::snprintf(value, sizeof value, "%g", static_cast<double>(loss));
  if (!std::isfinite(loss)) ctx.notes.push_back(who + "'s last loss is not finite: " + value);
  else if (loss < 1e-20f) ctx.notes.push_back(who + "'s last loss is " + value + ": subnormal arithmetic likely");
}

/// Untimed, before each of libtorch's repetitions: its intra-op thread count. Set only when it differs,
/// since setting it rebuilds libtorch's thread pool.
inline std::function<void()> torch_prepare(int threads) {
#ifdef EIGENTORCH_HAVE_LIBTORCH
  return [threads] {
    if (torch::get_num_threads() != threads) torch::set_num_threads(threads);
  };
#else
  (void)threads;
  return {};
#endif
}

/// One training epoch of a classifier in eigentorch: model over x in shuffled batches through a
/// DataLoader, CrossEntropyLoss, Adam(1e-3). (bench.cpp's 9a/9b and conv_bench's digits CNN.)
struct EtClassifierEpoch {
  et::data::TensorDataset<float, int64_t> dataset;
  et::data::DataLoader<et::data::TensorDataset<float, int64_t>> loader;
  nn::Sequential<> model;
  nn::CrossEntropyLoss<> loss_fn;
  et::optim::Adam<> opt;
  float last_loss = 0;
  EtClassifierEpoch(const et::Tensor<float>& x, const et::Tensor<int64_t>& y, int64_t batch, nn::Sequential<> m)
      : dataset(x, y),
        loader(dataset, et::data::DataLoaderOptions().batch_size(batch).shuffle(true)),
        model(std::move(m)),
        opt(model.parameters(), et::optim::AdamOptions(1e-3)) {}
  void epoch() {
    model.train();
    for (auto [xb, yb] : loader) {
      auto loss = loss_fn(model(xb), yb);
      opt.zero_grad();
      loss.backward();
      opt.step();
      last_loss = loss.item();
    }
  }
};

#ifdef EIGENTORCH_HAVE_LIBTORCH
/// The same epoch in libtorch: a randperm, then an index_select of x and y per batch.
struct LtClassifierEpoch {
  torch::Tensor x, y;
  torch::nn::Sequential model;
  torch::optim::Adam opt;
  int64_t batch;
  float last_loss = 0;
  LtClassifierEpoch(torch::Tensor x_, torch::Tensor y_, int64_t batch_, torch::nn::Sequential m)
      : x(std::move(x_)), y(std::move(y_)), model(std::move(m)),
        opt(model->parameters(), torch::optim::AdamOptions(1e-3)), batch(batch_) {}
  void epoch() {
    model->train();
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
#endif

/// 4. sgemm peak: C = A B with 1024^3 float, through Eigen's product (what eigentorch's large GEMMs
/// use), through cblas_sgemm when a BLAS is linked, and (with_et_mm) through eigentorch's own mm for
/// comparison. Sets ctx.peak_gflops to the best GFLOP/s of these rows, either library's.
inline void run_sgemm(Context& ctx, bool with_et_mm = true) {
  constexpr int64_t n = 1024;
  const double flops = 2.0 * n * n * n;
  et::manual_seed(2);
  const std::vector<float> a = random_normal(n, n), b = random_normal(n, n);

  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto A = std::make_shared<RowMat>(Eigen::Map<const RowMat>(a.data(), n, n));
  auto B = std::make_shared<RowMat>(Eigen::Map<const RowMat>(b.data(), n, n));
  auto C = std::make_shared<RowMat>(n, n);
  bench::Step lt_mm;
#ifdef EIGENTORCH_HAVE_LIBTORCH
  auto ta = lt_tensor(a, n, n), tb = lt_tensor(b, n, n), tc = torch::empty({n, n});
  lt_mm = [ta, tb, tc]() mutable { torch::mm_out(tc, ta, tb); };
#endif

  auto record = [&](const std::string& name, const bench::Step& et_step, const bench::Step& lt_step) {
    if (!ctx.wanted(name)) return;
    // libtorch's products go straight to BLAS, on OpenBLAS's threads: one intra-op count will do.
    const int threads = ctx.torch_threads.front();
    const auto m = bench::measure({{et_step, ctx.et_prepare}, {lt_step, torch_prepare(threads)}}, ctx.opts);
    const bench::Measurement& e = m[0];
    const bench::Measurement& t = m[1];
    bench::Row row{name, e, t, flops};
    row.torch_threads = threads;
    bench::print_row(row);
    ctx.peak_gflops = std::max(ctx.peak_gflops, flops / e.median_s * 1e-9);
    if (t.valid) ctx.peak_gflops = std::max(ctx.peak_gflops, flops / t.median_s * 1e-9);
  };

#ifdef EIGENTORCH_USE_BLAS
  record("4a sgemm 1024^3 Eigen(->BLAS)", [A, B, C] { C->noalias() = (*A) * (*B); }, lt_mm);
  record("4b sgemm 1024^3 cblas_sgemm", [A, B, C] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A->data(), n, B->data(), n, 0.0f,
                C->data(), n);
  }, lt_mm);
#else
  record("4a sgemm 1024^3 Eigen", [A, B, C] { C->noalias() = (*A) * (*B); }, lt_mm);
#endif
  if (!with_et_mm) return;
  auto ea = et::from_vector(a, {n, n}), eb = et::from_vector(b, {n, n});
  record("4c et::mm 1024^3 (alloc'ing)", [ea, eb] { et::NoGradGuard no_grad; auto c = ea.mm(eb); },
#ifdef EIGENTORCH_HAVE_LIBTORCH
         [ta, tb] { torch::NoGradGuard no_grad; auto c = torch::mm(ta, tb); }
#else
         bench::Step()
#endif
  );
}

/// OpenBLAS's thread count setter/getter, looked up at run time: libtorch links OpenBLAS even when
/// eigentorch does not, and its GEMMs run on OpenBLAS's own threads, not on torch's.
using SetThreads = void (*)(int);
using GetThreads = int (*)();

inline int set_openblas_threads(int n) {
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (set) set(n);
  return get ? get() : 0;
}

inline bench::Options parse(int argc, char** argv) {
  bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--reps") && has_value) o.reps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--target") && has_value) o.target_s = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--filter") && has_value) o.filter = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && has_value) o.threads = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--torch-threads") && has_value) o.torch_threads = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--reps N] [--target SECONDS] [--filter TEXT] [--threads N] [--torch-threads N]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

/// The 1-minute load average: on a shared machine, the first thing to read beside a timing.
inline std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return "?";
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? buf : "?";
  return s.substr(0, s.find(' ', s.find(' ', s.find(' ') + 1) + 1));  // the three averages
}

/// CPU seconds used by the whole process (every thread) so far.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Sets every library's thread count from the options (Eigen and OpenMP to N = --threads or Eigen's
/// default; libtorch to N and 1, or --torch-threads; OpenBLAS to N) and prints the run's header: the
/// title, the load, the compiler, each library's settings. `extra` is printed after the libraries.
inline void setup_run(Context& ctx, const std::string& title, const std::string& load_start, const std::string& extra = "") {
  // Eigen's count is set explicitly even when it is the default: otherwise Eigen would follow
  // omp_get_max_threads(), which torch::set_num_threads changes.
  const int threads = ctx.opts.threads > 0 ? ctx.opts.threads : Eigen::nbThreads();
  Eigen::setNbThreads(threads);
#ifdef _OPENMP
  ctx.et_prepare = [threads] { omp_set_num_threads(threads); };
#endif
  if (ctx.opts.torch_threads > 0) ctx.torch_threads = {ctx.opts.torch_threads};
  else if (threads > 1) ctx.torch_threads = {threads, 1};
#ifdef EIGENTORCH_HAVE_LIBTORCH
  torch::set_num_threads(ctx.torch_threads.front());
  std::string counts;
  for (int n : ctx.torch_threads) counts += (counts.empty() ? "" : " and ") + std::to_string(n);
  const std::string torch_info = std::string(TORCH_VERSION) + ", " + counts +
                                 " intra-op thread(s) (torch::set_num_threads" +
                                 (ctx.torch_threads.size() > 1 ? "; the faster is quoted, see lt thr)" : ")");
#else
  const std::string torch_info = "not built (configure with -DEIGENTORCH_BENCH_LIBTORCH=ON)";
#endif
  const int openblas_threads = set_openblas_threads(threads);

  std::printf("%s: median of %d repetitions, ~%.2f s each, eigentorch and libtorch alternating\n", title.c_str(),
              ctx.opts.reps, ctx.opts.target_s);
  std::printf("  load average  : %s (1, 5, 15 min) at start, on %ld online CPU(s)\n", load_start.c_str(),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  compiler      : GCC %d.%d, -O3 -march=native\n", __GNUC__, __GNUC_MINOR__);
#ifdef EIGENTORCH_USE_BLAS
  const char* gemm = "external BLAS (EIGENTORCH_USE_BLAS)";
#else
  const char* gemm = "Eigen's own kernels";
#endif
#ifdef _OPENMP
  const char* openmp = "on";
#else
  const char* openmp = "off";
#endif
  std::printf("  eigentorch    : large GEMMs through %s; Eigen %d.%d.%d, %d thread(s), OpenMP %s, SIMD %s\n", gemm,
              EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, Eigen::nbThreads(), openmp,
              Eigen::SimdInstructionSetsInUse());
  std::printf("  libtorch      : %s\n", torch_info.c_str());
  if (openblas_threads > 0) std::printf("  OpenBLAS      : loaded, %d thread(s) (openblas_set_num_threads)\n", openblas_threads);
  if (!extra.empty()) std::printf("%s", extra.c_str());
  std::printf("  columns       : time per step (median); lt/et > 1: eigentorch faster; spread%%: (max-min)/median of\n"
              "                  the repetitions, et/lt; new/st, allc/st: eigentorch's operator new calls and all\n"
              "                  heap allocations (new + malloc family) per step; lt a/st: libtorch's, all;\n"
              "                  %%peak: GF/s over the best sgemm GF/s of this run, et/lt\n\n");
}
