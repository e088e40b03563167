// Graph nodes of the autograd tape. Each op that records makes one Node holding what its derivative
// needs (SavedTensor) and one edge per input to the node that made that input (or to the leaf's
// AccumulateGrad). The derivative itself lives with the op, in ops/.
#pragma once

#include "../tensor/tensor.hpp"

#include <cstdint>  // uint64_t
#include <functional>
#include <initializer_list>
#include <iterator>  // make_move_iterator
#include <memory>
#include <string>
#include <utility>  // move
#include <vector>

namespace eigentorch::autograd {

template <class T>
struct Node;

/// A node's edges, stored in the node (no allocation): every op has at most kMaxInputs inputs.
template <class T>
class Edges {
 public:
  static constexpr std::size_t kMaxInputs = 4;
  using Edge = std::shared_ptr<Node<T>>;

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Edge& operator[](std::size_t i) { return items_[i]; }
  const Edge& operator[](std::size_t i) const { return items_[i]; }
  Edge* begin() { return items_; }
  Edge* end() { return items_ + n_; }
  const Edge* begin() const { return items_; }
  const Edge* end() const { return items_ + n_; }
  void push_back(Edge e) {
    if (n_ == kMaxInputs) detail::fail({"autograd: a node can have at most 4 inputs"});
    items_[n_++] = std::move(e);
  }
  void clear() {
    while (n_ > 0) items_[--n_].reset();
  }

 private:
  Edge items_[kMaxInputs];
  std::size_t n_ = 0;
};

/// One recorded op: apply() maps the gradient of its output to the gradients of its inputs.
template <class T>
struct Node {
  /// One edge per input, in input order; null where that input needs no gradient.
  Edges<T> next;

  // Scratch for the engine, valid during one backward call.
  Tensor<T> grad_buffer;
  int64_t dependencies = 0;
  uint64_t visit_mark = 0;
  /// Non-leaf tensors that asked for retain_grad(): they receive this node's incoming gradient.
  std::vector<std::weak_ptr<detail::TensorImpl<T>>> retained;

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// PyTorch's class name for the same node, e.g. "AddmmBackward0".
  virtual const char* name() const = 0;
  /// The name printed in grad_fn=<...>: name(), unless a composite op (mse_loss, say) set the name
  /// PyTorch gives its own fused node.
  const char* display_name() const { return display_name_ ? display_name_ : name(); }
  void set_display_name(const char* n) { display_name_ = n; }
  /// Fills grad_inputs (already sized next.size(), all undefined) from grad, the output's gradient.
  /// An input whose edge is null may be left undefined.
  virtual void apply(Tensor<T>& grad, std::vector<Tensor<T>>& grad_inputs) = 0;
  /// Frees what the node saved for backward (called after backward unless the graph is retained).
  virtual void release() {}

  // NOTE: a chain of 100 000 ops would recurse 100 000 destructors deep through shared_ptr. Up to
  // kMaxDestroyDepth nested destructors (a training step's graph) free their edges the plain way,
  // which costs no allocation; below that, each dying node adopts the edges of the nodes it is the
  // last owner of, and frees them in a loop. The depth is small so that the stack stays small too.
  static constexpr int kMaxDestroyDepth = 16;
  virtual ~Node() {
    thread_local int depth = 0;
    if (depth < kMaxDestroyDepth) {
      ++depth;
      next.clear();
      --depth;
      return;
    }
    release_deep(next);
  }

 private:
  // The deep case, out of line: only graphs deeper than kMaxDestroyDepth reach it, and the
  // destructor, inlined into every node type's destructor, stays small.
  [[gnu::noinline]] static void release_deep(Edges<T>& edges) {
    std::vector<std::shared_ptr<Node>> pending(std::make_move_iterator(edges.begin()), std::make_move_iterator(edges.end()));
    edges.clear();
    while (!pending.empty()) {
      std::shared_ptr<Node> n = std::move(pending.back());
      pending.pop_back();
      if (n && n.use_count() == 1) {
        for (auto& e : n->next) pending.push_back(std::move(e));
        n->next.clear();
      }
    }
  }

