// safetensors: the fixtures of make_serialize_safetensors_reference.py (every dtype, 0-d and empty
// tensors, metadata, a file laid out in another order) loaded as float and double and without loss,
// value for value against PyTorch's conversions; saves byte-identical to the script's files (the crate's
// layout) for float, double, F16, BF16 and metadata; round trips; and every malformed file refused with
// its message, each built from a good file.
#include <eigentorch/serialize/safetensors.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_safetensors_cases.hpp"
#include "serialize/serialize_test_util.hpp"

#include <cmath>    // isnan, signbit
#include <cstdint>
#include <cstring>  // memcpy
#include <string>
#include <utility>
#include <vector>

namespace et = eigentorch;
namespace st = eigentorch::serialize;
using et::reference::st_sources;
using et::reference::st_tensors;
using et::testing::error_of;
using et::testing::read_bytes;
using et::testing::TempDir;

namespace {

const std::string kData = et::testing::serialize_fixture("");

/// Same value, bit for bit up to NaN's payload (so -0 differs from 0, NaN equals NaN).
template <class T>
bool same(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

template <class T>
const T* expected_values() {
  if constexpr (std::is_same_v<T, float>)
    return et::reference::st_as_float;
  else
    return et::reference::st_as_double;
}

/// The fixture rows of one file, in the order the reference lists them (name order).
std::vector<const et::reference::StTensor*> rows_of(const std::string& file) {
  std::vector<const et::reference::StTensor*> rows;
  for (const auto& r : st_tensors)
    if (file == r.file) rows.push_back(&r);
  return rows;
}

const char* const kFixtures[] = {"dtypes.safetensors",  "shuffled.safetensors", "sd_f32.safetensors",
                                 "sd_f64.safetensors",  "sd_f16.safetensors",   "sd_bf16.safetensors",
                                 "sd_f64_as_f32.safetensors"};

/// The state dict of st_sources `type` ("float" or "double"), as T, in insertion order.
template <class T>
et::nn::OrderedDict<T> source_dict(const std::string& type) {
  et::nn::OrderedDict<T> sd;
  for (const auto& s : st_sources) {
    if (type != s.type) continue;
    et::Tensor<T> t{et::Size(s.shape)};
    for (std::size_t i = 0; i < s.values.size(); ++i) t.data()[i] = static_cast<T>(s.values[i]);
    sd.insert(s.key, t);
  }
  return sd;
}

// ---- malformed files, built from a good one --------------------------------------------------------

/// A file: the header's length, the header (as given: no padding added), the data.
std::vector<unsigned char> file_of(const std::string& header, std::size_t data_bytes) {
  std::vector<unsigned char> f(8 + header.size() + data_bytes, 0);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f[i] = static_cast<unsigned char>(n >> (8 * i));
  std::memcpy(f.data() + 8, header.data(), header.size());
  return f;
}
/// What reading `bytes` throws ("" if nothing): the header alone, then the values (both must agree).
std::string read_error(const std::vector<unsigned char>& bytes) {
  const st::MemorySource src(bytes.data(), bytes.size());
  const std::string header = error_of([&] { st::read_safetensors_header(src); });
  const std::string as_float = error_of([&] { st::load_safetensors<float>(src); });
  const std::string values = error_of([&] { st::load_safetensors_values(src); });
  CHECK(as_float == header);
  CHECK(values == header);
  return header;
}
/// A good one-tensor header with `entry` as the tensor "a"'s object.
std::string one(const std::string& entry) { return "{\"a\":" + entry + "}"; }
const std::string kGood = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})";

}  // namespace

TEST_CASE_TEMPLATE("safetensors: every fixture loads as T, value for value as copy_ converts", T, float, double) {
  for (const char* file : kFixtures) {
    CAPTURE(file);
    const et::nn::OrderedDict<T> sd = st::load_safetensors<T>(kData + file);
    const auto rows = rows_of(file);
    REQUIRE(sd.size() == rows.size());
    std::size_t i = 0;
    for (const auto& kv : sd) {
      const auto& row = *rows[i++];
      CAPTURE(row.key);
      CHECK(kv.first == row.key);
      CHECK(kv.second.shape() == et::Size(row.shape));
      REQUIRE(static_cast<std::size_t>(kv.second.numel()) == row.numel);
      for (std::size_t j = 0; j < row.numel; ++j) {
        CAPTURE(j);
        CHECK(same(kv.second.data()[j], expected_values<T>()[row.offset + j]));
      }
    }
  }
}

