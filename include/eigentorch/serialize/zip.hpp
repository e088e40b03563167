// The zip container torch.save writes (PyTorch's inline_container over miniz): stored (never
// compressed) records, each record's data 64-byte aligned by an "FB" extra field of 'Z' padding in its
// local header, a data descriptor after each record, a zip64 end of central directory. ZipReader
// checks a file against all of that before any record is read: the end-of-central-directory search,
// zip64 locator and records, each central directory entry against its local header, duplicate names,
// records out of range or overlapping; a record is then read straight into the caller's memory and its
// CRC-32 checked. ZipWriter writes what PyTorch 1.13 writes, byte for byte.
#pragma once

#include "dtype.hpp"  // le16, le32, le64
#include "file.hpp"

#include <algorithm>    // sort
#include <array>
#include <cstddef>      // size_t
#include <cstdint>      // uint16_t, uint32_t, uint64_t
#include <cstdio>       // snprintf
#include <functional>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <smmintrin.h>  // SSE4.1: _mm_extract_epi32 (not <immintrin.h>: 0.4 s more to parse in every program)
#include <wmmintrin.h>  // PCLMULQDQ: _mm_clmulepi64_si128
#define EIGENTORCH_CRC32_CLMUL 1
#endif

namespace eigentorch::serialize {

namespace detail {

/// The CRC-32 tables of the zip polynomial (0xEDB88320, reflected), for slicing by 8 bytes.
inline const std::array<std::array<uint32_t, 256>, 8>& crc32_tables() {
  static const auto tables = [] {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
  }();
  return tables;
}

/// Little-endian fields appended to a byte buffer.
struct LeBytes {
  std::vector<unsigned char> bytes;
  void u16(uint64_t v) { put(v, 2); }
  void u32(uint64_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  void text(const std::string& s) { bytes.insert(bytes.end(), s.begin(), s.end()); }
};

inline std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

#if EIGENTORCH_CRC32_CLMUL
// CRC-32 by carry-less multiplication (Intel's "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ"; the constants are powers of x modulo zip's polynomial, bit-reflected): four 128-bit lanes
// fold 64 bytes a step, then one lane, then 128 -> 64 bits and a Barrett reduction to 32. About 4 GB/s
// where the tables do 1.4.
__attribute__((target("pclmul,sse4.1"), always_inline)) inline __m128i crc32_fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}
/// The register after n bytes (n >= 64, a multiple of 16) from register c (inverted, as in the tables' loop).
__attribute__((target("pclmul,sse4.1"))) inline uint32_t crc32_clmul(const unsigned char* p, std::size_t n, uint32_t c) {
  const __m128i k12 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k34 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);  // mu, P
  auto load = [](const unsigned char* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
    x0 = crc32_fold(x0, k12, load(p));
    x1 = crc32_fold(x1, k12, load(p + 16));
    x2 = crc32_fold(x2, k12, load(p + 32));
    x3 = crc32_fold(x3, k12, load(p + 48));
  }
  __m128i r = crc32_fold(crc32_fold(crc32_fold(x0, k34, x1), k34, x2), k34, x3);
  for (; n >= 16; p += 16, n -= 16) r = crc32_fold(r, k34, load(p));
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  r = _mm_xor_si128(_mm_srli_si128(r, 8), _mm_clmulepi64_si128(r, k34, 0x10));
  r = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(r, low32), k5, 0x00), _mm_srli_si128(r, 4));
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(r, low32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(r, t), 1));
}
inline bool has_clmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}
#endif

}  // namespace detail

/// The CRC-32 of n bytes (zip's), continuing from `crc` (0 to start).
inline uint32_t crc32(const void* data, std::size_t n, uint32_t crc = 0) {
  const auto& t = detail::crc32_tables();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
#if EIGENTORCH_CRC32_CLMUL
  if (n >= 64 && detail::has_clmul()) {
    const std::size_t bulk = n & ~std::size_t(15);
    c = detail::crc32_clmul(p, bulk, c);
    p += bulk;
    n -= bulk;
  }
#endif
  for (; n >= 8; n -= 8, p += 8) {
    const uint32_t lo = detail::le32(p) ^ c, hi = detail::le32(p + 4);
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
        t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) c = t[0][(c ^ *p) & 0xFF] ^ (c >> 8);
  return ~c;
}

