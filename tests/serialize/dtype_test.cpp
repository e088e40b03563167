// serialize/dtype.hpp: the names of the saved element types, float16 / bfloat16 conversions and decode /
// encode, against PyTorch's conversions (reference/serialize_dtype_cases.hpp).
#include <eigentorch/serialize/dtype.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_dtype_cases.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ser = eigentorch::serialize;
using ser::Dtype;

namespace {
uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
template <class Raw>
std::vector<unsigned char> bytes_of(const std::vector<Raw>& values) {
  std::vector<unsigned char> out(values.size() * sizeof(Raw));
  if (!out.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}
}  // namespace

TEST_CASE("serialize dtype: names in both formats and sizes, and back from the names") {
  const Dtype all[] = {Dtype::boolean, Dtype::uint8,   Dtype::int8,     Dtype::int16,   Dtype::int32,
                       Dtype::int64,   Dtype::float16, Dtype::bfloat16, Dtype::float32, Dtype::float64};
  const char* st[] = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "BF16", "F32", "F64"};
  const char* storage[] = {"BoolStorage", "ByteStorage", "CharStorage",     "ShortStorage", "IntStorage",
                           "LongStorage", "HalfStorage", "BFloat16Storage", "FloatStorage", "DoubleStorage"};
  const std::size_t sizes[] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(std::string(ser::safetensors_name(all[i])) == st[i]);
    CHECK(std::string(ser::storage_name(all[i])) == storage[i]);
    CHECK(ser::element_size(all[i]) == sizes[i]);
    CHECK(ser::dtype_from_safetensors(st[i]) == all[i]);
    CHECK(ser::dtype_from_storage(storage[i]) == all[i]);
  }
  CHECK(std::string(ser::dtype_name(Dtype::bfloat16)) == "torch.bfloat16");
  CHECK_FALSE(ser::dtype_from_safetensors("F8_E4M3").has_value());
  CHECK_FALSE(ser::dtype_from_safetensors("f32").has_value());
  CHECK_FALSE(ser::dtype_from_storage("UntypedStorage").has_value());
  CHECK(ser::dtype_of<float>() == Dtype::float32);
  CHECK(ser::dtype_of<int64_t>() == Dtype::int64);
}

TEST_CASE("serialize dtype: float32 to float16 and bfloat16 and back, bit for bit as PyTorch") {
  for (const auto& c : eigentorch::reference::serialize_narrow_cases) {
    CAPTURE(c.value);
    CHECK(ser::float_to_half(c.value) == c.half);
    CHECK(ser::float_to_bfloat16(c.value) == c.bfloat16);
    CHECK(bits(ser::half_to_float(c.half)) == c.half_back);
    CHECK(bits(ser::bfloat16_to_float(c.bfloat16)) == c.bfloat16_back);
  }
  // Every half widens exactly and narrows back to itself (NaNs to c10's quiet NaN).
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = ser::half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f))
      CHECK(ser::float_to_half(f) == ((h & 0x8000u) | 0x7e00u));
    else if (ser::float_to_half(f) != h)
      CHECK(ser::float_to_half(f) == h);  // (reports only a failure: 65536 checks)
  }
}

TEST_CASE("serialize dtype: float64 to the integer types and bool as PyTorch's copy_") {
  for (const auto& c : eigentorch::reference::serialize_int_cases) {
    CAPTURE(c.value);
    const auto src = bytes_of<double>({c.value});
    int64_t i64 = 0;
    ser::decode(src.data(), Dtype::float64, 1, &i64);
    CHECK(i64 == c.as_int64);
    bool b = false;
    ser::decode(src.data(), Dtype::float64, 1, &b);
    CHECK(b == c.as_bool);
    unsigned char out[8] = {};
    ser::encode(&c.value, 1, Dtype::uint8, out);
    CHECK(out[0] == c.as_uint8);
    ser::encode(&c.value, 1, Dtype::int8, out);
    CHECK(static_cast<int8_t>(out[0]) == c.as_int8);
    int16_t i16;
    ser::encode(&c.value, 1, Dtype::int16, out);
    std::memcpy(&i16, out, 2);
    CHECK(i16 == c.as_int16);
    int32_t i32;
    ser::encode(&c.value, 1, Dtype::int32, out);
    std::memcpy(&i32, out, 4);
    CHECK(i32 == c.as_int32);
    ser::encode(&c.value, 1, Dtype::int64, out);
    std::memcpy(&i64, out, 8);
    CHECK(i64 == c.as_int64);
    ser::encode(&c.value, 1, Dtype::boolean, out);
    CHECK(out[0] == (c.as_bool ? 1 : 0));
  }
}