TEST_CASE("safetensors: load_safetensors_values keeps every dtype's values without loss") {
  for (const char* file : kFixtures) {
    CAPTURE(file);
    const auto values = st::load_safetensors_values(kData + file);
    const auto rows = rows_of(file);
    REQUIRE(values.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& row = *rows[i];
      const et::Value& v = values[i].second;
      CAPTURE(row.key);
      CHECK(values[i].first == row.key);
      const std::string dt = row.dtype;
      if (dt == "F16" || dt == "BF16" || dt == "F32") {
        REQUIRE(v.kind() == et::Value::Kind::float_tensor);
        const auto& t = v.as_tensor<float>();
        CHECK(t.shape() == et::Size(row.shape));
        for (std::size_t j = 0; j < row.numel; ++j) CHECK(same(t.data()[j], et::reference::st_as_float[row.offset + j]));
      } else if (dt == "F64") {
        REQUIRE(v.kind() == et::Value::Kind::double_tensor);
        const auto& t = v.as_tensor<double>();
        CHECK(t.shape() == et::Size(row.shape));
        for (std::size_t j = 0; j < row.numel; ++j) CHECK(same(t.data()[j], et::reference::st_as_double[row.offset + j]));
      } else {
        REQUIRE(v.kind() == et::Value::Kind::int64_tensor);
        const auto& t = v.as_tensor<int64_t>();
        CHECK(t.shape() == et::Size(row.shape));
        for (std::size_t j = 0; j < row.numel; ++j) CHECK(t.data()[j] == et::reference::st_as_int64[row.offset + j]);
      }
    }
  }
}

TEST_CASE("safetensors: the header's metadata, dtypes and offsets") {
  const st::SafetensorsHeader h = st::read_safetensors_header(st::InputFile(kData + "dtypes.safetensors"));
  REQUIRE(h.metadata.has_value());
  CHECK(*h.metadata == std::vector<std::pair<std::string, std::string>>{
                           {"format", "pt"}, {"source", "make_serialize_safetensors_reference.py"}});
  CHECK(h.data_start % 8 == 0);
  REQUIRE(h.tensors.size() == 14);
  CHECK(h.tensors[0].name == "bf16");
  CHECK(h.tensors[0].dtype == st::Dtype::bfloat16);
  CHECK(h.tensors[9].name == "i64");
  CHECK(h.tensors[9].begin == 0);  // I64 first: the crate's order
  CHECK(h.tensors[9].end == 48);
  CHECK_FALSE(st::read_safetensors_header(st::InputFile(kData + "sd_f32.safetensors")).metadata.has_value());
  const auto empty = st::read_safetensors_header(st::InputFile(kData + "sd_bf16.safetensors")).metadata;
  REQUIRE(empty.has_value());  // "__metadata__":{}
  CHECK(empty->empty());
  const auto sh = st::read_safetensors_header(st::InputFile(kData + "shuffled.safetensors"));
  REQUIRE(sh.tensors.size() == 3);
  CHECK(sh.tensors[0].begin == 4);  // "a" after "c" in the data
  CHECK(sh.tensors[2].begin == 0);
}

