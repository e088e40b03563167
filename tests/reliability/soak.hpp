// The soak loop shared by the short soak test and the long soak program: trains the tutorial's
// Sequential(Linear(1, 13), Tanh, Linear(13, 1)) and samples resident memory along the way.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace eigentorch::testing {

/// Resident set size of this process in KiB (Linux /proc/self/status VmRSS), or -1.
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

struct SoakResult {
  long rss_kib_at_start = 0, rss_kib_at_end = 0;
  double last_loss = 0;
};

/// Trains `steps` steps; RSS is first sampled after `warmup` steps and last at the end.
inline SoakResult soak(int64_t steps, int64_t warmup, bool report = false) {
  namespace nn = eigentorch::nn;
  manual_seed(0);
  auto x = tensor({0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0}).reshape({-1, 1});
  auto y = tensor({35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4}).reshape({-1, 1});
  nn::Sequential model(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  optim::SGD opt(model.parameters(), 1e-3);
  nn::MSELoss mse;
  SoakResult r;
  for (int64_t step = 1; step <= steps; ++step) {
    Tensor<> loss = mse(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step == warmup) r.rss_kib_at_start = rss_kib();
    if (report && step % 100000 == 0) std::printf("step %lld: RSS %ld KiB, loss %.4f\n", static_cast<long long>(step), rss_kib(), loss.item());
    if (step == steps) r.last_loss = loss.item();
  }
  r.rss_kib_at_end = rss_kib();
  return r;
}

}  // namespace eigentorch::testing
