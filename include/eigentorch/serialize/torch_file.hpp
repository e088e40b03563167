// PyTorch's own file format (torch.save since 1.6), read and written: a zip archive "<name>/" holding
// data.pkl (the pickled object, each tensor a _rebuild_tensor_v2 of a storage named by a persistent
// id), one record "data/<key>" per storage and a "version" record. Reading checks every view against
// its storage's record (offset, sizes and strides, overflow included) before a byte is copied; writing
// produces what torch.save in PyTorch 1.13 produces for the same object, byte for byte.
#pragma once

#include "../nn/ordered_dict.hpp"
#include "dtype.hpp"
#include "file.hpp"
#include "pickle.hpp"
#include "zip.hpp"

#include <algorithm>  // sort
#include <cstdint>
#include <cstring>  // memcpy
#include <map>
#include <memory>  // shared_ptr
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eigentorch::serialize {

namespace detail {

/// The record format version torch.save writes (PyTorch 1.13: 3) and the newest it reads.
constexpr uint64_t kTorchFileVersion = 3, kTorchMaxFileVersion = 10;

/// The archive's folder name PyTorch derives from a path: its last component without the extension
/// (caffe2/serialize/inline_container.cc, basename).
inline std::string torch_archive_name(const std::string& path) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < path.size(); ++i)
    if (path[i] == '/' || path[i] == '\\') start = i + 1;
  if (start >= path.size()) return "";
  std::size_t end = path.size();
  for (std::size_t i = end; i > start; --i)
    if (path[i - 1] == '.') {
      end = i - 1;
      break;
    }
  return path.substr(start, end - start);
}

/// "[2, 3]", as PyTorch prints an IntArrayRef.
inline std::string int_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

/// Reads the tensors of one archive: each storage record once, each view checked against it.
template <class = void>  // (see ZipReader)
class TorchArchiveReader {
 public:
  TorchArchiveReader(const ZipReader<>& zip, std::string prefix) : zip_(zip), prefix_(std::move(prefix)) {}

