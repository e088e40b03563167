// Tensor<T>: a handle on shared storage plus autograd metadata, as torch.Tensor is. Copying a Tensor
// shares everything; clone() copies data. This file holds the handle, its storage and the accessors;
// the math lives in ops/ (each op beside its derivative) and is declared here as methods.
// Include <eigentorch/eigentorch.hpp> to get the whole of it.
#pragma once

#include "../autograd/grad_mode.hpp"
#include "../backend/config.hpp"  // before Eigen
#include "../error.hpp"
#include "../detail/kernel.hpp"
#include "../backend/pool.hpp"
#include "../size.hpp"

#include <Eigen/Core>

#include <algorithm>    // fill
#include <atomic>
#include <cstdint>      // int64_t, uint32_t
#include <limits>
#include <new>          // bad_alloc
#include <stdexcept>    // length_error
#include <memory>       // shared_ptr, weak_ptr
#include <string>
#include <tuple>
#include <type_traits>  // is_arithmetic, enable_if
#include <vector>

namespace eigentorch {

template <class T>
class Tensor;

namespace autograd {
template <class T>
struct Node;
}

namespace detail {

/// The bytes behind one or more tensors, with the version counter that in-place ops bump so that
/// backward can tell a saved tensor was overwritten. Made by make_storage, which puts the elements
/// in the same pool block as the Storage and its shared_ptr control block (one allocation).
template <class T>
struct Storage {
  uint32_t version = 0;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  T* data() const { return data_; }

