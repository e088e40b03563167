// Numbers as Python's repr writes them, for messages and module reprs ("0.1", "-1.0", "1e-05").
#pragma once

#include <cmath>  // isnan, isinf, floor
#include <sstream>
#include <string>

namespace eigentorch::detail {

/// A bool as Python prints it: "True" or "False".
inline const char* py_bool(bool b) { return b ? "True" : "False"; }

/// A double as Python's str() prints it: the shortest digits that read back the same, with ".0" on
/// integral values.
[[gnu::cold]] inline std::string py_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream s;
    s.precision(precision);
    s << v;
    if (std::stod(s.str()) == v) {
      std::string r = s.str();
      if (r.find_first_of(".e") == std::string::npos) r += ".0";
      return r;
    }
  }
  return std::to_string(v);
}

/// A double as PyTorch's C++ messages print it (an ostream's default: "1", "0.5", "1e-05").
[[gnu::cold]] inline std::string c10_str(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// A number that Python code would have written as an int literal when it is integral ("20"), else
/// as a float ("0.5"): how a module's default hyperparameters print.
[[gnu::cold]] inline std::string py_number(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return py_float(v);
}

}  // namespace eigentorch::detail
