// The element types a saved tensor can have (safetensors' and torch.save's), their names in both formats,
// IEEE half and bfloat16 conversions, and decode / encode between a file's little-endian bytes and T.
// Loading converts as PyTorch's load_state_dict copies (Tensor.copy_): floats round to nearest, floats to
// integers truncate toward zero, anything nonzero is true.
#pragma once

#include "../error.hpp"
#include "../tensor/value.hpp"

#include <cmath>    // isnan, nearbyint
#include <cstddef>  // size_t
#include <cstdint>
#include <cstring>  // memcpy
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "eigentorch/serialize: the file formats are little-endian; this host is not"
#endif

namespace eigentorch::serialize {

/// A saved tensor's element type.
enum class Dtype { boolean, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64 };

namespace detail {
struct DtypeInfo {
  const char* torch;        // dtype_name
  const char* safetensors;  // the header's "dtype"
  const char* storage;      // torch.save's storage class
  std::size_t size;
};
inline const DtypeInfo& info(Dtype d) {
  static const DtypeInfo table[] = {
      {"torch.bool", "BOOL", "BoolStorage", 1},         {"torch.uint8", "U8", "ByteStorage", 1},
      {"torch.int8", "I8", "CharStorage", 1},           {"torch.int16", "I16", "ShortStorage", 2},
      {"torch.int32", "I32", "IntStorage", 4},          {"torch.int64", "I64", "LongStorage", 8},
      {"torch.float16", "F16", "HalfStorage", 2},       {"torch.bfloat16", "BF16", "BFloat16Storage", 2},
      {"torch.float32", "F32", "FloatStorage", 4},      {"torch.float64", "F64", "DoubleStorage", 8},
  };
  return table[static_cast<int>(d)];
}
constexpr int kDtypes = 10;
}  // namespace detail

/// Bytes per element.
inline std::size_t element_size(Dtype d) { return detail::info(d).size; }
/// PyTorch's name: "torch.float16".
inline const char* dtype_name(Dtype d) { return detail::info(d).torch; }
/// The safetensors header's name: "F16".
inline const char* safetensors_name(Dtype d) { return detail::info(d).safetensors; }
/// torch.save's storage class: "HalfStorage".
inline const char* storage_name(Dtype d) { return detail::info(d).storage; }

inline std::optional<Dtype> dtype_from_safetensors(std::string_view name) {
  for (int i = 0; i < detail::kDtypes; ++i)
    if (name == detail::info(static_cast<Dtype>(i)).safetensors) return static_cast<Dtype>(i);
  return std::nullopt;
}
inline std::optional<Dtype> dtype_from_storage(std::string_view name) {
  for (int i = 0; i < detail::kDtypes; ++i)
    if (name == detail::info(static_cast<Dtype>(i)).storage) return static_cast<Dtype>(i);
  return std::nullopt;
}

/// The Dtype of a tensor element type.
template <class T>
constexpr Dtype dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t> ||
                    std::is_same_v<T, bool>,
                "dtype_of<T>: T must be float, double, int64_t or bool");
  if constexpr (std::is_same_v<T, float>) return Dtype::float32;
  if constexpr (std::is_same_v<T, double>) return Dtype::float64;
  if constexpr (std::is_same_v<T, int64_t>) return Dtype::int64;
  return Dtype::boolean;
}

namespace detail {
inline bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}
}  // namespace detail

/// Whether a state-dict key is saved as int64 whatever the model's T: PyTorch's BatchNorm keeps
/// num_batches_tracked as an int64 buffer, eigentorch as a T tensor.
inline bool saved_as_int64(const std::string& key) { return detail::ends_with(key, "num_batches_tracked"); }

/// a * b for sizes read from a file; throws instead of wrapping around.
inline std::size_t checked_mul(std::size_t a, std::size_t b, const char* what) {
  std::size_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) eigentorch::detail::fail({what, ": ", a, " * ", b, " overflows"});
  return r;
}
/// a + b for sizes read from a file; throws instead of wrapping around.
inline std::size_t checked_add(std::size_t a, std::size_t b, const char* what) {
  std::size_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) eigentorch::detail::fail({what, ": ", a, " + ", b, " overflows"});
  return r;
}

