// embedding: the rows of a weight table picked by an int64 index tensor of any shape, with its
// derivative (EmbeddingBackward0). The forward is index_select's row copy (ops/kernels.hpp's
// take_rows); the backward adds each output row's gradient into its row of zeros in index order, as
// PyTorch's embedding_dense_backward does, leaving padding_idx's row zero.
#pragma once

#include "../autograd/node.hpp"
#include "kernels.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace eigentorch {
namespace ops {

// d embedding(W, idx) / dW = zeros of W's shape with g's row j added into row idx[j], in order of j;
// the row padding_idx (if any) gets no gradient
template <class T>
struct EmbeddingBackward final : autograd::Node<T> {
  Tensor<int64_t> indices;  // flat
  int64_t num = 0, dim = 0;
  int64_t padding_idx = -1;  // -1: none
  const char* name() const override { return "EmbeddingBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    Tensor<T> grad = detail::put_rows(Tensor<T>(Size{num, dim}), 1, num, dim, indices, g, detail::Identity{});
    if (padding_idx >= 0 && dim > 0) {  // the padding row's sums replaced by zeros
      detail::Window row = detail::Window::whole(Size{1, dim});
      row.offset = padding_idx * dim;
      detail::copy_window(Tensor<T>(Size{1, dim}), detail::Window::whole(Size{1, dim}), grad, row);
    }
    out[0] = grad;
  }
};

/// weight's rows at `indices` (any shape): a tensor of shape indices.shape() + [embedding_dim].
/// padding_idx (wrapped if negative; none when absent) gets no gradient. F.embedding.
template <class T>
Tensor<T> embedding(const Tensor<int64_t>& indices, const Tensor<T>& weight, std::optional<int64_t> padding_idx = {}) {
  if (weight.dim() != 2) detail::fail({"'weight' must be 2-D"});
  const int64_t num = weight.size(0), dim = weight.size(1);
  int64_t pad = -1;
  if (padding_idx) {
    if (*padding_idx >= num || *padding_idx < -num)
      detail::fail({"Padding_idx must be within num_embeddings"});  // an AssertionError in Python
    pad = *padding_idx < 0 ? *padding_idx + num : *padding_idx;
  }
  std::vector<int64_t> shape = indices.shape().vec();
  shape.push_back(dim);
  const Tensor<int64_t> flat = detail::alias(indices, Size{indices.numel()});
  Tensor<T> out = detail::take_rows(weight, Size(shape), 1, num, dim, flat, [num](int64_t v) {
    if (v < 0 || v >= num) detail::fail<IndexError>({"index out of range in self"});
    return v;
  });
  if (autograd::needs_grad(weight)) {
    auto node = detail::make_pooled<EmbeddingBackward<T>>();
    node->indices = flat;
    node->num = num, node->dim = dim;
    node->padding_idx = pad;
    autograd::connect(out, node, {&weight});
  }
  return out;
}

}  // namespace ops
}  // namespace eigentorch