TEST_CASE("safetensors: saves are byte for byte the crate's files") {
  TempDir dir;
  const auto check_same = [&](const std::string& fixture) {
    CAPTURE(fixture);
    const auto expected = read_bytes(kData + fixture);
    REQUIRE_FALSE(expected.empty());
    CHECK(read_bytes(dir / fixture) == expected);
  };
  const auto f = source_dict<float>("float");
  const auto d = source_dict<double>("double");
  st::save_safetensors(f, dir / "sd_f32.safetensors");
  check_same("sd_f32.safetensors");
  st::save_safetensors(d, dir / "sd_f64.safetensors");
  check_same("sd_f64.safetensors");
  st::save_safetensors(f, dir / "sd_f16.safetensors",
                       st::SafetensorsOptions().metadata({{"format", "pt"}}).dtype(st::Dtype::float16));
  check_same("sd_f16.safetensors");
  st::save_safetensors(f, dir / "sd_bf16.safetensors", st::SafetensorsOptions().dtype(st::Dtype::bfloat16).metadata({}));
  check_same("sd_bf16.safetensors");
  st::save_safetensors(d, dir / "sd_f64_as_f32.safetensors",
                       st::SafetensorsOptions().metadata({{"b", "2"}, {"a", "\xc3\xa9\n\"1\""}}).dtype(st::Dtype::float32));
  check_same("sd_f64_as_f32.safetensors");
  CHECK(et::testing::list_dir(dir.path()).size() == 5);  // no temporaries left
}

// The byte arrays the crate's own tests expect of serialize() (safetensors/src/tensor.rs, commit 24b0b28:
// test_serialization, test_serialization_forced_alignement, test_empty), copied as they are there.
TEST_CASE("safetensors: saves equal the crate's own test vectors") {
  TempDir dir;
  const auto saved = [&](const et::nn::OrderedDict<float>& sd, const st::SafetensorsOptions& o = {}) {
    st::save_safetensors(sd, dir / "v.safetensors", o);
    return read_bytes(dir / "v.safetensors");
  };
  const auto iota = [](et::Size shape) {
    et::Tensor<float> t(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);
    return t;
  };
  et::nn::OrderedDict<float> attn;
  attn.insert("attn.0", iota({1, 2, 3}));
  CHECK(saved(attn) == std::vector<unsigned char>{
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64});
  et::nn::OrderedDict<float> attn0;
  attn0.insert("attn0", iota({1, 1, 2, 3}));
  CHECK(saved(attn0) == std::vector<unsigned char>{
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64});
  // and reads the crate's documentation example: an unpadded header, I32 data
  const char doc[] = "<\0\0\0\0\0\0\0{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
  std::vector<unsigned char> doc_file(doc, doc + sizeof doc - 1);
  REQUIRE(doc_file.size() == 8 + 60);
  doc_file.resize(doc_file.size() + 16, 0);
  doc_file[8 + 60 + 4] = 7;  // element 1 = 7
  const st::MemorySource src(doc_file.data(), doc_file.size());
  const auto values = st::load_safetensors_values(src);
  REQUIRE(values.size() == 1);
  CHECK(values[0].second.as_tensor<int64_t>().to_vector() == std::vector<int64_t>{0, 7, 0, 0});
  CHECK(st::load_safetensors<double>(src)["test"].to_vector() == std::vector<double>{0, 7, 0, 0});
  CHECK(saved({}) == std::vector<unsigned char>{8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32});
  CHECK(saved({}, st::SafetensorsOptions().metadata({{"framework", "pt"}})) == std::vector<unsigned char>{
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32});
}

