// Tests of autograd/grad_mode.hpp: NoGradGuard turns recording off for its scope and restores the
// previous mode, nests, and is per thread as torch.no_grad is.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace et = eigentorch;

TEST_CASE("grad mode: enabled by default, NoGradGuard disables it for its scope") {
  CHECK(et::is_grad_enabled());
  {
    et::NoGradGuard no_grad;
    CHECK_FALSE(et::is_grad_enabled());
  }
  CHECK(et::is_grad_enabled());
}

TEST_CASE("grad mode: guards nest and each restores what it found") {
  {
    et::NoGradGuard outer;
    {
      et::NoGradGuard inner;
      CHECK_FALSE(et::is_grad_enabled());
    }
    CHECK_FALSE(et::is_grad_enabled());  // the inner guard found grad off and leaves it off
    et::set_grad_enabled(true);          // torch.set_grad_enabled(True) inside no_grad
    CHECK(et::is_grad_enabled());
    {
      et::NoGradGuard again;
      CHECK_FALSE(et::is_grad_enabled());
    }
    CHECK(et::is_grad_enabled());
  }
  CHECK(et::is_grad_enabled());

  et::set_grad_enabled(false);
  {
    et::NoGradGuard guard;
    CHECK_FALSE(et::is_grad_enabled());
  }
  CHECK_FALSE(et::is_grad_enabled());  // restored to off, as found
  et::set_grad_enabled(true);
}

TEST_CASE("grad mode: a guard is restored when an exception leaves its scope") {
  try {
    et::NoGradGuard no_grad;
    throw et::Error("boom");
  } catch (const et::Error&) {
  }
  CHECK(et::is_grad_enabled());
}

TEST_CASE_TEMPLATE("grad mode: ops under NoGradGuard record nothing", T, float, double) {
  auto x = et::tensor<T>({1.0, 2.0, 3.0}).requires_grad_();
  et::Tensor<T> y;
  {
    et::NoGradGuard no_grad;
    y = (x * 2).tanh().sum();
    CHECK(x.requires_grad());  // the leaf's own flag is untouched
  }
  CHECK_FALSE(y.requires_grad());
  CHECK(y.is_leaf());
  CHECK(y.grad_fn() == nullptr);
  auto z = x * 2;  // recording again after the guard
  CHECK(z.requires_grad());
  CHECK_FALSE(z.is_leaf());
  REQUIRE(z.grad_fn() != nullptr);
  CHECK(std::string(z.grad_fn()->name()) == "MulBackward0");
}

TEST_CASE("grad mode: in-place updates of a leaf are allowed under NoGradGuard, as an optimizer does") {
  auto w = et::tensor({1.0, 2.0}).requires_grad_();
  (w * w).sum().backward();
  {
    et::NoGradGuard no_grad;
    w.sub_(w.grad(), 0.5f);
  }
  CHECK(w.to_vector() == std::vector<float>{0, 0});
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
}

TEST_CASE("grad mode: per thread, another thread records while this one holds a NoGradGuard") {
  std::mutex m;
  std::condition_variable cv;
  bool guard_held = false, other_done = false;
  std::atomic<bool> other_enabled{false}, other_recorded{false}, other_enabled_under_guard{true};

  std::thread main_like([&] {
    et::NoGradGuard no_grad;
    {
      std::unique_lock<std::mutex> lock(m);
      guard_held = true;
      cv.notify_all();
      cv.wait(lock, [&] { return other_done; });  // keep the guard alive while the other thread runs
    }
    CHECK_FALSE(et::is_grad_enabled());
  });
  std::thread other([&] {
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return guard_held; });
    }
    other_enabled = et::is_grad_enabled();
    auto x = et::tensor({1.0}).requires_grad_();
    other_recorded = (x * 2).requires_grad();
    {
      et::NoGradGuard mine;
      other_enabled_under_guard = et::is_grad_enabled();
    }
    std::lock_guard<std::mutex> lock(m);
    other_done = true;
    cv.notify_all();
  });
  other.join();
  main_like.join();
  CHECK(other_enabled);
  CHECK(other_recorded);
  CHECK_FALSE(other_enabled_under_guard);
  CHECK(et::is_grad_enabled());  // neither thread's guard reached this one
}

TEST_CASE("grad mode: a new thread starts with grad enabled even if its creator has it off") {
  et::NoGradGuard no_grad;
  bool seen = false;
  std::thread t([&] { seen = et::is_grad_enabled(); });
  t.join();
  CHECK(seen);
  CHECK_FALSE(et::is_grad_enabled());
}
