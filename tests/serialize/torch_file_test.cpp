// serialize/torch_file.hpp: torch.save's files (PyTorch 1.13, tests/data/serialize/, written by
// tests/reference/make_serialize_pt_reference.py) load value for value: state dicts of every dtype,
// 0-d, empty, non-contiguous and shared-storage tensors, Adam and SGD state dicts, a checkpoint; what
// eigentorch writes is torch.save's bytes; and a file that lies about its tensors is refused in words.
#include <eigentorch/serialize/torch_file.hpp>
#include <eigentorch/tensor.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_pt_cases.hpp"
#include "serialize/pt_test_util.hpp"
#include "serialize/serialize_test_util.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace et = eigentorch;
namespace ser = eigentorch::serialize;
using et::Value;
using et::testing::canon;
using et::testing::pt_fixture;
using et::testing::read_bytes;
using et::testing::TempDir;

namespace {

/// A pickled int as Python writes it (BININT, or LONG1 of 8 bytes outside int32).
std::string pint(int64_t v) {
  std::string s;
  const bool small = v >= INT32_MIN && v <= INT32_MAX;
  s += small ? "J" : std::string("\x8a\x08", 2);
  for (int i = 0; i < (small ? 4 : 8); ++i) s += static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  return s;
}
std::string ptuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (int64_t x : v) s += pint(x);
  return s + "t";
}
std::string pstr(const std::string& x) {
  std::string s = "X";
  for (int i = 0; i < 4; ++i) s += static_cast<char>(x.size() >> (8 * i));
  return s + x;
}

/// The pickle torch.save writes for one tensor: a view of storage "0".
std::string tensor_pickle(const std::string& storage, int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                          const std::vector<int64_t>& stride) {
  return std::string("\x80\x02", 2) + "ctorch._utils\n_rebuild_tensor_v2\n((" + pstr("storage") + "ctorch\n" +
         storage + "\n" + pstr("0") + pstr("cpu") + pint(numel) + "tQ" + pint(offset) + ptuple(size) +
         ptuple(stride) + "\x89" + "ccollections\nOrderedDict\n)RtR.";
}

struct Record {
  std::string name;
  std::string bytes;
};
/// A zip archive of the given records, as torch.save lays them out.
std::vector<unsigned char> archive(const std::vector<Record>& records) {
  std::vector<unsigned char> out;
  ser::ZipWriter zip([&](const void* p, std::size_t n) {
    out.insert(out.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
  });
  for (const Record& r : records) zip.add(r.name, r.bytes.data(), r.bytes.size());
  zip.finish();
  return out;
}
/// An archive of one pickle, one storage record and the version.
std::vector<unsigned char> tensor_archive(const std::string& pickle, const std::string& record) {
  return archive({{"archive/data.pkl", pickle}, {"archive/data/0", record}, {"archive/version", "3\n"}});
}
Value load(const std::vector<unsigned char>& bytes) {
  const ser::MemorySource src(bytes.data(), bytes.size());
  return ser::load_pt(src);
}
std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

}  // namespace

TEST_CASE("serialize torch_file: torch.save's files load value for value") {
  for (const auto& f : et::reference::serialize_pt_fixtures) {
    CAPTURE(std::string(f.file));
    const Value v = ser::load_pt(pt_fixture(f.file));
    CHECK(canon(v) == f.contents);
  }
}

TEST_CASE("serialize torch_file: what eigentorch writes is torch.save's bytes, and reads back") {
  TempDir dir;
  for (const auto& f : et::reference::serialize_pt_fixtures) {
    CAPTURE(std::string(f.file));
    const Value v = ser::load_pt(pt_fixture(f.file));
    const std::string path = dir / f.file;  // the same name: the archive's folder is the file's name
    ser::save_pt(v, path);
    if (f.same_bytes) CHECK(read_bytes(path) == read_bytes(pt_fixture(f.file)));
    CHECK(canon(ser::load_pt(path)) == f.contents);  // the round trip loses nothing
    CHECK(ser::save_pt_bytes(v, ser::detail::torch_archive_name(path)) == read_bytes(path));
  }
}

