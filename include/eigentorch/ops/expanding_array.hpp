// ExpandingArray<D>: a size argument of a convolution or a pooling, given as PyTorch takes it: one
// number for every spatial dim (`3`), a list (`{3, 5}`), or nothing (`{}`, Python's None: a pooling's
// stride then defaults to its kernel size). Each op checks the list's length in its own words; the
// array remembers how it was given so that a layer's repr prints it as Python would (`2`, `(2, 3)`).
#pragma once

#include <cstddef>  // size_t
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace eigentorch {

template <std::size_t D>
class ExpandingArray {
 public:
  /// No values: an omitted argument.
  ExpandingArray() = default;
  /// One number for all D dims.
  ExpandingArray(int64_t v) : values_(D, v), single_(true) {}  // NOLINT: implicit on purpose, as an int in Python
  ExpandingArray(std::initializer_list<int64_t> list) : values_(list) {}
  ExpandingArray(const std::vector<int64_t>& list) : values_(list) {}  // NOLINT: a list, as a tuple in Python
  const std::vector<int64_t>& values() const { return values_; }
  int64_t operator[](std::size_t i) const { return values_[i]; }
  std::size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  /// Given as one number (and so expanded to D equal values).
  bool single() const { return single_; }
  /// Equal values (however they were given).
  bool operator==(const ExpandingArray& o) const { return values_ == o.values_; }
  bool operator!=(const ExpandingArray& o) const { return values_ != o.values_; }
  /// As Python prints the argument: `2`, `(2, 3)`, `(2,)` or `()`.
  std::string str() const {
    if (single_) return std::to_string(values_[0]);
    std::string s = "(";
    for (std::size_t i = 0; i < values_.size(); ++i) s += (i ? ", " : "") + std::to_string(values_[i]);
    return s + (values_.size() == 1 ? ",)" : ")");
  }

 private:
  std::vector<int64_t> values_;
  bool single_ = false;
};

}  // namespace eigentorch
