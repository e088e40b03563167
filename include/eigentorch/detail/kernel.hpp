// kernel(): how every op touches tensor data, so that a CPUGraph (graph.hpp) can record it.
// An op does its shape checks and makes its result tensors, then runs the loop that reads and writes
// elements as `kernel(fn, args...)`: fn(args...) now and, while this thread captures a graph, a copy
// of fn and of its arguments kept for replay. fn captures nothing and its arguments are values
// (tensors by handle, sizes, scalars), so a replay runs it again on the same buffers.
// While a capture runs, Tensor::data() outside a kernel throws: an op (or item(), printing, a random
// fill) that has not been written this way cannot be silently left out of the replay.
#pragma once

#include "../error.hpp"

#include <atomic>
#include <cstdint>
#include <memory>  // unique_ptr
#include <type_traits>
#include <utility>  // move
#include <vector>

namespace eigentorch {
template <class T>
class Tensor;
}  // namespace eigentorch

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
  /// Set when the graph was destroyed by another thread while this list was still being captured
  /// into: the capturing thread then ends its capture and frees the list (see CPUGraph's destructor).
  std::atomic<bool> abandoned{false};

  KernelList() = default;
  KernelList(const KernelList&) = delete;
  KernelList& operator=(const KernelList&) = delete;
  ~KernelList() { clear(); }
  /// Makes room for one kernel holding `tensors` tensors, so that counting them and adding the
  /// kernel cannot fail half way (an allocation failure throws here, before anything is counted).
  void reserve_one(std::size_t tensors) {
    kernels_.reserve(kernels_.size() + 1);
    refs_.reserve(refs_.size() + tensors);
  }
  void add(std::unique_ptr<RecordedKernel> k) noexcept { kernels_.push_back(std::move(k)); }  // reserved
  /// Counts one more kernel-held handle in `counter` (the kernel's handle keeps it alive: clear()
  /// uncounts before it frees the kernels). Atomic: two threads may capture work on one tensor.
  void count_ref(std::atomic<uint32_t>* counter) noexcept {
    counter->fetch_add(1, std::memory_order_relaxed);
    refs_.push_back(counter);  // reserved
  }
  void run() const {
    for (const auto& k : kernels_) k->replay();
  }
  std::size_t size() const { return kernels_.size(); }
  void clear() {
    for (auto* r : refs_) r->fetch_sub(1, std::memory_order_relaxed);
    refs_.clear();
    refs_.shrink_to_fit();
    kernels_.clear();
    kernels_.shrink_to_fit();
  }

 private:
  std::vector<std::unique_ptr<RecordedKernel>> kernels_;
  std::vector<std::atomic<uint32_t>*> refs_;
};

/// This thread's capture: where kernels go (null when not capturing), and whether data access is
/// refused right now (capturing, outside a kernel).
struct CaptureState {
  KernelList* sink = nullptr;
  bool locked = false;
  bool failed = false;  // an operation was refused: capture_end() drops the graph
};
inline thread_local CaptureState capture_state{};

/// Ends this thread's capture into a list whose graph another thread destroyed; true if it did.
inline bool drop_abandoned_capture() {
  CaptureState& s = capture_state;
  if (!s.sink || !s.sink->abandoned.load(std::memory_order_acquire)) return false;
  delete s.sink;
  s = {};
  return true;
}

/// Refuses an operation during a capture: marks the capture failed, then throws `message`.
[[noreturn, gnu::cold, gnu::noinline]] inline void refuse_capture(const char* message) {
  capture_state.failed = true;
  throw Error(message);
}

[[gnu::cold, gnu::noinline]] inline void capture_access_error() {
  if (drop_abandoned_capture()) return;  // no capture any more: the access is an eager one
  refuse_capture(
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

/// Counts a recorded kernel's argument in `list`: nothing for a non-tensor.
template <class A>
void count_kernel_ref(KernelList&, const A&) noexcept {}
template <class T>
void count_kernel_ref(KernelList& list, const Tensor<T>& t) noexcept;  // defined in tensor.hpp
/// How many tensors a recorded kernel's argument holds.
template <class A>
constexpr std::size_t kernel_tensors(const A*) {
  return 0;
}
template <class T>
constexpr std::size_t kernel_tensors(const Tensor<T>*) {
  return 1;
}

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
  auto closure = [fn, args...] { run_kernel(fn, args...); };
  std::unique_ptr<RecordedKernel> k(new KernelRecord<decltype(closure)>(std::move(closure)));
  list.reserve_one((kernel_tensors(&args) + ... + std::size_t(0)));
  (count_kernel_ref(list, args), ...);
  list.add(std::move(k));
}

template <class F, class... Args>
void kernel(F fn, const Args&... args) {
  static_assert(std::is_empty_v<F>, "kernel(fn, args...): fn must capture nothing; pass its inputs as args");
  static_assert((!std::is_pointer_v<Args> && ...), "kernel(fn, args...): pass tensors, not pointers into them");
  CaptureState& s = capture_state;
  if (!s.locked || drop_abandoned_capture()) {  // not capturing, or inside a kernel (recorded as a whole)
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
