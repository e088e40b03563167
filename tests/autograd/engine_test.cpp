// Tests of autograd/engine.hpp: gradients of small composite graphs (diamonds, shared tensors,
// broadcasting, views) equal PyTorch 1.13's bit for bit (reference/core_cases.hpp); gradients
// accumulate; retain_grad and retain_graph; the graph is freed by backward; backward's errors carry
// PyTorch's messages; a chain of 100 000 ops neither overflows the stack in backward nor in its
// destruction; the post-accumulate hooks and final callbacks run when and as often as PyTorch runs them.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <functional>   // std::function
#include <string>
#include <type_traits>  // std::is_same_v
#include <vector>

#include "reference/core_cases.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;
namespace ref = eigentorch::testing::core_reference;

template <class T>
et::Tensor<T> input(const char* test, const char* key, bool requires_grad = false) {
  const ref::Array& a = ref::find_array(test, key);
  et::Tensor<T> t = et::from_vector(ref::values_as<T>(a), et::Size(a.shape));
  t.requires_grad_(requires_grad);
  return t;
}

using eigentorch::testing::dtype_name;
using eigentorch::testing::hex;

/// actual equals PyTorch's result (test, key) in T, shape and every bit of every value.
template <class T>
void check_exact(const et::Tensor<T>& actual, const char* test, const char* key) {
  const std::string where = std::string(test) + " / " + key;
  CAPTURE(where);
  REQUIRE(actual.defined());
  const ref::Array& e = ref::find_array(test, key, dtype_name<T>());
  CHECK(actual.shape() == et::Size(e.shape));
  const std::vector<T> want = ref::values_as<T>(e);
  const std::vector<T> got = actual.to_vector();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    const std::string bits = hex(got[i]) + " vs PyTorch's " + hex(want[i]);
    CAPTURE(bits);
    if constexpr (std::is_same_v<T, double>) {
      // NOTE: PyTorch's double tanh and exp are SLEEF's (within 1 ulp), ours the C library's, so a
      // double graph agrees to a few ulps; float graphs are checked bit for bit.
      CHECK(std::abs(got[i] - want[i]) <= 1e-14 * std::abs(want[i]) + 1e-300);
    } else {
      CHECK(got[i] == want[i]);
    }
  }
}

/// actual equals PyTorch's result within a few ulps (for sums whose order PyTorch's kernels pick).
template <class T>
void check_close(const et::Tensor<T>& actual, const char* test, const char* key) {
  const std::string where = std::string(test) + " / " + key;
  CAPTURE(where);
  REQUIRE(actual.defined());
  const ref::Array& e = ref::find_array(test, key, dtype_name<T>());
  CHECK(actual.shape() == et::Size(e.shape));
  const double rtol = std::is_same_v<T, double> ? 1e-14 : 1e-6;
  eigentorch::testing::check_allclose(actual.to_vector(), ref::values_as<T>(e), rtol, 0.0);
}

const char* message(const char* test, const char* key) { return ref::find_text(test, key).text; }

}  // namespace

TEST_CASE_TEMPLATE("engine: a diamond, where one tensor feeds an op twice", T, float, double) {
  const char* test = "grad:diamond";
  auto x = input<T>(test, "x", true);
  auto z = (x * x + x).sum();
  z.backward();
  check_exact(z, test, "z");
  check_exact(x.grad(), test, "x.grad");
}

TEST_CASE_TEMPLATE("engine: a tensor used in two branches that meet again", T, float, double) {
  const char* test = "grad:branches";
  auto x = input<T>(test, "x", true);
  auto l = (x.tanh() * (x * 3)).sum();
  l.backward();
  check_exact(l, test, "l");
  check_exact(x.grad(), test, "x.grad");
}

