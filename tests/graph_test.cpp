// Tests of graph.hpp (CPUGraph): a replayed step computes what the same step run eagerly computes,
// bit for bit, in float and double (the eager ops are checked against PyTorch in their own files);
// new data reaches a replay through copy_; what cannot be replayed refuses to be captured and leaves
// nothing half-captured behind; the graph keeps, and reset() frees, the buffers it replays on.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>  // unique_ptr
#include <sstream>
#include <thread>
#include <vector>

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace F = eigentorch::nn::functional;

template <class T>
std::vector<std::vector<T>> values_of(const std::vector<et::Tensor<T>>& ts) {
  std::vector<std::vector<T>> out;
  for (const auto& t : ts) out.push_back(t.to_vector());
  return out;
}

template <class T>
et::Tensor<T> tour_x() {
  return et::tensor<T>({0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0}).reshape({-1, 1});
}
template <class T>
et::Tensor<T> tour_y() {
  return et::tensor<T>({35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4}).reshape({-1, 1});
}

TEST_CASE_TEMPLATE("a replayed tour step gives the eager step's losses and parameters bit for bit", T, float, double) {
  et::manual_seed(42);
  nn::Sequential eager(nn::Linear<T>(1, 13), nn::Tanh<T>(), nn::Linear<T>(13, 1));
  et::manual_seed(42);
  nn::Sequential replayed(nn::Linear<T>(1, 13), nn::Tanh<T>(), nn::Linear<T>(13, 1));
  et::optim::SGD<T> eager_opt(eager.parameters(), 1e-3), replayed_opt(replayed.parameters(), 1e-3);
  nn::MSELoss<T> mse;
  const auto x = tour_x<T>(), y = tour_y<T>();

  et::CPUGraph graph;
  et::Tensor<T> loss;
  {
    et::GraphCaptureGuard capture(graph);
    loss = mse(replayed(x), y);
    replayed_opt.zero_grad();
    loss.backward();
    replayed_opt.step();
  }
  CHECK(graph.captured());
  // linear, tanh, linear, mse_loss; the seed, mse_loss', linear' (input, weight, bias), tanh',
  // linear' (weight, bias); four SGD updates. The .grads are the buffers backward wrote (no copies).
  CHECK(graph.num_kernels() == 16);
  for (int step = 0; step < 300; ++step) {
    auto l = mse(eager(x), y);
    eager_opt.zero_grad();
    l.backward();
    eager_opt.step();
    if (step > 0) graph.replay();  // the capture made the first step
    REQUIRE(loss.item() == l.item());
  }
  CHECK(values_of(replayed.parameters()) == values_of(eager.parameters()));
  std::vector<et::Tensor<T>> eager_grads, replayed_grads;
  for (const auto& p : eager.parameters()) eager_grads.push_back(p.grad());
  for (const auto& p : replayed.parameters()) replayed_grads.push_back(p.grad());
  CHECK(values_of(replayed_grads) == values_of(eager_grads));
}