 private:
  template <class U>
  friend std::shared_ptr<Storage<U>> make_storage(int64_t n);
  template <class U>
  friend std::shared_ptr<Storage<U>> make_storage_view(U* data, std::shared_ptr<const void> owner);
  T* data_ = nullptr;
};

/// Where the last TrailingAllocator block on this thread has its spare bytes.
inline char*& last_trailing_space() {
  thread_local char* p = nullptr;
  return p;
}

/// A standard allocator over the pool that asks for `extra` more bytes than the objects need and
/// notes where they start: the room make_storage leaves for a tensor's elements.
template <class U>
struct TrailingAllocator {
  using value_type = U;
  std::size_t extra;
  explicit TrailingAllocator(std::size_t e) noexcept : extra(e) {}
  template <class V>
  TrailingAllocator(const TrailingAllocator<V>& other) noexcept : extra(other.extra) {}  // NOLINT: rebinding
  U* allocate(std::size_t n) {
    if (n > (std::numeric_limits<std::size_t>::max() - extra) / sizeof(U)) throw std::bad_alloc();
    auto* block = static_cast<char*>(pool::allocate(n * sizeof(U) + extra));
    last_trailing_space() = block + n * sizeof(U);
    return reinterpret_cast<U*>(block);
  }
  void deallocate(U* p, std::size_t n) noexcept { pool::deallocate(p, n * sizeof(U) + extra); }
  template <class V>
  bool operator==(const TrailingAllocator<V>& o) const noexcept { return extra == o.extra; }
  template <class V>
  bool operator!=(const TrailingAllocator<V>& o) const noexcept { return extra != o.extra; }
};

/// Storage for n elements (left unset), in one block with its control block: the elements start at
/// the first 64-byte boundary of the spare bytes behind the control block.
template <class T>
std::shared_ptr<Storage<T>> make_storage(int64_t n) {
  const auto bytes = static_cast<std::size_t>(n) * sizeof(T);
  if (bytes > std::numeric_limits<std::size_t>::max() - pool::kAlign) throw std::bad_alloc();
  auto storage = std::allocate_shared<Storage<T>>(TrailingAllocator<Storage<T>>(bytes + pool::kAlign));
  const auto spare = reinterpret_cast<std::uintptr_t>(last_trailing_space());
  storage->data_ = reinterpret_cast<T*>((spare + pool::kAlign - 1) / pool::kAlign * pool::kAlign);
  return storage;
}

/// Storage over elements that live in a buffer someone else owns, kept alive by `owner` for as long
/// as the storage lives (DistributedDataParallel's gradients are views of its buckets this way).
/// `data` must be 64-byte aligned, as make_storage's is.
template <class T>
std::shared_ptr<Storage<T>> make_storage_view(T* data, std::shared_ptr<const void> owner) {
  std::shared_ptr<Storage<T>> storage(new Storage<T>(), [owner = std::move(owner)](Storage<T>* s) { delete s; });
  storage->data_ = data;
  return storage;
}

/// What a Tensor handle points at: storage, shape and autograd state.
template <class T>
struct TensorImpl {
  TensorImpl() = default;
  explicit TensorImpl(const Size& s) : shape(s) {}
  std::shared_ptr<Storage<T>> storage;
  Size shape;
  bool requires_grad = false;
  bool is_parameter = false;  // prints "Parameter containing:"
  bool retains_grad = false;
  std::shared_ptr<autograd::Node<T>> grad_fn;             // non-leaf: the node that made it
  // NOTE: held strongly (PyTorch: weakly), so a parameter keeps one AccumulateGrad for all its steps
  // instead of a new one per graph; the accumulator holds the leaf weakly, so there is no cycle.
  std::shared_ptr<autograd::Node<T>> grad_accumulator;    // leaf: its AccumulateGrad, shared by all uses
  std::shared_ptr<TensorImpl<T>> grad;                    // .grad, undefined until a backward reaches it
  std::atomic<uint32_t> kernel_refs{0};  // handles held by CPUGraph kernels (detail::KernelList), among use_count()
};

template <class U>
using if_arithmetic = std::enable_if_t<std::is_arithmetic_v<U>, int>;

/// The element type of a sum of T's, as PyTorch's: int64 for integer and bool tensors.
template <class T>
using sum_t = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

/// The element type of a quotient of T's: float for integer and bool tensors (true division).
template <class T>
using quotient_t = std::conditional_t<std::is_floating_point_v<T>, T, float>;

/// The element type of a T tensor with a number of type U, as PyTorch promotes: T for float and
/// double; float for an integer or bool tensor and a floating number; bool for bool and bool; else
/// int64.
template <class T, class U>
using promote_t = std::conditional_t<
    std::is_floating_point_v<T>, T,
    std::conditional_t<std::is_floating_point_v<U>, float,
                       std::conditional_t<std::is_same_v<T, bool> && std::is_same_v<U, bool>, bool, int64_t>>>;

/// Tag for Tensor(shape, uninitialized): the caller writes every element before anyone reads one.
struct Uninitialized {};
inline constexpr Uninitialized uninitialized{};

}  // namespace detail

/// An n-dimensional array of T (float, double, int64_t or bool) that records the ops applied to it
/// for backward() (float and double only: integer and bool tensors have no autograd).
template <class T = float>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t> ||
                    std::is_same_v<T, bool>,
                "Tensor<T>: T must be float, double, int64_t or bool");

 public:
  using Scalar = T;
  using Impl = detail::TensorImpl<T>;
  using EigenMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  using ConstEigenMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

  /// An undefined tensor (what grad() returns before any backward).
  Tensor() = default;
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  /// A new tensor of the given shape, filled with zeros.
  explicit Tensor(const Size& shape) : Tensor(shape, detail::uninitialized) {
    detail::kernel([](const Tensor& t) { std::fill(t.data(), t.data() + t.numel(), T(0)); }, *this);
  }
  /// A new tensor whose values are left unset, for ops that write every element.
  Tensor(const Size& shape, detail::Uninitialized) : impl_(detail::make_pooled<Impl>(shape)) {
    // NOTE: no integer division per dimension here: in a profile of the tour's training step, the
    // one this check used to make took about 3% of the step.
    constexpr int64_t kMaxNumel = std::numeric_limits<int64_t>::max() / static_cast<int64_t>(sizeof(T));
    bool empty = false;  // a 0 empties any product: PyTorch makes [2^63 - 1, 0, 2^63 - 1] too
    for (int64_t d : shape) {
      if (d < 0) negative_dimension(shape, d);
      empty = empty || d == 0;
    }
    int64_t numel = empty ? 0 : 1;
    for (std::size_t i = 0; !empty && i < shape.size(); ++i)
      if (detail::mul_overflows(numel, shape[i], numel) || numel > kMaxNumel) numel_overflow(shape);
    try {
      impl_->storage = detail::make_storage<T>(numel);
    } catch (const std::bad_alloc&) {
      out_of_memory(shape, numel);
    } catch (const std::length_error&) {
      out_of_memory(shape, numel);
    }
  }

  bool defined() const { return impl_ != nullptr; }
  const std::shared_ptr<Impl>& impl() const { return impl_; }
  /// True when both handles share one tensor (Python's `a is b`).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- shape -------------------------------------------------------------------------------------
  const Size& shape() const { return ref().shape; }
  const Size& sizes() const { return shape(); }
  int64_t size(int64_t d) const {
    if (dim() == 0) detail::fail<IndexError>({"Dimension specified as ", d, " but tensor has no dimensions"});
    return shape()[static_cast<std::size_t>(detail::wrap_dim(d, dim()))];
  }
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t numel() const { return shape().numel(); }

  Tensor reshape(const Size& shape) const;
  Tensor view(const Size& shape) const;
  Tensor unsqueeze(int64_t d) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t d) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor t() const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor contiguous() const { return *this; }  // every eigentorch tensor is contiguous
  Tensor clone() const;

  // ---- math (ops/) -------------------------------------------------------------------------------
  Tensor operator-() const;
  Tensor neg() const { return -*this; }
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor<detail::sum_t<T>> sum() const;
  Tensor<detail::sum_t<T>> sum(int64_t d, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(int64_t d, bool keepdim = false) const;
  Tensor add(const Tensor& other) const;
  Tensor sub(const Tensor& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor<detail::quotient_t<T>> div(const Tensor& other) const;

  // ---- element types, comparisons and selection (ops/compare.hpp) --------------------------------
  /// This tensor's values as U (float, double, int64_t or bool), as Tensor.to(dtype): a copy, or this
  /// tensor itself when U is T.
  template <class U>
  Tensor<U> to() const;
  Tensor<bool> eq(const Tensor& other) const;
  Tensor<bool> ne(const Tensor& other) const;
  Tensor<bool> lt(const Tensor& other) const;
  Tensor<bool> le(const Tensor& other) const;
  Tensor<bool> gt(const Tensor& other) const;
  Tensor<bool> ge(const Tensor& other) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> eq(U v) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> ne(U v) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> lt(U v) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> le(U v) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> gt(U v) const;
  template <class U, detail::if_arithmetic<U> = 0> Tensor<bool> ge(U v) const;
  Tensor<bool> logical_not() const;
  Tensor<bool> logical_and(const Tensor& other) const;
  Tensor<bool> logical_or(const Tensor& other) const;
  /// True when every element (all) / some element (any) is non-zero, as a 0-d bool tensor.
  Tensor<bool> all() const;
  Tensor<bool> any() const;
  /// value where mask (broadcast to this shape) is true, this tensor's elements elsewhere.
  Tensor masked_fill(const Tensor<bool>& mask, double value) const;

  // ---- more math (ops/math.hpp) ------------------------------------------------------------------
  /// clamp(min) / clamp(min, max): each a number, std::optional<double> or std::nullopt.
  template <class Min>
  Tensor clamp(const Min& min) const;
  template <class Min, class Max>
  Tensor clamp(const Min& min, const Max& max) const;
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;
  Tensor square() const;
  Tensor rsqrt() const;
  Tensor reciprocal() const;
  Tensor erfinv() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor log1p() const;
  Tensor expm1() const;
  Tensor log2() const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor round() const;
  Tensor sign() const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;

  // ---- more reductions (ops/reduce.hpp) ----------------------------------------------------------
  Tensor max() const;
  Tensor min() const;
  Tensor prod() const;
  Tensor prod(int64_t d, bool keepdim = false) const;
  // var(1) and std(1) reduce dim 1 (the int overloads), var(true) the whole tensor
  Tensor var(bool unbiased = true) const;
  Tensor var(int64_t d, bool unbiased = true, bool keepdim = false) const;
  Tensor var(int d, bool unbiased = true, bool keepdim = false) const;
  Tensor std(bool unbiased = true) const;
  Tensor std(int64_t d, bool unbiased = true, bool keepdim = false) const;
  Tensor std(int d, bool unbiased = true, bool keepdim = false) const;
  Tensor logsumexp(int64_t d, bool keepdim = false) const;
  Tensor norm(double p = 2) const;
  Tensor cumsum(int64_t d) const;
  /// The index of the largest (argmax) / smallest (argmin) element along d (of the flattened tensor
  /// without d): the first one on ties, a NaN counting as both, as in PyTorch.
  Tensor<int64_t> argmax() const;
  Tensor<int64_t> argmax(int64_t d, bool keepdim = false) const;
  Tensor<int64_t> argmin() const;
  Tensor<int64_t> argmin(int64_t d, bool keepdim = false) const;

  // ---- taking elements by index tensors (ops/gather.hpp) ------------------------------------------
  /// The largest (smallest) values along d and their indices (first on ties, a NaN wins).
  std::tuple<Tensor, Tensor<int64_t>> max(int64_t d, bool keepdim = false) const;
  std::tuple<Tensor, Tensor<int64_t>> min(int64_t d, bool keepdim = false) const;
  Tensor index_select(int64_t d, const Tensor<int64_t>& index) const;
  /// PyTorch's t[index] (rows along dim 0, negative indices from the end) and t[mask].
  Tensor index(const Tensor<int64_t>& index) const;
  Tensor index(const Tensor<bool>& mask) const;
  Tensor gather(int64_t d, const Tensor<int64_t>& index) const;
  Tensor scatter_add(int64_t d, const Tensor<int64_t>& index, const Tensor& src) const;

  // ---- indexing and joining (ops/index.hpp) ------------------------------------------------------
  /// Dim 0's element i (negative from the end), as t[i]: select(0, i) with Python's index message.
  Tensor operator[](int64_t i) const;
  /// Element i of dim d, without dim d.
  Tensor select(int64_t d, int64_t i) const;
  /// `length` elements of dim d from `start`.
  Tensor narrow(int64_t d, int64_t start, int64_t length) const;
  /// Python's t[start:end:step] along dim d (negative start and end from the end, clamped; step > 0).
  Tensor slice(int64_t d = 0, int64_t start = 0, int64_t end = std::numeric_limits<int64_t>::max(),
               int64_t step = 1) const;
  /// The dims reordered: result dim k is dims[k].
  Tensor permute(const Size& dims) const;
  /// Size-1 dims (and new leading dims) broadcast to `sizes`; -1 keeps a dim. A copy.
  Tensor expand(const Size& sizes) const;
  /// The tensor tiled repeats[k] times along dim k (new leading dims for extra repeats).
  Tensor repeat(const Size& repeats) const;
  /// Pieces of split_size along dim d (the last one shorter).
  std::vector<Tensor> split(int64_t split_size, int64_t d = 0) const;
  /// `chunks` pieces (or fewer) of equal size along dim d, the last one shorter.
  std::vector<Tensor> chunk(int64_t chunks, int64_t d = 0) const;

  // ---- autograd ----------------------------------------------------------------------------------
  bool requires_grad() const { return ref().requires_grad; }
  /// Starts (or stops) recording ops on this leaf, as Tensor.requires_grad_.
  Tensor& requires_grad_(bool on = true) {
    if (!is_leaf() && !on)
      detail::fail({"you can only change requires_grad flags of leaf variables. If you want to use a computed "
                    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."});
    if (on && !std::is_floating_point_v<T>)
      detail::fail({"only Tensors of floating point dtype can require gradients"});
    ref().requires_grad = on;
    return *this;
  }
  /// True for tensors no op made while recording: user-made tensors and parameters.
  bool is_leaf() const { return ref().grad_fn == nullptr; }
  const std::shared_ptr<autograd::Node<T>>& grad_fn() const { return ref().grad_fn; }
  /// The accumulated gradient; undefined (`!grad().defined()`) until a backward reaches this tensor.
  Tensor grad() const { return Tensor(ref().grad); }
  /// Assigns .grad (an undefined tensor sets it to None).
  void set_grad(const Tensor& g) { ref().grad = g.impl_; }
  /// Keeps .grad for a non-leaf tensor too, as Tensor.retain_grad().
  void retain_grad();
  bool retains_grad() const { return ref().retains_grad; }
  /// Computes d(this)/d(leaves) and accumulates it into every leaf's grad().
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  /// Shares data with this tensor, outside the graph.
  Tensor detach() const {
    auto out = detail::make_pooled<Impl>();
    out->storage = ref().storage;
    out->shape = ref().shape;
    return Tensor(std::move(out));
  }

  // ---- data out ----------------------------------------------------------------------------------
  /// The one element, as a number (Tensor.item()).
  T item() const {
    if (numel() != 1)
      detail::fail({"a Tensor with ", numel(), " elements cannot be converted to Scalar"});
    return data()[0];
  }
  std::vector<T> to_vector() const { return std::vector<T>(data(), data() + numel()); }
  /// The elements (contiguous, row-major). Refused while a CPUGraph captures (outside an op's kernel).
  T* data() const {
    detail::check_data_access();
    return ref().storage->data();
  }
  /// A writable Eigen view: rows x cols for 2-D, n x 1 for 1-D, 1 x 1 for 0-d.
  EigenMap eigen() const {
    const int64_t d = dim();
    if (d > 2) detail::fail({"eigen(): expected a tensor with at most 2 dimensions, but got ", d});
    const Eigen::Index rows = d == 0 ? 1 : shape()[0];
    const Eigen::Index cols = d == 2 ? shape()[1] : 1;
    return EigenMap(data(), rows, cols);
  }
  /// Version of the storage, bumped by every in-place op (Tensor._version).
  uint32_t version() const { return ref().storage->version; }

  // ---- in place (ops/inplace.hpp) ----------------------------------------------------------------
  Tensor& zero_();
  Tensor& fill_(T value);
  Tensor& copy_(const Tensor& src);
  Tensor& add_(const Tensor& other, T alpha = T(1));
  Tensor& sub_(const Tensor& other, T alpha = T(1));
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  template <class U, detail::if_arithmetic<U> = 0>
  Tensor& add_(U value) { return add_scalar_(static_cast<T>(value)); }
  template <class U, detail::if_arithmetic<U> = 0>
  Tensor& sub_(U value) { return sub_scalar_(static_cast<T>(value)); }
  template <class U, detail::if_arithmetic<U> = 0>
  Tensor& mul_(U value) { return mul_scalar_(static_cast<T>(value)); }
  template <class U, detail::if_arithmetic<U> = 0>
  Tensor& div_(U value) { return div_scalar_(static_cast<T>(value)); }
  Tensor& uniform_(double from = 0.0, double to = 1.0);
  Tensor& normal_(double mean = 0.0, double std = 1.0);
  Tensor& bernoulli_(double p = 0.5);

 private:
  // The constructor's errors, out of line so that the constructor itself stays small.
  [[noreturn]] static void negative_dimension(const Size& shape, int64_t d) {
    detail::fail({"Trying to create tensor with negative dimension ", d, ": ", shape.list_str()});
  }
  [[noreturn]] static void numel_overflow(const Size& shape) {
    detail::fail({"numel: integer multiplication overflow for a tensor of shape ", shape.list_str()});
  }
  [[noreturn]] static void out_of_memory(const Size& shape, int64_t numel) {
    detail::fail({"DefaultCPUAllocator: can't allocate memory: you tried to allocate ",
                  static_cast<unsigned long long>(numel) * sizeof(T), " bytes for a tensor of shape ", shape.list_str(),
                  "."});
  }
  Impl& ref() const {
    if (!impl_) undefined();
    return *impl_;
  }
  [[noreturn]] static void undefined() {
    detail::fail({"undefined tensor: this Tensor holds no data (was it default-constructed, or a grad() "
                  "that no backward has reached?)"});
  }
  Tensor& add_scalar_(T value);
  Tensor& sub_scalar_(T value);
  Tensor& mul_scalar_(T value);
  Tensor& div_scalar_(T value);
  Tensor& fill_named_(T value, const char* name);

  std::shared_ptr<Impl> impl_;
};

namespace detail {

/// A tensor argument of a recorded kernel counts in its TensorImpl::kernel_refs (see KernelList).
template <class T>
void count_kernel_ref(KernelList& list, const Tensor<T>& t) noexcept {
  if (t.defined()) list.count_ref(&t.impl()->kernel_refs);
}

}  // namespace detail
}  // namespace eigentorch