  const char* display_name_ = nullptr;
};

/// A tensor a node keeps for its backward: the data (shared, outside the graph) and the version it
/// had, so that an in-place change in between is caught with PyTorch's message.
template <class T>
class SavedTensor {
 public:
  SavedTensor() = default;
  /// output_of names the node when the saved tensor is that node's own output (for the message).
  void save(const Tensor<T>& t, const char* output_of = nullptr) {
    data_ = t.detach();
    version_ = t.version();
    output_of_ = output_of;
    if (!output_of) source_ = t.impl();  // an input: its history names it in the version message
    saved_ = true;
  }
  void release() {
    data_ = Tensor<T>();
    source_.reset();
  }
  /// Replaces the saved values (keeping the name), e.g. by a copy taken before an in-place write.
  void replace_data(const Tensor<T>& values) {
    data_ = values;
    version_ = values.version();
  }
  /// True once save() was called (a node may save conditionally).
  bool was_saved() const { return saved_; }
  /// True when the saved values share storage with t.
  bool aliases(const Tensor<T>& t) const { return data_.defined() && data_.impl()->storage == t.impl()->storage; }
  const Tensor<T>& get() const {
    if ((saved_ && !data_.defined()) || data_.version() != version_) throw_unusable();
    return data_;
  }

 private:
  // get()'s errors, out of line so that get() itself stays small.
  [[noreturn]] void throw_unusable() const {
    if (!data_.defined())
      detail::fail(
          {"Trying to backward through the graph a second time (or directly access saved tensors after they have "
          "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
          "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
          "if you need to access saved tensors after calling backward."});
    const char* maker = output_of_;
    if (!maker)
      if (auto src = source_.lock())
        if (src->grad_fn) maker = src->grad_fn->display_name();
    detail::fail(
        {"one of the variables needed for gradient computation has been modified by an inplace operation: [",
         std::is_same_v<T, float> ? "torch.FloatTensor " : "torch.DoubleTensor ", data_.shape().list_str(), "]",
         maker ? ", which is output 0 of " : "", maker ? maker : "", maker ? "," : "", " is at version ",
         data_.version(), "; expected version ", version_,
         " instead. Hint: enable anomaly detection to find the operation that failed to compute its "
         "gradient, with torch.autograd.set_detect_anomaly(True)."});
  }

  Tensor<T> data_;
  std::weak_ptr<detail::TensorImpl<T>> source_;
  uint32_t version_ = 0;
  const char* output_of_ = nullptr;
  bool saved_ = false;
};

/// A leaf's post-accumulate-grad hooks (engine.hpp), in registration order; a removed hook is left
/// empty until a registration made while no hook runs (`running`) compacts the list. `run` calls
/// them: a function pointer, set by the registration, so that the engine calls it without
/// instantiating it.
template <class T>
struct PostAccumulateHooks {
  std::vector<std::pair<uint64_t, std::function<void(const Tensor<T>&)>>> list;
  int running = 0;
  void (*run)(PostAccumulateHooks& self, const Tensor<T>& leaf) = nullptr;
};

/// The sink at a leaf: adds the incoming gradient into the leaf's .grad.
// NOTE: it holds the leaf weakly. A leaf can later join a graph that leads back to its own
// accumulator (requires_grad_(false), then an in-place op with an operand computed from it), and a
// strong reference would then be a cycle that is never freed. A gradient for a leaf nobody holds
// any more is simply dropped.
template <class T>
struct AccumulateGrad final : Node<T> {
  std::weak_ptr<detail::TensorImpl<T>> variable;
  /// The hooks called with the leaf after each accumulation into its .grad
  /// (register_post_accumulate_grad_hook, engine.hpp); null until one is registered. Held through a
  /// shared_ptr so that a program which never registers one compiles none of their code.
  std::shared_ptr<PostAccumulateHooks<T>> post_hooks;
  explicit AccumulateGrad(const std::shared_ptr<detail::TensorImpl<T>>& v) : variable(v) {}
  const char* name() const override { return "AccumulateGrad"; }
  void apply(Tensor<T>& grad, std::vector<Tensor<T>>&) override;  // in engine.hpp
};

/// True when an op on these inputs must record a node (grad mode on and some input requires grad).
template <class T, class... Ts>
bool needs_grad(const Tensor<T>& first, const Ts&... rest) {
  return is_grad_enabled() && (first.requires_grad() || ... || rest.requires_grad());
}

/// The edge that carries a gradient to `input`: its grad_fn, its leaf accumulator, or none.
template <class T>
std::shared_ptr<Node<T>> edge_to(const Tensor<T>& input) {
  if (!input.requires_grad()) return nullptr;
  auto& impl = *input.impl();
  if (impl.grad_fn) return impl.grad_fn;
  if (!impl.grad_accumulator) impl.grad_accumulator = detail::make_pooled<AccumulateGrad<T>>(input.impl());
  return impl.grad_accumulator;
}

/// Makes `node` the grad_fn of `output`, with one edge per input (in the order apply() fills them).
template <class T, class N>
void connect(const Tensor<T>& output, std::shared_ptr<N> node, std::initializer_list<const Tensor<T>*> inputs) {
  for (const Tensor<T>* in : inputs) node->next.push_back(edge_to(*in));
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
}

}  // namespace eigentorch::autograd
