// nn::Embedding: a lookup table of num_embeddings rows of embedding_dim values, fed int64 indices of
// any shape; the weight drawn from N(0, 1) as PyTorch draws it, the padding row zero.
#pragma once

#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eigentorch::nn {

/// `nn::Embedding emb(10, 3); auto y = emb(indices);` (indices: Tensor<int64_t> of any shape; y has
/// shape indices.shape() + [3]). padding_idx's row starts at zero and gets no gradient.
template <class T = float>
class Embedding : public Module<T> {
 public:
  Tensor<T> weight;  ///< [num_embeddings, embedding_dim]

  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = {})
      : num_(num_embeddings), dim_(embedding_dim) {
    if (padding_idx) {
      if (*padding_idx >= num_embeddings || *padding_idx < -num_embeddings)
        eigentorch::detail::fail({"Padding_idx must be within num_embeddings"});  // an AssertionError in Python
      padding_idx_ = *padding_idx < 0 ? *padding_idx + num_embeddings : *padding_idx;
    }
    if (num_embeddings < 0 || embedding_dim < 0)
      eigentorch::detail::fail({"Trying to create tensor with negative dimension: Embedding(", num_embeddings, ", ",
                                embedding_dim, ")"});
    weight = this->register_parameter("weight", Tensor<T>(Size{num_embeddings, embedding_dim}));
    this->initialize();
  }

  /// Draws fresh values, as Embedding.reset_parameters: normal_ then the padding row zeroed.
  void reset_parameters() override {
    init::normal_(weight);
    if (padding_idx_) {
      NoGradGuard no_grad;
      std::vector<int64_t> row(static_cast<std::size_t>(num_ * dim_));
      for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<int64_t>(i) / dim_;
      weight.copy_(weight.masked_fill(from_vector<int64_t>(row, weight.shape()).eq(*padding_idx_), 0.0));
    }
  }

  Tensor<T> forward(const Tensor<int64_t>& indices) { return functional::embedding(indices, weight, padding_idx_); }
  Tensor<T> operator()(const Tensor<int64_t>& indices) { return forward(indices); }

  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override {
    std::string s = std::to_string(num_) + ", " + std::to_string(dim_);
    if (padding_idx_) s += ", padding_idx=" + std::to_string(*padding_idx_);
    return s;
  }
  int64_t num_embeddings() const { return num_; }
  int64_t embedding_dim() const { return dim_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }

 private:
  int64_t num_, dim_;
  std::optional<int64_t> padding_idx_;
};

}  // namespace eigentorch::nn