/// A step that uses most op families: products (mm through the transposed weight, batched matmul,
/// linear), broadcasting arithmetic with tensors and numbers, pointwise functions, activations,
/// softmax and log_softmax, reductions over everything and along a dim, shape ops that copy
/// (transpose) and that share (reshape, unsqueeze), clone, an in-place op on a graph tensor, and
/// SGD with momentum, weight decay and Nesterov.
template <class T>
struct ManyOps {
  et::Tensor<T> w1, b1, w2, k;
  std::vector<et::Tensor<T>> params;
  et::optim::SGD<T> opt;
  explicit ManyOps(uint64_t seed)
      : w1(draw({6, 4}, seed)), b1(draw({6}, seed + 1)), w2(draw({3, 6}, seed + 2)), k(draw({2, 3, 3}, seed + 3)),
        params{w1, b1, w2, k},
        opt(params, et::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-3).nesterov(true)) {}
  static et::Tensor<T> draw(const et::Size& shape, uint64_t seed) {
    et::manual_seed(seed);
    return (et::randn<T>(shape) * 0.5).detach().requires_grad_();
  }
  et::Tensor<T> loss(const et::Tensor<T>& x, const et::Tensor<T>& target) {
    auto h = F::relu(x.mm(w1.t()) + b1);                                // [5, 6]
    auto z = et::tanh(h) * 0.5 + et::sigmoid(h) / 2.0 - F::gelu(h) * 0.1;
    auto s = F::linear(z, w2) + 1.0;                                    // [5, 3]
    auto p = F::log_softmax(s, 1);
    auto batched = et::matmul(F::softmax(s, 1).unsqueeze(0).reshape({1, 5, 3}), k);  // [2, 5, 3]
    auto c = z.clone();
    c.mul_(T(2));
    auto reg = (w1 * w1).sum() * 1e-3 + et::exp(b1 * 0.1).mean() + c.transpose(0, 1).sum(1).pow(2.0).mean() * 1e-4;
    return -(p * target).sum(1).mean() + batched.mean(0).sum() / 7.0 + F::mse_loss(s, target, "sum") * 0.01 + reg;
  }
  void step(const et::Tensor<T>& x, const et::Tensor<T>& target, et::Tensor<T>* out = nullptr) {
    auto l = loss(x, target);
    opt.zero_grad();
    l.backward();
    opt.step();
    if (out) *out = l;
  }
};

TEST_CASE_TEMPLATE("a replay of many ops, fed new batches through copy_, matches eager bit for bit", T, float, double) {
  ManyOps<T> eager(7), replayed(7);
  std::vector<et::Tensor<T>> xs, ts;
  for (uint64_t i = 0; i < 6; ++i) {
    et::manual_seed(100 + i);
    xs.push_back(et::randn<T>({5, 4}));
    ts.push_back(et::softmax(et::randn<T>({5, 3}), 1));
  }
  // Momentum buffers come from a first, eager step (a capture refuses to create them).
  eager.step(xs[0], ts[0]);
  replayed.step(xs[0], ts[0]);
  auto x = xs[1].clone(), target = ts[1].clone();  // the graph's inputs
  et::CPUGraph graph;
  et::Tensor<T> loss, l;
  {
    et::GraphCaptureGuard capture(graph);
    replayed.step(x, target, &loss);
  }
  eager.step(xs[1], ts[1], &l);
  CHECK(loss.item() == l.item());
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < xs.size(); ++i) {
      x.copy_(xs[i]);
      target.copy_(ts[i]);
      graph.replay();
      eager.step(xs[i], ts[i], &l);
      REQUIRE(loss.item() == l.item());
    }
  CHECK(values_of(replayed.params) == values_of(eager.params));
  for (std::size_t i = 0; i < eager.params.size(); ++i)
    CHECK(replayed.opt.momentum_buffer(i).to_vector() == eager.opt.momentum_buffer(i).to_vector());
}

TEST_CASE("a .grad that was none when the capture began is refilled by each replay, as in PyTorch") {
  auto w = et::tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto x = et::tensor({0.5, -1.0, 2.0});
  et::CPUGraph graph;
  {
    et::GraphCaptureGuard capture(graph);
    (w * x).sum().backward();
  }
  CHECK(w.grad().to_vector() == std::vector<float>{0.5f, -1.0f, 2.0f});
  x.copy_(et::tensor({4.0, 5.0, 6.0}));
  graph.replay();
  graph.replay();
  CHECK(w.grad().to_vector() == std::vector<float>{4.0f, 5.0f, 6.0f});  // not 0.5 + 4 + 4...
  // A .grad that existed at capture is accumulated into, as eager backward does.
  et::CPUGraph accumulate;
  {
    et::GraphCaptureGuard capture(accumulate);
    (w * x).sum().backward();
  }
  CHECK(w.grad().to_vector() == std::vector<float>{8.0f, 10.0f, 12.0f});
  accumulate.replay();
  CHECK(w.grad().to_vector() == std::vector<float>{12.0f, 15.0f, 18.0f});
}