TEST_CASE("serialize torch_file: a state dict saved from an OrderedDict<float> is torch.save's file") {
  TempDir dir;
  const auto sd = ser::load_pt_state_dict<float>(pt_fixture("state_dict.pt"));
  CHECK(sd.keys() == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                              "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"});
  // num_batches_tracked is an int64 tensor in PyTorch: eigentorch keeps it as float and saves it as int64
  CHECK(sd["1.num_batches_tracked"].item() == 0.f);
  ser::save_pt(sd, dir / "state_dict.pt");
  CHECK(read_bytes(dir / "state_dict.pt") == read_bytes(pt_fixture("state_dict.pt")));
  // double: the same values, DoubleStorage records
  const auto sd64 = ser::load_pt_state_dict<double>(pt_fixture("state_dict.pt"));
  ser::save_pt(sd64, dir / "d.pt");
  const auto back = ser::load_pt_state_dict<double>(dir / "d.pt");
  for (const auto& [k, t] : sd64) {
    CAPTURE(k);
    CHECK(back[k].to_vector() == t.to_vector());
    CHECK(back[k].shape() == t.shape());
  }
  CHECK(ser::load_pt(dir / "d.pt").at("1.num_batches_tracked").kind() == Value::Kind::int64_tensor);
}

TEST_CASE("serialize torch_file: load_pt_state_dict converts as load_state_dict copies") {
  const Value raw = ser::load_pt(pt_fixture("dtypes.pt"));
  const auto sd = ser::load_pt_state_dict<double>(pt_fixture("dtypes.pt"));
  const auto sf = ser::load_pt_state_dict<float>(pt_fixture("dtypes.pt"));
  for (const auto& [key, value] : raw.entries()) {
    const std::string& k = std::get<std::string>(key);
    CAPTURE(k);
    switch (value.kind()) {
      case Value::Kind::float_tensor:
        CHECK(canon(Value(sd[k].to<float>())) == canon(value));  // float -> double -> float is exact
        CHECK(canon(Value(sf[k])) == canon(value));
        break;
      case Value::Kind::double_tensor:
        CHECK(canon(Value(sd[k])) == canon(value));
        CHECK(canon(Value(sf[k])) == canon(Value(value.as_tensor<double>().to<float>())));
        break;
      default: CHECK(canon(Value(sd[k].to<int64_t>())) == canon(value)); break;
    }
  }
  CHECK(sd["u8"].to_vector() == std::vector<double>{0, 255, 17});
  CHECK(sd["bool"].to_vector() == std::vector<double>{1, 0, 1});
  CHECK_THROWS_WITH_AS(ser::load_pt_state_dict<float>(pt_fixture("adam.pt")),
                       ("'" + pt_fixture("adam.pt") + "': not a state dict (a dict of str to tensors): 'state' is not a tensor")
                           .c_str(),
                       et::Error);
}

TEST_CASE("serialize torch_file: views of storages, shared and strided, and expanded") {
  const std::vector<float> storage = {0, 1, 2, 3, 4, 5};
  SUBCASE("a strided view with an offset is made contiguous") {
    const Value v = load(tensor_archive(tensor_pickle("FloatStorage", 6, 1, {2, 2}, {1, 2}), floats(storage)));
    CHECK(v.as_tensor<float>().to_vector() == std::vector<float>{1, 3, 2, 4});
  }
  SUBCASE("stride 0 repeats an element") {
    const Value v = load(tensor_archive(tensor_pickle("FloatStorage", 6, 5, {3}, {0}), floats(storage)));
    CHECK(v.as_tensor<float>().to_vector() == std::vector<float>{5, 5, 5});
  }
  SUBCASE("an empty view may sit anywhere") {
    const Value v = load(tensor_archive(tensor_pickle("FloatStorage", 6, 100, {0, 4}, {4, 1}), floats(storage)));
    CHECK(v.as_tensor<float>().shape() == et::Size({0, 4}));
    // a fuzzer finding: an empty view at an offset into an empty storage made a pointer from null + 16
    const Value w = load(tensor_archive(tensor_pickle("FloatStorage", 0, 4, {0}, {1}), ""));
    CHECK(w.as_tensor<float>().shape() == et::Size({0}));
  }
}