/// One record of a zip file: its name, where its bytes start in the file and how many there are.
struct ZipEntry {
  std::string name;
  uint64_t header_offset = 0;  // the local header
  uint64_t data_offset = 0;    // the first byte of the record
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

/// A zip file checked whole on opening; records are then looked up by name and read without copies.
// NOTE: a template (on nothing) so that a program that never reads or writes these files compiles none of
// its code: including serialize.hpp then costs parsing only.
template <class = void>
class ZipReader {
 public:
  /// Reads and checks the directory of `src` (which must outlive the reader).
  explicit ZipReader(const Source& src) : src_(src) { open(); }

  const std::vector<ZipEntry>& entries() const { return entries_; }
  /// The record called `name`, or nullptr.
  const ZipEntry* find(const std::string& name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
  }
  /// The record called `name`; throws (PyTorch's words) if there is none.
  const ZipEntry& at(const std::string& name) const {
    if (const ZipEntry* e = find(name)) return *e;
    fail({"file not found: ", name});
  }
  /// Reads a record's e.size bytes into dst and checks its CRC-32.
  void read(const ZipEntry& e, void* dst) const {
    src_.read_at(e.data_offset, dst, static_cast<std::size_t>(e.size));
    const uint32_t crc = crc32(dst, static_cast<std::size_t>(e.size));
    if (crc != e.crc32)
      fail({"record '", e.name, "' fails its CRC-32 check (", detail::hex32(crc), ", the directory says ",
            detail::hex32(e.crc32), ")"});
  }
  /// A record's bytes.
  std::vector<unsigned char> read(const std::string& name) const {
    const ZipEntry& e = at(name);
    std::vector<unsigned char> out(static_cast<std::size_t>(e.size));
    read(e, out.data());
    return out;
  }

 private:
  static constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50,
                            kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
  static constexpr std::size_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64EndSize = 56,
                               kZip64LocatorSize = 20;

  [[noreturn]] void fail(std::initializer_list<eigentorch::detail::MessagePart> parts) const {
    std::string message = "'" + src_.name() + "': ";
    for (const auto& p : parts) p.append_to(message);
    throw Error(message);
  }
  std::vector<unsigned char> bytes(uint64_t offset, std::size_t n) const {
    std::vector<unsigned char> out(n);
    src_.read_at(offset, out.data(), n);
    return out;
  }

  void open() {
    const uint64_t size = src_.size();
    // miniz's words for a file without an end of central directory.
    if (size < kEndSize) fail({"PytorchStreamReader failed reading zip archive: failed finding central directory"});
    // The end record sits at the end, after a comment of at most 65535 bytes: search backwards.
    const std::size_t tail_n = static_cast<std::size_t>(std::min<uint64_t>(size, kEndSize + 0xFFFF));
    const uint64_t tail_at = size - tail_n;
    const std::vector<unsigned char> tail = bytes(tail_at, tail_n);
    std::size_t end_pos = tail_n;  // none yet
    for (std::size_t i = tail_n - kEndSize + 1; i-- > 0;)
      if (detail::le32(&tail[i]) == kEndSig && i + kEndSize + detail::le16(&tail[i + 20]) <= tail_n) {
        end_pos = i;
        break;
      }
    if (end_pos == tail_n) fail({"PytorchStreamReader failed reading zip archive: failed finding central directory"});
    const unsigned char* end = &tail[end_pos];
    const uint64_t end_at = tail_at + end_pos;
    uint64_t disk = detail::le16(end + 4), cd_disk = detail::le16(end + 6);
    uint64_t count_here = detail::le16(end + 8), count = detail::le16(end + 10);
    uint64_t cd_size = detail::le32(end + 12), cd_offset = detail::le32(end + 16);
    uint64_t cd_limit = end_at;  // the directory ends before this
    if (end_at >= kZip64LocatorSize) {
      const std::vector<unsigned char> loc = bytes(end_at - kZip64LocatorSize, kZip64LocatorSize);
      if (detail::le32(loc.data()) == kZip64LocatorSig) {
        const uint64_t z_at = detail::le64(&loc[8]);
        if (detail::le32(&loc[4]) != 0 || detail::le32(&loc[16]) != 1) fail({"multi-disk zip archives are not supported"});
        if (z_at > end_at - kZip64LocatorSize || end_at - kZip64LocatorSize - z_at < kZip64EndSize)
          fail({"the zip64 end of central directory locator points outside the file (offset ", z_at, ")"});
        const std::vector<unsigned char> z = bytes(z_at, kZip64EndSize);
        if (detail::le32(z.data()) != kZip64EndSig) fail({"no zip64 end of central directory record at offset ", z_at});
        disk = detail::le32(&z[16]);
        cd_disk = detail::le32(&z[20]);
        count_here = detail::le64(&z[24]);
        count = detail::le64(&z[32]);
        cd_size = detail::le64(&z[40]);
        cd_offset = detail::le64(&z[48]);
        cd_limit = z_at;
      }
    }
    if (disk != 0 || cd_disk != 0 || count_here != count) fail({"multi-disk zip archives are not supported"});
    if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
      fail({"the zip central directory (offset ", cd_offset, ", ", cd_size, " bytes) runs past its end record (offset ",
            cd_limit, ")"});
    if (count > cd_size / kCentralSize)
      fail({"the zip directory claims ", count, " entries but holds at most ", cd_size / kCentralSize});
    const std::vector<unsigned char> cd = bytes(cd_offset, static_cast<std::size_t>(cd_size));
    entries_.reserve(static_cast<std::size_t>(count));
    std::size_t at = 0;
    for (uint64_t i = 0; i < count; ++i) at = parse_central(cd, at, cd_offset);
    check_layout(cd_offset);
  }

