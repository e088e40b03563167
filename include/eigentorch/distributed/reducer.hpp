// The gradient reducer behind DistributedDataParallel, as PyTorch's c10d::Reducer: the parameters
// that require a gradient are cut into buckets in reverse registration order (the first bucket closes
// at 1 MB, the others at bucket_cap_mb, 25 MB by default: a bucket closes once it holds at least its
// limit), because backward produces the last layers' gradients first (PyTorch reaches this layout
// when it rebuilds its buckets after the first step). Each bucket is one buffer, allocated once and
// reused every step, reduced on a communicator of the reducer's own.
//
// During a backward pass that follows a DDP forward, a hook after each parameter's gradient
// accumulation copies that gradient, divided by the world size, into its bucket; a bucket whose
// gradients are all in starts its allreduce at once, in bucket order (every rank starts the same
// allreduces in the same order). Across machines the allreduce is non-blocking, overlapped with the
// rest of backward (the network card moves the bytes), and every hook lets MPI progress the ones in
// flight. On one machine it is a blocking MPI_Allreduce: there the processors themselves copy the
// bytes through shared memory, so nothing can overlap, and Open MPI's non-blocking allreduce cost
// more than the blocking one (bench/README.md); `overlap` overrides the choice. A callback at the end
// of the pass (the outermost pass, when a float <-> double conversion nests one) starts what is left,
// waits for all of it and copies the averages back into each parameter's .grad, or, with
// gradient_as_bucket_view, makes each .grad a view of its slot in the bucket (no copy back; a later
// backward that accumulates into that .grad writes the bucket directly, and the hook only scales it).
//
// Unused parameters, as PyTorch's find_unused_parameters=True: a parameter whose gradient this pass
// did not produce sends its .grad as it is (divided by the world size), or zeros without one. Each
// bucket also carries one count per parameter: how many ranks used it (produced a gradient for it)
// since the last synchronised pass, no_sync passes included. One that no rank used keeps its .grad;
// any other gets the average.
#pragma once

#include "../autograd/engine.hpp"
#include "../tensor/tensor.hpp"
#include "process_group.hpp"

#include <algorithm>  // std::fill
#include <cstdint>
#include <cstring>    // std::memcpy
#include <memory>     // std::make_shared
#include <vector>

namespace eigentorch::distributed::detail {

template <class T>
class Reducer {
 public:
  /// params: the module's parameters in registration order (those without requires_grad are left
  /// out); overlap: non-blocking allreduces overlapped with backward (true) or blocking ones.
  Reducer(const std::vector<Tensor<T>>& params, int64_t first_bucket_bytes, int64_t bucket_bytes, bool grad_as_view,
          bool overlap)
      : grad_as_view_(grad_as_view), overlap_(overlap) {
    const Group& g = require_group();
    world_size_ = g.size;
    for (const Tensor<T>& p : params)
      if (p.requires_grad()) params_.push_back({p, Tensor<T>(), 0, 0, false, false});
    assign_buckets(first_bucket_bytes, bucket_bytes);
    check_mpi(MPI_Comm_dup(g.comm, &comm_), "MPI_Comm_dup");  // collective: every rank is here
    try {
      hooks_.reserve(params_.size());
      for (std::size_t i = 0; i < params_.size(); ++i)
        hooks_.push_back(autograd::register_post_accumulate_grad_hook(params_[i].tensor,
                                                                      [this, i](const Tensor<T>&) { grad_ready(i); }));
    } catch (...) {
      release();
      throw;
    }
  }
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;
  ~Reducer() {
    // A pass left unfinished (it threw after reducing began) stays counted: the process then ends
    // the job at exit rather than leave the others waiting (process_group.hpp).
    for (auto& b : buckets_) b.work.wait_quietly();
    release();
  }