TEST_CASE_TEMPLATE("serialize dtype: decode of every type to T", T, float, double) {
  std::vector<T> out(3);
  ser::decode(bytes_of<int32_t>({-7, 0, 123456789}).data(), Dtype::int32, 3, out.data());
  CHECK(out == std::vector<T>{T(-7), T(0), T(123456789)});  // (float rounds 123456789 as PyTorch does)
  ser::decode(bytes_of<uint8_t>({0, 200, 255}).data(), Dtype::uint8, 3, out.data());
  CHECK(out == std::vector<T>{0, 200, 255});
  ser::decode(bytes_of<int8_t>({-128, 1, 127}).data(), Dtype::int8, 3, out.data());
  CHECK(out == std::vector<T>{-128, 1, 127});
  ser::decode(bytes_of<int16_t>({-32768, 2, 32767}).data(), Dtype::int16, 3, out.data());
  CHECK(out == std::vector<T>{-32768, 2, 32767});
  ser::decode(bytes_of<int64_t>({INT64_MIN, -1, 1ll << 53}).data(), Dtype::int64, 3, out.data());
  CHECK(out == std::vector<T>{T(-0x1p63), -1, T(0x1p53)});
  ser::decode(bytes_of<uint8_t>({0, 1, 7}).data(), Dtype::boolean, 3, out.data());  // a stray byte is true
  CHECK(out == std::vector<T>{0, 1, 1});
  ser::decode(bytes_of<uint16_t>({0x3c00, 0xc100, 0x0001}).data(), Dtype::float16, 3, out.data());
  CHECK(out == std::vector<T>{1, T(-2.5), T(0x1p-24)});
  ser::decode(bytes_of<uint16_t>({0x3f80, 0xc020, 0x4974}).data(), Dtype::bfloat16, 3, out.data());
  CHECK(out == std::vector<T>{1, T(-2.5), T(999424)});
  ser::decode(bytes_of<float>({0.1f, -0.0f, 3e38f}).data(), Dtype::float32, 3, out.data());
  CHECK(out == std::vector<T>{T(0.1f), T(-0.0f), T(3e38f)});
  ser::decode(bytes_of<double>({0.1, 1e-300, -2.5}).data(), Dtype::float64, 3, out.data());
  CHECK(out == std::vector<T>{T(0.1), T(1e-300), T(-2.5)});  // (float: 1e-300 underflows to 0)
  const unsigned char none = 0;
  ser::decode(&none, Dtype::float64, 0, out.data());  // nothing to do
}

TEST_CASE("serialize dtype: encode writes T as each type, decode reads it back") {
  const std::vector<double> values = {-3.75, 0.0, 1.5, 100.25};
  std::vector<unsigned char> buf(values.size() * 8);
  std::vector<double> back(values.size());
  ser::encode(values.data(), values.size(), Dtype::float16, buf.data());
  ser::decode(buf.data(), Dtype::float16, values.size(), back.data());
  CHECK(back == values);
  ser::encode(values.data(), values.size(), Dtype::bfloat16, buf.data());
  ser::decode(buf.data(), Dtype::bfloat16, values.size(), back.data());
  CHECK(back == std::vector<double>{-3.75, 0.0, 1.5, 100.0});  // bfloat16 keeps 8 bits
  ser::encode(values.data(), values.size(), Dtype::float32, buf.data());
  ser::decode(buf.data(), Dtype::float32, values.size(), back.data());
  CHECK(back == values);
  ser::encode(values.data(), values.size(), Dtype::int16, buf.data());
  ser::decode(buf.data(), Dtype::int16, values.size(), back.data());
  CHECK(back == std::vector<double>{-3, 0, 1, 100});
}

TEST_CASE("serialize dtype: decode_value keeps every type without loss") {
  const auto v16 = ser::decode_value(bytes_of<uint16_t>({0x3c00, 0x0001}).data(), Dtype::float16, {2});
  REQUIRE(v16.kind() == eigentorch::Value::Kind::float_tensor);
  CHECK(v16.as_tensor<float>().to_vector() == std::vector<float>{1.0f, 0x1p-24f});
  const auto v64 = ser::decode_value(bytes_of<double>({0.1}).data(), Dtype::float64, {});
  REQUIRE(v64.kind() == eigentorch::Value::Kind::double_tensor);
  CHECK(v64.as_tensor<double>().dim() == 0);
  CHECK(v64.as_tensor<double>().item() == 0.1);
  const auto vi = ser::decode_value(bytes_of<uint8_t>({255, 0, 3, 4}).data(), Dtype::uint8, {2, 2});
  REQUIRE(vi.kind() == eigentorch::Value::Kind::int64_tensor);
  CHECK(vi.as_tensor<int64_t>().shape() == eigentorch::Size({2, 2}));
  CHECK(vi.as_tensor<int64_t>().to_vector() == std::vector<int64_t>{255, 0, 3, 4});
  const auto vb = ser::decode_value(bytes_of<uint8_t>({1, 0}).data(), Dtype::boolean, {2});
  CHECK(vb.as_tensor<int64_t>().to_vector() == std::vector<int64_t>{1, 0});
  const unsigned char none = 0;
  const auto empty = ser::decode_value(&none, Dtype::float32, {0, 3});
  CHECK(empty.as_tensor<float>().shape() == eigentorch::Size({0, 3}));
}

TEST_CASE("serialize dtype: saved_as_int64 and the checked sizes") {
  CHECK(ser::saved_as_int64("bn.num_batches_tracked"));
  CHECK(ser::saved_as_int64("num_batches_tracked"));
  CHECK_FALSE(ser::saved_as_int64("bn.running_mean"));
  CHECK_FALSE(ser::saved_as_int64("tracked"));
  CHECK(ser::checked_mul(1u << 20, 1u << 20, "numel") == (std::size_t(1) << 40));
  CHECK_THROWS_WITH_AS(ser::checked_mul(std::size_t(1) << 40, std::size_t(1) << 40, "numel"),
                       "numel: 1099511627776 * 1099511627776 overflows", eigentorch::Error);
  CHECK_THROWS_WITH_AS(ser::checked_add(SIZE_MAX, 2, "end"), "end: 18446744073709551615 + 2 overflows",
                       eigentorch::Error);
}
