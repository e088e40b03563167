// The default process group over MPI, as torch.distributed's with backend "mpi": init_process_group,
// destroy_process_group, get_rank, get_world_size, and the collectives all_reduce, broadcast and
// barrier on tensors (in place). Every rank must call each collective, in the same order, with a
// tensor of the same shape and type: all_reduce and broadcast first compare the ranks' calls (one
// small allreduce), so a mismatch throws the same error on every rank instead of hanging or mixing
// bytes. Errors of MPI itself are returned, not fatal (the group's communicator uses
// MPI_ERRORS_RETURN), and thrown with MPI's words.
//
// MPI is initialised once per process (by the first init_process_group, unless the program did it)
// and finalised at exit; a group is a duplicate of MPI_COMM_WORLD, so a program's own MPI traffic and
// ours never meet, and destroy_process_group followed by init_process_group works.
// The reducer of DistributedDataParallel reduces its buckets through Work below, on a communicator
// of its own.
#pragma once

#include "../detail/process_group.hpp"
#include "../error.hpp"
#include "../tensor/tensor.hpp"

// MPI's C interface only: its deprecated C++ bindings cost compile time and warnings.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>  // std::min
#include <cstdint>  // int64_t
#include <cstdio>   // fputs
#include <cstdlib>  // atexit, setenv
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace eigentorch::distributed {

/// How all_reduce combines the ranks' values, as torch.distributed.ReduceOp.
enum class ReduceOp { SUM, AVG, MAX, MIN };

namespace detail {

using eigentorch::detail::fail;

/// The default group's communicator (MPI_COMM_NULL when there is none).
struct Group {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  bool one_host = true;  // every rank shares this machine's memory (MPI_COMM_TYPE_SHARED)
};
inline Group& default_group() {
  static Group group;
  return group;
}

/// Throws what MPI said when a call did not succeed.
inline void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  fail({call, " failed: ", length > 0 ? std::string(text, static_cast<std::size_t>(length)) : "error code " + std::to_string(rc)});
}

/// The initialised group, or PyTorch's error.
inline const Group& require_group() {
  eigentorch::detail::require_default_process_group();
  return default_group();
}

template <class T>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>,
                "torch.distributed's collectives here take float, double and int64 tensors");
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else return MPI_INT64_T;
}

/// The element types a collective takes, as numbered in a CallRecord, and their names.
inline const char* type_name(int64_t code) {
  static const char* const names[] = {"float", "double", "int64"};
  return code >= 0 && code < 3 ? names[code] : "?";
}
template <class T>
constexpr int64_t type_code() {
  return std::is_same_v<T, float> ? 0 : std::is_same_v<T, double> ? 1 : 2;
}

inline MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::MAX: return MPI_MAX;
    case ReduceOp::MIN: return MPI_MIN;
    default: return MPI_SUM;  // AVG sums, then divides
  }
}

inline const char* op_name(int64_t op) {
  static const char* const names[] = {"SUM", "AVG", "MAX", "MIN"};
  return op >= 0 && op < 4 ? names[op] : "?";
}

/// What one rank passes to a collective, compared across ranks before any data moves.
struct CallRecord {
  static constexpr int kMaxDims = 8;  // dimensions shown in a mismatch's message
  int64_t fields[5 + kMaxDims] = {};  // collective, type, op or src, dimensions (-1: undefined), numel, first sizes
};

template <class T>
CallRecord call_record(int64_t collective, int64_t op_or_src, const Tensor<T>& t) {
  CallRecord r;
  r.fields[0] = collective;
  r.fields[1] = type_code<T>();
  r.fields[2] = op_or_src;
  r.fields[3] = t.defined() ? t.dim() : -1;
  r.fields[4] = t.defined() ? t.numel() : 0;
  for (int64_t d = 0; d < r.fields[3] && d < CallRecord::kMaxDims; ++d) r.fields[5 + d] = t.size(d);
  return r;
}

/// "float [2, 3] SUM" for one rank's record.
inline std::string describe(const CallRecord& r) {
  std::string s = std::string(type_name(r.fields[1])) + (r.fields[3] < 0 ? " undefined" : " [");
  for (int64_t d = 0; d < r.fields[3]; ++d) {
    if (d > 0) s += ", ";
    s += d < CallRecord::kMaxDims ? std::to_string(r.fields[5 + d]) : "...";
    if (d >= CallRecord::kMaxDims) break;
  }
  if (r.fields[3] >= 0) s += "]";
  if (r.fields[0] == 0) s += std::string(" ") + op_name(r.fields[2]);
  else s += " from rank " + std::to_string(r.fields[2]);
  return s;
}

