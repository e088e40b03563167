// nn::Flatten and nn::Unflatten: reshapes as modules (views sharing the input's storage), with
// PyTorch's reprs and errors.
#pragma once

#include "../ops/shape.hpp"  // flatten, reshape
#include "../size.hpp"
#include "module.hpp"

#include <cstdint>  // int64_t
#include <string>
#include <vector>

namespace eigentorch::nn {

/// Merges dims start_dim..end_dim into one: Flatten()([N, C, H, W]) is [N, C*H*W].
template <class T = float>
class Flatten : public Module<T> {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return x.flatten(start_dim_, end_dim_); }
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override {
    return "start_dim=" + std::to_string(start_dim_) + ", end_dim=" + std::to_string(end_dim_);
  }
  int64_t start_dim() const { return start_dim_; }
  int64_t end_dim() const { return end_dim_; }

 private:
  int64_t start_dim_, end_dim_;
};

/// Splits dim `dim` into `sizes` (one of them may be -1, inferred): Unflatten(1, {2, 5})([N, 10]) is [N, 2, 5].
template <class T = float>
class Unflatten : public Module<T> {
 public:
  Unflatten(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  Tensor<T> forward(const Tensor<T>& x) override;
  std::string name() const override { return "Unflatten"; }
  /// "dim=1, unflattened_size=(2, 5)": the sizes as the Python tuple they stand for.
  std::string extra_repr() const override {
    std::string s = "dim=" + std::to_string(dim_) + ", unflattened_size=(";
    for (std::size_t i = 0; i < sizes_.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes_[i]);
    return s + (sizes_.size() == 1 ? ",)" : ")");
  }
  int64_t dim() const { return dim_; }
  const std::vector<int64_t>& unflattened_size() const { return sizes_; }

 private:
  int64_t dim_;
  std::vector<int64_t> sizes_;
};

template <class T>
Tensor<T> Unflatten<T>::forward(const Tensor<T>& x) {
  const int64_t d = detail::wrap_dim(dim_, x.dim());
  if (sizes_.empty()) detail::fail({"unflatten: sizes must be non-empty"});
  const int64_t n = x.dim() == 0 ? 1 : x.size(d);
  // PyTorch infers the sizes as a view's shape, and words its errors for unflatten.
  int64_t known = 1, inferred = -1;
  for (std::size_t i = 0; i < sizes_.size(); ++i) {
    if (sizes_[i] == -1) {
      if (inferred >= 0) detail::fail({"unflatten got an unexpected error:\nonly one dimension can be inferred"});
      inferred = static_cast<int64_t>(i);
    } else if (sizes_[i] < 0) {
      detail::fail({"invalid shape dimension ", sizes_[i]});
    } else {
      known *= sizes_[i];
    }
  }
  std::vector<int64_t> split = sizes_;
  std::string list = "[";  // for the messages
  for (std::size_t i = 0; i < sizes_.size(); ++i) list += (i ? ", " : "") + std::to_string(sizes_[i]);
  if (inferred >= 0 && known == 0 && n == 0) {
    detail::fail({"cannot reshape tensor of 0 elements into shape ", list,
                  "] because the unspecified dimension size -1 can be any value and is ambiguous"});
  }
  const bool fits = inferred >= 0 ? known != 0 && n % known == 0 : known == n;
  if (!fits) {
    detail::fail({"unflatten: Provided sizes ", list, "] don't multiply up to the size of dim ", dim_, " (", n,
                  ") in the input tensor"});
  }
  if (inferred >= 0) split[static_cast<std::size_t>(inferred)] = n / known;
  std::vector<int64_t> shape(x.shape().begin(), x.shape().begin() + (x.dim() == 0 ? 0 : d));
  shape.insert(shape.end(), split.begin(), split.end());
  if (x.dim() > 0) shape.insert(shape.end(), x.shape().begin() + d + 1, x.shape().end());
  return x.reshape(Size(std::move(shape)));
}

}  // namespace eigentorch::nn
