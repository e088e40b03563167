// serialize/zip.hpp: torch.save's zip files read (records 64-byte aligned, found by name, CRC-checked),
// zips by Python's zipfile read too, the writer reproducing torch.save's bytes, and each way a zip's
// directory can lie refused with its message.
#include <eigentorch/serialize/torch_file.hpp>
#include <eigentorch/serialize/zip.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_pt_cases.hpp"
#include "serialize/pt_test_util.hpp"
#include "serialize/serialize_test_util.hpp"

#include <sys/mman.h>  // mmap

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace et = eigentorch;
namespace ser = eigentorch::serialize;
using et::testing::pt_fixture;
using et::testing::read_bytes;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes two_records(const std::string& x = "hello", const std::string& y = "world!!") {
  Bytes out;
  ser::ZipWriter zip([&](const void* p, std::size_t n) {
    out.insert(out.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
  });
  zip.add("a/x", x.data(), x.size());
  zip.add("a/y", y.data(), y.size());
  zip.finish();
  return out;
}

void put(Bytes& b, std::size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
}

/// Where the parts of two_records() are: the central directory, its two entries, the zip64 end record.
struct Layout {
  std::size_t cd, cd1, z64, locator, end;
};
Layout layout(const Bytes& b) {
  Layout l;
  l.end = b.size() - 22;
  l.locator = l.end - 20;
  l.z64 = l.locator - 56;
  l.cd = static_cast<std::size_t>(ser::detail::le64(&b[l.z64 + 48]));
  l.cd1 = l.cd + 46 + 3;
  return l;
}

void read_all(const Bytes& b) {
  const ser::MemorySource src(b.data(), b.size());
  const ser::ZipReader zip(src);
  for (const auto& e : zip.entries()) zip.read(e.name);
}

}  // namespace

TEST_CASE("serialize zip: crc32 is zip's") {
  const std::string check = "123456789";
  CHECK(ser::crc32(check.data(), check.size()) == 0xCBF43926u);
  CHECK(ser::crc32("", 0) == 0u);
  std::vector<unsigned char> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7 + 3);
  const uint32_t whole = ser::crc32(data.data(), data.size());
  uint32_t parts = 0;
  for (std::size_t i = 0; i < data.size(); i += 13) parts = ser::crc32(&data[i], std::min<std::size_t>(13, data.size() - i), parts);
  CHECK(parts == whole);
  // every length through both paths (the tables; carry-less multiplication from 64 bytes) against the
  // definition, one bit at a time
  auto bitwise = [&](const unsigned char* p, std::size_t n, uint32_t start) {
    uint32_t c = ~start;
    for (std::size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
  };
  for (std::size_t n = 0; n <= 300; ++n) {
    CAPTURE(n);
    CHECK(ser::crc32(data.data(), n) == bitwise(data.data(), n, 0));
    CHECK(ser::crc32(data.data() + 1, n, 0x1234u) == bitwise(data.data() + 1, n, 0x1234u));  // unaligned, continued
  }
}