  /// Called by a DDP forward that will be followed by a synchronised backward.
  void prepare_for_backward() {
    if (reducing_)
      fail({"DistributedDataParallel: the last backward pass stopped (it threw) after it had started to average "
            "gradients with the other processes, so the processes are out of step; the job cannot go on (at exit "
            "this process ends every process of it)"});
    for (auto& p : params_) p.ready = false;
    for (auto& b : buckets_) {
      b.pending = static_cast<int64_t>(b.params.size());
      b.launched = false;
    }
    next_bucket_ = 0;
    callback_queued_ = false;
    expecting_ = true;
  }

  /// The buckets' parameter indices (into the parameters that require a gradient), for tests.
  std::vector<std::vector<int64_t>> bucket_indices() const {
    std::vector<std::vector<int64_t>> out;
    for (const auto& b : buckets_) out.emplace_back(b.params.begin(), b.params.end());
    return out;
  }

 private:
  struct Param {
    Tensor<T> tensor;
    Tensor<T> view;  // its slot in the bucket, with gradient_as_bucket_view
    std::size_t bucket;
    int64_t offset;  // of its gradient in the bucket's buffer
    bool ready;      // its gradient of this synchronised pass is in the bucket
    bool used;       // a backward produced its gradient since the last synchronised pass
  };
  struct Bucket {
    std::vector<int64_t> params;  // decreasing indices, consecutive
    Tensor<T> buffer;             // the gradients (64-byte aligned slots), then one count per parameter
    int64_t counts_offset = 0;
    int64_t pending = 0;
    bool launched = false;
    Work work;
    T& count_of(int64_t param) { return buffer.data()[counts_offset + params.front() - param]; }
  };

  static int64_t aligned(int64_t n) {
    constexpr int64_t per_line = 64 / static_cast<int64_t>(sizeof(T));
    return (n + per_line - 1) / per_line * per_line;
  }

  void assign_buckets(int64_t first_bucket_bytes, int64_t bucket_bytes) {
    Bucket current;
    int64_t bytes = 0, length = 0;
    auto close = [&] {
      current.counts_offset = length;
      current.buffer = Tensor<T>({length + static_cast<int64_t>(current.params.size())});  // zeros: touched now, once
      if (grad_as_view_)
        for (int64_t k : current.params) {
          Param& p = params_[static_cast<std::size_t>(k)];
          auto impl = std::make_shared<eigentorch::detail::TensorImpl<T>>(p.tensor.shape());
          impl->storage = eigentorch::detail::make_storage_view(current.buffer.data() + p.offset,
                                                                std::shared_ptr<const void>(current.buffer.impl()));
          p.view = Tensor<T>(std::move(impl));
        }
      buckets_.push_back(std::move(current));
      current = Bucket();
      bytes = length = 0;
    };
    for (std::size_t k = params_.size(); k-- > 0;) {
      Param& p = params_[k];
      p.bucket = buckets_.size();
      p.offset = length;
      current.params.push_back(static_cast<int64_t>(k));
      length += aligned(p.tensor.numel());
      bytes += p.tensor.numel() * static_cast<int64_t>(sizeof(T));
      if (bytes >= (buckets_.empty() ? first_bucket_bytes : bucket_bytes)) close();
    }
    if (!current.params.empty()) close();
  }

  /// The parameter's .grad divided by the world size into its slot (only scaled when the .grad is
  /// the slot's view and accumulated there), or zeros without one.
  void fill_slot(Param& p, Bucket& b) {
    T* slot = b.buffer.data() + p.offset;
    const Tensor<T> grad = p.tensor.grad();
    const int64_t n = p.tensor.numel();
    if (!grad.defined()) {
      std::fill(slot, slot + n, T(0));
      return;
    }
    const T* g = grad.data();
    const T scale = T(1) / static_cast<T>(world_size_);
    if (g != slot)
      for (int64_t j = 0; j < n; ++j) slot[j] = g[j] * scale;
    else if (world_size_ > 1)
      for (int64_t j = 0; j < n; ++j) slot[j] *= scale;
  }

