// CPUGraph: record a piece of work once (a training step: forward, loss, backward, optimizer step)
// and replay its kernels on the same buffers, without making tensors, graph nodes or any other
// bookkeeping again. The CPU counterpart of torch.cuda.CUDAGraph, with its rules:
//   et::CPUGraph g;
//   { et::GraphCaptureGuard capture(g); auto loss = mse(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); }
//   for (...) { x.copy_(next_batch); g.replay(); }   // loss, the .grads and the parameters update
// - Capturing runs the work once, as usual, and records every kernel it ran (detail/kernel.hpp).
// - A replay repeats those kernels only: it reads the tensors that the capture read (copy_ new data
//   into them) and writes the ones it wrote, the same objects, which the graph keeps alive.
// - Whatever the capture decided from state rather than data is fixed: shapes, scalars such as the
//   learning rate, and which .grad exist. As in PyTorch, a .grad that was none when the capture began is
//   refilled, not accumulated, by each replay.
// - What cannot be replayed refuses to be captured (throws, and the capture is dropped): reading
//   values (item(), printing), random ops, and starting optimizer state (SGD's momentum buffers: run
//   one step first).
// - Between replays, leave what the graph uses in place: a replay writes the .grad buffers it
//   captured and steps from them, so zero_grad() or set_grad() outside the graph only detaches
//   p.grad() from what the replays compute. Read results through the captured handles (the loss).
// - One capture per thread at a time; other threads run eagerly meanwhile. Capture, end and replay
//   a graph on one thread at a time.
#pragma once

#include "tensor.hpp"  // a graph captures tensor ops: usable alone
#include "error.hpp"
#include "detail/kernel.hpp"

#include <atomic>
#include <cstddef>
#include <exception>  // uncaught_exceptions
#include <memory>     // unique_ptr

namespace eigentorch {

class CPUGraph {
 public:
  CPUGraph() = default;
  CPUGraph(const CPUGraph&) = delete;
  CPUGraph& operator=(const CPUGraph&) = delete;
  /// NOTE: destroyed while another thread still captures into it, the graph leaves its kernels to
  /// that thread, which drops them and stops capturing at its next op (never a dangling pointer).
  ~CPUGraph() {
    if (!capturing_) return;
    if (detail::capture_state.sink == kernels_.get()) {  // this thread captures into it
      abort_capture();
    } else {
      kernels_->abandoned.store(true, std::memory_order_release);
      (void)kernels_.release();  // now owned by the capturing thread (detail::drop_abandoned_capture)
    }
  }

  /// Starts recording this thread's kernels into the graph (which must be empty).
  void capture_begin() {
    detail::drop_abandoned_capture();
    if (detail::is_capturing()) detail::fail({"capture_begin: this thread is already capturing a CPUGraph"});
    if (captured_) detail::fail({"capture_begin: this CPUGraph already holds a capture; reset() it first"});
    kernels_->clear();
    detail::capture_state = {kernels_.get(), true, false};
    capturing_ = true;
  }
  /// Stops recording; the graph can be replayed from now on. If an operation was refused during the
  /// capture (it threw then), the capture is dropped and this throws too.
  void capture_end() {
    if (!capturing_) detail::fail({"capture_end: this CPUGraph is not capturing"});
    if (detail::capture_state.sink != kernels_.get())
      detail::fail({"capture_end: the capture of this CPUGraph was begun on another thread"});
    if (detail::capture_state.failed) {
      abort_capture();
      detail::fail({"capture_end: an operation was refused during the capture (it threw an error then), so the "
                    "capture is incomplete and was dropped; capture again without it"});
    }
    detail::capture_state = {};
    capturing_ = false;
    captured_ = true;
  }
  /// Runs the recorded kernels again, in order.
  void replay() const {
    if (!captured_) detail::fail({"replay: this CPUGraph has not been captured (capture_begin / capture_end)"});
    if (detail::is_capturing()) detail::fail({"replay: not permitted while this thread is capturing a CPUGraph"});
    kernels_->run();
  }
  /// Forgets the capture and frees the buffers that only it held.
  void reset() {
    if (capturing_) detail::fail({"reset: this CPUGraph is capturing; call capture_end() first"});
    kernels_->clear();
    captured_ = false;
  }
  /// Number of recorded kernels (each a loop or a product of one op or one derivative).
  std::size_t num_kernels() const { return kernels_->size(); }
  bool captured() const { return captured_; }
  bool capturing() const { return capturing_; }
  /// True when an operation was refused during the running capture (capture_end() will drop it).
  bool capture_failed() const {
    return capturing_ && detail::capture_state.sink == kernels_.get() && detail::capture_state.failed;
  }

  /// Ends a capture that failed part way: the graph is left empty (not replayable).
  void abort_capture() noexcept {
    if (detail::capture_state.sink == kernels_.get()) detail::capture_state = {};
    capturing_ = false;
    captured_ = false;
    kernels_->clear();
  }

 private:
  std::unique_ptr<detail::KernelList> kernels_ = std::make_unique<detail::KernelList>();
  bool capturing_ = false;
  bool captured_ = false;
};

/// Captures into `graph` for the guard's lifetime (torch.cuda.graph(g) as a scope). If the scope is
/// left by an exception, or an operation was refused inside it (even if its error was caught there),
/// the capture is dropped and the graph stays empty: replay() then throws.
class GraphCaptureGuard {
 public:
  explicit GraphCaptureGuard(CPUGraph& graph) : graph_(graph), exceptions_(std::uncaught_exceptions()) {
    graph_.capture_begin();
  }
  GraphCaptureGuard(const GraphCaptureGuard&) = delete;
  GraphCaptureGuard& operator=(const GraphCaptureGuard&) = delete;
  ~GraphCaptureGuard() {
    if (!graph_.capturing()) return;  // ended (or aborted) by hand inside the scope
    // Left by an exception, or an operation was refused and its error caught inside the scope.
    if (std::uncaught_exceptions() > exceptions_ || graph_.capture_failed())
      graph_.abort_capture();
    else
      graph_.capture_end();  // cannot fail: this thread began the capture
  }

 private:
  CPUGraph& graph_;
  int exceptions_;
};

}  // namespace eigentorch