TEST_CASE("serialize zip: torch.save's archive: records by name, 64-byte aligned, written again byte for byte") {
  for (const char* name : {"adam.pt", "dtypes.pt", "checkpoint.pt"}) {
    CAPTURE(std::string(name));
    const Bytes file = read_bytes(pt_fixture(name));
    const ser::MemorySource src(file.data(), file.size());
    const ser::ZipReader zip(src);
    const std::string prefix = ser::detail::torch_archive_name(name) + "/";
    REQUIRE(zip.entries().size() >= 3);
    CHECK(zip.entries().front().name == prefix + "data.pkl");
    CHECK(zip.entries().back().name == prefix + "version");
    for (const auto& e : zip.entries()) CHECK(e.data_offset % 64 == 0);
    const Bytes version = zip.read(prefix + "version");
    CHECK(std::string(version.begin(), version.end()) == "3\n");
    CHECK(zip.find(prefix + "nothing") == nullptr);
    CHECK_THROWS_WITH_AS(zip.at(prefix + "nothing"), ("'<memory>': file not found: " + prefix + "nothing").c_str(), et::Error);
    Bytes again;
    ser::ZipWriter w([&](const void* p, std::size_t n) {
      again.insert(again.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
    });
    for (const auto& e : zip.entries()) {
      const Bytes data = zip.read(e.name);
      w.add(e.name, data.data(), data.size());
    }
    w.finish();
    CHECK(again == file);
    CHECK(w.bytes_written() == file.size());
  }
}

TEST_CASE("serialize zip: a zip written by Python's zipfile reads, a deflated one is refused by name") {
  CHECK(et::testing::canon(ser::load_pt(pt_fixture("repacked.pt"))) ==
        et::testing::canon(ser::load_pt(pt_fixture("state_dict.pt"))));
  CHECK_THROWS_WITH_AS(ser::load_pt(pt_fixture("deflated.pt")),
                       ("'" + pt_fixture("deflated.pt") +
                        "': record 'state_dict/data.pkl' is compressed (method 8); eigentorch reads stored records only, "
                        "as torch.save writes them")
                           .c_str(),
                       et::Error);
}

TEST_CASE("serialize zip: a directory that lies is refused") {
  const Bytes good = two_records();
  REQUIRE_NOTHROW(read_all(good));
  const Layout l = layout(good);
  const std::string m = "'<memory>': ";
  struct Case {
    Bytes bytes;
    std::string message;
  };
  std::vector<Case> cases;
  auto patched = [&](std::size_t at, uint64_t v, int n) {
    Bytes b = good;
    put(b, at, v, n);
    return b;
  };
  cases.push_back({Bytes(100, 0), "PytorchStreamReader failed reading zip archive: failed finding central directory"});
  cases.push_back({Bytes(good.begin(), good.end() - 1),
                   "PytorchStreamReader failed reading zip archive: failed finding central directory"});
  cases.push_back({patched(l.z64 + 48, 1u << 20, 8), "the zip central directory (offset 1048576, 98 bytes) runs past its end "
                                                      "record (offset " + std::to_string(l.z64) + ")"});
  {
    Bytes b = patched(l.z64 + 24, 1000, 8);
    put(b, l.z64 + 32, 1000, 8);
    cases.push_back({b, "the zip directory claims 1000 entries but holds at most 2"});
  }
  cases.push_back({patched(l.z64 + 16, 1, 4), "multi-disk zip archives are not supported"});
  cases.push_back({patched(l.locator + 8, 1u << 30, 8),
                   "the zip64 end of central directory locator points outside the file (offset 1073741824)"});
  cases.push_back({patched(l.z64, 0, 4), "no zip64 end of central directory record at offset " + std::to_string(l.z64)});
  cases.push_back({patched(l.cd, 0, 4), "zip central directory entry 0 is malformed (offset " + std::to_string(l.cd) + ")"});
  cases.push_back({patched(l.cd + 10, 8, 2),
                   "record 'a/x' is compressed (method 8); eigentorch reads stored records only, as torch.save writes them"});
  cases.push_back({patched(l.cd + 8, 0x0809, 2), "record 'a/x' is encrypted, which torch.save never writes"});
  cases.push_back({patched(l.cd + 20, 6, 4), "record 'a/x' is stored but its sizes differ (6 and 5)"});
  cases.push_back({patched(l.cd1 + 46 + 2, 'x', 1), "the zip directory names 'a/x' twice"});
  cases.push_back({patched(l.cd + 28, 3000, 2), "zip central directory entry 0 runs past the directory"});
  cases.push_back({patched(30 + 2, 'z', 1), "local header of record 'a/x' names 'a/z'"});
  cases.push_back({patched(0, 0, 4), "no local header for record 'a/x' at offset 0"});
  cases.push_back({patched(l.cd + 42, 7, 4), "no local header for record 'a/x' at offset 7"});
  cases.push_back({patched(l.cd + 42, 0xFFFFFFF0u, 4),
                   "record 'a/x' has its local header outside the file's records (offset 4294967280)"});
  cases.push_back({patched(8, 8, 2), "local header of record 'a/x' says compressed (method 8)"});
  cases.push_back({patched(6, 0x0800, 2), "local header of record 'a/x' disagrees with the zip directory"});
  {
    Bytes b = patched(l.cd1 + 20, 10000, 4);
    put(b, l.cd1 + 24, 10000, 4);
    cases.push_back({b, "record 'a/y' (10000 bytes at offset 128) runs into the zip directory"});
  }
  {
    // a zip64 extra field that should carry the sizes but is too short
    Bytes b = patched(l.cd + 20, 0xFFFFFFFFu, 4);
    put(b, l.cd + 24, 0xFFFFFFFFu, 4);
    cases.push_back({b, "record 'a/x' lacks the zip64 extra field its directory entry needs"});
  }
  {
    // overlap: a's data holds a forged local header of a/y, and the directory points a/y at it
    std::string forged;
    for (uint64_t v : {0x04034b50ull}) forged.append(reinterpret_cast<const char*>(&v), 4);
    forged += std::string("\x00\x00\x08\x08\x00\x00", 6) + std::string(16, '\0') + std::string("\x03\x00\x00\x00", 4) +
              "a/y" + "world!!";
    Bytes b = two_records(forged);
    const Layout lb = layout(b);
    put(b, lb.cd1 + 42, 64, 4);  // a/x's data starts at 64
    cases.push_back({b, "records 'a/x' and 'a/y' overlap"});
  }
  {
    Bytes b = good;
    b[64] ^= 1;  // a/x's first byte
    cases.push_back({b, "record 'a/x' fails its CRC-32 check (0x0b708f36, the directory says 0x3610a686)"});
  }
  for (const Case& c : cases) {
    CAPTURE(c.message);
    CHECK_THROWS_WITH_AS(read_all(c.bytes), (m + c.message).c_str(), et::Error);
  }
}

namespace {
/// What a ZipWriter wrote, with long runs of zeros kept as their length: a file of more than 4 GiB in
/// a few bytes of memory, readable as a Source.
class SparseFile : public ser::Source {
 public:
  void write(const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    if (n > (1u << 20)) {
      bool zero = true;
      for (std::size_t i = 0; i < n; i += 4096) zero = zero && c[i] == 0;
      REQUIRE(zero);
      chunks_.push_back({size_, n, {}});
    } else {
      chunks_.push_back({size_, n, Bytes(c, c + n)});
    }
    size_ += n;
  }
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return name_; }
  void read_at(uint64_t offset, void* dst, std::size_t n) const override {
    check_range(offset, n);
    auto* out = static_cast<unsigned char*>(dst);
    for (const Chunk& c : chunks_)
      for (uint64_t i = std::max(offset, c.at); i < std::min(offset + n, c.at + c.n); ++i)
        out[i - offset] = c.bytes.empty() ? 0 : c.bytes[static_cast<std::size_t>(i - c.at)];
  }

 private:
  struct Chunk {
    uint64_t at, n;
    Bytes bytes;  // empty: zeros
  };
  std::vector<Chunk> chunks_;
  uint64_t size_ = 0;
  std::string name_ = "<sparse>";
};
}  // namespace

