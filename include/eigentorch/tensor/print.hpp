// std::cout << tensor prints exactly what PyTorch's print(tensor) prints (the algorithm is in
// tensor/format.hpp); a std::vector of tensors prints as a Python list of them. Cold code, as all
// printing is (see tensor/format.hpp).
#pragma once

#include "../autograd/node.hpp"
#include "format.hpp"
#include "tensor.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace eigentorch {

/// PyTorch's repr of the tensor, `torch.` prefixes dropped: "tensor([1., 2.], requires_grad=True)".
template <class T>
[[gnu::cold]] std::string repr(const Tensor<T>& t) {
  if (!t.defined()) return "None";  // what Python shows for a grad no backward has reached
  detail::TensorPrintInfo info;
  if (t.grad_fn()) info.grad_fn = t.grad_fn()->display_name();
  info.requires_grad = t.requires_grad();
  info.is_double = std::is_same_v<T, double>;
  if constexpr (std::is_same_v<T, int64_t>) info.int_dtype = "int64";
  if constexpr (std::is_same_v<T, bool>) info.int_dtype = "bool";
  info.is_parameter = t.impl()->is_parameter;
  return detail::format_tensor(t.data(), t.shape().vec(), info);
}

template <class T>
[[gnu::cold]] std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  return os << repr(t);
}

/// [t0, t1, ...], as print(list_of_tensors) shows it.
template <class T>
[[gnu::cold]] std::ostream& operator<<(std::ostream& os, const std::vector<Tensor<T>>& ts) {
  os << '[';
  for (std::size_t i = 0; i < ts.size(); ++i) os << (i ? ", " : "") << repr(ts[i]);
  return os << ']';
}

}  // namespace eigentorch
