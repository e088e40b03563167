// Tests of <eigentorch/distributed.hpp>, run by ctest under `mpiexec -n 2` (one doctest executable
// per rank, its own main below): the process group and its errors, the collectives' values and
// their refusals (every rank throws; none hangs), DistributedDataParallel (replicas made from
// different seeds start from rank 0's values; two ranks on halves of a batch train as one process on
// the whole batch; both ranks end bit-identical; buckets as PyTorch assigns them; no_sync; unused
// parameters; buffers follow rank 0; mismatched models are refused on every rank) and
// DistributedSampler's defaults from the group. Test cases in the "world1" suite run without
// mpiexec, in a world of one process (the ctest entry distributed_world_of_1).
#define DOCTEST_CONFIG_IMPLEMENT
#include <eigentorch/distributed.hpp>

#include <doctest/doctest.h>

#include "test_util.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace dist = eigentorch::distributed;

/// Joins the default group (once per process) and checks it has `world` processes.
void ensure_group(int world = 2) {
  if (!dist::is_initialized()) dist::init_process_group("mpi");
  REQUIRE_MESSAGE(dist::get_world_size() == world,
                  "this test needs a world of ", world, " processes, got ", dist::get_world_size(),
                  ": run it with mpiexec -n ", world, " (a binary built against Open MPI started by MPICH's mpiexec "
                  "runs as separate worlds of 1)");
}

using eigentorch::testing::error_of;

/// The same bits on every rank: rank 0's values broadcast and compared bit for bit.
template <class T>
bool same_on_all_ranks(const et::Tensor<T>& t) {
  et::Tensor<T> theirs = t.clone();
  dist::broadcast(theirs, 0);
  int same = std::memcmp(theirs.data(), t.data(), static_cast<std::size_t>(t.numel()) * sizeof(T)) == 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return same == 1;
}

// Runs first (doctest orders a file's cases by line), before anything initialises the group.
TEST_CASE("distributed: before init_process_group everything refuses in PyTorch's words") {
  if (dist::is_initialized()) return;  // a filtered run that initialised earlier
  const std::string uninitialised =
      "Default process group has not been initialized, please make sure to call init_process_group.";
  CHECK(error_of([] { dist::get_rank(); }) == uninitialised);
  CHECK(error_of([] { dist::get_world_size(); }) == uninitialised);
  CHECK(error_of([] { dist::barrier(); }) == uninitialised);
  CHECK(error_of([] { dist::all_reduce(et::ones({2})); }) == uninitialised);
  CHECK(error_of([] { dist::broadcast(et::ones({2}), 0); }) == uninitialised);
  CHECK(error_of([] { dist::destroy_process_group(); }) == uninitialised);
  CHECK(error_of([] { nn::parallel::DistributedDataParallel ddp(nn::Linear(2, 1)); }) == uninitialised);

  CHECK(error_of([] { et::data::DistributedSampler sampler(et::data::TensorDataset(et::ones({4, 1}))); }) == uninitialised);

  CHECK(error_of([] { dist::init_process_group("gloo"); }) ==
        "Invalid backend: 'gloo' (eigentorch's process group runs on MPI: init_process_group(\"mpi\"))");
  CHECK_FALSE(dist::is_initialized());
}

TEST_CASE("distributed: the group: rank and size, twice refused, destroyed and made again") {
  ensure_group();
  int mpi_rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
  CHECK(dist::get_rank() == mpi_rank);
  CHECK(error_of([] { dist::init_process_group("mpi"); }) == "trying to initialize the default process group twice!");
  dist::barrier();
  dist::destroy_process_group();
  CHECK_FALSE(dist::is_initialized());
  dist::init_process_group();
  CHECK(dist::get_rank() == mpi_rank);
  CHECK(dist::get_world_size() == 2);
}