/// Compares this rank's call with every other rank's: one allreduce of (x, -x) under MAX tells every
/// rank whether all agree; if not, an allgather names what each rank passed, and every rank throws.
inline void check_same_call(const Group& g, const char* what, const CallRecord& mine) {
  constexpr int n = static_cast<int>(sizeof(mine.fields) / sizeof(mine.fields[0]));
  int64_t both[2 * n];
  for (int i = 0; i < n; ++i) {
    both[i] = mine.fields[i];
    both[n + i] = mine.fields[i] == std::numeric_limits<int64_t>::min() ? mine.fields[i] : -mine.fields[i];
  }
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, both, 2 * n, MPI_INT64_T, MPI_MAX, g.comm), "MPI_Allreduce");
  bool same = true;
  for (int i = 0; i < n; ++i) same = same && both[i] == -both[n + i];
  if (same) return;
  std::vector<int64_t> all(static_cast<std::size_t>(n) * static_cast<std::size_t>(g.size));
  check_mpi(MPI_Allgather(mine.fields, n, MPI_INT64_T, all.data(), n, MPI_INT64_T, g.comm), "MPI_Allgather");
  std::string ranks;
  for (int r = 0; r < g.size; ++r) {
    CallRecord other;
    for (int i = 0; i < n; ++i) other.fields[i] = all[static_cast<std::size_t>(r * n + i)];
    if (r > 0) ranks += ", ";
    ranks += "rank " + std::to_string(r) + ": " + describe(other);
  }
  fail({what, ": the processes passed different tensors or arguments (", ranks,
        "); every rank must call it with a tensor of the same shape and type, and the same arguments"});
}

/// call(offset, count) over n values in pieces of at most INT_MAX (MPI counts are int).
template <class F>
void in_pieces(int64_t n, F call) {
  for (int64_t done = 0; done < n;) {
    const int count = static_cast<int>(std::min<int64_t>(n - done, std::numeric_limits<int>::max()));
    call(done, count);
    done += count;
  }
}

/// MPI_Bcast of n values from root, in place.
template <class T>
void broadcast_values(MPI_Comm comm, T* data, int64_t n, int root) {
  in_pieces(n, [&](int64_t at, int count) {
    check_mpi(MPI_Bcast(data + at, count, mpi_type<T>(), root, comm), "MPI_Bcast");
  });
}

/// MPI_Allreduce of n values, in place.
template <class T>
void all_reduce_values(MPI_Comm comm, T* data, int64_t n, MPI_Op op) {
  in_pieces(n, [&](int64_t at, int count) {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + at, count, mpi_type<T>(), op, comm), "MPI_Allreduce");
  });
}

/// How many synchronised backward passes on this process started reducing gradients with the other
/// processes and did not finish (a backward that threw half-way): the other processes wait for
/// collectives this one will never call.
inline int& unfinished_reductions() {
  static int count = 0;
  return count;
}

/// Finalises MPI at exit when init_process_group initialised it. A process that leaves a
/// synchronised backward unfinished ends the whole job instead (MPI_Abort): MPI_Finalize would wait
/// for the other processes, and they for collectives it will never call.
inline void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (unfinished_reductions() > 0) {
    std::fputs("eigentorch: a DistributedDataParallel backward pass stopped half-way on this process (an exception); "
               "ending every process of the job with MPI_Abort, since the others wait for it\n",
               stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  Group& g = default_group();
  if (g.comm != MPI_COMM_NULL) MPI_Comm_free(&g.comm);
  MPI_Finalize();
}

}  // namespace detail

/// Whether init_process_group was called (and destroy_process_group not since).
inline bool is_initialized() { return eigentorch::detail::default_process_group_info().initialized; }

/// Makes the default group of every process started by mpiexec, as
/// torch.distributed.init_process_group("mpi"): rank and world size come from the launcher.
inline void init_process_group(const std::string& backend = "mpi") {
  if (backend != "mpi" && backend != "MPI")
    detail::fail<ValueError>({"Invalid backend: '", backend, "' (eigentorch's process group runs on MPI: init_process_group(\"mpi\"))"});
  if (is_initialized()) detail::fail({"trying to initialize the default process group twice!"});
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) detail::fail({"init_process_group: MPI was already finalized in this process"});
  if (!initialized) {
    // Open MPI's non-blocking allreduce (libnbc) picks a binomial tree for an in-place reduction;
    // for gradient buckets (megabytes) it took 1.5-3x a blocking MPI_Allreduce here, the ring
    // 0.7-1.1x. The ring, then, unless the user chose (other MPIs ignore the variable).
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(detail::finalize_at_exit);
  }
  detail::Group group;
  detail::check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &group.comm), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(group.comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(group.comm, &group.rank);
  MPI_Comm_size(group.comm, &group.size);
  MPI_Comm host = MPI_COMM_NULL;
  const int rc = MPI_Comm_split_type(group.comm, MPI_COMM_TYPE_SHARED, group.rank, MPI_INFO_NULL, &host);
  if (rc != MPI_SUCCESS) MPI_Comm_free(&group.comm);
  detail::check_mpi(rc, "MPI_Comm_split_type");
  int host_size = 0;
  MPI_Comm_size(host, &host_size);
  MPI_Comm_free(&host);
  group.one_host = host_size == group.size;
  detail::Group& g = detail::default_group();
  g = group;
  auto& info = eigentorch::detail::default_process_group_info();
  info.rank = g.rank;
  info.world_size = g.size;
  info.initialized = true;
}

