// The safetensors format (huggingface/safetensors), read and written byte for byte as the Rust crate does:
// an 8-byte little-endian header length, a JSON header {"__metadata__": {str: str}, name: {"dtype", "shape",
// "data_offsets": [begin, end]}, ...} padded with spaces to a multiple of 8 bytes, then the tensors' bytes.
// Reading validates what the crate validates (header length and its 100 MB limit, known dtypes, shapes
// whose byte size does not overflow and equals the data_offsets' span, tensors that cover the data
// exactly: no overlap, no hole, nothing after them) and more (duplicate keys, UTF-8, __metadata__'s
// strings), checking every size a file claims against the file's size before allocating anything.
// Writing follows the crate's serialize() (crate 0.8.0-dev.0, commit 24b0b28; the layout has not changed
// since 0.3): tensors sorted by the crate's Dtype enum order, descending (I64, F64, F32, BF16, F16, ...),
// then by name; the header in serde_json's compact form, metadata first; so that the bytes equal what
// Python's safetensors.torch.save_file writes for the same tensors.
#pragma once

#include "../nn/ordered_dict.hpp"
#include "../tensor/tensor.hpp"
#include "../tensor/value.hpp"
#include "dtype.hpp"
#include "file.hpp"
#include "json.hpp"

#include <algorithm>  // sort
#include <cstddef>    // size_t
#include <cstdint>
#include <cstring>  // memcpy
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>  // pair, move
#include <vector>

namespace eigentorch::serialize {

/// The largest header the crate reads or writes (MAX_HEADER_SIZE).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100000000;

/// One tensor of a safetensors file: its bytes are [begin, end) of the data (after the header).
struct SafetensorsTensor {
  std::string name;
  Dtype dtype = Dtype::float32;
  Size shape;
  std::uint64_t begin = 0, end = 0;
};

/// A validated safetensors header.
struct SafetensorsHeader {
  std::vector<SafetensorsTensor> tensors;  // by name, as safetensors' load_file orders them
  /// __metadata__ in the file's order; none when the header has none (or null).
  std::optional<std::vector<std::pair<std::string, std::string>>> metadata;
  std::uint64_t data_start = 0;  // where the data begins in the file: 8 + the header's length
};

namespace detail {

/// A tensor's name in a message: "tensor \"x\"".
inline std::string tensor_label(const std::string& name) { return "tensor " + json::quoted(name); }

inline std::string shape_text(const Size& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

inline std::string range_text(std::uint64_t a, std::uint64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

/// The position of a dtype in the crate's `Dtype` enum (its derived Ord, which prepare() sorts by).
inline int crate_rank(Dtype d) {
  switch (d) {
    case Dtype::boolean: return 0;
    case Dtype::uint8: return 4;
    case Dtype::int8: return 5;
    case Dtype::int16: return 11;
    case Dtype::float16: return 13;
    case Dtype::bfloat16: return 14;
    case Dtype::int32: return 15;
    case Dtype::float32: return 17;
    case Dtype::float64: return 19;
    case Dtype::int64: return 20;
  }
  return 0;
}

/// Reads one tensor entry {"dtype": ..., "shape": [...], "data_offsets": [b, e]} (other fields are
/// skipped, as the crate's serde ignores them).
template <class JsonReader>
SafetensorsTensor read_entry(JsonReader& r, std::string name) {
  SafetensorsTensor t;
  t.name = std::move(name);
  const std::string label = tensor_label(t.name);
  if (r.peek() != json::Kind::object)
    r.fail(label + ": expected an object {\"dtype\", \"shape\", \"data_offsets\"}");
  const std::uint64_t start = r.offset();
  bool has_dtype = false, has_shape = false, has_offsets = false;
  r.begin_object();
  std::vector<int64_t> dims;
  for (std::string key; r.next_key(key);) {
    if (key == "dtype") {
      const std::uint64_t at = r.offset();
      if (r.peek() != json::Kind::string) r.fail(label + ": \"dtype\" must be a string");
      const std::string name = r.string();
      const std::optional<Dtype> d = dtype_from_safetensors(name);
      if (!d)
        r.fail(label + ": unknown dtype " + json::quoted(name) +
                   " (eigentorch reads BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64)",
               at);
      t.dtype = *d;
      has_dtype = true;
    } else if (key == "shape") {
      if (r.peek() != json::Kind::array) r.fail(label + ": \"shape\" must be an array of non-negative integers");
      r.begin_array();
      while (r.next_item()) {
        const std::uint64_t at = r.offset();
        const std::uint64_t d = r.uint("a shape entry");
        if (d > static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max()))
          r.fail(label + ": shape entry " + std::to_string(d) + " is larger than 2^63 - 1", at);
        dims.push_back(static_cast<int64_t>(d));
      }
      has_shape = true;
    } else if (key == "data_offsets") {
      const std::uint64_t at = r.offset();
      const char* const want = ": \"data_offsets\" must be two non-negative integers [begin, end]";
      if (r.peek() != json::Kind::array) r.fail(label + want);
      r.begin_array();
      std::uint64_t v[2] = {0, 0};
      int n = 0;
      while (r.next_item()) {
        if (n == 2) r.fail(label + want, at);
        v[n++] = r.uint("a data offset");
      }
      if (n != 2) r.fail(label + want, at);
      t.begin = v[0];
      t.end = v[1];
      has_offsets = true;
    } else {
      r.skip();
    }
  }
  if (!has_dtype || !has_shape || !has_offsets)
    r.fail(label + ": missing \"" + (!has_dtype ? "dtype" : !has_shape ? "shape" : "data_offsets") + "\"", start);
  t.shape = Size(dims);
  return t;
}

/// The tensor's size in bytes; fails if its element count or byte count overflows.
inline std::uint64_t checked_nbytes(const SafetensorsTensor& t, const std::string& source) {
  std::uint64_t n = 1;
  bool too_many = false;
  for (std::size_t i = 0; i < t.shape.size() && !too_many; ++i)
    too_many = __builtin_mul_overflow(n, static_cast<std::uint64_t>(t.shape[i]), &n);
  if (too_many || n > static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max()))
    eigentorch::detail::fail({"'", source, "': ", tensor_label(t.name), ": shape ", shape_text(t.shape),
                              " has more than 2^63 - 1 elements"});
  if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(element_size(t.dtype)), &n))
    eigentorch::detail::fail({"'", source, "': ", tensor_label(t.name), ": shape ", shape_text(t.shape), " of ",
                              safetensors_name(t.dtype), " overflows 64 bits in bytes"});
  return n;
}

}  // namespace detail

