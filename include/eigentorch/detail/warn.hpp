// detail::warn_once: Python's UserWarning, printed to stderr once per message and process (Python's
// default filter prints a warning once per place in the code).
#pragma once

#include <cstdio>  // fprintf
#include <mutex>
#include <set>
#include <string>

namespace eigentorch::detail {

[[gnu::noinline, gnu::cold]] inline void warn_once(const char* message) {
  static std::mutex mutex;
  static std::set<std::string> seen;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!seen.insert(message).second) return;
  std::fprintf(stderr, "UserWarning: %s\n", message);
}

}  // namespace eigentorch::detail
