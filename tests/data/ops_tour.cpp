// Issue 15's ops as a user writes them, against docs/API.md only: int64 and bool tensors,
// comparisons, selection, indexing and joining, reductions with indices, more math, PyTorch's
// random draws, a gradient through them. tests/reference/ops_tour.py is its PyTorch twin; ctest
// checks that this prints exactly what the twin printed (tests/data/ops_tour.expected).
#include <eigentorch/eigentorch.hpp>

#include <iostream>

namespace et = eigentorch;

int main() {
  et::manual_seed(0);
  const auto x = et::randn({4, 3});
  const auto y = et::randint(0, 3, {4});
  std::cout << x << "\n" << y << "\n";

  // a classifier's bookkeeping
  const auto pred = x.argmax(1);
  std::cout << pred << "\n" << (pred == y) << "\n" << (pred == y).sum() << "\n";
  std::cout << (pred == y).sum().item() << " of " << y.numel() << " correct\n";

  // comparisons and selection
  const auto positive = x > 0;
  std::cout << positive << "\n" << positive.all() << " " << positive.any() << "\n";
  std::cout << et::where(positive, x, x * 0.1) << "\n" << x.masked_fill(x < -1, -1.0) << "\n";
  std::cout << et::logical_and(x > -0.5, x < 0.5) << "\n";

  // indexing and joining
  const auto perm = et::randperm(4);
  std::cout << perm << "\n" << x.index_select(0, perm) << "\n" << x.index(x.sum(1) > 0) << "\n";
  std::cout << x[1] << "\n" << x.narrow(1, 1, 2) << "\n" << x.slice(0, 0, 4, 2) << "\n";
  std::cout << et::cat({x, x.square()}, 1) << "\n" << et::stack({x[0], x[2]}, 0) << "\n";
  std::cout << x.permute({1, 0}) << "\n" << x.gather(1, et::randint(0, 3, {4, 2})) << "\n";

  // reductions
  const auto [values, indices] = x.max(1);
  std::cout << values << "\n" << indices << "\n";
  std::cout << x.min() << " " << x.prod() << "\n" << x.var(0) << "\n" << x.std(1, true, true) << "\n";
  std::cout << x.logsumexp(1) << "\n" << x.norm() << "\n" << x.cumsum(0) << "\n";

  // more math
  std::cout << x.clamp(-0.5, 0.5) << "\n" << x.abs().rsqrt() << "\n" << x.round() << "\n" << x.sign() << "\n";
  std::cout << et::maximum(x, x.t().narrow(0, 0, 1).t()) << "\n";

  // types
  std::cout << x.to<int64_t>() << "\n" << x.to<bool>() << "\n" << x.to<double>().sum() << "\n";
  std::cout << y + 1 << "\n" << y / 2 << "\n" << y * 1.5 << "\n";

  // random draws
  std::cout << et::bernoulli(et::full({2, 3}, 0.5)) << "\n" << et::normal(2.0, 0.5, {3}) << "\n";
  std::cout << et::multinomial(et::tensor({0.1, 0.2, 0.3, 0.4}), 3) << "\n";
  std::cout << et::multinomial(et::tensor({0.1, 0.2, 0.3, 0.4}), 5, true) << "\n";

  // a gradient through selection, a reduction with indices and a logsumexp
  auto w = et::randn({3}).requires_grad_();
  const auto scores = x.index_select(0, perm).matmul(w);
  const auto loss = et::stack({scores.logsumexp(0), std::get<0>(x.matmul(w).unsqueeze(0).max(1)).squeeze()}, 0).sum();
  loss.backward();
  std::cout << loss << "\n" << w.grad() << "\n";
  return 0;
}
