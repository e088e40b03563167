// The measuring part of the benchmark: adaptive iteration counts, round-robin repetitions of the
// contenders (eigentorch, and libtorch at each thread count), medians, per-step heap allocation
// counts, and the table they are printed in.
#pragma once

#include "alloc_counter.hpp"

#include <algorithm>   // std::sort, std::max
#include <chrono>      // steady_clock
#include <cmath>       // std::ceil
#include <cstdint>     // int64_t
#include <cstdio>      // std::printf
#include <functional>  // std::function
#include <string>
#include <tuple>       // std::tie
#include <utility>     // std::pair
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Command-line settings shared by every measurement.
struct Options {
  double target_s = 0.15;  // wall time of one repetition (many iterations of one step)
  int reps = 7;            // repetitions per library; the table quotes their median
  std::string filter;      // run only the workloads whose name contains this
  int threads = 0;         // > 0: every library's thread count; 0: Eigen's default (OpenMP's)
  int torch_threads = 0;   // > 0: libtorch's intra-op threads only (OpenBLAS keeps `threads`)
};

/// One library's result for one workload: per-step time and allocations.
struct Measurement {
  bool valid = false;
  double median_s = 0;                 // median over repetitions of (repetition time / iterations)
  double min_s = 0, max_s = 0;         // spread of the repetitions, for the noise estimate
  int64_t iters = 0;                   // iterations per repetition
  double news_per_step = 0;            // operator new calls per step, over all timed repetitions
  double mallocs_per_step = 0;         // other malloc-family calls per step
  double allocs_per_step() const { return news_per_step + mallocs_per_step; }
};

/// A step of one library: runs one iteration of the workload.
using Step = std::function<void()>;