TEST_CASE_TEMPLATE("safetensors: save then load gives the same state dict, in every float dtype", T, float, double) {
  TempDir dir;
  const auto sd = source_dict<T>(std::is_same_v<T, float> ? "float" : "double");
  for (st::Dtype d : {st::Dtype::float16, st::Dtype::bfloat16, st::Dtype::float32, st::Dtype::float64}) {
    CAPTURE(st::safetensors_name(d));
    st::save_safetensors(sd, dir / "m.safetensors", st::SafetensorsOptions().dtype(d));
    const auto back = st::load_safetensors<T>(dir / "m.safetensors");
    const auto values = st::load_safetensors_values(dir / "m.safetensors");
    REQUIRE(back.size() == sd.size());
    for (const auto& kv : sd) {
      CAPTURE(kv.first);
      const et::Tensor<T>& b = back[kv.first];
      REQUIRE(b.shape() == kv.second.shape());
      for (int64_t j = 0; j < b.numel(); ++j) {
        const T x = kv.second.data()[j];
        // what the file holds: x rounded to d (an exact integer for num_batches_tracked)
        T want = x;
        if (st::saved_as_int64(kv.first)) want = static_cast<T>(static_cast<int64_t>(x));
        else if (d == st::Dtype::float16) want = static_cast<T>(st::half_to_float(st::float_to_half(static_cast<float>(x))));
        else if (d == st::Dtype::bfloat16) want = static_cast<T>(st::bfloat16_to_float(st::float_to_bfloat16(static_cast<float>(x))));
        else if (d == st::Dtype::float32) want = static_cast<T>(static_cast<float>(x));
        CHECK(same(b.data()[j], want));
      }
    }
    for (const auto& kv : values)
      if (st::saved_as_int64(kv.first)) {
        REQUIRE(kv.second.kind() == et::Value::Kind::int64_tensor);
        CHECK(kv.second.as_tensor<int64_t>().item() == 7);
      }
  }
}

TEST_CASE("safetensors: tensors larger than the 1 MiB buffers, converted in pieces") {
  TempDir dir;
  const int64_t n = 600001;  // F16: 524,288 elements a piece; F32: 262,144
  et::Tensor<float> big(et::Size{n});
  for (int64_t i = 0; i < n; ++i) big.data()[i] = static_cast<float>(i % 4099) * 0.37f - 700.0f;
  et::nn::OrderedDict<float> sd;
  sd.insert("small", et::Tensor<float>(et::Size{3}));
  sd.insert("big", big);
  for (st::Dtype d : {st::Dtype::float16, st::Dtype::float32, st::Dtype::float64}) {
    CAPTURE(st::safetensors_name(d));
    st::save_safetensors(sd, dir / "big.safetensors", st::SafetensorsOptions().dtype(d));
    CHECK(read_bytes(dir / "big.safetensors").size() % 8 == 0);
    const auto f = st::load_safetensors<float>(dir / "big.safetensors");
    const auto g = st::load_safetensors<double>(dir / "big.safetensors");
    const float* got = f["big"].data();
    const double* got_d = g["big"].data();
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float x = big.data()[i];
      const float want = d == st::Dtype::float16 ? st::half_to_float(st::float_to_half(x)) : x;
      bad += !same(got[i], want) + !same(got_d[i], static_cast<double>(want));
    }
    CHECK(bad == 0);
    CHECK(f["small"].to_vector() == std::vector<float>{0, 0, 0});
  }
}

TEST_CASE("safetensors: an empty state dict, and the options' checks") {
  TempDir dir;
  st::save_safetensors(et::nn::OrderedDict<float>(), dir / "e.safetensors");
  const auto bytes = read_bytes(dir / "e.safetensors");
  CHECK(std::string(bytes.begin() + 8, bytes.end()) == "{}      ");
  CHECK(bytes[0] == 8);
  CHECK(st::load_safetensors<float>(dir / "e.safetensors").empty());
  CHECK(error_of([] { st::SafetensorsOptions().dtype(st::Dtype::int32); }) ==
        "save_safetensors: dtype must be F16, BF16, F32 or F64, got I32");
  CHECK_THROWS_AS(st::SafetensorsOptions().dtype(st::Dtype::boolean), et::ValueError);
  et::nn::OrderedDict<float> sd;
  sd.insert("w", et::Tensor<float>());
  CHECK(error_of([&] { st::save_safetensors(sd, dir / "u.safetensors"); }) == "save_safetensors: tensor \"w\" is undefined");
  CHECK(error_of([] { st::load_safetensors<float>("/nonexistent/m.safetensors"); }) ==
        "cannot open '/nonexistent/m.safetensors': No such file or directory");
}

