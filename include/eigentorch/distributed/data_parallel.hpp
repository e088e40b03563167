// nn::parallel::DistributedDataParallel, as torch.nn.parallel.DistributedDataParallel on the CPU:
// wraps a module (the user's own object, as `ddp.module is model` in Python; a temporary is kept by
// the wrapper), as its child "module", so named_parameters() and state_dict() gain PyTorch's
// "module." prefix; checks that every rank holds the same parameters (sizes and requires_grad) and
// options, and copies rank 0's parameters and buffers to every rank. Each forward copies rank 0's
// buffers again (broadcast_buffers) and, when gradients are on and no no_sync() guard is alive,
// announces a synchronised backward: the Reducer (reducer.hpp) then averages the gradients across
// ranks in buckets as they fill during the backward pass. Under no_sync() gradients accumulate
// locally; the first synchronised backward after it averages the accumulated sums. Every check that
// can refuse is agreed on by all ranks first, so that a refusal throws on every rank.
//
//   et::distributed::init_process_group("mpi");
//   nn::parallel::DistributedDataParallel ddp(model);
//   loss_fn(ddp(x), y).backward();   // .grad is the average over the ranks
#pragma once

#include "../detail/py_repr.hpp"
#include "../nn/module.hpp"
#include "process_group.hpp"
#include "reducer.hpp"