// IEEE binary16 <-> float, as c10::Half converts: exact widening; narrowing rounds to nearest even,
// overflow to infinity, NaN stays NaN (quiet, sign kept).
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);  // inf, NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);  // normal: rebias 15 -> 127
  } else if (man == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal half: value = man * 2^-24, exact in float.
    float f = static_cast<float>(man) * 0x1p-24f;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN: c10's quiet NaN
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504: inf
  if (ax < 0x38800000u) {
    // Below half's smallest normal (2^-14): a subnormal or zero; round man * 2^-24 to an integer, ties even.
    float a;
    std::memcpy(&a, &ax, 4);
    const float scaled = a * 0x1p24f;  // exact (a power of two)
    const float r = std::nearbyint(scaled);  // the default rounding mode: to nearest, ties to even
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(r));
  }
  // Normal: drop 13 mantissa bits with round to nearest even (a carry into the exponent is right).
  const uint32_t rebias = ax - (112u << 23);
  const uint32_t rounded = rebias + 0xfffu + ((rebias >> 13) & 1u);
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

// bfloat16 is float's upper half. Narrowing rounds to nearest even; NaN becomes 0xffff.
inline float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}
inline uint16_t float_to_bfloat16(float f) {
  if (std::isnan(f)) return 0xffff;  // what PyTorch's vectorised conversion (AVX2 / AVX-512) gives a NaN
  uint32_t x;
  std::memcpy(&x, &f, 4);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

namespace detail {

/// The Raw value stored little-endian at p (any alignment).
template <class Raw>
inline Raw load_raw(const unsigned char* p) {
  Raw v;
  std::memcpy(&v, p, sizeof(Raw));
  return v;
}

/// Little-endian unsigned fields of the file formats' headers (any alignment).
inline uint16_t le16(const unsigned char* p) { return load_raw<uint16_t>(p); }
inline uint32_t le32(const unsigned char* p) { return load_raw<uint32_t>(p); }
inline uint64_t le64(const unsigned char* p) { return load_raw<uint64_t>(p); }

/// float -> integer as copy_ converts on x86: toward zero; NaN and out of range give INT64_MIN.
inline int64_t float_to_int64(double v) {
  if (!(v >= -0x1p63 && v < 0x1p63)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}
/// The same through a 32-bit conversion (out of range: INT32_MIN), which int32, int16 and int8 take.
inline int32_t float_to_int32(double v) {
  if (!(v > -0x1p31 - 1 && v < 0x1p31)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

/// U converted to the integer type Int as copy_ converts: a float through a 64-bit (uint8, int64) or a
/// 32-bit (int32, int16, int8) conversion and then wrapped, as x86 does; an integer wrapped.
template <class Int, class U>
inline Int to_integer(U v) {
  if constexpr (std::is_floating_point_v<U>) {
    if constexpr (std::is_same_v<Int, uint8_t> || std::is_same_v<Int, int64_t>)
      return static_cast<Int>(float_to_int64(static_cast<double>(v)));
    else
      return static_cast<Int>(float_to_int32(static_cast<double>(v)));
  } else {
    return static_cast<Int>(v);
  }
}

template <class T, class Raw, class Convert>
inline void decode_loop(const unsigned char* src, std::size_t n, T* dst, Convert convert) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = convert(load_raw<Raw>(src + i * sizeof(Raw)));
}

/// Element type U converted to T as Tensor.copy_ does.
template <class T, class U>
inline T convert(U v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != U(0);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return to_integer<int64_t>(v);
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace detail

/// n little-endian elements of type `from` at src, converted to T as Tensor.copy_ converts.
template <class T>
void decode(const unsigned char* src, Dtype from, std::size_t n, T* dst) {
  using detail::convert;
  using detail::decode_loop;
  if (n == 0) return;
  if (from == dtype_of<T>() && !std::is_same_v<T, bool>) {  // (a file's bool byte may be neither 0 nor 1)
    std::memcpy(dst, src, n * sizeof(T));
    return;
  }
  switch (from) {
    case Dtype::boolean: decode_loop<T, uint8_t>(src, n, dst, [](uint8_t v) { return convert<T>(v != 0); }); break;
    case Dtype::uint8: decode_loop<T, uint8_t>(src, n, dst, [](uint8_t v) { return convert<T>(v); }); break;
    case Dtype::int8: decode_loop<T, int8_t>(src, n, dst, [](int8_t v) { return convert<T>(v); }); break;
    case Dtype::int16: decode_loop<T, int16_t>(src, n, dst, [](int16_t v) { return convert<T>(v); }); break;
    case Dtype::int32: decode_loop<T, int32_t>(src, n, dst, [](int32_t v) { return convert<T>(v); }); break;
    case Dtype::int64: decode_loop<T, int64_t>(src, n, dst, [](int64_t v) { return convert<T>(v); }); break;
    case Dtype::float16:
      decode_loop<T, uint16_t>(src, n, dst, [](uint16_t v) { return convert<T>(half_to_float(v)); });
      break;
    case Dtype::bfloat16:
      decode_loop<T, uint16_t>(src, n, dst, [](uint16_t v) { return convert<T>(bfloat16_to_float(v)); });
      break;
    case Dtype::float32: decode_loop<T, float>(src, n, dst, [](float v) { return convert<T>(v); }); break;
    case Dtype::float64: decode_loop<T, double>(src, n, dst, [](double v) { return convert<T>(v); }); break;
  }
}

/// n elements of T written as `to`, little-endian (floats narrow to float16 / bfloat16 rounding to nearest even).
template <class T>
void encode(const T* src, std::size_t n, Dtype to, unsigned char* dst) {
  using detail::convert;
  auto loop = [&](auto tag, auto f) {
    using Raw = decltype(tag);
    for (std::size_t i = 0; i < n; ++i) {
      const Raw v = f(src[i]);
      std::memcpy(dst + i * sizeof(Raw), &v, sizeof(Raw));
    }
  };
  if (n == 0) return;
  if (to == dtype_of<T>()) {
    std::memcpy(dst, src, n * sizeof(T));
    return;
  }
  switch (to) {
    case Dtype::boolean: loop(uint8_t{}, [](T v) { return static_cast<uint8_t>(convert<bool>(v)); }); break;
    case Dtype::uint8: loop(uint8_t{}, [](T v) { return detail::to_integer<uint8_t>(v); }); break;
    case Dtype::int8: loop(int8_t{}, [](T v) { return detail::to_integer<int8_t>(v); }); break;
    case Dtype::int16: loop(int16_t{}, [](T v) { return detail::to_integer<int16_t>(v); }); break;
    case Dtype::int32: loop(int32_t{}, [](T v) { return detail::to_integer<int32_t>(v); }); break;
    case Dtype::int64: loop(int64_t{}, [](T v) { return detail::to_integer<int64_t>(v); }); break;
    case Dtype::float16: loop(uint16_t{}, [](T v) { return float_to_half(static_cast<float>(v)); }); break;
    case Dtype::bfloat16: loop(uint16_t{}, [](T v) { return float_to_bfloat16(static_cast<float>(v)); }); break;
    case Dtype::float32: loop(float{}, [](T v) { return static_cast<float>(v); }); break;
    case Dtype::float64: loop(double{}, [](T v) { return static_cast<double>(v); }); break;
  }
}

/// A loaded tensor as a Value, without loss: float16, bfloat16 and float32 become Tensor<float>, float64
/// Tensor<double>, every integer type and bool Tensor<int64_t>. `src` holds shape.numel() elements.
inline Value decode_value(const unsigned char* src, Dtype from, const Size& shape) {
  const auto n = static_cast<std::size_t>(shape.numel());
  switch (from) {
    case Dtype::float16:
    case Dtype::bfloat16:
    case Dtype::float32: {
      Tensor<float> t(shape, eigentorch::detail::uninitialized);
      decode(src, from, n, t.data());
      return Value(std::move(t));
    }
    case Dtype::float64: {
      Tensor<double> t(shape, eigentorch::detail::uninitialized);
      decode(src, from, n, t.data());
      return Value(std::move(t));
    }
    default: {
      Tensor<int64_t> t(shape, eigentorch::detail::uninitialized);
      decode(src, from, n, t.data());
      return Value(std::move(t));
    }
  }
}

}  // namespace eigentorch::serialize