TEST_CASE_TEMPLATE("distributed: all_reduce SUM, AVG, MAX and MIN", T, float, double) {
  ensure_group();
  const T r = static_cast<T>(dist::get_rank());
  // rank 0 holds (1, -2, 0.5), rank 1 (2, -4, 1.5)
  auto make = [r] { return et::tensor({1.0 + r, -2.0 - 2 * r, 0.5 + r}).template to<T>(); };
  auto t = make();
  dist::all_reduce(t);
  CHECK(t.to_vector() == std::vector<T>{3, -6, 2});
  t = make();
  dist::all_reduce(t, dist::ReduceOp::AVG);
  CHECK(t.to_vector() == std::vector<T>{1.5, -3, 1});
  t = make();
  dist::all_reduce(t, dist::ReduceOp::MAX);
  CHECK(t.to_vector() == std::vector<T>{2, -2, 1.5});
  t = make();
  const uint32_t version = t.version();
  dist::all_reduce(t, dist::ReduceOp::MIN);
  CHECK(t.to_vector() == std::vector<T>{1, -4, 0.5});
  CHECK(t.version() == version + 1);  // an in-place write, as backward must see
}

TEST_CASE("distributed: all_reduce of int64, and of an empty or 0-dim tensor") {
  ensure_group();
  const int64_t r = dist::get_rank();
  auto t = et::from_vector(std::vector<int64_t>{10 + r, int64_t{1} << 40}, {2});
  dist::all_reduce(t);
  CHECK(t.to_vector() == std::vector<int64_t>{21, int64_t{1} << 41});
  auto empty = et::zeros({0, 3});
  dist::all_reduce(empty);
  CHECK(empty.numel() == 0);
  auto scalar = et::tensor(2.0f + static_cast<float>(r));
  dist::all_reduce(scalar, dist::ReduceOp::MAX);
  CHECK(scalar.item() == 3.0f);
}

TEST_CASE("distributed: a collective called differently on the ranks throws on every rank, naming each rank's call") {
  ensure_group();
  const int r = dist::get_rank();
  // Shapes differ: rank 0 passes [2, 3], rank 1 passes [3].
  CHECK(error_of([r] { dist::all_reduce(r == 0 ? et::ones({2, 3}) : et::ones({3})); }) ==
        "all_reduce: the processes passed different tensors or arguments (rank 0: float [2, 3] SUM, rank 1: float [3] "
        "SUM); every rank must call it with a tensor of the same shape and type, and the same arguments");
  // Same shape, different operation.
  CHECK(error_of([r] { dist::all_reduce(et::ones({2}), r == 0 ? dist::ReduceOp::SUM : dist::ReduceOp::MAX); }) ==
        "all_reduce: the processes passed different tensors or arguments (rank 0: float [2] SUM, rank 1: float [2] "
        "MAX); every rank must call it with a tensor of the same shape and type, and the same arguments");
  // Different element types.
  CHECK(error_of([r] {
          if (r == 0) dist::all_reduce(et::ones({2}));
          else dist::all_reduce(et::ones({2}).to<double>());
        }) == "all_reduce: the processes passed different tensors or arguments (rank 0: float [2] SUM, rank 1: double "
              "[2] SUM); every rank must call it with a tensor of the same shape and type, and the same arguments");
  // A tensor undefined on one rank.
  CHECK(error_of([r] { dist::all_reduce(r == 0 ? et::ones({2}) : et::Tensor<float>()); }) ==
        "all_reduce: the processes passed different tensors or arguments (rank 0: float [2] SUM, rank 1: float "
        "undefined SUM); every rank must call it with a tensor of the same shape and type, and the same arguments");
  CHECK(error_of([] { dist::broadcast(et::Tensor<float>(), 0); }) == "broadcast: the tensor is undefined");
  // Broadcast from different sources; then a source outside the group, on both.
  CHECK(error_of([r] { dist::broadcast(et::ones({4}), r); }) ==
        "broadcast: the processes passed different tensors or arguments (rank 0: float [4] from rank 0, rank 1: float "
        "[4] from rank 1); every rank must call it with a tensor of the same shape and type, and the same arguments");
  CHECK(error_of([] { dist::broadcast(et::ones({4}), 2); }) == "Invalid root rank: 2 (the group's ranks are 0 to 1)");
  CHECK(error_of([] { dist::all_reduce(et::ones({2}).to<int64_t>(), dist::ReduceOp::AVG); }) ==
        "all_reduce: ReduceOp.AVG needs a floating point tensor, got int64");
  // The group still works after the refusals.
  auto t = et::ones({2});
  dist::all_reduce(t);
  CHECK(t.to_vector() == std::vector<float>{2, 2});
}