  Value tensor(const TensorRef& t) {
    const StorageRef& s = t.storage;
    const std::size_t elem = element_size(s.dtype);
    const std::string name = prefix_ + "data/" + s.key;
    const ZipEntry& entry = zip_.at(name);
    const std::size_t nbytes = checked_mul(static_cast<std::size_t>(s.numel), elem, "storage size");
    if (entry.size != nbytes)
      eigentorch::detail::fail({"storage record '", name, "' holds ", entry.size, " bytes, but its ",
                                storage_name(s.dtype), " of ", s.numel, " elements needs ", nbytes});
    const auto known = dtypes_.find(s.key);
    if (known != dtypes_.end() && known->second != s.dtype)
      eigentorch::detail::fail({"storage '", s.key, "' is read both as ", storage_name(known->second), " and as ",
                                storage_name(s.dtype)});
    dtypes_[s.key] = s.dtype;
    // The view: sizes and strides of one length, none negative, every element inside the storage.
    if (t.size.size() != t.stride.size())
      eigentorch::detail::fail({"a tensor of sizes ", int_list(t.size), " has strides ", int_list(t.stride)});
    if (t.offset < 0) eigentorch::detail::fail({"Tensor: invalid storage offset ", t.offset});
    std::size_t numel = 1, last = static_cast<std::size_t>(t.offset);
    for (std::size_t d = 0; d < t.size.size(); ++d) {
      if (t.size[d] < 0)
        eigentorch::detail::fail({"Trying to create tensor with negative dimension ", t.size[d], ": ", int_list(t.size)});
      if (t.stride[d] < 0) eigentorch::detail::fail({"a tensor's strides may not be negative: ", int_list(t.stride)});
      numel = checked_mul(numel, static_cast<std::size_t>(t.size[d]), "tensor size");
    }
    if (numel > 0) {
      for (std::size_t d = 0; d < t.size.size(); ++d)
        last = checked_add(last, checked_mul(static_cast<std::size_t>(t.size[d] - 1),
                                             static_cast<std::size_t>(t.stride[d]), "tensor extent"),
                           "tensor extent");
      if (last >= static_cast<std::size_t>(s.numel))
        // PyTorch's words (TensorImpl::set_storage's check)
        eigentorch::detail::fail({"setStorage: sizes ", int_list(t.size), ", strides ", int_list(t.stride),
                                  ", storage offset ", t.offset, ", and itemsize ", elem, " requiring a storage size of ",
                                  checked_mul(last + 1, elem, "storage size"), " are out of bounds for storage of size ",
                                  nbytes});
    }
    // A view reading more elements than its storage holds (stride 0, an expanded tensor) is made
    // contiguous here: refuse one that would need more than 256 MiB, whatever the file's size.
    if (numel > static_cast<std::size_t>(s.numel) && checked_mul(numel, elem, "tensor size") > (std::size_t(1) << 28))
      eigentorch::detail::fail({"a view of ", numel, " elements of storage '", s.key, "' (", s.numel,
                                " elements) would need more than 256 MiB made contiguous"});
    const Size shape(t.size);
    // An empty view reads nothing, wherever it says it starts (even in an empty storage).
    if (numel == 0) return decode_value(nullptr, s.dtype, shape);
    bool contiguous = true;
    int64_t step = 1;
    for (std::size_t d = t.size.size(); d-- > 0;) {
      if (t.size[d] != 1 && t.stride[d] != step) contiguous = false;
      step *= std::max<int64_t>(t.size[d], 1);
    }
    const bool natural = s.dtype == Dtype::float32 || s.dtype == Dtype::float64 || s.dtype == Dtype::int64;
    if (contiguous && natural && t.offset == 0 && numel == static_cast<std::size_t>(s.numel) && !cache_.count(s.key))
      return read_into(entry, s.dtype, shape);  // straight from the file into the tensor's storage
    const std::vector<unsigned char>& bytes = storage(entry, s.key);
    const unsigned char* base = bytes.data() + static_cast<std::size_t>(t.offset) * elem;
    if (contiguous) return decode_value(base, s.dtype, shape);
    std::vector<unsigned char> packed(numel * elem);  // gather the view, row-major
    std::vector<int64_t> index(t.size.size(), 0);
    for (std::size_t i = 0; i < numel; ++i) {
      std::size_t at = 0;
      for (std::size_t d = 0; d < index.size(); ++d) at += static_cast<std::size_t>(index[d] * t.stride[d]);
      std::memcpy(&packed[i * elem], base + at * elem, elem);
      for (std::size_t d = index.size(); d-- > 0;) {
        if (++index[d] < t.size[d]) break;
        index[d] = 0;
      }
    }
    return decode_value(packed.data(), s.dtype, shape);
  }

 private:
  const std::vector<unsigned char>& storage(const ZipEntry& entry, const std::string& key) {
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      std::vector<unsigned char> bytes(static_cast<std::size_t>(entry.size));
      zip_.read(entry, bytes.data());
      it = cache_.emplace(key, std::move(bytes)).first;
    }
    return it->second;
  }
  Value read_into(const ZipEntry& entry, Dtype dtype, const Size& shape) {
    auto make = [&](auto tag) {
      using U = decltype(tag);
      Tensor<U> t(shape, eigentorch::detail::uninitialized);
      if (entry.size) zip_.read(entry, t.data());
      return Value(std::move(t));
    };
    if (dtype == Dtype::float32) return make(float());
    if (dtype == Dtype::float64) return make(double());
    return make(int64_t());
  }

  const ZipReader<>& zip_;
  std::string prefix_;
  std::map<std::string, std::vector<unsigned char>> cache_;
  std::map<std::string, Dtype> dtypes_;
};