  void grad_ready(std::size_t i) {
    Param& p = params_[i];
    p.used = true;  // also under no_sync: it counts at the next synchronised pass
    if (!expecting_ || p.ready) return;  // no_sync, or a backward that no DDP forward announced
    // A pass nested in another (a float <-> double conversion's) may be followed by more that add
    // to the same .grad: the gradients are taken when the outermost pass ends, in finalize.
    const bool nested = eigentorch::detail::final_callbacks().running > 1;
    Bucket& b = buckets_[p.bucket];
    if (!nested) fill_slot(p, b);  // first: it may throw (a refused graph capture reads .grad)
    if (!callback_queued_) {
      autograd::queue_callback([this] { finalize(); });
      callback_queued_ = true;
    }
    if (nested) return;
    b.count_of(static_cast<int64_t>(i)) = T(1);
    p.ready = true;
    --b.pending;
    launch_ready_buckets();
    if (overlap_)
      for (auto& other : buckets_)
        if (other.launched) other.work.test();  // Open MPI progresses only inside MPI calls
  }

  void launch(Bucket& b) {
    if (!reducing_) {
      reducing_ = true;
      ++unfinished_reductions();
    }
    b.work = Work::all_reduce_sum(comm_, b.buffer.data(), b.buffer.numel(), /*blocking=*/!overlap_);
    b.launched = true;
  }

  void launch_ready_buckets() {
    while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) launch(buckets_[next_bucket_++]);
  }

  /// The end of the backward pass: what no hook launched goes now (a parameter this pass did not
  /// reach sends its .grad or zeros), then every bucket's average goes back to .grad.
  void finalize() {
    expecting_ = false;
    callback_queued_ = false;
    for (; next_bucket_ < buckets_.size(); ++next_bucket_) {
      Bucket& b = buckets_[next_bucket_];
      for (int64_t k : b.params) {
        Param& p = params_[static_cast<std::size_t>(k)];
        if (p.ready) continue;
        fill_slot(p, b);
        b.count_of(k) = p.used ? T(1) : T(0);
      }
      launch(b);
    }
    for (auto& b : buckets_) b.work.wait();
    reducing_ = false;
    --unfinished_reductions();
    for (auto& b : buckets_)
      for (int64_t k : b.params) {
        Param& p = params_[static_cast<std::size_t>(k)];
        p.used = false;
        if (b.count_of(k) == T(0)) continue;  // no rank used it: its .grad stays as it was
        if (grad_as_view_) {
          if (p.tensor.grad().impl() != p.view.impl()) p.tensor.set_grad(p.view);
          ++p.view.impl()->storage->version;
          continue;
        }
        Tensor<T> grad = p.tensor.grad();
        if (!grad.defined() || grad.shape() != p.tensor.shape()) {
          grad = Tensor<T>(p.tensor.shape(), eigentorch::detail::uninitialized);
          p.tensor.set_grad(grad);
        }
        std::memcpy(grad.data(), b.buffer.data() + p.offset, static_cast<std::size_t>(grad.numel()) * sizeof(T));
        ++grad.impl()->storage->version;
      }
  }

  /// Unhooks the parameters and frees the communicator (unless MPI is already finalised).
  void release() {
    for (auto& h : hooks_) h.remove();
    hooks_.clear();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
  }

  std::vector<Param> params_;
  std::vector<Bucket> buckets_;
  std::vector<autograd::RemovableHandle> hooks_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::size_t next_bucket_ = 0;
  int world_size_ = 1;
  bool grad_as_view_ = false;
  bool overlap_ = true;
  bool expecting_ = false;        // a DDP forward announced a synchronised backward
  bool callback_queued_ = false;  // a hook of that backward queued finalize
  bool reducing_ = false;         // an allreduce of that backward started; finalize has not ended it
};

}  // namespace eigentorch::distributed::detail