TEST_CASE("serialize torch_file: tensors that lie about their storage are refused") {
  struct Case {
    std::vector<unsigned char> bytes;
    std::string message;
  };
  const std::string six = floats({0, 1, 2, 3, 4, 5});
  const std::string m = "'<memory>': ";
  const Case cases[] = {
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {6}, {1}), six.substr(0, 20)),
       "storage record 'archive/data/0' holds 20 bytes, but its FloatStorage of 6 elements needs 24"},
      {tensor_archive(tensor_pickle("FloatStorage", 5, 0, {2, 3}, {3, 1}), six.substr(0, 20)),
       "setStorage: sizes [2, 3], strides [3, 1], storage offset 0, and itemsize 4 requiring a storage size of 24 "
       "are out of bounds for storage of size 20"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 4, {3}, {1}), six),
       "setStorage: sizes [3], strides [1], storage offset 4, and itemsize 4 requiring a storage size of 28 are out "
       "of bounds for storage of size 24"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {int64_t(1) << 62, 8}, {1, 1}), six),
       "tensor size: 4611686018427387904 * 8 overflows"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {4}, {INT64_MAX}), six),
       "tensor extent: 3 * 9223372036854775807 overflows"},
      {tensor_archive(tensor_pickle("FloatStorage", INT64_MAX, 0, {1}, {1}), six),
       "storage size: 9223372036854775807 * 4 overflows"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {-1}, {1}), six),
       "Trying to create tensor with negative dimension -1: [-1]"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {2}, {-1}), six), "a tensor's strides may not be negative: [-1]"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, -1, {2}, {1}), six), "Tensor: invalid storage offset -1"},
      {tensor_archive(tensor_pickle("FloatStorage", 6, 0, {2}, {}), six), "a tensor of sizes [2] has strides []"},
      {tensor_archive(tensor_pickle("FloatStorage", 1, 0, {int64_t(1) << 27}, {0}), six.substr(0, 4)),
       "a view of 134217728 elements of storage '0' (1 elements) would need more than 256 MiB made contiguous"},
      {archive({{"archive/data.pkl", tensor_pickle("FloatStorage", 6, 0, {6}, {1})}, {"archive/version", "3\n"}}),
       "file not found: archive/data/0"},
      {archive({{"archive/data.pkl", std::string("\x80\x02N.", 4)}}), "file not found: archive/version"},
      {archive({{"archive/data.pkl", std::string("\x80\x02N.", 4)}, {"archive/version", "11\n"}}),
       "Attempted to read a PyTorch file with version 11, but the maximum supported version for reading is 10. Your "
       "PyTorch installation may be too old."},
      {archive({{"archive/data.pkl", std::string("\x80\x02N.", 4)}, {"archive/version", "x"}}),
       "the version record does not hold a number: 'x'"},
      {archive({{"data.pkl", std::string("\x80\x02N.", 4)}}), "file in archive is not in a subdirectory: data.pkl"},
      {archive({}), "archive does not contain any files"},
      {archive({{"archive/data.pkl", "\x80\x02" + std::string(2000, '(')}, {"archive/version", "3\n"}}),
       "the pickle nests deeper than 1008 levels"},
      {archive({{"archive/data.pkl", "\x80\x02" "cos\nsystem\n."}, {"archive/version", "3\n"}}),
       "Unsupported class os.system"},
      {{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e},
       "a legacy torch.save file (PyTorch before 1.6, not a zip archive), which eigentorch does not read: load it in "
       "PyTorch and torch.save it again"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.message);
    CHECK_THROWS_WITH_AS(load(c.bytes), (m + c.message).c_str(), et::Error);
  }
}

TEST_CASE("serialize torch_file: a truncated or corrupted file is refused") {
  const std::vector<unsigned char> good = read_bytes(pt_fixture("state_dict.pt"));
  REQUIRE(good.size() > 1000);
  for (std::size_t n : {std::size_t(0), std::size_t(10), std::size_t(100), good.size() / 2, good.size() - 23,
                        good.size() - 1}) {
    CAPTURE(n);
    const std::vector<unsigned char> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS(load(cut), et::Error);
  }
  const std::vector<unsigned char> ten(good.begin(), good.begin() + 10);
  CHECK_THROWS_WITH_AS(load(ten), "'<memory>': PytorchStreamReader failed reading zip archive: failed finding central directory",
                       et::Error);
  // a flipped bit in the first tensor's record
  const ser::MemorySource src(good.data(), good.size());
  const ser::ZipReader zip(src);
  std::vector<unsigned char> bad = good;
  bad[static_cast<std::size_t>(zip.at("state_dict/data/0").data_offset) + 3] ^= 0x10;
  CHECK_THROWS_WITH_AS(load(bad),
                       doctest::Contains("'<memory>': record 'state_dict/data/0' fails its CRC-32 check"), et::Error);
}

TEST_CASE("serialize torch_file: save_pt names a file it cannot write") {
  TempDir dir;
  const Value v = Value::dict({{"a", 1}});
  CHECK_THROWS_WITH_AS(ser::save_pt(v, dir / ".pt"), ("invalid file name: " + dir / ".pt").c_str(), et::Error);
  CHECK_THROWS_WITH_AS(ser::save_pt(v, dir / "no/such/dir.pt"), doctest::Contains((dir / "no/such/dir.pt").c_str()), et::Error);
  CHECK(et::testing::list_dir(dir.path()).empty());
  CHECK(ser::detail::torch_archive_name("/a/b/model.pt") == "model");
  CHECK(ser::detail::torch_archive_name("x.tar.gz") == "x.tar");
  CHECK(ser::detail::torch_archive_name("noext") == "noext");
}