#include <algorithm>  // std::equal
#include <cmath>      // std::isfinite
#include <cstddef>    // std::ptrdiff_t
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
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

  /// Wraps `module` itself, which must outlive the wrapper (ddp.module() is module).
  explicit DistributedDataParallel(M& module, DistributedDataParallelOptions options = DistributedDataParallelOptions())
      : DistributedDataParallel(std::shared_ptr<M>(std::shared_ptr<M>(), &module), options) {}
  /// Wraps a temporary module, kept by the wrapper.
  explicit DistributedDataParallel(M&& module, DistributedDataParallelOptions options = DistributedDataParallelOptions())
      : DistributedDataParallel(std::make_shared<M>(std::move(module)), options) {}

  /// Runs the module's forward, with any arguments; see the file's comment for what happens around it.
  template <class... Args>
  auto operator()(Args&&... args) {
    before_forward();
    return module_->forward(std::forward<Args>(args)...);
  }
  Tensor<T> forward(const Tensor<T>& input) override {
    before_forward();
    return static_cast<Module<T>&>(*module_).forward(input);
  }

  /// The wrapped module.
  M& module() { return *module_; }
  const M& module() const { return *module_; }

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
  DistributedDataParallel(std::shared_ptr<M> module, DistributedDataParallelOptions options)
      : module_(std::move(module)), options_(options) {
    namespace dd = distributed::detail;
    const dd::Group& g = dd::require_group();
    const std::vector<Tensor<T>> params = module_->parameters(), buffers = module_->buffers();
    // What this rank refuses by itself, agreed on below before anyone throws.
    std::string refusal;
    const double cap = options_.bucket_cap_mb();
    if (!(std::isfinite(cap) && cap > 0))
      refusal = "bucket_cap_mb must be a positive number of megabytes, got " + eigentorch::detail::py_float(cap);
    bool any = false;
    for (const auto& p : params) any = any || p.requires_grad();
    if (!any && refusal.empty())
      refusal = "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.";
    const bool overlap = options_.overlap().value_or(!g.one_host);
    const auto bytes = [](double mb) {  // at most 2^62: a bucket of that many bytes is never reached
      return mb >= 4.0 * 1024 * 1024 * 1024 * 1024 ? int64_t{1} << 62 : static_cast<int64_t>(mb * 1024 * 1024);
    };
    const int64_t cap_bytes = refusal.empty() ? bytes(cap) : 0;
    verify_same_setup(g, params, buffers, refusal,
                      {cap_bytes, options_.broadcast_buffers() ? 1 : 0, options_.gradient_as_bucket_view() ? 1 : 0,
                       overlap ? 1 : 0});
    {
      NoGradGuard no_grad;
      for (const auto& p : params) broadcast_raw(g, p);
      for (const auto& b : buffers) broadcast_raw(g, b);
    }
    this->register_module_ptr("module", module_);
    reducer_ = std::make_shared<dd::Reducer<T>>(params, bytes(1), cap_bytes, options_.gradient_as_bucket_view(), overlap);
  }

  void before_forward() {
    const auto& g = distributed::detail::require_group();
    if (options_.broadcast_buffers()) {
      NoGradGuard no_grad;
      for (const auto& b : module_->buffers()) broadcast_raw(g, b);
    }
    if (is_grad_enabled() && require_backward_grad_sync_) reducer_->prepare_for_backward();
  }

  /// rank 0's values into t on every rank, without the call check (the shapes were compared once).
  static void broadcast_raw(const distributed::detail::Group& g, const Tensor<T>& t) {
    if (g.size == 1) return;
    distributed::detail::broadcast_values(g.comm, t.data(), t.numel(), 0);
    ++t.impl()->storage->version;
  }

  /// Every rank must accept its options and model, and hold the same number of parameters and
  /// buffers with the same sizes (and requires_grad), under the same options: the ranks gather what
  /// they hold, compare it with rank 0's, and agree on the outcome, so that every rank throws
  /// (PyTorch's messages where it has them) rather than some hanging in the next collective.
  static void verify_same_setup(const distributed::detail::Group& g, const std::vector<Tensor<T>>& params,
                                const std::vector<Tensor<T>>& buffers, const std::string& refusal,
                                const std::vector<int64_t>& options) {
    namespace dd = distributed::detail;
    using eigentorch::detail::fail;
    constexpr int kFields = 7;  // refused, params, buffers, then the 4 options
    const int64_t mine[kFields] = {refusal.empty() ? 0 : 1, static_cast<int64_t>(params.size()),
                                   static_cast<int64_t>(buffers.size()), options[0], options[1], options[2], options[3]};
    std::vector<int64_t> all(static_cast<std::size_t>(kFields * g.size));
    dd::check_mpi(MPI_Allgather(mine, kFields, MPI_INT64_T, all.data(), kFields, MPI_INT64_T, g.comm), "MPI_Allgather");
    auto field = [&](int rank, int f) { return all[static_cast<std::size_t>(rank * kFields + f)]; };
    if (!refusal.empty()) fail<ValueError>({refusal});
    for (int r = 0; r < g.size; ++r)
      if (field(r, 0) != 0)
        fail({"DistributedDataParallel: rank ", r, " refused its module or options (its own error says why)"});
    const char* const kinds[] = {"params", "buffers"};
    for (int f = 1; f <= 2; ++f)
      for (int r = 0; r < g.size; ++r)
        if (field(r, f) != mine[f])
          fail({"DDP expects same model across all ranks, but Rank ", g.rank, " has ", mine[f], " ", kinds[f - 1],
                ", while rank ", r, " has inconsistent ", field(r, f), " ", kinds[f - 1], "."});
    for (int r = 0; r < g.size; ++r)
      for (int f = 3; f < kFields; ++f)
        if (field(r, f) != mine[f])
          fail({"DistributedDataParallel: the processes were given different options (rank ", g.rank,
                ": bucket_cap_mb ", mine[3], " bytes, broadcast_buffers ", mine[4], ", gradient_as_bucket_view ", mine[5],
                ", overlap ", mine[6], "; rank ", r, ": ", field(r, 3), " bytes, ", field(r, 4), ", ", field(r, 5), ", ",
                field(r, 6), ")"});
    // Each tensor as (dimensions, sizes..., requires_grad); rank 0's list broadcast (padded to the
    // longest), each rank finds its first tensor that differs, and the ranks agree on who differs.
    std::vector<int64_t> layout;
    for (const auto* list : {&params, &buffers})
      for (const auto& t : *list) {
        layout.push_back(t.dim());
        for (int64_t d = 0; d < t.dim(); ++d) layout.push_back(t.size(d));
        layout.push_back(t.requires_grad() ? 1 : 0);
      }
    int64_t length = static_cast<int64_t>(layout.size());
    dd::all_reduce_values(g.comm, &length, 1, MPI_MAX);
    std::vector<int64_t> rank0(layout);
    rank0.resize(static_cast<std::size_t>(length), -1);
    dd::broadcast_values(g.comm, rank0.data(), length, 0);
    int64_t bad = -1;
    bool sizes_differ = false;
    std::size_t at = 0;
    for (std::size_t i = 0; i < params.size() + buffers.size() && bad < 0; ++i) {
      const Tensor<T>& t = i < params.size() ? params[i] : buffers[i - params.size()];
      const std::size_t n = static_cast<std::size_t>(t.dim()) + 2;
      if (!std::equal(layout.begin() + static_cast<std::ptrdiff_t>(at), layout.begin() + static_cast<std::ptrdiff_t>(at + n - 1),
                      rank0.begin() + static_cast<std::ptrdiff_t>(at))) {
        bad = static_cast<int64_t>(i);
        sizes_differ = true;
      } else if (layout[at + n - 1] != rank0[at + n - 1]) {
        bad = static_cast<int64_t>(i);
      }
      at += n;
    }
    int64_t found[2] = {bad >= 0 ? 1 : 0, bad >= 0 ? g.rank : -1};
    dd::all_reduce_values(g.comm, found, 2, MPI_MAX);
    if (bad >= 0) {
      const bool is_param = bad < static_cast<int64_t>(params.size());
      const int64_t index = is_param ? bad : bad - static_cast<int64_t>(params.size());
      const Tensor<T>& t = is_param ? params[static_cast<std::size_t>(index)] : buffers[static_cast<std::size_t>(index)];
      if (sizes_differ)
        fail({"[", g.rank, "]: ", is_param ? "params[" : "buffers[", index, "] in this process with sizes ",
              t.shape().list_str(), " appears not to match sizes of the same ", is_param ? "param" : "buffer",
              " in process 0."});
      fail({"DistributedDataParallel: params[", index, "] ", t.requires_grad() ? "requires" : "does not require",
            " a gradient in this process (rank ", g.rank, ") but ", t.requires_grad() ? "does not" : "does",
            " in process 0"});
    }
    if (found[0] != 0)
      fail({"DDP expects same model across all ranks, but a parameter or buffer of rank ", found[1],
            " does not match process 0's (rank ", found[1], "'s error names it)"});
  }

  std::shared_ptr<M> module_;
  DistributedDataParallelOptions options_;
  std::shared_ptr<distributed::detail::Reducer<T>> reducer_;
  bool require_backward_grad_sync_ = true;
};

template <class M>
DistributedDataParallel(M&) -> DistributedDataParallel<M>;
template <class M>
DistributedDataParallel(M&, DistributedDataParallelOptions) -> DistributedDataParallel<M>;
template <class M>
DistributedDataParallel(M&&) -> DistributedDataParallel<std::remove_reference_t<M>>;
template <class M>
DistributedDataParallel(M&&, DistributedDataParallelOptions) -> DistributedDataParallel<std::remove_reference_t<M>>;

}  // namespace eigentorch::nn::parallel
