// Reliability: the tape and grad mode are per thread, so independent models trained at once in
// several threads end bit-identical to the same models trained one after another.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace et = eigentorch;
namespace nn = eigentorch::nn;

namespace {

struct Job {
  nn::Sequential<> model;
  et::Tensor<> x, y;
};

/// A model and its data, all drawn from the generator after manual_seed(seed).
Job make_job(uint64_t seed) {
  et::manual_seed(seed);
  Job job{nn::Sequential(nn::Linear(4, 16), nn::Tanh(), nn::Linear(16, 3)), et::randn({32, 4}), et::randn({32, 3})};
  return job;
}

void train(Job& job, int steps) {
  et::optim::SGD opt(job.model.parameters(), et::optim::SGDOptions(0.05).momentum(0.9));
  nn::MSELoss mse;
  for (int i = 0; i < steps; ++i) {
    et::Tensor<> loss = mse(job.model(job.x), job.y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (i % 50 == 0) {  // another thread's no_grad block must not leak into this one
      et::NoGradGuard no_grad;
      CHECK_FALSE(et::is_grad_enabled());
    }
  }
}

}  // namespace

TEST_CASE("threads: models trained in parallel equal the same models trained serially, bit for bit") {
  constexpr int kModels = 4, kSteps = 300;
  std::vector<Job> serial, parallel;
  for (int i = 0; i < kModels; ++i) serial.push_back(make_job(100 + i));
  for (int i = 0; i < kModels; ++i) parallel.push_back(make_job(100 + i));

  for (auto& job : serial) train(job, kSteps);
  std::vector<std::thread> threads;
  for (auto& job : parallel) threads.emplace_back([&job] { train(job, kSteps); });
  for (auto& t : threads) t.join();

  for (int i = 0; i < kModels; ++i) {
    CAPTURE(i);
    const auto a = serial[i].model.parameters(), b = parallel[i].model.parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t p = 0; p < a.size(); ++p) CHECK(a[p].to_vector() == b[p].to_vector());
    // and training did move them: the serial run differs from a fresh model
    CHECK(a[0].to_vector() != make_job(100 + i).model.parameters()[0].to_vector());
  }
}

TEST_CASE("threads: grad mode is per thread") {
  et::NoGradGuard no_grad;
  REQUIRE_FALSE(et::is_grad_enabled());
  bool other_thread_enabled = false;
  std::thread([&] { other_thread_enabled = et::is_grad_enabled(); }).join();
  CHECK(other_thread_enabled);
  CHECK_FALSE(et::is_grad_enabled());
}