/// Writes the archive torch.save writes for `obj` to `sink`, its records under "<archive>/".
template <class = void>
void write_pt(const Value& obj, const std::string& archive, const ZipSink& sink) {
  const Pickler pickler(obj);
  ZipWriter<> zip(sink);
  zip.add(archive + "/data.pkl", pickler.bytes().data(), pickler.bytes().size());
  std::vector<const PickledStorage*> order;  // torch.save: sorted(keys), as strings ("10" before "2")
  for (const PickledStorage& s : pickler.storages()) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const PickledStorage* a, const PickledStorage* b) { return a->key < b->key; });
  for (const PickledStorage* s : order) {
    const Value& t = s->tensor;
    const std::string name = archive + "/data/" + s->key;
    switch (t.kind()) {
      case Value::Kind::float_tensor: {
        const auto& x = t.as_tensor<float>();
        zip.add(name, x.numel() ? x.data() : nullptr, static_cast<std::size_t>(x.numel()) * sizeof(float));
        break;
      }
      case Value::Kind::double_tensor: {
        const auto& x = t.as_tensor<double>();
        zip.add(name, x.numel() ? x.data() : nullptr, static_cast<std::size_t>(x.numel()) * sizeof(double));
        break;
      }
      default: {
        const auto& x = t.as_tensor<int64_t>();
        zip.add(name, x.numel() ? x.data() : nullptr, static_cast<std::size_t>(x.numel()) * sizeof(int64_t));
        break;
      }
    }
  }
  const std::string version = std::to_string(kTorchFileVersion) + "\n";
  zip.add(archive + "/version", version.data(), version.size());
  zip.finish();
}

}  // namespace detail

/// The object a torch.save file holds (dicts, OrderedDicts, lists, tuples, numbers, str, None and
/// tensors; a float16 / bfloat16 / float32 tensor as Tensor<float>, a float64 one as Tensor<double>,
/// an integer or bool one as Tensor<int64_t>), read from `src` (a file or memory).
template <class = void>
Value load_pt(const Source& src) {
  const std::string where = "'" + src.name() + "': ";
  try {
    unsigned char magic[2] = {0, 0};
    if (src.size() >= 2) src.read_at(0, magic, 2);
    if (magic[0] == 0x80 && magic[1] <= 5)
      eigentorch::detail::fail({"a legacy torch.save file (PyTorch before 1.6, not a zip archive), which eigentorch does "
                                "not read: load it in PyTorch and torch.save it again"});
    const ZipReader<> zip(src);
    if (zip.entries().empty()) eigentorch::detail::fail({"archive does not contain any files"});
    const std::string& first = zip.entries().front().name;
    const std::size_t slash = first.find('/');
    if (slash == std::string::npos) eigentorch::detail::fail({"file in archive is not in a subdirectory: ", first});
    const std::string prefix = first.substr(0, slash + 1);
    const ZipEntry& version_entry = zip.at(prefix + "version");
    if (version_entry.size > 32) eigentorch::detail::fail({"the version record holds ", version_entry.size, " bytes"});
    const std::vector<unsigned char> version_bytes = zip.read(prefix + "version");
    uint64_t version = 0;
    std::size_t digits = 0;
    for (unsigned char c : version_bytes) {
      if (c < '0' || c > '9') break;
      version = version * 10 + (c - '0');
      ++digits;
    }
    if (digits == 0 || digits > 18)
      eigentorch::detail::fail({"the version record does not hold a number: '",
                                std::string(version_bytes.begin(), version_bytes.end()), "'"});
    if (version < 1)
      eigentorch::detail::fail({"Attempted to read a PyTorch file with version ", version,
                                ", but the minimum supported version for reading is 1. Your PyTorch script module "
                                "file is too old. Please re-export it again."});
    if (version > detail::kTorchMaxFileVersion)
      eigentorch::detail::fail({"Attempted to read a PyTorch file with version ", version,
                                ", but the maximum supported version for reading is ", detail::kTorchMaxFileVersion,
                                ". Your PyTorch installation may be too old."});
    const std::vector<unsigned char> pkl = zip.read(prefix + "data.pkl");
    detail::TorchArchiveReader<> tensors(zip, prefix);
    return unpickle(pkl.data(), pkl.size(), [&](const TensorRef& t) { return tensors.tensor(t); });
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.compare(0, where.size() - 1, where, 0, where.size() - 1) == 0) throw;
    throw Error(where + what);
  }
}

