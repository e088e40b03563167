// Reliability: a long training run keeps resident memory flat (no leak, no growing cache). The
// million-step version is `soak 1000000` (tests/reliability/soak_main.cpp); this one is short
// enough for CI and runs under LeakSanitizer in the asan preset.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <unistd.h>  // sysconf

#include "reliability/soak.hpp"

TEST_CASE("soak: 30 000 steps of the tutorial's model keep resident memory flat") {
  const eigentorch::testing::SoakResult r = eigentorch::testing::soak(30000, 3000);
  CAPTURE(r.rss_kib_at_start);
  CAPTURE(r.rss_kib_at_end);
  CHECK(std::isfinite(r.last_loss));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Sanitizers keep freed memory in quarantine, so RSS means nothing under them.
  CHECK(r.rss_kib_at_end - r.rss_kib_at_start < 256);
#endif
}