TEST_CASE("what a replay could not repeat refuses to be captured, and the failed capture is dropped") {
  const std::string refused = "operation not permitted while a CPUGraph is capturing";
  auto w = et::tensor({1.0, 2.0}).requires_grad_();
  et::CPUGraph graph;
  auto capture_failing = [&](auto&& body) {
    et::Tensor<float> y;
    try {
      et::GraphCaptureGuard capture(graph);
      y = w * 3.0;
      body(y);
    } catch (const et::Error& e) {
      INFO(std::string(e.what()));
      CHECK(std::string(e.what()).find(refused) == 0);
      CHECK_FALSE(graph.captured());
      CHECK_FALSE(graph.capturing());
      CHECK(y.to_vector() == std::vector<float>{3.0f, 6.0f});  // data access works again
      return true;
    }
    return false;
  };
  CHECK(capture_failing([](const et::Tensor<float>& y) { (void)y.to_vector(); }));
  CHECK(capture_failing([](const et::Tensor<float>& y) { (void)y.sum().item(); }));
  CHECK(capture_failing([](const et::Tensor<float>& y) { std::ostringstream os; os << y; }));
  CHECK(capture_failing([](const et::Tensor<float>&) { (void)et::randn({3}); }));
  CHECK(capture_failing([](const et::Tensor<float>& y) { y.detach().normal_(); }));
  CHECK(capture_failing([](const et::Tensor<float>&) { (void)et::tensor({1.0, 2.0}); }));
  CHECK(capture_failing([](const et::Tensor<float>& y) { (void)y.eigen(); }));
  CHECK_THROWS_WITH_AS(graph.replay(), "replay: this CPUGraph has not been captured (capture_begin / capture_end)",
                       et::Error);
}

TEST_CASE("SGD refuses to capture the step that creates its momentum buffers") {
  auto w = et::tensor({1.0, 2.0}).requires_grad_();
  et::optim::SGD<float> opt({w}, et::optim::SGDOptions(0.1).momentum(0.9));
  et::CPUGraph graph;
  auto step = [&] {
    opt.zero_grad();
    (w * w).sum().backward();
    opt.step();
  };
  CHECK_THROWS_WITH_AS(
      [&] {
        et::GraphCaptureGuard capture(graph);
        step();
      }(),
      "SGD: a CPUGraph cannot capture the first step with momentum, which creates the momentum buffers (each "
      "replay would create them again): run one step before capturing",
      et::Error);
  CHECK(w.to_vector() == std::vector<float>{1.0f, 2.0f});  // it threw before updating anything
  step();                                                   // the eager first step
  {
    et::GraphCaptureGuard capture(graph);
    step();
  }
  graph.replay();
  // By hand: g = 2w; buf = g, w -= 0.1 buf; then buf = 0.9 buf + g twice more.
  float w0 = 1.0f, buf = 0.0f;
  for (int i = 0; i < 3; ++i) {
    const float g = 2.0f * w0;
    buf = i == 0 ? g : 0.9f * buf + g;
    w0 = w0 - 0.1f * buf;
  }
  CHECK(w.to_vector()[0] == doctest::Approx(w0).epsilon(1e-6));
}

TEST_CASE("a refused step changes nothing, and a refusal caught inside the capture still drops it") {
  auto a = et::tensor({1.0, 2.0}).requires_grad_();
  auto b = et::tensor({3.0, 4.0}).requires_grad_();
  et::optim::SGD<float> opt({a, b}, et::optim::SGDOptions(0.1).momentum(0.9));
  opt.zero_grad();
  (a * a).sum().backward();
  opt.step();  // a has a momentum buffer now, b none
  const auto a0 = a.to_vector(), b0 = b.to_vector();
  auto step = [&] {
    opt.zero_grad();
    ((a * a).sum() + (b * b).sum()).backward();
    opt.step();
  };
  et::CPUGraph graph;
  {
    et::GraphCaptureGuard capture(graph);
    CHECK_THROWS_AS(step(), et::Error);  // refused at b, before a was updated
    CHECK(graph.capture_failed());
  }
  CHECK_FALSE(graph.captured());  // dropped by the guard although the error was caught
  CHECK(a.to_vector() == a0);
  CHECK(b.to_vector() == b0);
  // By hand: capture_end() reports the refusal and drops the capture.
  graph.capture_begin();
  auto y = a * 2.0;
  CHECK_THROWS_AS((void)y.sum().item(), et::Error);
  CHECK_THROWS_WITH_AS(graph.capture_end(),
                       "capture_end: an operation was refused during the capture (it threw an error then), so the "
                       "capture is incomplete and was dropped; capture again without it",
                       et::Error);
  CHECK_FALSE(graph.capturing());
  CHECK_FALSE(graph.captured());
  CHECK(y.to_vector() == std::vector<float>{a0[0] * 2, a0[1] * 2});  // eager again
}

