// nn::parallel::DistributedDataParallel, as torch.nn.parallel.DistributedDataParallel on the CPU:
// wraps a module (as its child "module", so named_parameters() and state_dict() gain PyTorch's
// "module." prefix), checks that every rank holds the same parameters, and copies rank 0's
// parameters and buffers to every rank. Each forward copies rank 0's buffers again
// (broadcast_buffers) and, when gradients are on and no no_sync() guard is alive, announces a
// synchronised backward: the Reducer (reducer.hpp) then averages the gradients across ranks in
// buckets, overlapped with the backward pass. Under no_sync() gradients accumulate locally; the first
// synchronised backward after it averages the accumulated sums.
//
//   et::distributed::init_process_group("mpi");
//   nn::parallel::DistributedDataParallel ddp(model);
//   loss_fn(ddp(x), y).backward();   // .grad is the average over the ranks
#pragma once

#include "../nn/module.hpp"
#include "process_group.hpp"
#include "reducer.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eigentorch::nn::parallel {

/// DistributedDataParallel's keyword arguments:
/// `.bucket_cap_mb(25).broadcast_buffers(true).gradient_as_bucket_view(false)`. With
/// gradient_as_bucket_view each parameter's .grad becomes a view of the bucket it is averaged in
/// (PyTorch's option of that name): no copy back after the allreduce and no second copy of the
/// gradients in memory; a .grad handle kept from an earlier step then sees later steps' values.
/// `.overlap(bool)` (eigentorch's): overlap the buckets' allreduces with backward (non-blocking MPI)
/// or run each as its bucket fills (blocking); by default overlapped when the processes span
/// several machines, blocking when they share one (see reducer.hpp).
class DistributedDataParallelOptions {
 public:
  DistributedDataParallelOptions& bucket_cap_mb(double v) { bucket_cap_mb_ = v; return *this; }
  DistributedDataParallelOptions& broadcast_buffers(bool v) { broadcast_buffers_ = v; return *this; }
  DistributedDataParallelOptions& gradient_as_bucket_view(bool v) { gradient_as_bucket_view_ = v; return *this; }
  DistributedDataParallelOptions& overlap(bool v) { overlap_ = v; return *this; }
  double bucket_cap_mb() const { return bucket_cap_mb_; }
  bool broadcast_buffers() const { return broadcast_buffers_; }
  bool gradient_as_bucket_view() const { return gradient_as_bucket_view_; }
  /// Set, or unset (chosen by where the processes run).
  std::optional<bool> overlap() const { return overlap_; }

 private:
  double bucket_cap_mb_ = 25;
  bool broadcast_buffers_ = true;
  bool gradient_as_bucket_view_ = false;
  std::optional<bool> overlap_;
};

template <class M>
class DistributedDataParallel : public Module<typename M::Scalar> {
 public:
  using T = typename M::Scalar;

  // Not copied or moved: a no_sync() guard and the reducer's hooks refer to this object.
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  explicit DistributedDataParallel(M module, DistributedDataParallelOptions options = DistributedDataParallelOptions())
      : module_(std::move(module)), options_(options) {
    namespace dd = distributed::detail;
    const dd::Group& g = dd::require_group();
    if (!(options_.bucket_cap_mb() > 0))
      eigentorch::detail::fail<ValueError>({"bucket_cap_mb must be a positive number of megabytes, got ",
                                            std::to_string(options_.bucket_cap_mb())});
    const std::vector<Tensor<T>> params = module_.parameters();
    bool any = false;
    for (const auto& p : params) any = any || p.requires_grad();
    if (!any)
      eigentorch::detail::fail({"DistributedDataParallel is not needed when a module doesn't have any parameter that "
                                "requires a gradient."});
    verify_same_model(g, params, module_.buffers());
    {
      NoGradGuard no_grad;
      for (const auto& p : params) broadcast_raw(g, p);
      for (const auto& b : module_.buffers()) broadcast_raw(g, b);
    }
    this->register_module("module", module_);
    const auto bytes = [](double mb) { return static_cast<int64_t>(mb * 1024 * 1024); };
    reducer_ = std::make_shared<distributed::detail::Reducer<T>>(params, bytes(1), bytes(options_.bucket_cap_mb()),
                                                                  options_.gradient_as_bucket_view(),
                                                                  options_.overlap().value_or(!g.one_host));
  }

  /// Runs the module; see the file's comment for what happens around it.
  template <class... Args>
  auto operator()(Args&&... args) {
    before_forward();
    return module_(std::forward<Args>(args)...);
  }
  Tensor<T> forward(const Tensor<T>& input) override {
    before_forward();
    return module_.forward(input);
  }

  /// The wrapped module (a handle sharing its parameters).
  M& module() { return module_; }
  const M& module() const { return module_; }

  /// While the guard lives, backward passes accumulate gradients locally, as `with ddp.no_sync():`.
  class [[nodiscard]] NoSyncGuard {
   public:
    explicit NoSyncGuard(DistributedDataParallel& ddp) : ddp_(ddp), previous_(ddp.require_backward_grad_sync_) {
      ddp_.require_backward_grad_sync_ = false;
    }
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;
    ~NoSyncGuard() { ddp_.require_backward_grad_sync_ = previous_; }

   private:
    DistributedDataParallel& ddp_;
    bool previous_;
  };
  NoSyncGuard no_sync() { return NoSyncGuard(*this); }

  /// Which parameters share a bucket (indices into the parameters that require a gradient, in
  /// registration order), in the order the buckets are reduced.
  std::vector<std::vector<int64_t>> bucket_indices() const { return reducer_->bucket_indices(); }