  /// Parses the central directory entry at cd[at]; returns where the next one starts.
  std::size_t parse_central(const std::vector<unsigned char>& cd, std::size_t at, uint64_t cd_offset) {
    if (cd.size() - at < kCentralSize || detail::le32(&cd[at]) != kCentralSig)
      fail({"zip central directory entry ", entries_.size(), " is malformed (offset ", cd_offset + at, ")"});
    const unsigned char* h = &cd[at];
    const uint16_t flags = detail::le16(h + 8), method = detail::le16(h + 10);
    const std::size_t name_n = detail::le16(h + 28), extra_n = detail::le16(h + 30), comment_n = detail::le16(h + 32);
    if (cd.size() - at - kCentralSize < name_n + extra_n + comment_n)
      fail({"zip central directory entry ", entries_.size(), " runs past the directory"});
    ZipEntry e;
    e.name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_n);
    e.crc32 = detail::le32(h + 16);
    uint64_t csize = detail::le32(h + 20), usize = detail::le32(h + 24);
    e.header_offset = detail::le32(h + 42);
    // zip64: the fields that do not fit are 0xFFFFFFFF and come in the extra field 0x0001, in this order.
    const unsigned char* x = h + kCentralSize + name_n;
    bool zip64 = false;
    for (std::size_t k = 0; k + 4 <= extra_n;) {
      const uint16_t id = detail::le16(x + k), n = detail::le16(x + k + 2);
      if (k + 4 + n > extra_n) fail({"zip extra field of '", e.name, "' runs past its entry"});
      if (id == 0x0001) {
        zip64 = true;
        std::size_t p = k + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          if (p + 8 > k + 4 + n) fail({"zip64 extra field of '", e.name, "' is too short"});
          field = detail::le64(x + p);
          p += 8;
        };
        take(usize);
        take(csize);
        take(e.header_offset);
      }
      k += 4 + n;
    }
    if (!zip64 && (usize == 0xFFFFFFFFu || csize == 0xFFFFFFFFu || e.header_offset == 0xFFFFFFFFu))
      fail({"record '", e.name, "' lacks the zip64 extra field its directory entry needs"});
    if (flags & 1) fail({"record '", e.name, "' is encrypted, which torch.save never writes"});
    if (method != 0)
      fail({"record '", e.name, "' is compressed (method ", method,
            "); eigentorch reads stored records only, as torch.save writes them"});
    if (csize != usize) fail({"record '", e.name, "' is stored but its sizes differ (", csize, " and ", usize, ")"});
    e.size = usize;
    if (!index_.emplace(e.name, entries_.size()).second) fail({"the zip directory names '", e.name, "' twice"});
    entries_.push_back(std::move(e));
    return at + kCentralSize + name_n + extra_n + comment_n;
  }

  /// Each local header agrees with its directory entry; records lie before the directory, apart.
  void check_layout(uint64_t cd_offset) {
    for (ZipEntry& e : entries_) {
      if (e.header_offset > cd_offset || cd_offset - e.header_offset < kLocalSize)
        fail({"record '", e.name, "' has its local header outside the file's records (offset ", e.header_offset, ")"});
      unsigned char h[kLocalSize];
      src_.read_at(e.header_offset, h, kLocalSize);
      if (detail::le32(h) != kLocalSig) fail({"no local header for record '", e.name, "' at offset ", e.header_offset});
      const uint16_t flags = detail::le16(h + 6), method = detail::le16(h + 8);
      const std::size_t name_n = detail::le16(h + 26), extra_n = detail::le16(h + 28);
      const uint64_t start = e.header_offset + kLocalSize;
      if (cd_offset - start < name_n + extra_n) fail({"local header of record '", e.name, "' runs into the directory"});
      const std::vector<unsigned char> name = bytes(start, name_n);
      if (std::string(name.begin(), name.end()) != e.name)
        fail({"local header of record '", e.name, "' names '", std::string(name.begin(), name.end()), "'"});
      if (method != 0) fail({"local header of record '", e.name, "' says compressed (method ", method, ")"});
      if (!(flags & 8)) {  // without a data descriptor, the local header carries the sizes and CRC too
        const uint32_t crc = detail::le32(h + 14), csize = detail::le32(h + 18), usize = detail::le32(h + 22);
        const bool zip64 = csize == 0xFFFFFFFFu && usize == 0xFFFFFFFFu;
        if (crc != e.crc32 || (!zip64 && (csize != e.size || usize != e.size)))
          fail({"local header of record '", e.name, "' disagrees with the zip directory"});
      }
      e.data_offset = start + name_n + extra_n;
      if (e.size > cd_offset - e.data_offset)
        fail({"record '", e.name, "' (", e.size, " bytes at offset ", e.data_offset, ") runs into the zip directory"});
    }
    std::vector<const ZipEntry*> order;
    for (const ZipEntry& e : entries_) order.push_back(&e);
    std::sort(order.begin(), order.end(),
              [](const ZipEntry* a, const ZipEntry* b) { return a->header_offset < b->header_offset; });
    for (std::size_t i = 1; i < order.size(); ++i)
      if (order[i - 1]->data_offset + order[i - 1]->size > order[i]->header_offset)
        fail({"records '", order[i - 1]->name, "' and '", order[i]->name, "' overlap"});
  }

  const Source& src_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// Where a ZipWriter's bytes go.