TEST_CASE_TEMPLATE("engine: an intermediate used three times, two leaves", T, float, double) {
  const char* test = "grad:shared";
  auto x = input<T>(test, "x", true);
  auto w = input<T>(test, "w", true);
  auto h = x * w;
  auto l = (h * h + h).mean();
  l.backward();
  check_exact(l, test, "l");
  check_exact(x.grad(), test, "x.grad");
  check_exact(w.grad(), test, "w.grad");
  CHECK_FALSE(h.grad().defined());  // a non-leaf keeps no grad unless asked
}

TEST_CASE_TEMPLATE("engine: gradients accumulate over two backward calls", T, float, double) {
  const char* test = "grad:accumulate";
  auto x = input<T>(test, "x", true);
  CHECK_FALSE(x.grad().defined());
  (x * 2).sum().backward();
  check_exact(x.grad(), test, "x.grad after 1");
  const et::Tensor<T> first = x.grad();
  (x * x).sum().backward();
  check_exact(x.grad(), test, "x.grad after 2");
  // PyTorch accumulates into the same .grad tensor, in place.
  CHECK(first.is_same(x.grad()));
}

TEST_CASE_TEMPLATE("engine: backward with an explicit gradient", T, float, double) {
  const char* test = "grad:explicit";
  auto x = input<T>(test, "x", true);
  auto w = input<T>(test, "w", true);
  auto g = input<T>(test, "g");
  (x * w).backward(g);
  check_exact(x.grad(), test, "x.grad");
  check_exact(w.grad(), test, "w.grad");
  CHECK_FALSE(g.grad().defined());
  CHECK_FALSE(g.requires_grad());
}

TEST_CASE_TEMPLATE("engine: retain_grad keeps the gradient of non-leaf tensors", T, float, double) {
  const char* test = "grad:retain_grad";
  auto x = input<T>(test, "x", true);
  auto h = x * 2;
  h.retain_grad();
  CHECK(h.retains_grad());
  auto y = h.tanh();
  y.retain_grad();
  h.retain_grad();  // a second call changes nothing
  auto unretained = y * y;
  unretained.sum().backward();
  check_exact(h.grad(), test, "h.grad");
  check_exact(y.grad(), test, "y.grad");
  check_exact(x.grad(), test, "x.grad");
  CHECK_FALSE(unretained.grad().defined());
  CHECK_FALSE(x.retains_grad());  // a leaf keeps .grad without asking
}

TEST_CASE_TEMPLATE("engine: retain_graph allows a second backward through the graph", T, float, double) {
  const char* test = "grad:retain_graph";
  auto x = input<T>(test, "x", true);
  auto l = (x * x * x).sum();
  l.backward(et::Tensor<T>(), /*retain_graph=*/true);
  check_exact(x.grad(), test, "x.grad after 1");
  l.backward();
  check_exact(x.grad(), test, "x.grad after 2");
  // The second backward did not retain the graph: a third one has nothing saved left.
  CHECK_THROWS_WITH_AS(l.backward(), message("error:engine", "backward twice"), et::Error);
}

TEST_CASE_TEMPLATE("engine: gradients of broadcast operands are summed back to their shape", T, float,
                   double) {
  const char* test = "grad:broadcast";
  auto x = input<T>(test, "x", true);
  auto b = input<T>(test, "b", true);
  (x * b + b).sum().backward();
  check_exact(x.grad(), test, "x.grad");
  check_exact(b.grad(), test, "b.grad");
}

TEST_CASE_TEMPLATE("engine: mean over a dim, pow, division", T, float, double) {
  {
    const char* test = "grad:mean_dim";
    auto x = input<T>(test, "x", true);
    x.mean(0).pow(2).sum().backward();
    check_exact(x.grad(), test, "x.grad");
  }
  {
    const char* test = "grad:div";
    auto a = input<T>(test, "a", true);
    auto b = input<T>(test, "b", true);
    (a / b).sum().backward();
    check_exact(a.grad(), test, "a.grad");
    check_exact(b.grad(), test, "b.grad");
  }
}