/// The object the torch.save file at `path` holds (see load_pt(const Source&)).
template <class = void>
Value load_pt(const std::string& path) { return load_pt(InputFile(path)); }

/// A state dict held in a Value (a dict of str to tensors, as load_pt gives it), each tensor converted to
/// T as PyTorch's load_state_dict copies (float16 -> float exactly, float64 -> float rounded, int64 ->
/// float, ...). `where` names the file in the error when `v` is something else.
template <class T>
nn::OrderedDict<T> state_dict_from_value(const Value& v, const std::string& where) {
  auto refuse = [&](const std::string& why) {
    eigentorch::detail::fail({"'", where, "': not a state dict (a dict of str to tensors): ", why});
  };
  if (v.kind() != Value::Kind::dict) refuse("the file holds something else");
  nn::OrderedDict<T> out;
  for (const auto& [key, value] : v.entries()) {  // (a Value's dict keys are unique)
    const auto* name = std::get_if<std::string>(&key);
    if (!name) refuse("an int key " + std::to_string(std::get<int64_t>(key)));
    switch (value.kind()) {
      case Value::Kind::float_tensor: out.append_unique(*name, value.template as_tensor<float>().template to<T>()); break;
      case Value::Kind::double_tensor: out.append_unique(*name, value.template as_tensor<double>().template to<T>()); break;
      case Value::Kind::int64_tensor: out.append_unique(*name, value.template as_tensor<int64_t>().template to<T>()); break;
      default: refuse("'" + *name + "' is not a tensor");
    }
  }
  return out;
}

/// The state dict the torch.save file at `path` holds (see state_dict_from_value).
template <class T>
nn::OrderedDict<T> load_pt_state_dict(const std::string& path) {
  return state_dict_from_value<T>(load_pt(path), path);
}

/// The bytes torch.save writes for `obj` into a buffer (records under "archive/").
template <class = void>
std::vector<unsigned char> save_pt_bytes(const Value& obj, const std::string& archive = "archive") {
  std::vector<unsigned char> out;
  detail::write_pt(obj, archive, [&](const void* p, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    out.insert(out.end(), c, c + n);
  });
  return out;
}

/// Writes `obj` to `path` as torch.save(obj, path) does, atomically (a temporary beside it, renamed).
template <class = void>
void save_pt(const Value& obj, const std::string& path) {
  const std::string archive = detail::torch_archive_name(path);
  if (archive.empty()) eigentorch::detail::fail({"invalid file name: ", path});  // PyTorch's words
  AtomicFile file(path);
  detail::BufferedSink sink(file);
  detail::write_pt(obj, archive, [&](const void* p, std::size_t n) { sink.write(p, n); });
  sink.flush();
  file.commit();
}

/// The Value torch.save would be given for a state dict: an OrderedDict of tensors, keys for which
/// saved_as_int64(key) holds (BatchNorm's num_batches_tracked) as int64 tensors, as PyTorch keeps them.
template <class T>
Value state_dict_value(const nn::OrderedDict<T>& sd) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>,
                "a state dict of float, double or int64_t tensors");
  Value::Entries entries;
  for (const auto& [key, t] : sd) {
    if (!std::is_same_v<T, int64_t> && saved_as_int64(key))
      entries.emplace_back(key, Value(t.detach().template to<int64_t>()));
    else
      entries.emplace_back(key, Value(t.detach()));
  }
  return Value::ordered_dict(std::move(entries));
}

/// Writes a state dict as torch.save(model.state_dict(), path) does (an OrderedDict; see state_dict_value).
template <class T>
void save_pt(const nn::OrderedDict<T>& sd, const std::string& path) {
  save_pt(state_dict_value(sd), path);
}

}  // namespace eigentorch::serialize
