// Size: a tensor's shape, printed as PyTorch prints torch.Size; and the shape arithmetic ops share:
// dimension wrapping, broadcasting and reshape inference, each with PyTorch's error messages.
#pragma once

#include "error.hpp"

#include <cstdint>           // int64_t
#include <initializer_list>
#include <limits>
#include <memory>  // unique_ptr
#include <ostream>
#include <string>
#include <vector>

namespace eigentorch {

/// A tensor's shape, as torch.Size: `t.shape()[0]`, `t.shape().size()`, printed `Size([11, 1])`.
// NOTE: up to kInline dims live inside the object, so making a tensor allocates no shape.
class Size {
 public:
  static constexpr std::size_t kInline = 6;

  Size() = default;
  Size(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.size()); }
  Size(const std::vector<int64_t>& dims) { assign(dims.data(), dims.size()); }  // NOLINT: implicit on purpose
  /// The first n dims at `dims` (no allocation up to kInline dims).
  Size(const int64_t* dims, std::size_t n) { assign(dims, n); }
  Size(const Size& other) { assign(other.data(), other.n_); }
  Size& operator=(const Size& other) {
    if (this != &other) assign(other.data(), other.n_);
    return *this;
  }
  Size(Size&& other) noexcept { *this = std::move(other); }
  Size& operator=(Size&& other) noexcept {
    if (this == &other) return *this;
    n_ = other.n_;
    heap_ = std::move(other.heap_);
    for (std::size_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
    other.n_ = 0;
    return *this;
  }

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t operator[](std::size_t i) const { return data()[i]; }
  int64_t& operator[](std::size_t i) { return data()[i]; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + n_; }
  /// The dims as a std::vector (a copy).
  std::vector<int64_t> vec() const { return std::vector<int64_t>(begin(), end()); }

  /// The number of elements a tensor of this shape holds (1 for a 0-d shape): 0 when a dim is 0, whatever the others multiply to; a product past
  /// int64 gives the int64 maximum (no tensor has such a shape: its constructor refuses it).
  int64_t numel() const {
    int64_t n = 1;
    bool past = false;
    for (int64_t d : *this) {
      if (d == 0) return 0;
#if defined(__GNUC__) || defined(__clang__)
      past = __builtin_mul_overflow(n, d, &n) || past;
#else
      if (d > 0 && n > std::numeric_limits<int64_t>::max() / d) past = true;
      n = past ? 1 : n * d;
#endif
    }
    return past ? std::numeric_limits<int64_t>::max() : n;
  }

  friend bool operator==(const Size& a, const Size& b) {
    if (a.n_ != b.n_) return false;
    for (std::size_t i = 0; i < a.n_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  friend bool operator!=(const Size& a, const Size& b) { return !(a == b); }

  /// "[2, 3]", the list form PyTorch uses inside its messages.
  [[gnu::cold]] std::string list_str() const {
    std::string s = "[";
    for (std::size_t i = 0; i < n_; ++i) {
      if (i) s += ", ";
      s += std::to_string((*this)[i]);
    }
    return s + "]";
  }
  /// "Size([2, 3])", as print(t.shape) shows it with `torch.` dropped.
  [[gnu::cold]] std::string str() const { return "Size(" + list_str() + ")"; }

  friend std::ostream& operator<<(std::ostream& os, const Size& s) { return os << s.str(); }

 private:
  int64_t* data() { return heap_ ? heap_.get() : inline_; }
  const int64_t* data() const { return heap_ ? heap_.get() : inline_; }
  void assign(const int64_t* dims, std::size_t n) {
    if (n > kInline) {
      if (!heap_ || n > n_) heap_.reset(new int64_t[n]);
    } else if (heap_) {
      heap_.reset();
    }
    n_ = n;
    int64_t* d = data();
    for (std::size_t i = 0; i < n; ++i) d[i] = dims[i];
  }

  int64_t inline_[kInline] = {};
  std::unique_ptr<int64_t[]> heap_;
  std::size_t n_ = 0;
};

namespace detail {

/// out = a * b for a, b >= 0; true when the product overflows int64_t (then out is unspecified).
inline bool mul_overflows(int64_t a, int64_t b, int64_t& out) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_mul_overflow(a, b, &out);
#else
  if (b != 0 && a > std::numeric_limits<int64_t>::max() / b) return true;
  out = a * b;
  return false;
#endif
}

/// Wraps a possibly negative dim into [0, ndim), as PyTorch's maybe_wrap_dim (a 0-d tensor takes [-1, 0]).
[[noreturn]] inline void throw_dim_out_of_range(int64_t dim, int64_t n) {
  fail<IndexError>({"Dimension out of range (expected to be in range of [", -n, ", ", n - 1, "], but got ", dim, ")"});
}
inline int64_t wrap_dim(int64_t dim, int64_t ndim) {
  const int64_t n = ndim > 0 ? ndim : 1;
  if (dim < -n || dim >= n) throw_dim_out_of_range(dim, n);  // out of line: wrap_dim stays inlinable
  return dim < 0 ? dim + n : dim;
}

/// The shape two operands broadcast to, or PyTorch's error naming the first clash.
inline Size broadcast_shapes(const Size& a, const Size& b) {
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  std::vector<int64_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {  // i counts from the last dimension
    const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      fail({"The size of tensor a (", da, ") must match the size of tensor b (", db, ") at non-singleton dimension ",
            n - 1 - i});
    out[n - 1 - i] = da == 1 ? db : da;
  }
  return Size(std::move(out));
}

/// Resolves one -1 in a requested shape against numel, with PyTorch's reshape / view messages.
inline Size infer_shape(const std::vector<int64_t>& requested, int64_t numel) {
  std::vector<int64_t> shape = requested;
  int64_t known = 1;
  int64_t infer_at = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer_at >= 0) fail({"only one dimension can be inferred"});
      infer_at = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      fail({"invalid shape dimension ", shape[i]});
    } else {
      known *= shape[i];
    }
  }
  const bool ok = infer_at >= 0 ? (known > 0 && numel % known == 0) : known == numel;
  if (!ok) fail({"shape '", Size(requested).list_str(), "' is invalid for input of size ", numel});
  if (infer_at >= 0) shape[static_cast<std::size_t>(infer_at)] = numel / known;
  return Size(std::move(shape));
}

}  // namespace detail
}  // namespace eigentorch