TEST_CASE_TEMPLATE("engine: a chain of views (reshape, t, unsqueeze, view)", T, float, double) {
  const char* test = "grad:views";
  auto x = input<T>(test, "x", true);
  auto w = input<T>(test, "w");
  (x.reshape({-1, 1}) * w).t().unsqueeze(0).view({2, 3}).pow(2).sum().backward();
  check_exact(x.grad(), test, "x.grad");
}

TEST_CASE_TEMPLATE("engine: linear then mse_loss", T, float, double) {
  const char* test = "grad:linear_mse";
  auto x = input<T>(test, "x");
  auto w = input<T>(test, "w", true);
  auto b = input<T>(test, "b", true);
  auto loss = F::mse_loss(F::linear(x, w, b), input<T>(test, "t"));
  loss.backward();
  // NOTE: addmm's backward sums over the batch in an order the GEMM picks: a few ulps allowed.
  check_close(loss, test, "loss");
  check_close(w.grad(), test, "w.grad");
  check_close(b.grad(), test, "b.grad");
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE_TEMPLATE("engine: a non-leaf and its leaf both used twice, scalar arithmetic", T, float,
                   double) {
  {
    const char* test = "grad:nonleaf_twice";
    auto x = input<T>(test, "x", true);
    auto h = x.tanh();
    (h * h + h * x).sum().backward();
    check_exact(x.grad(), test, "x.grad");
  }
  {
    const char* test = "grad:scalars";
    auto x = input<T>(test, "x", true);
    ((1 - x) / 2 + x * 3 - 0.5).pow(2).mean().backward();
    check_exact(x.grad(), test, "x.grad");
  }
}

TEST_CASE_TEMPLATE("engine: backward frees the graph, the second backward throws PyTorch's message", T,
                   float, double) {
  auto x = et::tensor<T>({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  y.backward();
  const std::vector<T> once = x.grad().to_vector();
  CHECK_THROWS_WITH_AS(y.backward(), message("error:engine", "backward twice"), et::Error);
  CHECK(x.grad().to_vector() == once);  // the failed backward added nothing

  auto t = x.tanh().sum();  // tanh saves its output
  t.backward();
  CHECK_THROWS_WITH_AS(t.backward(), message("error:engine", "backward twice through tanh"), et::Error);
}

TEST_CASE("engine: a second backward throws exactly where PyTorch's does: where a node saved a tensor") {
  using Graph = std::function<et::Tensor<>(const et::Tensor<>&)>;
  const std::vector<std::pair<const char*, Graph>> graphs = {
      {"(x * 3).sum()", [](const et::Tensor<>& x) { return (x * 3).sum(); }},
      {"(x / 2).sum()", [](const et::Tensor<>& x) { return (x / 2).sum(); }},
      {"(2 / x).sum()", [](const et::Tensor<>& x) { return (2 / x).sum(); }},
      {"x.pow(2).sum()", [](const et::Tensor<>& x) { return x.pow(2).sum(); }},
      {"(x * x).sum()", [](const et::Tensor<>& x) { return (x * x).sum(); }},
      {"x.tanh().sum()", [](const et::Tensor<>& x) { return x.tanh().sum(); }},
      {"x.mean(0)", [](const et::Tensor<>& x) { return x.mean(0); }},
      {"(x + 1).sum()", [](const et::Tensor<>& x) { return (x + 1).sum(); }},
      {"(x - 1).sum()", [](const et::Tensor<>& x) { return (x - 1).sum(); }},
      {"(1 - x).sum()", [](const et::Tensor<>& x) { return (1 - x).sum(); }},
      {"(-x).sum()", [](const et::Tensor<>& x) { return (-x).sum(); }},
      {"(x + x).sum()", [](const et::Tensor<>& x) { return (x + x).sum(); }},
      {"x.sum()", [](const et::Tensor<>& x) { return x.sum(); }},
      {"x.mean()", [](const et::Tensor<>& x) { return x.mean(); }},
      {"x.reshape(-1, 1).sum()", [](const et::Tensor<>& x) { return x.reshape({-1, 1}).sum(); }},
      {"x.unsqueeze(0).t().sum()", [](const et::Tensor<>& x) { return x.unsqueeze(0).t().sum(); }},
      {"x.clone().sum()", [](const et::Tensor<>& x) { return x.clone().sum(); }},
  };
  for (const auto& [key, graph] : graphs) {
    const std::string name = key;
    CAPTURE(name);
    const std::string outcome = ref::find_text("error:second backward", key).text;
    auto x = et::tensor({1.0, 2.0}).requires_grad_();
    auto y = graph(x);
    y.backward();
    if (outcome == "raises") {
      CHECK_THROWS_WITH_AS(y.backward(), message("error:engine", "backward twice"), et::Error);
    } else {
      REQUIRE(outcome == "ok");
      CHECK_NOTHROW(y.backward());
    }
  }
}

TEST_CASE("engine: backward's misuse throws PyTorch's messages") {
  const char* test = "error:engine";
  auto x = et::ones({3}).requires_grad_();
  CHECK_THROWS_WITH_AS((x * 2).backward(), message(test, "backward of non-scalar"), et::Error);
  CHECK_THROWS_WITH_AS(et::zeros({3}).sum().backward(), message(test, "backward without grad"), et::Error);
  auto two = et::ones({2}).requires_grad_();
  CHECK_THROWS_WITH_AS((two * 2).backward(et::ones({3})), message(test, "backward with a [3] gradient for [2]"),
                       et::Error);
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(two.grad().defined());
}

TEST_CASE("engine: backward of a leaf seeds its own grad") {
  auto x = et::tensor(2.5).requires_grad_();
  x.backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().item() == 1.0f);
  CHECK(x.grad().dim() == 0);
}

TEST_CASE("engine: a failed backward leaves nothing half-accumulated behind") {
  auto x = et::tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto h = x.tanh();
  auto l = (h * 2).sum() + (h * h).sum();
  {
    et::NoGradGuard no_grad;
    h.mul_(2);  // h is saved by h * h: backward must refuse
  }
  CHECK_THROWS_AS(l.backward(), et::Error);
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE_TEMPLATE("engine: a chain of 100 000 ops runs backward and dies without deep recursion", T, float,
                   double) {
  constexpr int kOps = 100000;
  auto x = et::tensor<T>({1.0, 2.0}).requires_grad_();
  {
    auto y = x;
    for (int i = 0; i < kOps; ++i) y = y * 1.0001;
    auto s = y.sum();
    s.backward();
    // d/dx (x * c^n) = c^n, with every one of the n factors rounded in T
    T expected = T(1);
    for (int i = 0; i < kOps; ++i) expected = expected * static_cast<T>(1.0001);
    const std::vector<T> g = x.grad().to_vector();
    CHECK(g[0] == expected);
    CHECK(g[1] == expected);
  }  // the chain dies here
  {
    // A chain whose graph is never run backward: only its destruction is tested.
    auto y = x;
    for (int i = 0; i < kOps; ++i) y = y + 0;
    CHECK(y.to_vector() == std::vector<T>{1, 2});
  }
  {
    // Nodes that save tensors (mul by a tensor), each keeping the previous output.
    auto c = et::tensor<T>({1.0, 1.0});
    auto y = x.detach().requires_grad_();
    auto leaf = y;
    for (int i = 0; i < kOps; ++i) y = y * c;
    y.sum().backward();
    CHECK(leaf.grad().to_vector() == std::vector<T>{1, 1});
  }
}

TEST_CASE("engine: a graph that fans out 100 000 ways from one tensor") {
  auto x = et::tensor({2.0}).requires_grad_();
  auto acc = x * 0;
  for (int i = 0; i < 100000; ++i) acc = acc + x;
  acc.sum().backward();
  CHECK(x.grad().item() == 100000.0f);
}

TEST_CASE("engine: backward under NoGradGuard still computes gradients") {
  auto x = et::tensor({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  et::NoGradGuard no_grad;
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{2, 4});
  CHECK_FALSE(x.grad().requires_grad());
  CHECK_FALSE(et::is_grad_enabled());  // backward restored the caller's mode
}

// The hooks DistributedDataParallel follows a backward pass with (PyTorch 2's
// register_post_accumulate_grad_hook and the engine's queue_callback).
TEST_CASE_TEMPLATE("engine: a post-accumulate hook sees each leaf's summed .grad once per pass", T, float, double) {
  auto a = et::tensor({1.0, 2.0}).template to<T>().requires_grad_();
  auto b = et::tensor({3.0}).template to<T>().requires_grad_();
  std::vector<std::string> seen;
  auto record = [&seen](const char* name) {
    return [&seen, name](const et::Tensor<T>& leaf) {
      seen.push_back(std::string(name) + "=" + std::to_string(leaf.grad().sum().item()));
    };
  };
  auto ha = et::autograd::register_post_accumulate_grad_hook(a, record("a"));
  et::autograd::register_post_accumulate_grad_hook(b, record("b"));
  // a is used twice: its two gradients (2 * b and a's square's 2a) meet before the hook runs once.
  ((a * b).sum() * 2 + (a * a).sum()).backward();
  REQUIRE(seen.size() == 2);
  CHECK(std::count(seen.begin(), seen.end(), "a=" + std::to_string(T(18))) == 1);  // 6+6 + 2+4
  CHECK(std::count(seen.begin(), seen.end(), "b=" + std::to_string(T(6))) == 1);   // 2*(1+2)
  seen.clear();
  (a.sum() * 3).backward();  // accumulates: a.grad = (8, 10) + 3
  CHECK(seen == std::vector<std::string>{"a=" + std::to_string(T(24))});
  ha.remove();
  ha.remove();  // a second remove is harmless
  seen.clear();
  (a.sum() + b.sum()).backward();
  CHECK(seen == std::vector<std::string>{"b=" + std::to_string(T(7))});
}

TEST_CASE("engine: a hook may remove itself, and register more hooks while running") {
  auto x = et::tensor({1.0}).requires_grad_();
  int calls = 0, late_calls = 0;
  et::autograd::RemovableHandle handle;
  handle = et::autograd::register_post_accumulate_grad_hook(x, [&](const et::Tensor<float>&) {
    ++calls;
    handle.remove();
    // Registering moves the list the engine is walking (several, so that it must grow): the new
    // hooks run from this pass on, the running one is not disturbed (ASan would see a freed read).
    for (int i = 0; i < 8; ++i) et::autograd::register_post_accumulate_grad_hook(x, [&](const et::Tensor<float>&) { ++late_calls; });
  });
  (x * 2).sum().backward();
  CHECK(calls == 1);
  CHECK(late_calls == 8);
  (x * 2).sum().backward();
  CHECK(calls == 1);
  CHECK(late_calls == 16);
  CHECK(x.grad().item() == 4.0f);
}

TEST_CASE("engine: queue_callback runs after every gradient is in, once, and only inside backward") {
  CHECK_THROWS_WITH_AS(et::autograd::queue_callback([] {}), "Final callbacks can only be installed during backward pass.",
                       et::Error);
  auto w = et::tensor({2.0, 3.0}).requires_grad_();
  auto v = et::tensor({5.0}).requires_grad_();
  std::vector<std::string> order;
  auto queue = [&](const et::Tensor<float>& leaf) {
    order.push_back("hook " + std::to_string(leaf.numel()));
    if (order.size() == 1)
      et::autograd::queue_callback([&] {
        // Both leaves are accumulated when it runs; a callback may queue another, which runs too.
        order.push_back("callback w.grad=" + std::to_string(w.grad().sum().item()) +
                        " v.grad=" + std::to_string(v.grad().item()));
        et::autograd::queue_callback([&] { order.push_back("second"); });
      });
  };
  et::autograd::register_post_accumulate_grad_hook(w, queue);
  et::autograd::register_post_accumulate_grad_hook(v, queue);
  ((w * v).sum()).backward();
  REQUIRE(order.size() == 4);
  CHECK(order[2] == "callback w.grad=" + std::to_string(10.0f) + " v.grad=" + std::to_string(5.0f));
  CHECK(order[3] == "second");
  order.clear();
  (w.sum()).backward();  // the callbacks of the last pass do not run again
  CHECK(order == std::vector<std::string>{"hook 2", "callback w.grad=" + std::to_string(12.0f) + " v.grad=" + std::to_string(5.0f), "second"});
}

TEST_CASE("engine: callbacks run when the outermost pass ends, not when a conversion's nested pass does") {
  auto x = et::tensor({1.0, 2.0}).requires_grad_();
  std::vector<float> seen_at_callback;
  int hooks = 0;
  et::autograd::register_post_accumulate_grad_hook(x, [&](const et::Tensor<float>&) {
    if (hooks++ == 0) et::autograd::queue_callback([&] { seen_at_callback = x.grad().to_vector(); });
  });
  // Two float -> double conversions: each runs the float graph's backward, nested in the double one.
  (x.to<double>().sum() + (x.to<double>() * 2).sum()).backward();
  CHECK(hooks == 2);
  CHECK(seen_at_callback == std::vector<float>{3, 3});  // both nested passes were in
}

TEST_CASE("engine: a failed pass drops its callbacks, a throwing hook or callback fails the pass") {
  auto x = et::tensor({1.0, 2.0}).requires_grad_();
  int callbacks = 0, hook_calls = 0;
  bool fail_hook = false;
  et::autograd::register_post_accumulate_grad_hook(x, [&](const et::Tensor<float>&) {
    ++hook_calls;
    et::autograd::queue_callback([&] { ++callbacks; });
    if (fail_hook) throw et::Error("hook failed");
  });
  auto u = et::tensor({0.5}).requires_grad_();
  auto w = u.tanh();
  // The engine runs x's branch first (the last input's), whose hook queues a callback; then w * w
  // finds w changed in place and the pass fails.
  auto l = (w * w).sum() + x.sum();
  {
    et::NoGradGuard no_grad;
    w.mul_(2);
  }
  CHECK_THROWS_AS(l.backward(), et::Error);
  CHECK(hook_calls == 1);
  CHECK(callbacks == 0);
  fail_hook = true;
  CHECK_THROWS_WITH_AS(x.sum().backward(), "hook failed", et::Error);
  CHECK(hook_calls == 2);
  CHECK(callbacks == 0);
  fail_hook = false;
  (x.sum() * 1).backward();  // the hook queues one callback, which runs
  CHECK(callbacks == 1);
  auto throwing = et::tensor({1.0}).requires_grad_();
  et::autograd::register_post_accumulate_grad_hook(throwing, [](const et::Tensor<float>&) {
    et::autograd::queue_callback([] { throw et::Error("callback failed"); });
    et::autograd::queue_callback([] { FAIL("a callback after a throwing one ran"); });
  });
  CHECK_THROWS_WITH_AS(throwing.sum().backward(), "callback failed", et::Error);
  (x.sum()).backward();  // nothing of the failed pass is left queued
  CHECK(callbacks == 2);
}

TEST_CASE("engine: hooks are refused where PyTorch refuses them") {
  auto plain = et::tensor({1.0});
  auto nothing = [](const et::Tensor<float>&) {};
  CHECK_THROWS_WITH_AS(et::autograd::register_post_accumulate_grad_hook(plain, nothing),
                       "cannot register a hook on a tensor that doesn't require gradient", et::Error);
  auto leaf = et::tensor({1.0}).requires_grad_();
  CHECK_THROWS_WITH_AS(et::autograd::register_post_accumulate_grad_hook(leaf * 2, nothing),
                       "post accumulate grad hooks cannot be registered on non-leaf tensors", et::Error);
}
