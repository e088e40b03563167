// Tests for backend/pool.hpp (the per-thread block cache) and the one-block storage of tensor.hpp.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // find
#include <cstdint>  // uintptr_t
#include <set>
#include <thread>
#include <vector>

namespace {

namespace pool = eigentorch::detail::pool;

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST_CASE("pool: size classes are 64-byte steps up to 1 KiB, then powers of two, each big enough") {
  CHECK(pool::size_class(1) == 1);
  CHECK(pool::size_class(64) == 1);
  CHECK(pool::size_class(65) == 2);
  CHECK(pool::size_class(1024) == 16);
  CHECK(pool::size_class(1025) == 17);
  CHECK(pool::class_bytes(17) == 2048);
  CHECK(pool::size_class(2049) == 18);
  for (std::size_t bytes : {1u, 63u, 64u, 65u, 1000u, 1024u, 1025u, 4096u, 5000u, 1u << 20})
    CHECK(pool::class_bytes(pool::size_class(bytes)) >= bytes);
}

TEST_CASE("pool: blocks are 64-byte aligned, and a freed block serves the next request of its class") {
  std::vector<void*> blocks;
  for (std::size_t bytes : {1u, 40u, 64u, 100u, 1024u, 3000u, 70000u}) {
    void* p = pool::allocate(bytes);
    CHECK(aligned64(p));
    blocks.push_back(p);
  }
  void* a = pool::allocate(200);
  pool::deallocate(a, 200);
  void* b = pool::allocate(230);  // same class (193 to 256 bytes): the block just freed
  CHECK(b == a);
  pool::deallocate(b, 230);
  const std::size_t sizes[] = {1u, 40u, 64u, 100u, 1024u, 3000u, 70000u};
  for (std::size_t i = 0; i < blocks.size(); ++i) pool::deallocate(blocks[i], sizes[i]);
}

TEST_CASE("pool: requests above the pooled limit go to the system and come back whole") {
  const std::size_t big = pool::kMaxPooled + 1;
  auto* p = static_cast<unsigned char*>(pool::allocate(big));
  CHECK(aligned64(p));
  p[0] = 1;
  p[big - 1] = 2;  // the whole block is usable (AddressSanitizer checks it in the asan preset)
  pool::deallocate(p, big);
}

TEST_CASE("pool: blocks freed on a thread that never allocated, and threads that exit, lose nothing") {
  std::vector<void*> made;
  for (int i = 0; i < 100; ++i) made.push_back(pool::allocate(256));
  std::thread([&] {
    for (void* p : made) pool::deallocate(p, 256);  // this thread has no cache: back to the system
  }).join();
  std::thread([] {
    std::vector<void*> mine;
    for (int i = 0; i < 300; ++i) mine.push_back(pool::allocate(128));
    for (void* p : mine) pool::deallocate(p, 128);  // cached (at most kMaxCached), freed at thread exit
  }).join();
  CHECK(made.size() == 100);  // LeakSanitizer, in the asan preset, reports any block lost above
}

TEST_CASE_TEMPLATE("storage: a tensor's elements are 64-byte aligned and every one is usable", T, float, double) {
  for (int64_t n : {0, 1, 7, 16, 143, 1000, 300000}) {
    CAPTURE(n);
    eigentorch::Tensor<T> t({n}, eigentorch::detail::uninitialized);
    CHECK(aligned64(t.data()));
    for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<T>(i);
    if (n > 0) CHECK(t.data()[n - 1] == static_cast<T>(n - 1));
  }
  // Distinct tensors never share elements.
  eigentorch::Tensor<T> a({5}), b({5});
  CHECK(a.data() != b.data());
  std::set<const T*> seen;
  std::vector<eigentorch::Tensor<T>> keep;
  for (int i = 0; i < 50; ++i) {
    keep.emplace_back(eigentorch::Size{3});
    CHECK(seen.insert(keep.back().data()).second);
  }
}

}  // namespace

TEST_CASE("pool: a few freed large blocks are kept and served again for the same size only") {
  const std::size_t big = std::size_t(8) << 20;  // above kMaxPooled
  void* a = pool::allocate(big);
  pool::deallocate(a, big);
  CHECK(pool::allocate(big) == a);  // the kept block, no system call (and no page faults)
  void* b = pool::allocate(big + 64);
  CHECK(b != a);
  pool::deallocate(a, big);
  pool::deallocate(b, big + 64);
  CHECK(pool::allocate(big + 64) == b);
  // At most kLargeSlots blocks and kLargeBytes are kept: the oldest make room for newer ones.
  std::vector<void*> blocks;
  for (int i = 0; i < pool::kLargeSlots + 2; ++i) blocks.push_back(pool::allocate(big));
  for (void* p : blocks) pool::deallocate(p, big);
  std::vector<void*> again;
  for (int i = 0; i < pool::kLargeSlots + 2; ++i) again.push_back(pool::allocate(big));
  int reused = 0;
  for (void* p : again) reused += std::find(blocks.begin(), blocks.end(), p) != blocks.end();
  CHECK(reused >= pool::kLargeSlots - 1);  // the newest kept (the allocator may also reuse freed ones)
  for (void* p : again) pool::deallocate(p, big);
  pool::deallocate(b, big + 64);
  const pool::Cache* cc = pool::live_cache();
  REQUIRE(cc);
  CHECK(cc->large_count == pool::kLargeSlots);
  CHECK(cc->large_total <= pool::kLargeBytes);
  void* huge = pool::allocate(pool::kLargeBytes + 64);  // more than the whole budget: not kept
  pool::deallocate(huge, pool::kLargeBytes + 64);
  CHECK(cc->large_count == pool::kLargeSlots);
  for (int i = 0; i < cc->large_count; ++i) CHECK(cc->large[static_cast<std::size_t>(i)] != huge);
}
