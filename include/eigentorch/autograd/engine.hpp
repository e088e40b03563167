// The backward engine: walks the graph from a root in reverse topological order, with an explicit
// stack (no recursion, so a chain of 100 000 ops is fine), summing the gradients that meet at a node
// before applying it. Gradients accumulate into leaves' .grad; saved tensors are freed afterwards.
// Two hooks let code outside the graph follow a backward pass (DistributedDataParallel does, to start
// each bucket's allreduce as soon as its gradients are in): register_post_accumulate_grad_hook on a
// leaf, called after each accumulation into its .grad, and queue_callback, a function run once when
// the current (outermost) backward pass has finished, as PyTorch's
// Variable._execution_engine.queue_callback.
#pragma once

#include "node.hpp"

#include <algorithm>  // remove_if
#include <atomic>
#include <cstddef>  // size_t
#include <functional>
#include <utility>  // move
#include <vector>

namespace eigentorch {
namespace detail {

/// A mark no graph walk has used yet (a node keeps the mark of the last walk that reached it).
inline uint64_t next_visit_mark() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

/// Sums two gradients of one shape into a fresh tensor (neither input may be written: both can be
/// shared with other parts of the graph).
template <class T>
Tensor<T> add_grads(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out(a.shape(), uninitialized);
  detail::kernel(
      [](const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& out) {
        const T* pa = a.data();
        const T* pb = b.data();
        T* po = out.data();
        for (int64_t i = 0, n = a.numel(); i < n; ++i) po[i] = pa[i] + pb[i];
      },
      a, b, out);
  return out;
}

/// Leaves no half-summed gradients behind in the nodes reachable from `start` (after a backward
/// formula threw); out of line, as only errors reach it.
template <class T>
[[gnu::cold, gnu::noinline]] void clear_grad_buffers(autograd::Node<T>* start, std::vector<autograd::Node<T>*>& stack) {
  stack.assign(1, start);
  const uint64_t clear_mark = next_visit_mark();
  while (!stack.empty()) {
    autograd::Node<T>* n = stack.back();
    stack.pop_back();
    n->grad_buffer = Tensor<T>();
    for (auto& e : n->next)
      if (e && e->visit_mark != clear_mark) {
        e->visit_mark = clear_mark;
        stack.push_back(e.get());
      }
  }
}

/// True when nobody else can see g's data, so it may be adopted or written in place. Handles kept
/// by a CPUGraph's kernels do not count: they read and write the buffer it names, as the graph runs.
template <class T>
bool exclusively_owned(const Tensor<T>& g) {
  const long kernel_refs = static_cast<long>(g.impl()->kernel_refs.load(std::memory_order_relaxed));
  return g.impl().use_count() - kernel_refs == 1 && g.impl()->storage.use_count() == 1;
}

/// Adds one to a counter for its lifetime.
struct CountGuard {
  int& count;
  explicit CountGuard(int& c) : count(c) { ++count; }
  CountGuard(const CountGuard&) = delete;
  CountGuard& operator=(const CountGuard&) = delete;
  ~CountGuard() { --count; }
};

/// The backward passes running on this thread, and the callbacks queued during them: how many, and
/// the function that runs (or drops) those queued since a pass started, set by queue_callback (the
/// callbacks themselves live with it, so that a program which never queues one compiles none of
/// their code).
struct FinalCallbacks {
  int running = 0;
  std::size_t queued = 0;
  void (*finish)(std::size_t first, bool run) = nullptr;
};
inline FinalCallbacks& final_callbacks() {
  thread_local FinalCallbacks callbacks;
  return callbacks;
}

}  // namespace detail

namespace autograd {

/// What register_post_accumulate_grad_hook returns: remove() unregisters the hook (as PyTorch's
/// RemovableHandle); dropping the handle keeps it registered.
class RemovableHandle {
 public:
  RemovableHandle() = default;
  explicit RemovableHandle(std::function<void()> remover) : remover_(std::move(remover)) {}
  void remove() {
    if (remover_) std::exchange(remover_, nullptr)();
  }

