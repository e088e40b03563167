// One reader for the generated reference tables of make_layers_reference.py, make_conv_reference.py
// and make_pooling_reference.py (written by reference_writer.py): a case's numbers by name, as a
// tensor, compared with PyTorch's allclose rule at the tolerances the test file states, or counted
// for differing bits.
#pragma once

#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // lower_bound
#include <cmath>      // NAN, INFINITY (in the tables), isnan
#include <cstddef>    // size_t
#include <cstdint>
#include <cstring>  // strcmp
#include <iterator>  // size (in the tables)
#include <string>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

namespace eigentorch::reference {

/// Where a case's numbers are in its table's array: numbers[offset, offset + size).
struct NumbersEntry {
  const char* name;
  std::size_t offset;
  std::size_t size;
};
/// A case's string: a repr, a node name, an error message.
struct TextEntry {
  const char* name;
  const char* text;
};
/// What a script writes: all its numbers in one array (exact hex floats), and the two indexes, each
/// sorted by name.
struct Table {
  const char* script;
  const double* numbers;
  const NumbersEntry* entries;
  std::size_t n_entries;
  const TextEntry* texts;
  std::size_t n_texts;
};

}  // namespace eigentorch::reference

namespace eigentorch::testing {

/// allclose's tolerances (|a - e| <= atol + rtol * |e|) for one element type.
struct Tolerance {
  double rtol;
  double atol;
};

/// "float" or "double", as the tables spell the dtype in their names.
template <class T>
std::string dname() {
  return std::is_same_v<T, float> ? "float" : "double";
}

/// Reads one generated table. A test file makes one per table it reads, stating there the tolerances
/// its values are compared with:
///   const ReferenceTable ref(reference::conv::table, {/*float*/ 2e-5, 2e-5}, {/*double*/ 1e-12, 1e-12});
///   ref.check(y, "basic.float.y");
class ReferenceTable {
 public:
  /// A table whose values are only compared bit for bit (differing_bits).
  explicit ReferenceTable(const reference::Table& table) : ReferenceTable(table, {-1, -1}, {-1, -1}) {}
  /// A table whose values are also compared with allclose, at float's and double's tolerances.
  ReferenceTable(const reference::Table& table, Tolerance for_float, Tolerance for_double)
      : table_(table), for_float_(for_float), for_double_(for_double) {
    texts_.reserve(table.n_texts);
    for (std::size_t i = 0; i < table.n_texts; ++i) texts_.emplace_back(table.texts[i].text);
  }

  /// The numbers stored under `key` (the test fails when there are none).
  std::vector<double> numbers(const std::string& key) const {
    const auto* e = find(table_.entries, table_.n_entries, key);
    if (e == nullptr) FAIL(table_.script << " wrote no values named " << key);
    const double* first = table_.numbers + e->offset;
    return std::vector<double>(first, first + e->size);
  }
  /// The string stored under `key`.
  const std::string& text(const std::string& key) const {
    const auto* e = find(table_.texts, table_.n_texts, key);
    if (e == nullptr) FAIL(table_.script << " wrote no string named " << key);
    return texts_[static_cast<std::size_t>(e - table_.texts)];
  }
  /// The integers stored under `key` (a shape, indices).
  std::vector<int64_t> ints(const std::string& key) const {
    const auto v = numbers(key);
    return std::vector<int64_t>(v.begin(), v.end());
  }
  /// The values under `key` as a Tensor<T> of `shape` (each double rounded to T, as Python's .to()).
  template <class T>
  Tensor<T> tensor_of(const std::string& key, const std::vector<int64_t>& shape) const {
    const auto v = numbers(key);
    return from_vector(std::vector<T>(v.begin(), v.end()), Size(shape));
  }
  /// t against the values under `key`: allclose, with T's tolerances.
  template <class T>
  void check(const Tensor<T>& t, const std::string& key) const {
    CAPTURE(key);
    REQUIRE(t.defined());
    const Tolerance tol = std::is_same_v<T, float> ? for_float_ : for_double_;
    if (tol.rtol < 0) FAIL(table_.script << "'s values are compared bit for bit: no tolerance was given");
    check_allclose(t.to_vector(), numbers(key), tol.rtol, tol.atol);
  }
  /// How many elements of t differ in their bits from the values under `key`, rounded to T (a NaN
  /// matches a NaN); a size mismatch fails the test.
  template <class T>
  int64_t differing_bits(const Tensor<T>& t, const std::string& key) const {
    CAPTURE(key);
    REQUIRE(t.defined());
    const auto v = numbers(key);
    REQUIRE(static_cast<int64_t>(v.size()) == t.numel());
    int64_t differ = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const T a = t.data()[i], e = static_cast<T>(v[static_cast<std::size_t>(i)]);
      differ += !(a == e || (std::isnan(a) && std::isnan(e)));
    }
    return differ;
  }

 private:
  /// The entry named `key` in a name-sorted index, or nullptr.
  template <class Entry>
  static const Entry* find(const Entry* first, std::size_t n, const std::string& key) {
    const Entry* last = first + n;
    const Entry* e = std::lower_bound(first, last, key.c_str(),
                                      [](const Entry& a, const char* k) { return std::strcmp(a.name, k) < 0; });
    return e != last && key == e->name ? e : nullptr;
  }

  const reference::Table& table_;
  Tolerance for_float_, for_double_;
  std::vector<std::string> texts_;  // the strings, so that text(key).c_str() outlives a CHECK's statement
};

}  // namespace eigentorch::testing