TEST_CASE("safetensors: a good file, and the header length's checks") {
  const auto good = file_of(kGood, 16);
  CHECK(read_error(good) == "");
  CHECK(read_error({1, 2, 3, 4, 5}) == "'<memory>': not a safetensors file: 5 bytes, fewer than the 8 of the header length");
  CHECK(read_error({}) == "'<memory>': not a safetensors file: 0 bytes, fewer than the 8 of the header length");
  auto big = good;
  for (int i = 0; i < 8; ++i) big[i] = 0xff;
  CHECK(read_error(big) == "'<memory>': safetensors header length 18446744073709551615 exceeds the limit of 100000000 bytes");
  auto over = good;
  const std::uint64_t limit_plus_one = 100000001;
  for (int i = 0; i < 8; ++i) over[i] = static_cast<unsigned char>(limit_plus_one >> (8 * i));
  CHECK(read_error(over) == "'<memory>': safetensors header length 100000001 exceeds the limit of 100000000 bytes");
  auto past = good;
  past[0] = static_cast<unsigned char>(good.size() - 7);
  CHECK(read_error(past) == "'<memory>': safetensors header length " + std::to_string(good.size() - 7) +
                                " passes the end of the file (" + std::to_string(good.size()) + " bytes)");
  // a truncated file: the data no longer covers the last tensor
  auto cut = good;
  cut.resize(cut.size() - 1);
  CHECK(read_error(cut) == "'<memory>': tensor \"b\": data_offsets [8, 16] pass the end of the data (15 bytes after the header)");
  // the header cut short by a lying length
  auto shorter = good;
  shorter[0] = static_cast<unsigned char>(kGood.size() - 2);
  CHECK(read_error(shorter) == "'<memory>': safetensors header: unexpected end of JSON, expected ',' or '}' at byte " +
                                   std::to_string(8 + kGood.size() - 2));
}

TEST_CASE("safetensors: the header's JSON and its structure") {
  const std::string pre = "'<memory>': safetensors header: ";
  CHECK(read_error(file_of("[]", 0)) == pre + "the header is not a JSON object at byte 8");
  CHECK(read_error(file_of("", 0)) == pre + "unexpected end of JSON at byte 8");
  CHECK(read_error(file_of("{\"a\":", 0)) == pre + "unexpected end of JSON at byte 13");
  CHECK(read_error(file_of("{} x", 0)) == pre + "trailing characters after the JSON value at byte 11");
  CHECK(read_error(file_of("{}\0\0", 0)) == "");  // the literal ends at the first NUL
  CHECK(read_error(file_of(std::string("{}\0 ", 4), 0)) == pre + "trailing characters after the JSON value at byte 10");
  CHECK(read_error(file_of("{}      ", 0)) == "");
  CHECK(read_error(file_of(one("[]"), 0)) ==
        pre + "tensor \"a\": expected an object {\"dtype\", \"shape\", \"data_offsets\"} at byte 13");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[]})"), 4)) == pre + "tensor \"a\": missing \"data_offsets\" at byte 13");
  CHECK(read_error(file_of(one(R"({"shape":[],"data_offsets":[0,4]})"), 4)) == pre + "tensor \"a\": missing \"dtype\" at byte 13");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","data_offsets":[0,4]})"), 4)) == pre + "tensor \"a\": missing \"shape\" at byte 13");
  CHECK(read_error(file_of(one(R"({"dtype":3,"shape":[],"data_offsets":[0,4]})"), 4)) ==
        pre + "tensor \"a\": \"dtype\" must be a string at byte 22");
  // unknown fields are skipped, as the crate's serde skips them, but still checked as JSON
  CHECK(read_error(file_of(one(R"({"dtype":"F32","x":{"y":[1,null,true]},"shape":[],"data_offsets":[0,4]})"), 4)) == "");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","x":{"y":1,"y":2},"shape":[],"data_offsets":[0,4]})"), 4)) ==
        pre + "duplicate key \"y\" at byte 39");
  std::string deep = R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":)" + std::string(200, '[') +
                     std::string(200, ']') + "}}";
  CHECK(read_error(file_of(deep, 4)) == pre + "nesting deeper than 128 levels at byte 190");
}