using ZipSink = std::function<void(const void*, std::size_t)>;

/// Writes a zip file as PyTorch's PyTorchStreamWriter (miniz, zip64 on) writes it: stored records with
/// their data at multiples of 64 bytes, a data descriptor after each, the central directory, then the
/// zip64 end record, its locator and the end record. Bytes go to `sink` in order.
template <class = void>  // (see ZipReader)
class ZipWriter {
 public:
  using Sink = ZipSink;
  explicit ZipWriter(Sink sink) : sink_(std::move(sink)) {}

  /// Appends a stored record.
  void add(const std::string& name, const void* data, std::size_t n) {
    if (finished_) eigentorch::detail::fail({"ZipWriter: add('", name, "') after finish()"});
    if (name.size() > 0xFFFF) eigentorch::detail::fail({"ZipWriter: record name too long: ", name});
    const uint64_t at = pos_, size = n;
    const bool big = size >= 0xFFFFFFFFu, far = at >= 0xFFFFFFFFu;
    // PyTorch's getPadding: the data starts at the next multiple of 64 after the header, its name, a
    // zip64 extra field if one is needed, and the 4 bytes of the "FB" field's own header.
    uint64_t start = at + 30 + name.size() + 4;
    if (big || far) start += 4 + (big ? 16 : 0) + (far ? 8 : 0);
    const uint64_t pad = (64 - start % 64) % 64;
    detail::LeBytes h;
    h.u32(0x04034b50);
    h.u16(0);       // version needed (miniz writes 0)
    // A data descriptor follows the data, except after an empty record (miniz's); the name is UTF-8.
    const uint16_t flags = n ? 0x0808 : 0x0800;
    h.u16(flags);
    h.u16(0);       // stored
    h.u16(0);       // time
    h.u16(0);       // date
    h.u32(0);       // crc, sizes: in the data descriptor
    h.u32(big ? 0xFFFFFFFFu : 0);
    h.u32(big ? 0xFFFFFFFFu : 0);
    h.u16(name.size());
    const std::size_t zip64_n = (big || far) ? 4 + (big ? 16 : 0) + (far ? 8 : 0) : 0;
    h.u16(zip64_n + 4 + pad);
    h.text(name);
    if (zip64_n) {
      h.u16(0x0001);
      h.u16(zip64_n - 4);
      if (big) {
        h.u64(size);
        h.u64(size);
      }
      if (far) h.u64(at);
    }
    h.bytes.push_back('F');
    h.bytes.push_back('B');
    h.u16(pad);
    h.bytes.insert(h.bytes.end(), static_cast<std::size_t>(pad), 'Z');
    emit(h.bytes.data(), h.bytes.size());
    const uint32_t crc = crc32(data, n);
    emit(data, n);
    records_.push_back({name, at, 0, size, crc});
    if (!n) return;
    detail::LeBytes d;
    d.u32(0x08074b50);
    d.u32(crc);
    if (big) {
      d.u64(size);
      d.u64(size);
    } else {
      d.u32(size);
      d.u32(size);
    }
    emit(d.bytes.data(), d.bytes.size());
  }