TEST_CASE_TEMPLATE("distributed: broadcast copies the source rank's values", T, float, double) {
  ensure_group();
  const int r = dist::get_rank();
  auto t = et::tensor({1.0 + r, 10.0 * r}).template to<T>();
  dist::broadcast(t, 1);
  CHECK(t.to_vector() == std::vector<T>{2, 10});
}

/// A small model for the options checks.
nn::Sequential<float> model_for_options() { return nn::Sequential<float>(nn::Linear(2, 1)); }

/// A model whose initial values depend on the seed.
template <class T>
nn::Sequential<T> small_model(uint64_t seed) {
  et::manual_seed(seed);
  nn::Sequential<T> m(nn::Linear<T>(5, 8), nn::Tanh<T>(), nn::Linear<T>(8, 3));
  return m;
}

TEST_CASE_TEMPLATE("distributed: DistributedDataParallel starts every replica from rank 0's parameters", T, float, double) {
  ensure_group();
  auto model = small_model<T>(100 + static_cast<uint64_t>(dist::get_rank()));
  auto rank0 = small_model<T>(100);
  nn::parallel::DistributedDataParallel ddp(model);
  const auto mine = model.parameters(), expected = rank0.parameters();
  REQUIRE(mine.size() == expected.size());
  for (std::size_t i = 0; i < mine.size(); ++i) CHECK(mine[i].to_vector() == expected[i].to_vector());
  // The wrapper is a module: its child "module", PyTorch's prefixed names and repr.
  const auto names = ddp.named_parameters();
  REQUIRE(names.size() == 4);
  CHECK(names[0].first == "module.0.weight");
  CHECK(names[3].first == "module.2.bias");
  CHECK(ddp.state_dict().size() == 4);
  std::ostringstream repr;
  repr << ddp;
  CHECK(repr.str() ==
        "DistributedDataParallel(\n  (module): Sequential(\n    (0): Linear(in_features=5, out_features=8, bias=True)\n"
        "    (1): Tanh()\n    (2): Linear(in_features=8, out_features=3, bias=True)\n  )\n)");
  CHECK(ddp.module().parameters()[0].data() == model.parameters()[0].data());
}

/// Trains `steps` SGD steps of the small model: under DDP each rank on its half of every global
/// batch, and on every rank the same model alone on the whole batch; returns both parameter lists.
template <class T>
std::pair<std::vector<et::Tensor<T>>, std::vector<et::Tensor<T>>> train_both(int steps, double bucket_cap_mb, bool view,
                                                                              bool set_to_none, bool overlap) {
  const int r = dist::get_rank();
  auto alone = small_model<T>(7);
  auto replica = small_model<T>(7);
  nn::parallel::DistributedDataParallel ddp(
      replica,
      nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(bucket_cap_mb).gradient_as_bucket_view(view).overlap(overlap));
  et::optim::SGD<T> opt_alone(alone.parameters(), et::optim::SGDOptions(0.1).momentum(0.9));
  et::optim::SGD<T> opt_ddp(ddp.parameters(), et::optim::SGDOptions(0.1).momentum(0.9));
  nn::MSELoss<T> loss_fn;
  et::manual_seed(1234);  // the same data on both ranks
  for (int step = 0; step < steps; ++step) {
    const auto x = et::randn({8, 5}).template to<T>(), y = et::randn({8, 3}).template to<T>();
    opt_alone.zero_grad();
    loss_fn(alone(x), y).backward();
    opt_alone.step();
    opt_ddp.zero_grad(set_to_none);
    const auto half = et::arange<int64_t>(4 * r, 4 * r + 4);
    loss_fn(ddp(x.index_select(0, half)), y.index_select(0, half)).backward();
    opt_ddp.step();
  }
  return {alone.parameters(), replica.parameters()};
}