  std::string name() const override { return "DistributedDataParallel"; }

 private:
  void before_forward() {
    const auto& g = distributed::detail::require_group();
    if (options_.broadcast_buffers()) {
      NoGradGuard no_grad;
      for (const auto& b : module_.buffers()) broadcast_raw(g, b);
    }
    if (is_grad_enabled() && require_backward_grad_sync_) reducer_->prepare_for_backward();
  }

  /// rank 0's values into t on every rank, without the call check (the shapes were compared once).
  static void broadcast_raw(const distributed::detail::Group& g, const Tensor<T>& t) {
    if (g.size == 1) return;
    distributed::detail::broadcast_values(g, t.data(), t.numel(), 0);
    ++t.impl()->storage->version;
  }

  /// Every rank must hold the same number of parameters (and buffers) with the same sizes: the
  /// counts are gathered, rank 0's sizes broadcast, and the ranks agree on the outcome, so that
  /// every rank throws (PyTorch's messages) rather than some hanging in the next collective.
  static void verify_same_model(const distributed::detail::Group& g, const std::vector<Tensor<T>>& params,
                                const std::vector<Tensor<T>>& buffers) {
    namespace dd = distributed::detail;
    std::vector<int64_t> counts(static_cast<std::size_t>(2 * g.size));
    const int64_t mine[2] = {static_cast<int64_t>(params.size()), static_cast<int64_t>(buffers.size())};
    dd::check_mpi(MPI_Allgather(mine, 2, MPI_INT64_T, counts.data(), 2, MPI_INT64_T, g.comm), "MPI_Allgather");
    for (int r = 0; r < g.size; ++r)
      if (counts[static_cast<std::size_t>(2 * r)] != mine[0])
        eigentorch::detail::fail({"DDP expects same model across all ranks, but Rank ", g.rank, " has ", mine[0],
                                  " params, while rank ", r, " has inconsistent ", counts[static_cast<std::size_t>(2 * r)],
                                  " params."});
    for (int r = 0; r < g.size; ++r)
      if (counts[static_cast<std::size_t>(2 * r + 1)] != mine[1])
        eigentorch::detail::fail({"DDP expects same model across all ranks, but Rank ", g.rank, " has ", mine[1],
                                  " buffers, while rank ", r, " has inconsistent ", counts[static_cast<std::size_t>(2 * r + 1)],
                                  " buffers."});
    std::vector<int64_t> sizes;
    for (const auto* list : {&params, &buffers})
      for (const auto& t : *list) {
        sizes.push_back(t.dim());
        for (int64_t d = 0; d < t.dim(); ++d) sizes.push_back(t.size(d));
      }
    // Same counts everywhere; the sizes' lengths may still differ: agree on the longest first.
    int64_t length = static_cast<int64_t>(sizes.size());
    dd::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &length, 1, MPI_INT64_T, MPI_MAX, g.comm), "MPI_Allreduce");
    std::vector<int64_t> rank0(sizes);
    rank0.resize(static_cast<std::size_t>(length), -1);
    dd::check_mpi(MPI_Bcast(rank0.data(), static_cast<int>(length), MPI_INT64_T, 0, g.comm), "MPI_Bcast");
    // The first tensor (params first, then buffers) whose sizes differ from rank 0's, or -1.
    int64_t bad = -1;
    std::size_t at = 0;
    int64_t index = 0;
    for (const auto* list : {&params, &buffers})
      for (const auto& t : *list) {
        bool same = at < rank0.size() && rank0[at] == t.dim();
        for (int64_t d = 0; same && d < t.dim(); ++d) same = at + 1 + static_cast<std::size_t>(d) < rank0.size() && rank0[at + 1 + static_cast<std::size_t>(d)] == t.size(d);
        if (!same && bad < 0) bad = index;
        if (!same) break;
        at += 1 + static_cast<std::size_t>(t.dim());
        ++index;
      }
    int64_t found[2] = {bad >= 0 ? 1 : 0, bad >= 0 ? g.rank : -1};
    dd::check_mpi(MPI_Allreduce(MPI_IN_PLACE, found, 2, MPI_INT64_T, MPI_MAX, g.comm), "MPI_Allreduce");
    if (bad >= 0) {
      const bool is_param = bad < static_cast<int64_t>(params.size());
      const Tensor<T>& t = is_param ? params[static_cast<std::size_t>(bad)]
                                    : buffers[static_cast<std::size_t>(bad - static_cast<int64_t>(params.size()))];
      eigentorch::detail::fail({"[", g.rank, "]: ", is_param ? "params[" : "buffers[",
                                is_param ? bad : bad - static_cast<int64_t>(params.size()), "] in this process with sizes ",
                                t.shape().list_str(), " appears not to match sizes of the same ",
                                is_param ? "param" : "buffer", " in process 0."});
    }
    if (found[0] != 0)
      eigentorch::detail::fail({"DDP expects same model across all ranks, but the sizes of a parameter or buffer on rank ",
                                found[1], " do not match process 0's (rank ", found[1], " names it)"});
  }

  M module_;
  DistributedDataParallelOptions options_;
  std::shared_ptr<distributed::detail::Reducer<T>> reducer_;
  bool require_backward_grad_sync_ = true;
};

template <class M>
DistributedDataParallel(M) -> DistributedDataParallel<M>;
template <class M>
DistributedDataParallel(M, DistributedDataParallelOptions) -> DistributedDataParallel<M>;

}  // namespace eigentorch::nn::parallel