 private:
  std::function<void()> remover_;
};

/// Calls hook(leaf) each time a backward pass has accumulated a gradient into leaf.grad(), as
/// Tensor.register_post_accumulate_grad_hook: leaf.grad() holds the new sum when the hook runs.
/// `hook` is anything callable with a `const Tensor<T>&`.
template <class T, class F>
RemovableHandle register_post_accumulate_grad_hook(const Tensor<T>& leaf, F&& hook) {
  if (!leaf.requires_grad()) detail::fail({"cannot register a hook on a tensor that doesn't require gradient"});
  if (!leaf.is_leaf()) detail::fail({"post accumulate grad hooks cannot be registered on non-leaf tensors"});
  auto node = std::static_pointer_cast<AccumulateGrad<T>>(edge_to(leaf));
  using Hooks = PostAccumulateHooks<T>;
  if (!node->post_hooks) {
    node->post_hooks = std::make_shared<Hooks>();
    // By index, each hook called through a copy: a hook may remove hooks (its own included), which
    // only empties their slots, or register more, which may move the list (and run from this pass on).
    node->post_hooks->run = [](Hooks& hooks, const Tensor<T>& tensor) {
      const detail::CountGuard running(hooks.running);
      for (std::size_t i = 0; i < hooks.list.size(); ++i)
        if (hooks.list[i].second) {
          const auto h = hooks.list[i].second;
          h(tensor);
        }
    };
  }
  auto& hooks = *node->post_hooks;
  if (hooks.running == 0)  // while hooks run, their list only grows
    hooks.list.erase(std::remove_if(hooks.list.begin(), hooks.list.end(), [](const auto& h) { return !h.second; }),
                     hooks.list.end());
  static std::atomic<uint64_t> next_id{0};
  const uint64_t id = ++next_id;
  hooks.list.emplace_back(id, std::function<void(const Tensor<T>&)>(std::forward<F>(hook)));
  return RemovableHandle([weak = std::weak_ptr<Hooks>(node->post_hooks), id] {
    if (auto h = weak.lock())
      for (auto& entry : h->list)
        if (entry.first == id) entry.second = nullptr;
  });
}

/// Runs `callback` once the backward pass running on this thread has finished (after every gradient
/// is accumulated; a pass nested in it, as a float <-> double conversion runs, does not count), in
/// queueing order; a pass that throws drops its callbacks. Only a backward pass (a hook or backward
/// formula inside one) may queue.
inline void queue_callback(std::function<void()> callback) {
  auto& callbacks = detail::final_callbacks();
  if (callbacks.running == 0) detail::fail({"Final callbacks can only be installed during backward pass."});
  thread_local std::vector<std::function<void()>> queued;
  queued.push_back(std::move(callback));
  callbacks.queued = queued.size();
  // Runs the callbacks queued since index `first` (a callback may queue more: they run too), or,
  // when the pass failed (`run` false), drops them.
  callbacks.finish = [](std::size_t first, bool run) {
    const auto drop = [first] {
      queued.resize(first);
      detail::final_callbacks().queued = first;
    };
    try {
      for (std::size_t i = first; run && i < queued.size(); ++i) {
        std::function<void()> f = std::move(queued[i]);
        f();
      }
    } catch (...) {
      drop();
      throw;
    }
    drop();
  };
}

template <class T>
void AccumulateGrad<T>::apply(Tensor<T>& grad, std::vector<Tensor<T>>&) {
  const auto leaf = variable.lock();
  if (!leaf) return;
  auto& slot = leaf->grad;
  if (!slot) {
    // The first gradient becomes .grad; copy it unless nothing else holds it.
    slot = detail::exclusively_owned(grad) ? grad.impl() : grad.clone().impl();
  } else {
    detail::kernel(
        [](const Tensor<T>& dst, const Tensor<T>& src) {
          T* pd = dst.data();
          const T* ps = src.data();
          for (int64_t i = 0, n = src.numel(); i < n; ++i) pd[i] += ps[i];
        },
        Tensor<T>(slot), grad);
  }
  if (post_hooks) {
    const auto hooks = post_hooks;  // alive while they run
    hooks->run(*hooks, Tensor<T>(leaf));
  }
}

/// Runs backward from `root`, seeding its gradient with `grad` (same shape as root).
template <class T>
void run_backward(const Tensor<T>& root, const Tensor<T>& grad, bool retain_graph) {
  std::shared_ptr<Node<T>> start = edge_to(root);
  if (!start) return;
  // A float <-> double conversion runs backward on its source's graph from its node
  // (ops/compare.hpp): through a round trip (float -> double -> float) that would be a second
  // backward of this type inside the first, on the same nodes. Refused rather than mixed up.
  thread_local bool running = false;
  if (running)
    detail::fail({"backward: a conversion round trip (float -> double -> float, or back) inside one graph is not "
                  "differentiable in eigentorch; detach() one of the conversions"});
  struct Running {
    bool& flag;
    explicit Running(bool& f) : flag(f) { flag = true; }
    ~Running() { flag = false; }
  } running_now(running);
  auto& callbacks = detail::final_callbacks();
  const std::size_t first_callback = callbacks.queued;
  const detail::CountGuard pass(callbacks.running);
  NoGradGuard no_grad;  // backward formulas compute plain values, never a graph of their own

  // Pass 1: count, for every node reachable from the root, how many edges lead into it.
  const uint64_t mark = detail::next_visit_mark();
  // Scratch lists reused across calls on this thread (backward runs every training step).
  thread_local std::vector<Node<T>*> stack, ready;
  thread_local std::vector<Tensor<T>> grads;
  stack.assign(1, start.get());
  start->visit_mark = mark;
  start->dependencies = 0;
  while (!stack.empty()) {
    Node<T>* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e) continue;
      if (e->visit_mark != mark) {
        e->visit_mark = mark;
        e->dependencies = 0;
        e->grad_buffer = Tensor<T>();
        stack.push_back(e.get());
      }
      ++e->dependencies;
    }
  }

