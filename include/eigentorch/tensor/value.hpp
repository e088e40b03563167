// Value: a Python-like value (None, bool, int, float, str, tuple, list, dict with int or str keys in
// insertion order, and float, double or int64 tensors): what an optimizer's state_dict() is made of,
// and what serialize.hpp pickles into torch.save's format and reads back.
#pragma once

#include "tensor.hpp"

#include <cstdint>  // int64_t
#include <string>
#include <utility>  // pair, move
#include <variant>
#include <vector>

namespace eigentorch {

/// A Python value: `Value::dict({{"lr", 0.1}, {"betas", Value::tuple({0.9, 0.999})}})`.
class Value {
 public:
  /// A dict key: an int or a str.
  using Key = std::variant<int64_t, std::string>;
  using Items = std::vector<Value>;
  using Entries = std::vector<std::pair<Key, Value>>;
  enum class Kind { none, boolean, integer, real, string, tuple, list, dict, float_tensor, double_tensor, int64_tensor };

  Value() = default;  // None
  Value(bool v) : kind_(Kind::boolean), data_(v) {}                                 // NOLINT: implicit, as Python's
  Value(int v) : kind_(Kind::integer), data_(static_cast<int64_t>(v)) {}            // NOLINT
  Value(int64_t v) : kind_(Kind::integer), data_(v) {}                              // NOLINT
  Value(double v) : kind_(Kind::real), data_(v) {}                                  // NOLINT
  Value(const char* v) : kind_(Kind::string), data_(std::string(v)) {}              // NOLINT
  Value(std::string v) : kind_(Kind::string), data_(std::move(v)) {}                // NOLINT
  Value(Tensor<float> v) : kind_(Kind::float_tensor), data_(std::move(v)) {}        // NOLINT
  Value(Tensor<double> v) : kind_(Kind::double_tensor), data_(std::move(v)) {}      // NOLINT
  Value(Tensor<int64_t> v) : kind_(Kind::int64_tensor), data_(std::move(v)) {}      // NOLINT

  static Value tuple(Items items) { return Value(Kind::tuple, std::move(items)); }
  static Value list(Items items) { return Value(Kind::list, std::move(items)); }
  static Value dict(Entries entries = {}) {
    Value v;
    v.kind_ = Kind::dict;
    v.data_ = std::move(entries);
    return v;
  }
  /// A collections.OrderedDict (what state_dict() returns in PyTorch): a dict that remembers it was one,
  /// so that it is saved as one again.
  static Value ordered_dict(Entries entries = {}) {
    Value v = dict(std::move(entries));
    v.ordered_ = true;
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_tensor() const { return kind_ >= Kind::float_tensor; }
  /// Whether this dict is an OrderedDict (Value::ordered_dict).
  bool is_ordered_dict() const { return kind_ == Kind::dict && ordered_; }

  bool as_bool() const { return get<bool>(Kind::boolean, "a bool"); }
  int64_t as_int() const { return get<int64_t>(Kind::integer, "an int"); }
  /// A float, or an int as Python would widen it.
  double as_double() const {
    if (kind_ == Kind::integer) return static_cast<double>(std::get<int64_t>(data_));
    return get<double>(Kind::real, "a float");
  }
  const std::string& as_string() const { return get<std::string>(Kind::string, "a str"); }
  /// A tuple's or a list's items.
  const Items& items() const {
    if (kind_ != Kind::tuple && kind_ != Kind::list) wrong("a tuple or a list");
    return std::get<Items>(data_);
  }
  Items& items() { return const_cast<Items&>(static_cast<const Value*>(this)->items()); }
  /// A dict's (key, value) pairs in insertion order.
  const Entries& entries() const { return get<Entries>(Kind::dict, "a dict"); }
  Entries& entries() { return const_cast<Entries&>(static_cast<const Value*>(this)->entries()); }
  /// The tensor, of element type U (float, double or int64_t).
  template <class U>
  const Tensor<U>& as_tensor() const {
    return get<Tensor<U>>(std::is_same_v<U, float>    ? Kind::float_tensor
                          : std::is_same_v<U, double> ? Kind::double_tensor
                                                      : Kind::int64_tensor,
                          "a tensor of this element type");
  }

  /// A dict's value under `key`, or nullptr.
  const Value* find(const Key& key) const {
    for (const auto& kv : entries())
      if (kv.first == key) return &kv.second;
    return nullptr;
  }
  /// A dict's value under `key`; KeyError names a missing key.
  const Value& at(const Key& key) const {
    if (const Value* v = find(key)) return *v;
    if (const auto* s = std::get_if<std::string>(&key)) detail::fail<KeyError>({"'", *s, "'"});
    detail::fail<KeyError>({std::get<int64_t>(key)});
  }
  /// Adds `key` at the end of a dict, or replaces its value.
  void insert(Key key, Value value) {
    if (Value* v = const_cast<Value*>(find(key)))
      *v = std::move(value);
    else
      entries().emplace_back(std::move(key), std::move(value));
  }

 private:
  Value(Kind kind, Items items) : kind_(kind), data_(std::move(items)) {}

  template <class U>
  const U& get(Kind kind, const char* what) const {
    if (kind_ != kind) wrong(what);
    return std::get<U>(data_);
  }
  [[noreturn]] void wrong(const char* what) const {
    static const char* const names[] = {"None",  "a bool", "an int", "a float",        "a str",           "a tuple",
                                        "a list", "a dict", "a float tensor", "a double tensor", "an int64 tensor"};
    detail::fail<ValueError>({"expected ", what, ", got ", names[static_cast<int>(kind_)]});
  }

  Kind kind_ = Kind::none;
  bool ordered_ = false;  // a dict made by ordered_dict()
  std::variant<std::monostate, bool, int64_t, double, std::string, Items, Entries, Tensor<float>, Tensor<double>,
               Tensor<int64_t>>
      data_;
};

}  // namespace eigentorch