TEST_CASE("safetensors: dtypes and shapes") {
  const std::string pre = "'<memory>': safetensors header: ";
  CHECK(read_error(file_of(one(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})"), 1)) ==
        pre + "tensor \"a\": unknown dtype \"F8_E4M3\" (eigentorch reads BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64) at byte 22");
  CHECK(read_error(file_of(one(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})"), 4)).find("unknown dtype \"f32\"") !=
        std::string::npos);
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4)) ==
        pre + "expected a shape entry, got -1 at byte 37");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,4]})"), 4)) ==
        pre + "expected a shape entry, got 2.5 at byte 37");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":["2"],"data_offsets":[0,4]})"), 4)) ==
        pre + "expected a shape entry, found '\"' at byte 37");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":2,"data_offsets":[0,4]})"), 4)) ==
        pre + "tensor \"a\": \"shape\" must be an array of non-negative integers at byte 36");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]})"), 4)) ==
        pre + "a shape entry 18446744073709551616 overflows 64 bits at byte 37");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]})"), 4)) ==
        pre + "tensor \"a\": shape entry 9223372036854775808 is larger than 2^63 - 1 at byte 37");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]})"), 4)) ==
        "'<memory>': tensor \"a\": shape [4294967296, 4294967296, 4] has more than 2^63 - 1 elements");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]})"), 4)) ==
        "'<memory>': tensor \"a\": shape [4611686018427387904] of F32 overflows 64 bits in bytes");
  CHECK(read_error(file_of(one(R"({"dtype":"U8","shape":[9223372036854775807,2],"data_offsets":[0,4]})"), 4)) ==
        "'<memory>': tensor \"a\": shape [9223372036854775807, 2] has more than 2^63 - 1 elements");
  // an empty dimension makes any other dimension harmless (the crate's checked product is 0)
  CHECK(read_error(file_of(one(R"({"dtype":"F64","shape":[0,9223372036854775807],"data_offsets":[0,0]})"), 0)) == "");
}

TEST_CASE("safetensors: data_offsets that lie") {
  const std::string pre = "'<memory>': ";
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), 4)) ==
        pre + "tensor \"a\" of dtype F32 and shape [2] needs 8 bytes, but its data_offsets [0, 4] hold 4");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[],"data_offsets":[8,4]})"), 8)) ==
        pre + "tensor \"a\": data_offsets [8, 4] end before they begin");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8,16]})"), 8)) ==
        pre + "tensor \"a\": data_offsets [8, 16] pass the end of the data (8 bytes after the header)");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[],"data_offsets":[18446744073709551612,0]})"), 8)) ==
        pre + "tensor \"a\": data_offsets [18446744073709551612, 0] end before they begin");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]})"), 8)) ==
        "'<memory>': safetensors header: a data offset 18446744073709551616 overflows 64 bits at byte 77");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"), 4)) ==
        "'<memory>': safetensors header: tensor \"a\": \"data_offsets\" must be two non-negative integers [begin, end] at byte 55");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4]})"), 4)) ==
        "'<memory>': safetensors header: tensor \"a\": \"data_offsets\" must be two non-negative integers [begin, end] at byte 55");
  CHECK(read_error(file_of(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,-4]})"), 4)) ==
        "'<memory>': safetensors header: expected a data offset, got -4 at byte 58");
  const auto two = [](const char* a, const char* b, std::size_t data) {
    return file_of(std::string("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":") + a +
                       "},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + b + "}}",
                   data);
  };
  CHECK(read_error(two("[0,8]", "[8,16]", 16)) == "");
  CHECK(read_error(two("[8,16]", "[0,8]", 16)) == "");  // any order in the header
  CHECK(read_error(two("[0,8]", "[4,12]", 12)) ==
        pre + "tensor \"a\" and tensor \"b\" overlap (data_offsets [0, 8] and [4, 12])");
  CHECK(read_error(two("[0,8]", "[0,8]", 8)) == pre + "tensor \"a\" and tensor \"b\" overlap (data_offsets [0, 8] and [0, 8])");
  CHECK(read_error(two("[0,8]", "[12,20]", 20)) ==
        pre + "bytes [8, 12] of the data belong to no tensor (a hole before tensor \"b\")");
  CHECK(read_error(two("[4,12]", "[12,20]", 20)) ==
        pre + "bytes [0, 4] of the data belong to no tensor (a hole before tensor \"a\")");
  CHECK(read_error(two("[0,8]", "[8,16]", 20)) ==
        pre + "the data's last 4 bytes ([16, 20] after the header) belong to no tensor: the tensors must cover the file to its end");
  CHECK(read_error(file_of("{}", 1)) ==
        pre + "the data's last 1 bytes ([0, 1] after the header) belong to no tensor: the tensors must cover the file to its end");
  // an empty tensor inside another one's bytes is an overlap (the crate: offsets must follow each other)
  CHECK(read_error(file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})", 8)) ==
        pre + "tensor \"a\" and tensor \"e\" overlap (data_offsets [0, 8] and [4, 4])");
  CHECK(read_error(file_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})", 8)) == "");
}

