// OrderedDict<T>: name -> tensor in insertion order, what state_dict() returns. Iterating yields
// (name, tensor) pairs; sd["2.weight"] finds a tensor and throws KeyError for a missing name.
#pragma once

#include "../tensor/tensor.hpp"

#include <string>
#include <utility>
#include <vector>

namespace eigentorch {

namespace nn {

template <class T = float>
class OrderedDict {
 public:
  using Item = std::pair<std::string, Tensor<T>>;

  /// Adds `key`, or replaces its tensor if present.
  void insert(const std::string& key, Tensor<T> value) {
    if (Item* it = find(key))
      it->second = std::move(value);
    else
      items_.emplace_back(key, std::move(value));
  }
  /// Adds `key`, which the caller knows is not present, without searching for it (insert searches:
  /// a loader of N checked-unique names would take N^2 / 2 comparisons).
  void append_unique(const std::string& key, Tensor<T> value) { items_.emplace_back(key, std::move(value)); }
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  Tensor<T>& operator[](const std::string& key) { return at(key); }
  const Tensor<T>& operator[](const std::string& key) const { return const_cast<OrderedDict*>(this)->at(key); }
  Tensor<T>& at(const std::string& key) {
    if (Item* it = find(key)) return it->second;
    detail::fail<KeyError>({"'", key, "'"});
  }
  /// Removes `key`; returns whether it was there.
  bool erase(const std::string& key) {
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->first == key) {
        items_.erase(it);
        return true;
      }
    return false;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& kv : items_) out.push_back(kv.first);
    return out;
  }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  Item* find(const std::string& key) const {
    for (const auto& kv : items_)
      if (kv.first == key) return const_cast<Item*>(&kv);
    return nullptr;
  }
  std::vector<Item> items_;
};

}  // namespace nn
}  // namespace eigentorch
