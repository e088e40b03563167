// kernel(): how every op touches tensor data, so that a CPUGraph (graph.hpp) can record it.
// An op does its shape checks and makes its result tensors, then runs the loop that reads and writes
// elements as `kernel(fn, args...)`: fn(args...) now and, while this thread captures a graph, a copy
// of fn and of its arguments kept for replay. fn captures nothing and its arguments are values
// (tensors by handle, sizes, scalars), so a replay runs it again on the same buffers.
// While a capture runs, Tensor::data() outside a kernel throws: an op (or item(), printing, a random
// fill) that has not been written this way cannot be silently left out of the replay.
#pragma once

#include "error.hpp"

#include <cstdint>
#include <memory>  // unique_ptr
#include <type_traits>
#include <utility>  // move
#include <vector>

namespace eigentorch::detail {

/// One recorded kernel: replay() runs it again.
struct RecordedKernel {
  virtual ~RecordedKernel() = default;
  virtual void replay() const = 0;
};

/// What a capture records: the kernels in the order they ran, and a count in every tensor that a
/// kernel holds (TensorImpl::kernel_refs), so that a gradient referenced only by recorded kernels
/// still counts as unshared (engine.hpp adopts such gradients as .grad instead of copying them).
class KernelList {
 public:
  KernelList() = default;
  KernelList(const KernelList&) = delete;
  KernelList& operator=(const KernelList&) = delete;
  ~KernelList() { clear(); }
  void add(std::unique_ptr<RecordedKernel> k) { kernels_.push_back(std::move(k)); }
  /// Counts one more kernel-held handle in `counter` (the kernel's handle keeps it alive: clear()
  /// uncounts before it frees the kernels).
  void count_ref(uint32_t* counter) {
    ++*counter;
    refs_.push_back(counter);
  }
  void run() const {
    for (const auto& k : kernels_) k->replay();
  }
  std::size_t size() const { return kernels_.size(); }
  void clear() {
    for (uint32_t* r : refs_) --*r;
    refs_.clear();
    refs_.shrink_to_fit();
    kernels_.clear();
    kernels_.shrink_to_fit();
  }

 private:
  std::vector<std::unique_ptr<RecordedKernel>> kernels_;
  std::vector<uint32_t*> refs_;
};

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

/// True while this thread records into a CPUGraph (some ops refuse to start state they cannot replay).
inline bool is_capturing() { return capture_state.sink != nullptr; }

/// Counts a recorded kernel's argument in `list`: nothing for a non-tensor (tensor.hpp has the
/// tensor overload).
template <class A>
void count_kernel_ref(KernelList&, const A&) {}

/// Runs a kernel: the one copy of its body that both the op and the replays call (inlining it into
/// each would compile every kernel twice).
template <class F, class... Args>
[[gnu::noinline]] void run_kernel(const F& fn, const Args&... args) {
  fn(args...);
}

/// A kernel with copies of its arguments (a closure), kept for replay.
template <class Closure>
struct KernelRecord final : RecordedKernel {
  Closure closure;
  explicit KernelRecord(Closure c) : closure(std::move(c)) {}
  void replay() const override { closure(); }
};

/// Keeps a kernel that has just run for the replays (out of line: only captures reach it).
// NOTE: a closure rather than a tuple and std::apply: half the template work per op, which every
// program that includes eigentorch compiles.
template <class F, class... Args>
[[gnu::cold, gnu::noinline]] void record(KernelList& list, F fn, const Args&... args) {
  (count_kernel_ref(list, args), ...);
  auto closure = [fn, args...] { run_kernel(fn, args...); };
  list.add(std::unique_ptr<RecordedKernel>(new KernelRecord<decltype(closure)>(std::move(closure))));
}

template <class F, class... Args>
void kernel(F fn, const Args&... args) {
  static_assert(std::is_empty_v<F>, "kernel(fn, args...): fn must capture nothing; pass its inputs as args");
  static_assert((!std::is_pointer_v<Args> && ...), "kernel(fn, args...): pass tensors, not pointers into them");
  CaptureState& s = capture_state;
  if (!s.locked) {  // not capturing, or already inside a kernel (which is recorded as a whole)
    run_kernel(fn, args...);
    return;
  }
  s.locked = false;
  struct Relock {
    CaptureState& s;
    ~Relock() { s.locked = true; }
  } relock{s};
  run_kernel(fn, args...);
  record(*s.sink, fn, args...);
}

}  // namespace eigentorch::detail