TEST_CASE_TEMPLATE("distributed: two ranks on halves of each batch train as one process on the whole batch", T, float,
                   double) {
  ensure_group();
  // One bucket, a bucket per parameter; gradients copied back or views of the buckets, zeroed to
  // none or in place (then backward accumulates into the bucket itself); non-blocking allreduces
  // overlapped with backward, or blocking ones.
  for (int variant = 0; variant < 16; ++variant) {
    const double cap = variant % 2 == 0 ? 25.0 : 0.0001;
    const bool view = (variant & 2) != 0, set_to_none = (variant & 4) != 0, overlap = (variant & 8) != 0;
    CAPTURE(cap);
    CAPTURE(view);
    CAPTURE(set_to_none);
    CAPTURE(overlap);
    const auto [alone, replica] = train_both<T>(20, cap, view, set_to_none, overlap);
    for (std::size_t i = 0; i < alone.size(); ++i) {
      CAPTURE(i);
      const auto a = alone[i].to_vector(), d = replica[i].to_vector();
      REQUIRE(a.size() == d.size());
      for (std::size_t j = 0; j < a.size(); ++j)
        CHECK(std::abs(a[j] - d[j]) <= (std::is_same_v<T, float> ? 2e-6 : 1e-14) * (1 + std::abs(a[j])));
      CHECK(same_on_all_ranks(replica[i]));  // the replicas end bit for bit equal
    }
  }
}

// The layout PyTorch rebuilds its buckets into after the first step (gradients in reverse
// registration order, the first bucket closing at 1 MB, the others at the cap); PyTorch's first step
// uses another (the forward order cut the same way, then reversed), which changes no value.
TEST_CASE("distributed: buckets in reverse registration order, the first closing at 1 MB, then at the cap") {
  ensure_group();
  // 300x1000 floats = 1.2 MB, 1000 x 40 = 160 kB ...: parameters in registration order
  // 0 w1 [300, 1000], 1 b1 [300], 2 w2 [40, 300], 3 b2 [40], 4 w3 [1000, 40], 5 b3 [1000]
  et::manual_seed(0);
  nn::Sequential<float> model(nn::Linear(1000, 300), nn::ReLU(), nn::Linear(300, 40), nn::ReLU(), nn::Linear(40, 1000));
  nn::parallel::DistributedDataParallel ddp(model, nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(0.1));
  // Reverse: b3 (4 kB), w3 (160 kB), b2, w2 (48 kB), b1, w1 (1.2 MB): the first bucket closes at 1 MB
  // only after w1; so all six share it.
  CHECK(ddp.bucket_indices() == std::vector<std::vector<int64_t>>{{5, 4, 3, 2, 1, 0}});
  nn::Sequential<float> model2(nn::Linear(1000, 300), nn::ReLU(), nn::Linear(300, 1000));
  // 0 w1 1.2 MB, 1 b1, 2 w2 1.2 MB, 3 b2: the first bucket closes after w2 (>= 1 MB); the cap (0.1 MB)
  // closes the next after w1.
  nn::parallel::DistributedDataParallel ddp2(model2, nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(0.1));
  CHECK(ddp2.bucket_indices() == std::vector<std::vector<int64_t>>{{3, 2}, {1, 0}});
  CHECK(error_of([&] { nn::parallel::DistributedDataParallel bad(model2, nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(0)); }) ==
        "bucket_cap_mb must be a positive number of megabytes, got 0.0");
  CHECK(error_of([&] {
          nn::parallel::DistributedDataParallel bad(model2, nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(
                                                                std::numeric_limits<double>::infinity()));
        }) == "bucket_cap_mb must be a positive number of megabytes, got inf");
  // A huge cap is one bucket for everything.
  nn::parallel::DistributedDataParallel ddp3(model2, nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(1e300));
  CHECK(ddp3.bucket_indices() == std::vector<std::vector<int64_t>>{{3, 2}, {1, 0}});
}

