// Helpers for the torch.save format's tests: a Value as the canonical text that
// tests/reference/make_serialize_pt_reference.py writes for what PyTorch saved (every number's bits), a
// fixture's path, and the records of a zip file by name.
#pragma once

#include <eigentorch/serialize/zip.hpp>
#include <eigentorch/tensor/value.hpp>

#include "serialize_test_util.hpp"

#include <cstdint>
#include <cstdio>   // snprintf
#include <cstring>  // memcpy
#include <string>
#include <vector>

namespace eigentorch::testing {

/// The fixture `name` under tests/data/serialize/.
inline std::string pt_fixture(const std::string& name) { return serialize_fixture(name); }

inline std::string canon(const Value& v);

namespace detail {
template <class T>
std::string canon_tensor(const Tensor<T>& t, const char* kind) {
  std::string s = std::string("T<") + kind + ">[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  s += "]{";
  const T* p = t.numel() ? t.data() : nullptr;
  for (int64_t i = 0; i < t.numel(); ++i) {
    char buf[32];
    if constexpr (std::is_same_v<T, float>) {
      uint32_t bits;
      std::memcpy(&bits, &p[i], 4);
      std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(bits));
    } else if constexpr (std::is_same_v<T, double>) {
      uint64_t bits;
      std::memcpy(&bits, &p[i], 8);
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
    } else {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(p[i]));
    }
    s += (i ? " " : "") + std::string(buf);
  }
  return s + "}";
}
inline std::string canon_key(const Value::Key& k) {
  if (const auto* i = std::get_if<int64_t>(&k)) return std::to_string(*i);
  return "'" + std::get<std::string>(k) + "'";
}
}  // namespace detail

inline std::string canon(const Value& v) {
  using K = Value::Kind;
  switch (v.kind()) {
    case K::none: return "None";
    case K::boolean: return v.as_bool() ? "True" : "False";
    case K::integer: return std::to_string(v.as_int());
    case K::real: {
      const double d = v.as_double();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      char buf[32];
      std::snprintf(buf, sizeof buf, "d:%016llx", static_cast<unsigned long long>(bits));
      return buf;
    }
    case K::string: return "'" + v.as_string() + "'";
    case K::tuple:
    case K::list: {
      std::string s = v.kind() == K::tuple ? "(" : "[";
      for (std::size_t i = 0; i < v.items().size(); ++i) s += (i ? ", " : "") + canon(v.items()[i]);
      return s + (v.kind() == K::tuple ? ")" : "]");
    }
    case K::dict: {
      std::string s = v.is_ordered_dict() ? "O{" : "{";
      for (std::size_t i = 0; i < v.entries().size(); ++i)
        s += (i ? ", " : "") + detail::canon_key(v.entries()[i].first) + ": " + canon(v.entries()[i].second);
      return s + "}";
    }
    case K::float_tensor: return detail::canon_tensor(v.as_tensor<float>(), "float");
    case K::double_tensor: return detail::canon_tensor(v.as_tensor<double>(), "double");
    case K::int64_tensor: return detail::canon_tensor(v.as_tensor<int64_t>(), "int64");
  }
  return "?";
}

}  // namespace eigentorch::testing
