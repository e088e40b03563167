// kernel(): how every op touches tensor data, so that a CPUGraph (graph.hpp) can record it.
// An op does its shape checks and makes its result tensors, then runs the loop that reads and writes
// elements as `kernel(fn, args...)`: fn(args...) now and, while this thread captures a graph, a copy
// of fn and of its arguments kept for replay. fn captures nothing and its arguments are values
// (tensors by handle, sizes, scalars), so a replay runs it again on the same buffers.
// While a capture runs, Tensor::data() outside a kernel throws: an op (or item(), printing, a random
// fill) that has not been written this way cannot be silently left out of the replay.
#pragma once

#include "error.hpp"

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace eigentorch::detail {

/// The kernels a capture records, in the order they ran.
using KernelList = std::vector<std::function<void()>>;

/// This thread's capture: where kernels go (null when not capturing), and whether data access is
/// refused right now (capturing, outside a kernel).
struct CaptureState {
  KernelList* sink = nullptr;
  bool locked = false;
};
inline thread_local CaptureState capture_state{};

[[noreturn, gnu::cold, gnu::noinline]] inline void capture_access_error() {
  throw Error(
      "operation not permitted while a CPUGraph is capturing: it reads or writes tensor data outside a recorded "
      "kernel, so a replay could not repeat it (item(), printing, eigen(), data(), factories from values, random "
      "fills and in-place random ops cannot be captured; make such tensors before capture_begin())");
}

/// Called by Tensor::data(): one thread-local test when nothing is being captured.
inline void check_data_access() {
  if (capture_state.locked) capture_access_error();
}

/// How a recorded kernel keeps an argument of type A: a copy, except tensors, whose holder also
/// counts itself in the tensor (tensor.hpp), so that a gradient referenced only by recorded kernels
/// still counts as unshared (engine.hpp adopts such gradients as .grad instead of copying them).
template <class A>
struct Held {
  using type = A;
};

/// True while this thread records into a CPUGraph (some ops refuse to start state they cannot replay).
inline bool is_capturing() { return capture_state.sink != nullptr; }

template <class F, class... Args>
void kernel(F fn, const Args&... args) {
  static_assert(std::is_empty_v<F>, "kernel(fn, args...): fn must capture nothing; pass its inputs as args");
  static_assert((!std::is_pointer_v<Args> && ...), "kernel(fn, args...): pass tensors, not pointers into them");
  CaptureState& s = capture_state;
  if (!s.locked) {  // not capturing, or already inside a kernel (which is recorded as a whole)
    fn(args...);
    return;
  }
  s.locked = false;
  struct Relock {
    CaptureState& s;
    ~Relock() { s.locked = true; }
  } relock{s};
  fn(args...);
  s.sink->emplace_back(
      [fn, saved = std::tuple<typename Held<Args>::type...>(args...)]() { std::apply(fn, saved); });
}

}  // namespace eigentorch::detail