TEST_CASE("distributed: no_sync accumulates locally, the next synchronised backward averages the sums") {
  ensure_group();
  const float r = static_cast<float>(dist::get_rank());
  et::manual_seed(3);
  nn::Linear model(3, 1);
  nn::parallel::DistributedDataParallel ddp(model);
  const auto x1 = et::tensor({{1.0 + r, 2.0, 3.0}}), x2 = et::tensor({{0.5, -1.0 - r, 2.0}});
  {
    auto guard = ddp.no_sync();
    ddp(x1).sum().backward();
  }
  // Local only: rank r's weight gradient is x1's row.
  CHECK(model.weight.grad().to_vector() == std::vector<float>{1 + r, 2, 3});
  ddp(x2).sum().backward();
  // (x1 + x2) averaged over the ranks: rank 0 (1.5, 1, 5), rank 1 (2.5, 0, 5) -> (2, 0.5, 5)
  CHECK(model.weight.grad().to_vector() == std::vector<float>{2, 0.5, 5});
  CHECK(model.bias.grad().to_vector() == std::vector<float>{2});
  // Without a DDP forward, a backward is local too.
  model.zero_grad();
  model(x1).sum().backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{1 + r, 2, 3});
}

TEST_CASE("distributed: gradient_as_bucket_view: .grad is the bucket's slot, no_sync accumulates into it") {
  ensure_group();
  const float r = static_cast<float>(dist::get_rank());
  et::manual_seed(3);
  nn::Linear model(3, 1);
  nn::parallel::DistributedDataParallel ddp(
      model, nn::parallel::DistributedDataParallelOptions().gradient_as_bucket_view(true).overlap(true));
  const auto x1 = et::tensor({{1.0 + r, 2.0, 3.0}}), x2 = et::tensor({{0.5, -1.0 - r, 2.0}});
  ddp(x1).sum().backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{1.5, 2, 3});
  const auto first = model.weight.grad();
  model.zero_grad(false);  // zeroes the bucket's slot in place
  CHECK(first.to_vector() == std::vector<float>{0, 0, 0});
  {
    auto guard = ddp.no_sync();
    ddp(x1).sum().backward();  // accumulates into the slot, locally
  }
  CHECK(model.weight.grad().data() == first.data());
  CHECK(model.weight.grad().to_vector() == std::vector<float>{1 + r, 2, 3});
  ddp(x2).sum().backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{2, 0.5, 5});
  CHECK(model.weight.grad().data() == first.data());
  // Zeroed to none, the next gradient is copied into the slot and .grad is the view again.
  model.zero_grad();
  ddp(x2).sum().backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{0.5, -1.5, 2});
  CHECK(model.weight.grad().data() == first.data());
}

/// Two branches; rank 0 uses both, rank 1 only the first (unless use_b_everywhere); the third is
/// used by neither.
struct Branchy : nn::Module<float> {
  nn::Linear<float> a{2, 1}, b{2, 1}, unused{2, 1};
  bool use_b_everywhere = false;
  Branchy() {
    register_module("a", a);
    register_module("b", b);
    register_module("unused", unused);
  }
  et::Tensor<float> forward(const et::Tensor<float>& x) override {
    return et::distributed::get_rank() == 0 || use_b_everywhere ? a(x) + b(x) : a(x);
  }
};

TEST_CASE("distributed: a parameter some ranks did not use is averaged with zeros, one no rank used keeps its .grad") {
  ensure_group();
  Branchy model;
  nn::parallel::DistributedDataParallel ddp(model);
  const float r = static_cast<float>(dist::get_rank());
  ddp(et::tensor({{1.0 + r, 2.0}})).sum().backward();
  // a: rank 0 (1, 2), rank 1 (2, 2) -> (1.5, 2); b: rank 0 (1, 2), rank 1 none -> (0.5, 1)
  CHECK(model.a.weight.grad().to_vector() == std::vector<float>{1.5, 2});
  CHECK(model.b.weight.grad().to_vector() == std::vector<float>{0.5, 1});
  CHECK(model.b.bias.grad().to_vector() == std::vector<float>{0.5});
  CHECK_FALSE(model.unused.weight.grad().defined());
  CHECK_FALSE(model.unused.bias.grad().defined());
  // The next step works as usual.
  model.zero_grad();
  ddp(et::tensor({{1.0, 1.0}})).sum().backward();
  CHECK(model.a.weight.grad().to_vector() == std::vector<float>{1, 1});
}