  /// Writes the central directory and the end records. Nothing may be added afterwards.
  void finish() {
    if (finished_) return;
    finished_ = true;
    const uint64_t cd_offset = pos_;
    detail::LeBytes c;
    for (const ZipEntry& r : records_) {
      const bool big = r.size >= 0xFFFFFFFFu, far = r.header_offset >= 0xFFFFFFFFu;
      c.u32(0x02014b50);
      c.u16(0);  // made by
      c.u16(0);  // needed
      c.u16(r.size ? 0x0808 : 0x0800);
      c.u16(0);
      c.u16(0);
      c.u16(0);
      c.u32(r.crc32);
      c.u32(big ? 0xFFFFFFFFu : r.size);
      c.u32(big ? 0xFFFFFFFFu : r.size);
      c.u16(r.name.size());
      const std::size_t zip64_n = (big || far) ? 4 + (big ? 16 : 0) + (far ? 8 : 0) : 0;
      c.u16(zip64_n);
      c.u16(0);  // comment
      c.u16(0);  // disk
      c.u16(0);  // internal attributes
      c.u32(0);  // external attributes
      c.u32(far ? 0xFFFFFFFFu : r.header_offset);
      c.text(r.name);
      if (zip64_n) {
        c.u16(0x0001);
        c.u16(zip64_n - 4);
        if (big) {
          c.u64(r.size);
          c.u64(r.size);
        }
        if (far) c.u64(r.header_offset);
      }
    }
    const uint64_t cd_size = c.bytes.size(), n = records_.size();
    const uint64_t z_at = cd_offset + cd_size;
    c.u32(0x06064b50);  // zip64 end of central directory
    c.u64(44);
    c.u16(0x031e);  // made by: unix, 3.0 (miniz's)
    c.u16(0x002d);  // needed: 4.5
    c.u32(0);
    c.u32(0);
    c.u64(n);
    c.u64(n);
    c.u64(cd_size);
    c.u64(cd_offset);
    c.u32(0x07064b50);  // its locator
    c.u32(0);
    c.u64(z_at);
    c.u32(1);
    c.u32(0x06054b50);  // end of central directory
    c.u16(0);
    c.u16(0);
    c.u16(std::min<uint64_t>(n, 0xFFFF));
    c.u16(std::min<uint64_t>(n, 0xFFFF));
    c.u32(std::min<uint64_t>(cd_size, 0xFFFFFFFFu));
    c.u32(std::min<uint64_t>(cd_offset, 0xFFFFFFFFu));
    c.u16(0);
    emit(c.bytes.data(), c.bytes.size());
  }

  uint64_t bytes_written() const { return pos_; }

 private:
  void emit(const void* p, std::size_t n) {
    if (n) sink_(p, n);
    pos_ += n;
  }

  Sink sink_;
  uint64_t pos_ = 0;
  bool finished_ = false;
  std::vector<ZipEntry> records_;
};

}  // namespace eigentorch::serialize