  // Pass 2: a node runs once every edge into it has delivered its gradient.
  start->grad_buffer = grad;
  ready.assign(1, start.get());
  try {
    while (!ready.empty()) {
      Node<T>* n = ready.back();
      ready.pop_back();
      Tensor<T> g = std::move(n->grad_buffer);
      n->grad_buffer = Tensor<T>();
      grads.assign(n->next.size(), Tensor<T>());
      if (g.defined()) {
        for (auto& w : n->retained)
          if (auto impl = w.lock())
            impl->grad = impl->grad ? detail::add_grads(Tensor<T>(impl->grad), g).impl() : g.clone().impl();
        n->apply(g, grads);
      }
      if (!retain_graph) n->release();
      for (std::size_t i = 0; i < n->next.size(); ++i) {
        Node<T>* child = n->next[i].get();
        if (!child) continue;
        if (grads[i].defined()) {
          if (!child->grad_buffer.defined())
            child->grad_buffer = std::move(grads[i]);
          else
            child->grad_buffer = detail::add_grads(child->grad_buffer, grads[i]);
        }
        if (--child->dependencies == 0) ready.push_back(child);
      }
    }
  } catch (...) {
    grads.clear();
    detail::clear_grad_buffers(start.get(), stack);
    if (callbacks.queued > first_callback) callbacks.finish(first_callback, false);
    throw;
  }
  // the outermost pass ends
  if (callbacks.running == 1 && callbacks.queued > first_callback) callbacks.finish(first_callback, true);
}

}  // namespace autograd

template <class T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph) const {
  if (!requires_grad())
    detail::fail({"element 0 of tensors does not require grad and does not have a grad_fn"});
  Tensor seed = gradient;
  if (!seed.defined()) {
    if (numel() != 1) detail::fail({"grad can be implicitly created only for scalar outputs"});
    seed = Tensor(shape(), detail::uninitialized);
    detail::kernel([](const Tensor& s) { s.data()[0] = T(1); }, seed);
  } else if (seed.shape() != shape()) {
    detail::fail({"Mismatch in shape: grad_output[0] has a shape of ", seed.shape().str(),
                  " and output[0] has a shape of ", shape().str(), "."});
  }
  autograd::run_backward(*this, seed, retain_graph);
}

template <class T>
void Tensor<T>::retain_grad() {
  if (!requires_grad()) detail::fail({"can't retain_grad on Tensor that has requires_grad=False"});
  if (is_leaf() || impl()->retains_grad) return;  // leaves keep .grad anyway
  impl()->retains_grad = true;
  impl()->grad_fn->retained.push_back(impl_);
}

}  // namespace eigentorch