// What one process would hold had it run both ranks' samples, as PyTorch's reducer sends a
// gradient that a pass did not produce but .grad already holds.
TEST_CASE("distributed: a gradient accumulated earlier is sent by a rank that did not use the parameter this pass") {
  ensure_group();
  for (int variant = 0; variant < 4; ++variant) {
    const bool view = variant % 2 == 1, overlap = variant >= 2;
    CAPTURE(view);
    CAPTURE(overlap);
    Branchy model;
    nn::parallel::DistributedDataParallel ddp(
        model, nn::parallel::DistributedDataParallelOptions().gradient_as_bucket_view(view).overlap(overlap));
    const float r = static_cast<float>(dist::get_rank());
    ddp(et::tensor({{1.0, 1.0}})).sum().backward();  // b: rank 0 (1, 1), rank 1 none -> (0.5, 0.5)
    CHECK(model.b.weight.grad().to_vector() == std::vector<float>{0.5, 0.5});
    // Not zeroed: rank 0's b.grad (0.5, 0.5) + (1, 2); rank 1's stays (0.5, 0.5), and it sends it:
    // ((1.5, 2.5) + (0.5, 0.5)) / 2.
    ddp(et::tensor({{1.0 + r, 2.0}})).sum().backward();
    CHECK(model.b.weight.grad().to_vector() == std::vector<float>{1.0, 1.5});
    CHECK(model.a.weight.grad().to_vector() == std::vector<float>{2.5, 3});  // ((1, 1) + (1, 2) + (1, 1) + (2, 2)) / 2
    CHECK_FALSE(model.unused.weight.grad().defined());
  }
}

TEST_CASE("distributed: a parameter used only under no_sync is averaged at the next synchronised pass") {
  ensure_group();
  Branchy model;
  nn::parallel::DistributedDataParallel ddp(model);
  const float r = static_cast<float>(dist::get_rank());
  model.use_b_everywhere = true;  // ddp.module() is the model itself: the flag reaches the forward
  CHECK(&ddp.module() == &model);
  {
    auto guard = ddp.no_sync();
    ddp(et::tensor({{1.0 + r, 2.0}})).sum().backward();  // b used on both ranks, locally
  }
  model.use_b_everywhere = false;
  ddp(et::tensor({{1.0, 1.0}})).sum().backward();  // b used by rank 0 only
  // rank 0: (1, 2) + (1, 1); rank 1: (2, 2): averaged (3, 3.5) / ... = ((2, 3) + (2, 2)) / 2
  CHECK(model.b.weight.grad().to_vector() == std::vector<float>{2, 2.5});
  CHECK(same_on_all_ranks(model.b.weight.grad()));
}

/// A module whose forward takes two tensors.
struct TwoInputs : nn::Module<float> {
  nn::Linear<float> fc{2, 1};
  TwoInputs() { register_module("fc", fc); }
  et::Tensor<float> forward(const et::Tensor<float>& x, const et::Tensor<float>& y) { return fc(x) * y; }
};

TEST_CASE("distributed: DistributedDataParallel passes any arguments to the module's forward") {
  ensure_group();
  TwoInputs model;
  nn::parallel::DistributedDataParallel ddp(model);
  const float r = static_cast<float>(dist::get_rank());
  ddp(et::tensor({{1.0, 2.0}}), et::tensor({{1.0 + r}})).sum().backward();
  CHECK(model.fc.weight.grad().to_vector() == std::vector<float>{1.5, 3});  // ((1, 2) * 1 + (1, 2) * 2) / 2
  // A temporary module is kept by the wrapper.
  et::manual_seed(1);
  nn::parallel::DistributedDataParallel owned(nn::Linear(2, 1));
  owned(et::ones({1, 2})).sum().backward();
  CHECK(owned.module().weight.grad().to_vector() == std::vector<float>{1, 1});
}