namespace detail {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Iterations that make one repetition last about target_s (and the step time they were derived
/// from); the first call is the warm-up.
inline std::pair<int64_t, double> calibrate(const Step& step, double target_s) {
  step();  // first call: lazy initialisation, page faults, allocator warm-up
  int64_t n = 1;
  for (;;) {
    const auto start = Clock::now();
    for (int64_t i = 0; i < n; ++i) step();
    const double t = seconds_since(start);
    if (t >= target_s / 8 || n >= (int64_t(1) << 30)) {
      const double per_step = t / static_cast<double>(n);
      const auto iters = static_cast<int64_t>(std::ceil(target_s / std::max(per_step, 1e-12)));
      return {std::max<int64_t>(1, iters), per_step};
    }
    n *= 2;
  }
}

struct Accumulator {
  Step step;
  int64_t iters = 0;
  std::vector<double> per_step;
  AllocCount allocs;

  void run_once() {
    const AllocCount before = alloc_snapshot();
    const auto start = Clock::now();
    for (int64_t i = 0; i < iters; ++i) step();
    const double t = seconds_since(start);
    allocs = allocs + (alloc_snapshot() - before);
    per_step.push_back(t / static_cast<double>(iters));
  }

  Measurement result() const {
    Measurement m;
    m.valid = true;
    m.median_s = median(per_step);
    m.min_s = *std::min_element(per_step.begin(), per_step.end());
    m.max_s = *std::max_element(per_step.begin(), per_step.end());
    m.iters = iters;
    const double steps = static_cast<double>(iters) * static_cast<double>(per_step.size());
    m.news_per_step = static_cast<double>(allocs.news) / steps;
    m.mallocs_per_step = static_cast<double>(allocs.mallocs) / steps;
    return m;
  }
};

}  // namespace detail

/// One thing to time: its step, and what to do before each of its repetitions (and before its
/// calibration), untimed: e.g. set libtorch's thread count, when two contenders want different ones.
struct Contender {
  Step step;
  std::function<void()> prepare;
};

/// Times the contenders in turn, repetition by repetition (a, b, c, a, b, c, ...), so that slow
/// drifts of a shared machine hit all alike. Each is calibrated separately to opts.target_s per
/// repetition. A contender without a step gets an invalid Measurement.
inline std::vector<Measurement> measure(const std::vector<Contender>& contenders, const Options& opts) {
  std::vector<detail::Accumulator> accs;
  double slowest = 0;
  for (const auto& c : contenders) {
    accs.push_back(detail::Accumulator{c.step});
    if (!c.step) continue;
    if (c.prepare) c.prepare();
    double per_step = 0;
    std::tie(accs.back().iters, per_step) = detail::calibrate(c.step, opts.target_s);
    slowest = std::max(slowest, per_step);
  }
  // A step slower than a repetition's target gets fewer repetitions (at least 3), so that the few
  // heavy workloads do not dominate the run time.
  int reps = opts.reps;
  if (slowest > opts.target_s)
    reps = std::min(reps, std::max(3, static_cast<int>(opts.reps * opts.target_s / slowest)));
  for (int r = 0; r < reps; ++r)
    for (std::size_t i = 0; i < contenders.size(); ++i) {
      if (!contenders[i].step) continue;
      if (contenders[i].prepare) contenders[i].prepare();
      accs[i].run_once();
    }
  std::vector<Measurement> results;
  for (std::size_t i = 0; i < contenders.size(); ++i)
    results.push_back(contenders[i].step ? accs[i].result() : Measurement{});
  return results;
}

// ---- the table ------------------------------------------------------------------------------------

inline std::string format_time(double s) {
  char buf[32];
  if (s < 1e-6) std::snprintf(buf, sizeof buf, "%.0f ns", s * 1e9);
  else if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.2f us", s * 1e6);
  else if (s < 1.0) std::snprintf(buf, sizeof buf, "%.2f ms", s * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

inline std::string format_number(double v, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

/// One printed row; flops_per_step = 0 means GFLOP/s is not meaningful for the workload.
struct Row {
  std::string name;
  Measurement et, torch;
  double flops_per_step = 0;
  double peak_gflops = 0;  // when > 0, each library's fraction of this sgemm peak is printed
  int torch_threads = 0;   // libtorch's intra-op thread count of the quoted time (0: not timed)
};

/// "a/b" with either side "-" when missing.
inline std::string pair_string(bool has_a, double a, bool has_b, double b, const char* fmt) {
  return (has_a ? format_number(a, fmt) : std::string("-")) + "/" + (has_b ? format_number(b, fmt) : std::string("-"));
}

inline void print_header() {
  std::printf("%-32s %10s %10s %6s %8s %8s %7s %7s %7s %7s %7s %9s\n", "workload", "eigentorch", "libtorch",
              "lt thr", "lt/et", "spread%", "new/st", "allc/st", "lt a/st", "GF/s et", "GF/s lt", "%peak");
  std::printf("%s\n", std::string(131, '-').c_str());
}

inline void print_row(const Row& row) {
  const std::string dash = "-";
  const Measurement& e = row.et;
  const Measurement& t = row.torch;
  const bool flops = row.flops_per_step > 0;
  const double et_gf = e.valid && flops ? row.flops_per_step / e.median_s * 1e-9 : 0;
  const double lt_gf = t.valid && flops ? row.flops_per_step / t.median_s * 1e-9 : 0;
  // Spread: (max - min) / median over the repetitions of each library, a quick noise gauge.
  const auto spread = [](const Measurement& m) { return 100.0 * (m.max_s - m.min_s) / m.median_s; };
  const bool peak = row.peak_gflops > 0 && flops;
  std::printf("%-32s %10s %10s %6s %8s %8s %7s %7s %7s %7s %7s %9s\n", row.name.c_str(),
              (e.valid ? format_time(e.median_s) : dash).c_str(),
              (t.valid ? format_time(t.median_s) : dash).c_str(),
              (t.valid && row.torch_threads > 0 ? std::to_string(row.torch_threads) : dash).c_str(),
              (e.valid && t.valid ? format_number(t.median_s / e.median_s, "%.2f") : dash).c_str(),
              pair_string(e.valid, e.valid ? spread(e) : 0, t.valid, t.valid ? spread(t) : 0, "%.0f").c_str(),
              (e.valid ? format_number(e.news_per_step, "%.1f") : dash).c_str(),
              (e.valid ? format_number(e.allocs_per_step(), "%.1f") : dash).c_str(),
              (t.valid ? format_number(t.allocs_per_step(), "%.1f") : dash).c_str(),
              (e.valid && flops ? format_number(et_gf, "%.1f") : dash).c_str(),
              (t.valid && flops ? format_number(lt_gf, "%.1f") : dash).c_str(),
              (peak ? pair_string(e.valid, 100 * et_gf / row.peak_gflops, t.valid, 100 * lt_gf / row.peak_gflops,
                                  "%.0f")
                    : dash).c_str());
  std::fflush(stdout);
}

}  // namespace bench