TEST_CASE("serialize zip: a record of 4 GiB and one after it: zip64 sizes and offsets, both ways") {
  const std::size_t big = (std::size_t(1) << 32) + 64;  // past 0xFFFFFFFF
  // zeros without memory: a private read-only anonymous mapping is the zero page, 4 GiB of it
  void* zeros = mmap(nullptr, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(zeros != MAP_FAILED);
  SparseFile file;
  ser::ZipWriter zip([&](const void* p, std::size_t n) { file.write(p, n); });
  zip.add("a/big", zeros, big);
  zip.add("a/after", "tail", 4);
  zip.finish();
  munmap(zeros, big);
  const ser::ZipReader reader(file);
  REQUIRE(reader.entries().size() == 2);
  const ser::ZipEntry& b = reader.at("a/big");
  CHECK(b.size == big);
  CHECK(b.data_offset % 64 == 0);
  CHECK(b.crc32 == 0x1dcdf777u);  // CRC-32 of 4 GiB + 64 zero bytes (zlib.crc32)
  const ser::ZipEntry& a = reader.at("a/after");
  CHECK(a.header_offset > 0xFFFFFFFFu);  // its offset needs the zip64 extra field
  CHECK(a.data_offset % 64 == 0);
  const Bytes tail = reader.read("a/after");
  CHECK(std::string(tail.begin(), tail.end()) == "tail");
}

TEST_CASE("serialize zip: the writer refuses a record after finish()") {
  Bytes out;
  ser::ZipWriter zip([&](const void* p, std::size_t n) {
    out.insert(out.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
  });
  zip.finish();
  CHECK_THROWS_WITH_AS(zip.add("a/b", "x", 1), "ZipWriter: add('a/b') after finish()", et::Error);
  const ser::MemorySource src(out.data(), out.size());
  CHECK(ser::ZipReader(src).entries().empty());
}
