// A per-thread cache of freed memory blocks, by size class. Training repeats the same step, so the
// step's tensors, graph nodes and buffers come back at the same sizes every time: after the first
// step they are served from this cache instead of the system allocator.
// Blocks above 4 MiB are kept too, a few (kLargeSlots, kLargeBytes in all), and served again only
// for a request of the same size: a large step (a [4096, 1000] loss) would otherwise hand its
// buffers back to the system every step and fault their pages in again on the next.
// NOTE: each thread keeps at most kMaxCached blocks per class, so the cache's size stays bounded;
// a block freed on another thread than it came from joins that thread's cache, or goes back to the
// system if that thread never allocated (has no cache) or is exiting.
#pragma once

#include <array>
#include <cstddef>  // size_t, max_align_t
#include <cstdint>  // uintptr_t
#include <cstdlib>  // aligned_alloc, free
#include <limits>
#include <memory>   // allocate_shared
#include <new>      // operator new with alignment, bad_alloc
#include <type_traits>
#include <utility>  // forward

#if defined(__linux__)
#include <sys/mman.h>  // madvise, MADV_HUGEPAGE
#endif

namespace eigentorch::detail::pool {

inline constexpr std::size_t kAlign = 64;          // a cache line; enough for AVX-512 loads
inline constexpr std::size_t kMaxPooled = 1 << 22;  // larger blocks go straight to the system
inline constexpr int kMaxCached = 256;
inline constexpr int kLargeSlots = 4;                   // large blocks kept per thread
inline constexpr std::size_t kLargeBytes = 1ull << 27;  // 128 MiB of them at most

/// Size class of a request: multiples of 64 bytes up to 1 KiB, then powers of two.
inline int size_class(std::size_t bytes) {
  if (bytes <= 1024) return static_cast<int>((bytes + 63) / 64);  // 0..16
  int c = 17;
  for (std::size_t cap = 2048; cap < bytes; cap <<= 1) ++c;
  return c;
}
inline std::size_t class_bytes(int c) {
  if (c <= 16) return static_cast<std::size_t>(c) * 64;
  return std::size_t(2048) << (c - 17);
}
inline constexpr int kClasses = 17 + 12;  // up to 4 MiB

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  std::array<FreeBlock*, kClasses> head{};
  std::array<int, kClasses> count{};
  std::array<void*, kLargeSlots> large{};             // kept large blocks, oldest first
  std::array<std::size_t, kLargeSlots> large_size{};  // their sizes, as requested
  int large_count = 0;
  std::size_t large_total = 0;
  /// Removes kept large block i (the later ones move down) and returns it.
  void* take_large(int i) {
    void* p = large[i];
    large_total -= large_size[i];
    for (int j = i; j + 1 < large_count; ++j) {
      large[j] = large[j + 1];
      large_size[j] = large_size[j + 1];
    }
    large[--large_count] = nullptr;
    return p;
  }
  ~Cache();
};

/// This thread's cache state: 0 not made yet, 1 alive, 2 destroyed (thread exit), after which
/// blocks go straight to the system.
inline int& state() {
  thread_local int s = 0;  // trivially destructible: readable until the thread ends
  return s;
}

/// This thread's cache once made and while alive, else null. A plain pointer, so the hot path
/// reads it without the guard a thread_local object with a destructor needs.
inline Cache*& live_cache() {
  thread_local Cache* p = nullptr;
  return p;
}

inline Cache* make_cache() {
  if (state() == 2) return nullptr;
  thread_local Cache c;
  state() = 1;
  live_cache() = &c;
  return &c;
}

// NOTE: blocks come from C's aligned_alloc, which can fail by returning null (then we throw
// std::bad_alloc, which Tensor turns into eigentorch::Error); a sanitizer's operator new would
// abort the process on an impossible request instead.
inline void* system_allocate(std::size_t bytes) {
  if (bytes > std::numeric_limits<std::size_t>::max() - kAlign) throw std::bad_alloc();
  void* p = std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // NOTE: a large block asks for transparent huge pages (the kernel's `madvise` mode gives them only
  // when asked): its first touch then faults 2 MiB at a time instead of 4 KiB. Loading a 100 MB
  // safetensors file into fresh storage went from 50 to 14 ms. Only whole 2 MiB pages inside the
  // block are advised; a refusal changes nothing.
  if (bytes > kMaxPooled) {
    constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
    const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  return p;
}
inline void system_free(void* p) { std::free(p); }

inline Cache::~Cache() {
  state() = 2;
  live_cache() = nullptr;
  for (void* p : large) system_free(p);
  for (int c = 0; c < kClasses; ++c)
    while (head[c]) {
      FreeBlock* b = head[c];
      head[c] = b->next;
      system_free(b);
    }
}

/// A block of at least `bytes` bytes, aligned to kAlign.
inline void* allocate(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  Cache* cc = live_cache();
  if (!cc && !(cc = make_cache())) return system_allocate(bytes);
  if (bytes > kMaxPooled) {
    for (int i = cc->large_count - 1; i >= 0; --i)  // the latest kept of this size
      if (cc->large_size[i] == bytes) return cc->take_large(i);
    return system_allocate(bytes);
  }
  const int c = size_class(bytes);
  if (FreeBlock* b = cc->head[c]) {
    cc->head[c] = b->next;
    --cc->count[c];
    return b;
  }
  return system_allocate(class_bytes(c));
}

/// Returns a block from allocate(bytes) with the same `bytes`.
inline void deallocate(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  if (bytes == 0) bytes = 1;
  Cache* cc = live_cache();
  if (!cc) {  // this thread's cache is gone or was never made
    system_free(p);
    return;
  }
  if (bytes > kMaxPooled) {
    if (bytes > kLargeBytes) {
      system_free(p);
      return;
    }
    while (cc->large_count == kLargeSlots || cc->large_total + bytes > kLargeBytes)
      system_free(cc->take_large(0));  // the oldest kept make room
    cc->large[cc->large_count] = p;
    cc->large_size[cc->large_count++] = bytes;
    cc->large_total += bytes;
    return;
  }
  const int c = size_class(bytes);
  if (cc->count[c] >= kMaxCached) {
    system_free(p);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = cc->head[c];
  cc->head[c] = b;
  ++cc->count[c];
}

}  // namespace eigentorch::detail::pool

namespace eigentorch::detail {

/// A standard allocator over the pool, for containers and std::allocate_shared.
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() noexcept = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(pool::allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { pool::deallocate(p, n * sizeof(T)); }
  /// Default-initialises (a float is left unset): containers of numbers are filled by their owner.
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const PoolAllocator<U>&) const noexcept { return false; }
};

/// std::make_shared, with the object and its control block from the pool.
template <class T, class... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>(), std::forward<Args>(args)...);
}

}  // namespace eigentorch::detail
