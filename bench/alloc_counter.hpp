// Heap allocation counting for the benchmark binary: replaces the global operator new/delete (every
// form) and interposes glibc's malloc family, so that a timed step can report how often it went to
// the heap. Include from exactly one translation unit.
//
// Two counts, because eigentorch's tensor storage uses Eigen::aligned_allocator, which calls
// std::malloc and never operator new: `news` counts operator new calls, `mallocs` every
// malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign call that did not come from our own
// operator new. Their sum is the number of heap allocations.
#pragma once

#include <atomic>   // std::atomic
#include <cstddef>  // std::size_t
#include <cstdint>  // uint64_t
#include <cerrno>   // EINVAL, ENOMEM
#include <new>      // std::bad_alloc, std::align_val_t, std::nothrow_t

namespace bench {

struct AllocCount {
  uint64_t news = 0;
  uint64_t mallocs = 0;
  uint64_t total() const { return news + mallocs; }
};

namespace detail {
inline std::atomic<uint64_t> g_news{0};
inline std::atomic<uint64_t> g_mallocs{0};
}  // namespace detail

/// The counts since the program started; subtract two snapshots to count a region.
inline AllocCount alloc_snapshot() {
  return {detail::g_news.load(std::memory_order_relaxed), detail::g_mallocs.load(std::memory_order_relaxed)};
}

inline AllocCount operator-(const AllocCount& a, const AllocCount& b) {
  return {a.news - b.news, a.mallocs - b.mallocs};
}
inline AllocCount operator+(const AllocCount& a, const AllocCount& b) {
  return {a.news + b.news, a.mallocs + b.mallocs};
}

}  // namespace bench

// ---- glibc's allocator, reached without recursion ---------------------------------------------------
extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
void __libc_free(void*) noexcept;
}

#ifndef EIGENTORCH_BENCH_NO_MALLOC_HOOK
// NOTE: an executable that defines malloc interposes it for every shared library too (libtorch,
// libgomp, OpenBLAS): all of them then count, which is why counts are taken around one library's
// timed loop only. Everything forwards to glibc, so memory from any entry point may be freed by any.
extern "C" {
void* malloc(std::size_t n) noexcept {
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) noexcept {
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) noexcept {
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) noexcept {
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) noexcept {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  bench::detail::g_mallocs.fetch_add(1, std::memory_order_relaxed);
  void* p = __libc_memalign(align, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) noexcept { __libc_free(p); }
}
#endif

// ---- operator new / delete ---------------------------------------------------------------------------
namespace bench::detail {
inline void* counted_new(std::size_t n, std::size_t align) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  void* p = align <= alignof(std::max_align_t) ? __libc_malloc(n) : __libc_memalign(align, n);
  return p;
}
inline void* counted_new_or_throw(std::size_t n, std::size_t align) {
  void* p = counted_new(n, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace bench::detail

void* operator new(std::size_t n) { return bench::detail::counted_new_or_throw(n, 0); }
void* operator new[](std::size_t n) { return bench::detail::counted_new_or_throw(n, 0); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return bench::detail::counted_new(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return bench::detail::counted_new(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return bench::detail::counted_new_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return bench::detail::counted_new_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return bench::detail::counted_new(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return bench::detail::counted_new(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { __libc_free(p); }