/// Reads and validates the header of a safetensors file (see the banner). Throws Error naming the source
/// and the problem (with its byte offset for JSON errors).
template <class = void>  // (see json::Reader)
SafetensorsHeader read_safetensors_header(const Source& src) {
  const std::string& name = src.name();
  const std::uint64_t size = src.size();
  if (size < 8)
    eigentorch::detail::fail({"'", name, "': not a safetensors file: ", size,
                              " bytes, fewer than the 8 of the header length"});
  unsigned char len_bytes[8];
  src.read_at(0, len_bytes, 8);
  const std::uint64_t n = detail::le64(len_bytes);
  if (n > kSafetensorsMaxHeader)
    eigentorch::detail::fail({"'", name, "': safetensors header length ", n, " exceeds the limit of ",
                              kSafetensorsMaxHeader, " bytes"});
  if (n > size - 8)
    eigentorch::detail::fail({"'", name, "': safetensors header length ", n, " passes the end of the file (",
                              size, " bytes)"});
  std::string text(static_cast<std::size_t>(n), '\0');
  src.read_at(8, text.data(), text.size());

  SafetensorsHeader h;
  h.data_start = 8 + n;
  json::Reader<> r(text, "'" + name + "': safetensors header", 8);
  if (r.peek() != json::Kind::object) r.fail("the header is not a JSON object");
  r.begin_object();
  for (std::string key; r.next_key(key);) {
    if (key == "__metadata__") {
      if (r.peek() == json::Kind::null) {
        r.null();
        continue;
      }
      const char* const want = "__metadata__ must be an object of strings";
      if (r.peek() != json::Kind::object) r.fail(want);
      r.begin_object();
      h.metadata.emplace();
      for (std::string k; r.next_key(k);) {
        if (r.peek() != json::Kind::string) r.fail(std::string(want) + ", but " + json::quoted(k) + " is not");
        h.metadata->emplace_back(k, r.string());
      }
    } else {
      h.tensors.push_back(detail::read_entry(r, std::move(key)));
    }
  }
  r.finish();

  // The data: every tensor's span must hold its shape's bytes, and the spans must tile the data exactly.
  const std::uint64_t data_size = size - h.data_start;
  for (const SafetensorsTensor& t : h.tensors) {
    const std::uint64_t bytes = detail::checked_nbytes(t, name);
    if (t.end < t.begin)
      eigentorch::detail::fail({"'", name, "': ", detail::tensor_label(t.name), ": data_offsets ",
                                detail::range_text(t.begin, t.end), " end before they begin"});
    if (t.end - t.begin != bytes)
      eigentorch::detail::fail({"'", name, "': ", detail::tensor_label(t.name), " of dtype ",
                                safetensors_name(t.dtype), " and shape ", detail::shape_text(t.shape), " needs ",
                                bytes, " bytes, but its data_offsets ", detail::range_text(t.begin, t.end),
                                " hold ", t.end - t.begin});
    if (t.end > data_size)
      eigentorch::detail::fail({"'", name, "': ", detail::tensor_label(t.name), ": data_offsets ",
                                detail::range_text(t.begin, t.end), " pass the end of the data (", data_size,
                                " bytes after the header)"});
  }
  std::vector<const SafetensorsTensor*> by_offset;
  by_offset.reserve(h.tensors.size());
  for (const SafetensorsTensor& t : h.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const SafetensorsTensor* a, const SafetensorsTensor* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  const SafetensorsTensor* previous = nullptr;
  for (const SafetensorsTensor* t : by_offset) {
    if (t->begin < covered)
      eigentorch::detail::fail({"'", name, "': ", detail::tensor_label(previous->name), " and ",
                                detail::tensor_label(t->name), " overlap (data_offsets ",
                                detail::range_text(previous->begin, previous->end), " and ",
                                detail::range_text(t->begin, t->end), ")"});
    if (t->begin > covered)
      eigentorch::detail::fail({"'", name, "': bytes ", detail::range_text(covered, t->begin),
                                " of the data belong to no tensor (a hole before ", detail::tensor_label(t->name),
                                ")"});
    covered = t->end;
    previous = t;
  }
  if (covered != data_size)
    eigentorch::detail::fail({"'", name, "': the data's last ", data_size - covered, " bytes (",
                              detail::range_text(covered, data_size),
                              " after the header) belong to no tensor: the tensors must cover the file to its end"});

  std::sort(h.tensors.begin(), h.tensors.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) { return a.name < b.name; });
  return h;
}