TEST_CASE("safetensors: duplicate keys, invalid UTF-8 and __metadata__") {
  const std::string pre = "'<memory>': safetensors header: ";
  const std::string a = R"({"dtype":"F32","shape":[],"data_offsets":[0,4]})";
  CHECK(read_error(file_of("{\"a\":" + a + ",\"a\":" + a + "}", 4)) == pre + "duplicate key \"a\" at byte 61");
  CHECK(read_error(file_of("{\"\xff\":" + a + "}", 4)) == pre + "invalid UTF-8 (byte 0xff) in a string at byte 10");
  CHECK(read_error(file_of("{\"\xed\xa0\x80\":" + a + "}", 4)) == pre + "invalid UTF-8 (byte 0xed) in a string at byte 10");
  CHECK(read_error(file_of("{\"\\ud800\":" + a + "}", 4)) == pre + "lone leading surrogate in a \\u escape at byte 10");
  // a name in any valid UTF-8, escaped or not
  CHECK(read_error(file_of("{\"\\u00e9\\ud83d\\ude00\xc3\xa9\":" + a + "}", 4)) == "");
  CHECK(read_error(file_of(R"({"__metadata__":{"k":1}})", 0)) ==
        pre + "__metadata__ must be an object of strings, but \"k\" is not at byte 29");
  CHECK(read_error(file_of(R"({"__metadata__":["k"]})", 0)) == pre + "__metadata__ must be an object of strings at byte 24");
  CHECK(read_error(file_of(R"({"__metadata__":{"k":"1","k":"2"}})", 0)) == pre + "duplicate key \"k\" at byte 33");
  CHECK(read_error(file_of(R"({"__metadata__":{},"__metadata__":{}})", 0)) == pre + "duplicate key \"__metadata__\" at byte 27");
  CHECK(read_error(file_of(R"({"__metadata__":null})", 0)) == "");  // the crate's Option: null is none
  const auto bytes = file_of(R"({"__metadata__":{"b":"\u00e9\n","a":""}})", 0);
  const st::MemorySource src(bytes.data(), bytes.size());
  const auto h = st::read_safetensors_header(src);
  REQUIRE(h.metadata.has_value());
  CHECK(*h.metadata == std::vector<std::pair<std::string, std::string>>{{"b", "\xc3\xa9\n"}, {"a", ""}});
}

TEST_CASE("safetensors: errors name the file") {
  TempDir dir;
  et::testing::write_bytes(dir / "bad.safetensors", file_of(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), 4));
  CHECK(error_of([&] { st::load_safetensors<double>(dir / "bad.safetensors"); }) ==
        "'" + (dir / "bad.safetensors") + "': tensor \"a\" of dtype F32 and shape [2] needs 8 bytes, but its data_offsets [0, 4] hold 4");
  et::testing::write_bytes(dir / "bad2.safetensors", file_of("{\"a\"}", 0));
  CHECK(error_of([&] { st::load_safetensors_values(dir / "bad2.safetensors"); }) ==
        "'" + (dir / "bad2.safetensors") + "': safetensors header: expected ':', found '}' at byte 12");
}
