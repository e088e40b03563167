// The exceptions eigentorch throws, named after the Python exceptions PyTorch raises for the same misuse.
#pragma once

#include <stdexcept>  // std::runtime_error
#include <string>

namespace eigentorch {

/// Misuse of a tensor, module or optimiser (PyTorch's RuntimeError).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A dimension or index outside its range (PyTorch's IndexError).
class IndexError : public Error {
 public:
  using Error::Error;
};

/// A bad value handed to a constructor or converter (PyTorch's ValueError).
class ValueError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// Throws E with the message when the condition is false.
template <class E = Error>
inline void check(bool condition, const std::string& message) {
  if (!condition) throw E(message);
}

}  // namespace detail
}  // namespace eigentorch