TEST_CASE("distributed: a float <-> double conversion inside the graph does not end the synchronised pass early") {
  ensure_group();
  et::manual_seed(4);
  nn::Linear model(2, 1);
  nn::parallel::DistributedDataParallel ddp(model);
  const float r = static_cast<float>(dist::get_rank());
  const auto out = ddp(et::tensor({{1.0 + r, 2.0}}));
  // Two conversions: each runs a backward of its own on the float graph, nested in the double one.
  (out.to<double>().sum() + out.to<double>().sum()).backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{3, 4});  // 2 * ((1, 2) + (2, 2)) / 2
  CHECK(same_on_all_ranks(model.weight.grad()));
}

TEST_CASE("distributed: each forward copies rank 0's buffers (BatchNorm's running statistics) to every rank") {
  ensure_group();
  const float r = static_cast<float>(dist::get_rank());
  et::manual_seed(5);
  nn::Sequential<float> model(nn::Linear(2, 2), nn::BatchNorm1d(2));
  nn::parallel::DistributedDataParallel ddp(model);
  const auto x = et::tensor({{1.0 + r, 2.0}, {3.0, -1.0 * r}, {0.0, 1.0}});
  ddp(x).sum().backward();  // each rank updates its running statistics from its own batch
  const auto mean_after_first = model.buffers()[0].clone();
  CHECK_FALSE(same_on_all_ranks(mean_after_first));
  auto rank0_mean = mean_after_first.clone();
  dist::broadcast(rank0_mean, 0);
  ddp.eval();
  ddp(x);  // no update in eval mode: what is left is the copy of rank 0's buffers before running
  for (const auto& b : model.buffers()) CHECK(same_on_all_ranks(b));
  CHECK(model.buffers()[0].to_vector() == rank0_mean.to_vector());
  // Without broadcast_buffers each rank keeps its own.
  nn::Sequential<float> own(nn::Linear(2, 2), nn::BatchNorm1d(2));
  nn::parallel::DistributedDataParallel ddp_own(own, nn::parallel::DistributedDataParallelOptions().broadcast_buffers(false));
  ddp_own(x);
  ddp_own(x);
  CHECK_FALSE(same_on_all_ranks(own.buffers()[0]));
}

