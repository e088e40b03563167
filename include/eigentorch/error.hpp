// The exceptions eigentorch throws, named after the Python exceptions PyTorch raises for the same misuse,
// and fail<E>({...}), which builds and throws a message out of line.
#pragma once

#include <initializer_list>
#include <stdexcept>  // std::runtime_error
#include <string>
#include <string_view>
#include <type_traits>

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

/// A missing key in a state dict or module (Python's KeyError).
class KeyError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// One piece of an error message: text, or an integer written as std::to_string writes it.
class MessagePart {
 public:
  MessagePart(const char* text) : text_(text) {}          // NOLINT: implicit, for fail({...})
  MessagePart(const std::string& text) : text_(text) {}   // NOLINT
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  MessagePart(I value)  // NOLINT
      : kind_(std::is_signed_v<I> ? Kind::signed_int : Kind::unsigned_int),
        bits_(static_cast<unsigned long long>(value)) {}

  void append_to(std::string& out) const {
    if (kind_ == Kind::text) {
      out += text_;
      return;
    }
    unsigned long long magnitude = bits_;
    if (kind_ == Kind::signed_int && static_cast<long long>(bits_) < 0) {
      out += '-';
      magnitude = 0 - bits_;  // |value|, also for the most negative one
    }
    out += std::to_string(magnitude);
  }

 private:
  enum class Kind { text, signed_int, unsigned_int };
  Kind kind_ = Kind::text;
  std::string_view text_;
  unsigned long long bits_ = 0;
};

/// Throws E with the pieces joined: `fail<IndexError>({"index ", i, " is out of range"})`.
// NOTE: out of line and cold on purpose. Concatenating std::strings at the throw site compiles, at
// -O2, the concatenations and their clean-ups into every function that checks its arguments (most
// of the library); here each throw site costs one call, in every program that includes eigentorch.
template <class E = Error>
[[noreturn, gnu::noinline, gnu::cold]] void fail(std::initializer_list<MessagePart> parts) {
  std::string message;
  for (const MessagePart& p : parts) p.append_to(message);
  throw E(message);
}

}  // namespace detail
}  // namespace eigentorch
