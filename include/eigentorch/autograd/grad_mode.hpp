// Grad mode: whether ops record the graph. Per thread, as in PyTorch, so one thread's no_grad block
// never changes what another thread records.
#pragma once

namespace eigentorch {
namespace detail {
inline bool& grad_mode_flag() {
  thread_local bool enabled = true;
  return enabled;
}
}  // namespace detail

/// True unless a NoGradGuard is alive on this thread (torch.is_grad_enabled()).
inline bool is_grad_enabled() { return detail::grad_mode_flag(); }

/// Turns grad mode on or off for this thread (torch.set_grad_enabled).
inline void set_grad_enabled(bool enabled) { detail::grad_mode_flag() = enabled; }

/// RAII form of `with torch.no_grad():` ops inside the scope record nothing; the previous mode returns
/// when the guard dies.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace eigentorch