TEST_CASE("captures on two threads that read one tensor count their references to it exactly") {
  auto w = et::tensor({1.0, 2.0, 3.0});
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      et::CPUGraph g;
      auto x = et::tensor({1.0, 1.0, 1.0});
      et::GraphCaptureGuard capture(g);
      (void)(x * w).sum();
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  CHECK(w.impl()->kernel_refs.load() == 0);
}

TEST_CASE("a graph destroyed by another thread while it captures ends that capture safely") {
  auto g = std::make_unique<et::CPUGraph>();
  auto x = et::tensor({1.0, 2.0});
  g->capture_begin();
  auto y = x * 2.0;  // recorded
  std::thread([&] { g.reset(); }).join();
  auto z = y + 1.0;  // the capturing thread notices, drops the kernels and runs eagerly
  CHECK(z.to_vector() == std::vector<float>{3.0f, 5.0f});
  CHECK(x.impl()->kernel_refs.load() == 0);
  et::CPUGraph next;  // and it can capture again
  next.capture_begin();
  next.capture_end();
  CHECK(next.captured());
}

TEST_CASE("CPUGraph's state errors") {
  et::CPUGraph a, b;
  CHECK_THROWS_WITH_AS(a.capture_end(), "capture_end: this CPUGraph is not capturing", et::Error);
  a.capture_begin();
  CHECK_THROWS_WITH_AS(b.capture_begin(), "capture_begin: this thread is already capturing a CPUGraph", et::Error);
  CHECK_THROWS_WITH_AS(a.reset(), "reset: this CPUGraph is capturing; call capture_end() first", et::Error);
  CHECK_THROWS_WITH_AS(b.replay(), "replay: this CPUGraph has not been captured (capture_begin / capture_end)",
                       et::Error);
  auto y = et::ones({2}) + 1.0;
  a.capture_end();
  CHECK(a.num_kernels() == 2);  // the ones, the addition
  CHECK_THROWS_WITH_AS(a.capture_begin(), "capture_begin: this CPUGraph already holds a capture; reset() it first",
                       et::Error);
  b.capture_begin();
  CHECK_THROWS_WITH_AS(a.replay(), "replay: not permitted while this thread is capturing a CPUGraph", et::Error);
  b.capture_end();
  y.fill_(0.0f);
  a.replay();
  CHECK(y.to_vector() == std::vector<float>{2.0f, 2.0f});
}

TEST_CASE("the graph keeps the tensors it replays on alive, and reset() lets them go") {
  et::CPUGraph graph;
  std::weak_ptr<et::detail::TensorImpl<float>> kept;
  {
    auto x = et::tensor({1.0, 2.0});
    et::Tensor<float> y;
    {
      et::GraphCaptureGuard capture(graph);
      y = x * 2.0;
    }
    kept = y.impl();
  }
  REQUIRE_FALSE(kept.expired());
  graph.replay();
  CHECK(et::Tensor<float>(kept.lock()).to_vector() == std::vector<float>{2.0f, 4.0f});
  graph.reset();
  CHECK(kept.expired());
  CHECK_FALSE(graph.captured());
}

TEST_CASE("a capture on one thread leaves other threads' eager ops alone") {
  et::CPUGraph graph;
  auto x = et::tensor({1.0, 2.0});
  graph.capture_begin();
  auto y = x + 1.0;
  float seen = 0;
  std::thread other([&] { seen = (et::tensor({3.0, 4.0}) * 2.0).sum().item(); });
  other.join();
  graph.capture_end();
  CHECK(seen == 14.0f);
  CHECK(graph.num_kernels() == 1);
}

}  // namespace
