// Fuzz target: the reader of torch.save's files (serialize/torch_file.hpp, zip.hpp, pickle.hpp). The
// first byte chooses what the rest is: even, a whole file for load_pt (a zip archive, hostile or not);
// odd, the pickle inside one, read against a fixed archive of three storage records (24 bytes of
// floats, 8 bytes, 0 bytes), so that mutations reach the unpickler and the views' checks without first
// having to make a valid zip. A loaded Value is walked to the end (every tensor element read), then
// saved with save_pt and loaded again: it must come back the same, bit for bit. Misuse must end in an
// eigentorch::Error; a crash, a sanitizer report, a leak, a round trip that changes a value or any other
// exception is a finding.
// libFuzzer: clang++ -fsanitize=fuzzer,address,undefined. With EIGENTORCH_FUZZ_REPLAY the file builds a
// replay driver that runs every file given on its command line.
#include <eigentorch/serialize/torch_file.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>  // getenv, abort
#include <cstdio>
#include <cstring>  // memcmp
#include <string>
#include <vector>

namespace et = eigentorch;
namespace ser = eigentorch::serialize;

namespace {

/// The archive the pickles of odd inputs are read against: records archive/data/0, 1 and 2.
const std::vector<unsigned char>& storage_archive() {
  static const std::vector<unsigned char> bytes = [] {
    std::vector<unsigned char> out;
    ser::ZipWriter zip([&](const void* p, std::size_t n) {
      out.insert(out.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
    });
    const float six[6] = {0.5f, -1.f, 2.f, 1e30f, -0.f, 3.f};
    zip.add("archive/data/0", six, sizeof six);
    zip.add("archive/data/1", "\x01\x00\x02\x00\x80\xff\x7f\x00", 8);
    zip.add("archive/data/2", "", 0);
    zip.add("archive/version", "3\n", 2);
    zip.finish();
    return out;
  }();
  return bytes;
}

/// Reads every number of a Value, so that a tensor with a wrong size or dangling storage shows.
double walk(const et::Value& v, int depth = 0) {
  using K = et::Value::Kind;
  double sum = 0;
  switch (v.kind()) {
    case K::tuple:
    case K::list:
      for (const auto& x : v.items()) sum += walk(x, depth + 1);
      break;
    case K::dict:
      for (const auto& kv : v.entries()) sum += walk(kv.second, depth + 1);
      break;
    case K::integer: sum += static_cast<double>(v.as_int()); break;
    case K::real: sum += v.as_double(); break;
    case K::float_tensor: {
      const auto& t = v.as_tensor<float>();
      for (int64_t i = 0; i < t.numel(); ++i) sum += t.data()[i];
      break;
    }
    case K::double_tensor: {
      const auto& t = v.as_tensor<double>();
      for (int64_t i = 0; i < t.numel(); ++i) sum += t.data()[i];
      break;
    }
    case K::int64_tensor: {
      const auto& t = v.as_tensor<int64_t>();
      for (int64_t i = 0; i < t.numel(); ++i) sum += static_cast<double>(t.data()[i]);
      break;
    }
    default: break;
  }
  return sum;
}

/// Whether two Values are the same, bit for bit (tensors by shape and element bits).
bool same(const et::Value& a, const et::Value& b) {
  using K = et::Value::Kind;
  if (a.kind() != b.kind()) return false;
  auto same_tensor = [](const auto& x, const auto& y) {
    return x.shape() == y.shape() &&
           (x.numel() == 0 || std::memcmp(x.data(), y.data(), static_cast<std::size_t>(x.numel()) * sizeof(*x.data())) == 0);
  };
  switch (a.kind()) {
    case K::none: return true;
    case K::boolean: return a.as_bool() == b.as_bool();
    case K::integer: return a.as_int() == b.as_int();
    case K::real: {
      const double x = a.as_double(), y = b.as_double();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case K::string: return a.as_string() == b.as_string();
    case K::tuple:
    case K::list:
      if (a.items().size() != b.items().size()) return false;
      for (std::size_t i = 0; i < a.items().size(); ++i)
        if (!same(a.items()[i], b.items()[i])) return false;
      return true;
    case K::dict:
      if (a.is_ordered_dict() != b.is_ordered_dict() || a.entries().size() != b.entries().size()) return false;
      for (std::size_t i = 0; i < a.entries().size(); ++i)
        if (a.entries()[i].first != b.entries()[i].first || !same(a.entries()[i].second, b.entries()[i].second))
          return false;
      return true;
    case K::float_tensor: return same_tensor(a.as_tensor<float>(), b.as_tensor<float>());
    case K::double_tensor: return same_tensor(a.as_tensor<double>(), b.as_tensor<double>());
    case K::int64_tensor: return same_tensor(a.as_tensor<int64_t>(), b.as_tensor<int64_t>());
  }
  return false;
}

/// What loads must save and load again unchanged: the writer and the reader agree on everything the
/// reader accepts.
void round_trip(const et::Value& v) {
  const std::vector<unsigned char> bytes = ser::save_pt_bytes(v);
  const ser::MemorySource src(bytes.data(), bytes.size());
  if (!same(ser::load_pt(src), v)) {
    std::fprintf(stderr, "fuzz_torch_load: a loaded value saved and loaded again differs\n");
    std::abort();
  }
}

void run(const uint8_t* data, std::size_t size) {
  if (size == 0) return;
  const bool trace = std::getenv("EIGENTORCH_FUZZ_TRACE") != nullptr;
  try {
    if (data[0] % 2 == 0) {
      const ser::MemorySource src(data + 1, size - 1);
      const et::Value v = ser::load_pt(src);
      walk(v);
      round_trip(v);
    } else {
      const auto& archive = storage_archive();
      const ser::MemorySource src(archive.data(), archive.size());
      const ser::ZipReader zip(src);
      ser::detail::TorchArchiveReader tensors(zip, "archive/");
      const et::Value v = ser::unpickle(data + 1, size - 1, [&](const ser::TensorRef& t) { return tensors.tensor(t); });
      walk(v);
      round_trip(v);
    }
    if (trace) std::fprintf(stderr, "loaded\n");
  } catch (const et::Error& e) {
    if (trace) std::fprintf(stderr, "%s\n", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  run(data, size);
  return 0;
}

#include "replay_main.hpp"