/// The tensors of a safetensors file as a state dict of T (float or double), in name order. Every
/// dtype converts to T as PyTorch's load_state_dict copies (Tensor.copy_); a tensor already of T's
/// dtype is read straight into its storage.
template <class T>
nn::OrderedDict<T> load_safetensors(const Source& src) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "load_safetensors<T>: T is float or double");
  const SafetensorsHeader h = read_safetensors_header(src);
  nn::OrderedDict<T> out;
  std::vector<unsigned char> chunk;
  for (const SafetensorsTensor& t : h.tensors) {
    Tensor<T> x(t.shape, eigentorch::detail::uninitialized);
    const std::uint64_t at = h.data_start + t.begin;
    const std::size_t n = static_cast<std::size_t>(x.numel());
    if (t.dtype == dtype_of<T>()) {
      if (n) src.read_at(at, x.data(), n * sizeof(T));
    } else {
      // NOTE: converted in pieces, so the buffer stays small whatever the tensor's size.
      const std::size_t es = element_size(t.dtype);
      const std::size_t per_chunk = (std::size_t(1) << 20) / es;
      chunk.resize(std::min(n, per_chunk) * es);
      T* dst = x.data();
      for (std::size_t done = 0; done < n;) {
        const std::size_t k = std::min(per_chunk, n - done);
        src.read_at(at + done * es, chunk.data(), k * es);
        decode(chunk.data(), t.dtype, k, dst + done);
        done += k;
      }
    }
    out.append_unique(t.name, std::move(x));  // the header's names are unique (checked)
  }
  return out;
}
template <class T>
nn::OrderedDict<T> load_safetensors(const std::string& path) {
  return load_safetensors<T>(InputFile(path));
}

/// The tensors of a safetensors file without loss, in name order: F16, BF16 and F32 as Tensor<float>,
/// F64 as Tensor<double>, the integer types and BOOL as Tensor<int64_t> (see decode_value).
template <class = void>
std::vector<std::pair<std::string, Value>> load_safetensors_values(const Source& src) {
  const SafetensorsHeader h = read_safetensors_header(src);
  std::vector<std::pair<std::string, Value>> out;
  out.reserve(h.tensors.size());
  std::vector<unsigned char> bytes;
  for (const SafetensorsTensor& t : h.tensors) {
    bytes.resize(static_cast<std::size_t>(t.end - t.begin));
    if (!bytes.empty()) src.read_at(h.data_start + t.begin, bytes.data(), bytes.size());
    out.emplace_back(t.name, decode_value(bytes.data(), t.dtype, t.shape));
  }
  return out;
}
template <class = void>
std::vector<std::pair<std::string, Value>> load_safetensors_values(const std::string& path) {
  return load_safetensors_values(InputFile(path));
}