/// Ends the default group (MPI itself stays up until exit, as in PyTorch, so a new group can follow).
inline void destroy_process_group() {
  detail::Group& g = detail::default_group();
  detail::require_group();
  MPI_Comm_free(&g.comm);
  g = detail::Group();
  eigentorch::detail::default_process_group_info() = eigentorch::detail::ProcessGroupInfo();
}

/// This process's rank in the default group, 0 .. get_world_size() - 1.
inline int get_rank() { return detail::require_group().rank; }
/// The number of processes in the default group.
inline int get_world_size() { return detail::require_group().size; }

/// Waits until every rank has called barrier().
inline void barrier() { detail::check_mpi(MPI_Barrier(detail::require_group().comm), "MPI_Barrier"); }

/// Combines the tensor across ranks, in place, on every rank (torch.distributed.all_reduce):
/// SUM, AVG (the sum divided by the world size, floating-point tensors only), MAX or MIN.
template <class T>
void all_reduce(const Tensor<T>& tensor, ReduceOp op = ReduceOp::SUM) {
  const detail::Group& g = detail::require_group();
  detail::check_same_call(g, "all_reduce", detail::call_record(0, static_cast<int64_t>(op), tensor));
  if (!tensor.defined()) detail::fail({"all_reduce: the tensor is undefined"});
  if (op == ReduceOp::AVG && !std::is_floating_point_v<T>)
    detail::fail({"all_reduce: ReduceOp.AVG needs a floating point tensor, got ", detail::type_name(detail::type_code<T>())});
  T* data = tensor.data();
  detail::all_reduce_values(g.comm, data, tensor.numel(), detail::mpi_op(op));
  if constexpr (std::is_floating_point_v<T>)
    if (op == ReduceOp::AVG)
      for (int64_t i = 0, n = tensor.numel(); i < n; ++i) data[i] /= static_cast<T>(g.size);
  ++tensor.impl()->storage->version;
}

/// Copies rank src's tensor into every rank's (torch.distributed.broadcast), in place.
template <class T>
void broadcast(const Tensor<T>& tensor, int src) {
  const detail::Group& g = detail::require_group();
  detail::check_same_call(g, "broadcast", detail::call_record(1, src, tensor));
  if (!tensor.defined()) detail::fail({"broadcast: the tensor is undefined"});
  if (src < 0 || src >= g.size)
    detail::fail({"Invalid root rank: ", src, " (the group's ranks are 0 to ", g.size - 1, ")"});
  detail::broadcast_values(g.comm, tensor.data(), tensor.numel(), src);
  ++tensor.impl()->storage->version;
}

/// A sum over a communicator of count values at data, in place: non-blocking (MPI_Iallreduce;
/// the buffer must stay untouched until wait() returns; test() lets MPI progress, as Open MPI moves
/// a non-blocking collective only inside MPI calls, and says whether it is done), or, with
/// `blocking`, an MPI_Allreduce done when the call returns.
class Work {
 public:
  Work() = default;
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  Work(Work&& o) noexcept : request_(o.request_) { o.request_ = MPI_REQUEST_NULL; }
  Work& operator=(Work&& o) noexcept {
    std::swap(request_, o.request_);
    return *this;
  }
  ~Work() { wait_quietly(); }
  /// Waits without throwing. A collective cannot be cancelled: one still running when its Work goes
  /// is waited for, or its buffer could be written after it is freed.
  void wait_quietly() noexcept {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }

  template <class T>
  static Work all_reduce_sum(MPI_Comm comm, T* data, int64_t count, bool blocking) {
    Work w;
    if (blocking) {
      detail::all_reduce_values(comm, data, count, MPI_SUM);
    } else {
      // One request: a bucket is at most INT_MAX elements (the Reducer's buckets are far smaller).
      if (count > std::numeric_limits<int>::max())
        detail::fail({"a gradient bucket of ", count, " elements is more than MPI can reduce in one call"});
      detail::check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), detail::mpi_type<T>(), MPI_SUM, comm,
                                       &w.request_),
                        "MPI_Iallreduce");
    }
    return w;
  }
  bool pending() const { return request_ != MPI_REQUEST_NULL; }
  bool test() {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    detail::check_mpi(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test");
    return done != 0;
  }
  void wait() {
    if (request_ != MPI_REQUEST_NULL) detail::check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
  }

 private:
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace eigentorch::distributed