TEST_CASE("distributed: models that differ across ranks are refused on every rank") {
  ensure_group();
  const int r = dist::get_rank();
  et::manual_seed(0);
  auto error_count = [&] {
    if (r == 0) {
      nn::Sequential<float> m(nn::Linear(2, 2), nn::Linear(2, 1));
      return error_of([&] { nn::parallel::DistributedDataParallel ddp(m); });
    }
    nn::Sequential<float> m(nn::Linear(2, 1));
    return error_of([&] { nn::parallel::DistributedDataParallel ddp(m); });
  }();
  CHECK(error_count == (r == 0 ? "DDP expects same model across all ranks, but Rank 0 has 4 params, while rank 1 has inconsistent 2 params."
                               : "DDP expects same model across all ranks, but Rank 1 has 2 params, while rank 0 has inconsistent 4 params."));
  auto error_shape = [&] {
    nn::Sequential<float> m(nn::Linear(2, r == 0 ? 3 : 4), nn::Linear(r == 0 ? 3 : 4, 1));
    return error_of([&] { nn::parallel::DistributedDataParallel ddp(m); });
  }();
  CHECK(error_shape == (r == 0 ? "DDP expects same model across all ranks, but a parameter or buffer of rank 1 does not "
                                 "match process 0's (rank 1's error names it)"
                               : "[1]: params[0] in this process with sizes [4, 2] appears not to match sizes of the same "
                                 "param in process 0."));
  nn::Sequential<float> frozen(nn::Linear(2, 1));
  frozen.requires_grad_(false);
  CHECK(error_of([&] { nn::parallel::DistributedDataParallel ddp(frozen); }) ==
        "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.");
  // Refused on one rank only: the other throws too, naming it.
  nn::Sequential<float> half_frozen(nn::Linear(2, 1));
  if (r == 1) half_frozen.requires_grad_(false);
  CHECK(error_of([&] { nn::parallel::DistributedDataParallel ddp(half_frozen); }) ==
        (r == 0 ? "DistributedDataParallel: rank 1 refused its module or options (its own error says why)"
                : "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a "
                  "gradient."));
  // A bias frozen on one rank only.
  nn::Sequential<float> bias_frozen(nn::Linear(2, 1));
  if (r == 1) bias_frozen.parameters()[1].requires_grad_(false);
  CHECK(error_of([&] { nn::parallel::DistributedDataParallel ddp(bias_frozen); }) ==
        (r == 0 ? "DDP expects same model across all ranks, but a parameter or buffer of rank 1 does not match process "
                  "0's (rank 1's error names it)"
                : "DistributedDataParallel: params[1] does not require a gradient in this process (rank 1) but does in "
                  "process 0"));
  // Different options.
  CHECK(error_of([&] {
          nn::parallel::DistributedDataParallel ddp(model_for_options(), nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(r == 0 ? 25 : 1));
        }) == (r == 0 ? "DistributedDataParallel: the processes were given different options (rank 0: bucket_cap_mb "
                        "26214400 bytes, broadcast_buffers 1, gradient_as_bucket_view 0, overlap 0; rank 1: 1048576 bytes, "
                        "1, 0, 0)"
                      : "DistributedDataParallel: the processes were given different options (rank 1: bucket_cap_mb "
                        "1048576 bytes, broadcast_buffers 1, gradient_as_bucket_view 0, overlap 0; rank 0: 26214400 bytes, "
                        "1, 0, 0)"));
  // The group goes on working.
  nn::Sequential<float> fine(nn::Linear(2, 1));
  nn::parallel::DistributedDataParallel ddp(fine);
  CHECK(same_on_all_ranks(fine.parameters()[0]));
}


TEST_CASE("distributed: DistributedSampler takes its replicas and rank from the group") {
  ensure_group();
  et::data::TensorDataset ds(et::arange(10).to<float>());
  et::data::DistributedSampler sampler(ds, et::data::DistributedSamplerOptions().shuffle(false));
  std::vector<int64_t> got;
  for (int64_t i : sampler) got.push_back(i);
  CHECK(got == (dist::get_rank() == 0 ? std::vector<int64_t>{0, 2, 4, 6, 8} : std::vector<int64_t>{1, 3, 5, 7, 9}));
}


TEST_CASE("world1: in a world of one process the collectives return their input and DDP trains alone" * doctest::test_suite("world1")) {
  ensure_group(1);
  CHECK(dist::get_rank() == 0);
  auto t = et::tensor({1.5, -2.0});
  dist::all_reduce(t);
  CHECK(t.to_vector() == std::vector<float>{1.5, -2});
  dist::all_reduce(t, dist::ReduceOp::AVG);
  CHECK(t.to_vector() == std::vector<float>{1.5, -2});
  dist::broadcast(t, 0);
  CHECK(error_of([&] { dist::broadcast(t, 1); }) == "Invalid root rank: 1 (the group's ranks are 0 to 0)");
  dist::barrier();
  et::manual_seed(2);
  nn::Linear model(2, 1);
  nn::parallel::DistributedDataParallel ddp(model);
  ddp(et::tensor({{1.0, 3.0}})).sum().backward();
  CHECK(model.weight.grad().to_vector() == std::vector<float>{1, 3});
}

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (dist::is_initialized()) {
    // A rank whose tests failed must not leave the other waiting: agree on the outcome first.
    int failed = result != 0 ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    dist::destroy_process_group();
    return failed != 0 ? 1 : 0;
  }
  return result;
}
