// The long soak: `soak [steps]` (default one million) trains the tutorial's model and prints the
// resident memory every 100 000 steps, then the growth from step 100 000 to the end.
#include "reliability/soak.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const long long steps = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const auto r = eigentorch::testing::soak(steps, steps >= 100000 ? 100000 : steps / 10, true);
  std::printf("RSS growth from step %lld to step %lld: %ld KiB (from %ld to %ld KiB); last loss %.4f\n",
              steps >= 100000 ? 100000LL : steps / 10, steps, r.rss_kib_at_end - r.rss_kib_at_start, r.rss_kib_at_start,
              r.rss_kib_at_end, r.last_loss);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 0;  // sanitizers keep freed memory in quarantine: RSS says nothing there (leaks are LSan's job)
#else
  return r.rss_kib_at_end - r.rss_kib_at_start < 1024 ? 0 : 1;
#endif
}