/// How save_safetensors writes: `SafetensorsOptions().metadata({{"format", "pt"}}).dtype(Dtype::float16)`.
class SafetensorsOptions {
 public:
  /// The header's __metadata__ (written in key order; none by default, as save_file(metadata=None)).
  SafetensorsOptions& metadata(std::map<std::string, std::string> m) {
    metadata_ = std::move(m);
    has_metadata_ = true;
    return *this;
  }
  std::optional<std::map<std::string, std::string>> metadata() const {
    if (!has_metadata_) return std::nullopt;
    return metadata_;
  }
  /// The dtype floating tensors are written as: float16, bfloat16, float32 or float64 (default: T's).
  SafetensorsOptions& dtype(Dtype d) {
    if (d != Dtype::float16 && d != Dtype::bfloat16 && d != Dtype::float32 && d != Dtype::float64)
      eigentorch::detail::fail<ValueError>({"save_safetensors: dtype must be F16, BF16, F32 or F64, got ",
                                            safetensors_name(d)});
    dtype_ = d;
    return *this;
  }
  const std::optional<Dtype>& dtype() const { return dtype_; }

 private:
  // NOTE: not an optional<map>: g++ 12 warns (maybe-uninitialized, a false positive) on assigning one.
  std::map<std::string, std::string> metadata_;
  bool has_metadata_ = false;
  std::optional<Dtype> dtype_;
};

/// Writes a state dict as a safetensors file, atomically (AtomicFile), with the bytes Python's
/// safetensors.torch.save_file writes for the same tensors. Keys for which saved_as_int64(key) holds
/// (BatchNorm's num_batches_tracked) are written as I64, as PyTorch's state dict has them.
template <class T>
void save_safetensors(const nn::OrderedDict<T>& sd, const std::string& path, const SafetensorsOptions& options = {}) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "save_safetensors<T>: T is float or double");
  struct Entry {
    const std::string* name;
    const Tensor<T>* tensor;
    Dtype dtype;
    std::uint64_t bytes;
  };
  std::vector<Entry> entries;
  entries.reserve(sd.size());
  for (const auto& kv : sd) {
    if (!kv.second.defined())
      eigentorch::detail::fail({"save_safetensors: ", detail::tensor_label(kv.first), " is undefined"});
    const Dtype d = saved_as_int64(kv.first) ? Dtype::int64 : options.dtype().value_or(dtype_of<T>());
    entries.push_back({&kv.first, &kv.second, d, static_cast<std::uint64_t>(kv.second.numel()) * element_size(d)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const int ra = detail::crate_rank(a.dtype), rb = detail::crate_rank(b.dtype);
    return ra != rb ? ra > rb : *a.name < *b.name;
  });

  std::string header = "{";
  if (const auto m = options.metadata()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& kv : *m) {
      if (!first) header += ',';
      first = false;
      json::write_string(header, kv.first);
      header += ':';
      json::write_string(header, kv.second);
    }
    header += '}';
  }
  std::uint64_t offset = 0;
  for (const Entry& e : entries) {
    if (header.size() > 1) header += ',';
    json::write_string(header, *e.name);
    header += ":{\"dtype\":\"";
    header += safetensors_name(e.dtype);
    header += "\",\"shape\":[";
    const Size& s = e.tensor->shape();
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i) header += ',';
      header += std::to_string(s[i]);
    }
    header += "],\"data_offsets\":[";
    json::write_uint(header, offset);
    header += ',';
    offset += e.bytes;
    json::write_uint(header, offset);
    header += "]}";
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');  // the crate aligns the data to 8 bytes with spaces
  if (header.size() > kSafetensorsMaxHeader)
    eigentorch::detail::fail({"'", path, "': the safetensors header would take ", header.size(),
                              " bytes, more than the limit of ", kSafetensorsMaxHeader});

  AtomicFile f(path);
  // NOTE: small pieces go through one 1 MiB buffer (as the crate's BufWriter), large tensors of T's own
  // dtype straight from their storage: a state dict of many small tensors is then a few writes.
  detail::BufferedSink sink(f);
  const auto put = [&](const void* p, std::size_t n) { sink.write(p, n); };
  const auto len = static_cast<std::uint64_t>(header.size());  // little-endian (dtype.hpp checks the host)
  put(&len, 8);
  put(header.data(), header.size());
  std::vector<unsigned char> converted;
  for (const Entry& e : entries) {
    const std::size_t n = static_cast<std::size_t>(e.tensor->numel());
    if (n == 0) continue;
    const T* src = e.tensor->data();
    if (e.dtype == dtype_of<T>()) {
      put(src, n * sizeof(T));
      continue;
    }
    const std::size_t es = element_size(e.dtype);
    const std::size_t per_chunk = (std::size_t(1) << 20) / es;
    converted.resize(std::min(n, per_chunk) * es);
    for (std::size_t done = 0; done < n;) {
      const std::size_t k = std::min(per_chunk, n - done);
      encode(src + done, k, e.dtype, converted.data());
      put(converted.data(), k * es);
      done += k;
    }
  }
  sink.flush();
  f.commit();
}

}  // namespace eigentorch::serialize
