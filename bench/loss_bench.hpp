// Workload 7 (issue 16's goal row): CrossEntropyLoss forward + backward on logits [128, 10] and
// [4096, 1000] (random class targets), float, against libtorch in the same run: one step is
// loss = cross_entropy(x, t); loss.backward(); x.grad set to none (x a leaf that requires grad), so
// every step makes the same log_softmax, nll_loss and their two backward passes, and no gradient
// accumulates. Included by bench.cpp (it uses Context, keep and torch_prepare from there).
#pragma once

/// 7. CrossEntropyLoss forward + backward; goal: no slower than libtorch (--threads 1).
void run_cross_entropy(Context& ctx) {
  for (const auto& [n, c] : {std::pair<int64_t, int64_t>{128, 10}, {4096, 1000}}) {
    const std::string name = "7 CrossEntropyLoss fwd+bwd [" + std::to_string(n) + ", " + std::to_string(c) + "]";
    if (!ctx.wanted(name)) continue;
    et::manual_seed(7);
    auto x = et::randn({n, c}).requires_grad_();
    const auto t = et::randint(0, c, {n});
    nn::CrossEntropyLoss loss_fn;
    float et_loss = 0;
    const bench::Step et_step = [x, t, loss_fn, &et_loss]() mutable {
      auto loss = loss_fn(x, t);
      loss.backward();
      keep(x.grad().data());
      et_loss = loss.item();
      x.set_grad(et::Tensor<float>());
    };
    bench::Step lt_step;
    float lt_loss = 0;
#ifdef EIGENTORCH_HAVE_LIBTORCH
    auto xv = x.detach().to_vector();
    auto tv = t.to_vector();
    auto tx = torch::from_blob(xv.data(), {n, c}, torch::kFloat).clone().requires_grad_();
    const auto tt = torch::from_blob(tv.data(), {n}, torch::kLong).clone();
    torch::nn::CrossEntropyLoss lt_fn;
    lt_step = [tx, tt, lt_fn, &lt_loss]() mutable {
      auto loss = lt_fn(tx, tt);
      loss.backward();
      keep(tx.grad().data_ptr());
      lt_loss = loss.item<float>();
      tx.mutable_grad() = torch::Tensor();
    };
#endif
    const int threads = ctx.torch_threads.back();
    const auto m = bench::measure({{et_step, ctx.et_prepare}, {lt_step, torch_prepare(threads)}}, ctx.opts);
    bench::Row row{name, m[0], m[1]};
    row.torch_threads = threads;
    bench::print_row(row);
#ifdef EIGENTORCH_HAVE_LIBTORCH
    if (std::abs(et_loss - lt_loss) > 1e-5f * std::abs(lt_loss))
      ctx.notes.push_back(name + ": eigentorch's loss " + std::to_string(et_loss) + " differs from libtorch's " +
                          std::to_string(lt_loss));
#endif
  }
}
