// Workload 8 of bench.cpp: an Adam step (default options) over the parameters of the 784-512-512-10
// MLP (669,706 floats), gradients fixed, against libtorch's torch::optim::Adam on the same tensors'
// copies. The step is memory-bound: one pass reads parameter, gradient and both moments and writes
// three of them back (28 bytes an element), so the row is also reported in GB/s next to this
// machine's copy bandwidth (memcpy of 64 MiB: 2 x 64 MiB moved per copy), measured in the same run.
// Included by bench.cpp after its Context (uses ctx, bench::measure, bench::print_row).
#pragma once

#include <cstring>  // memcpy
#include <memory>   // shared_ptr
#include <vector>

namespace {

/// The optimizer rows: "8 Adam step, MLP 784-512-512-10 params".
void run_optim(Context& ctx) {
  const std::string name = "8 Adam step, 784-512-512-10";
  if (!ctx.wanted(name)) return;
  const std::vector<int64_t> widths{784, 512, 512, 10};
  et::manual_seed(3);
  std::vector<et::Tensor<float>> params;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    params.push_back(et::randn({widths[l + 1], widths[l]}).mul_(0.01f).requires_grad_());
    params.push_back(et::randn({widths[l + 1]}).mul_(0.01f).requires_grad_());
  }
  int64_t elements = 0;
  for (auto& p : params) {
    p.set_grad(et::randn(p.shape()));
    elements += p.numel();
  }
  auto adam = std::make_shared<et::optim::Adam<float>>(params, et::optim::AdamOptions(1e-3));
  std::vector<bench::Contender> contenders{{[adam] { adam->step(); }, ctx.et_prepare}};
#ifdef EIGENTORCH_HAVE_LIBTORCH
  std::vector<torch::Tensor> lt_params;
  for (const auto& p : params) {
    const auto v = p.to_vector();
    const auto g = p.grad().to_vector();
    std::vector<int64_t> shape(p.shape().begin(), p.shape().end());
    auto t = torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone().requires_grad_();
    t.mutable_grad() = torch::from_blob(const_cast<float*>(g.data()), shape, torch::kFloat32).clone();
    lt_params.push_back(t);
  }
  auto lt_adam = std::make_shared<torch::optim::Adam>(lt_params, torch::optim::AdamOptions(1e-3));
  contenders.push_back({[lt_adam] { lt_adam->step(); }, torch_prepare(1)});
#endif
  const auto m = bench::measure(contenders, ctx.opts);
  bench::Row row{name, m[0]};
  if (m.size() > 1) {
    row.torch = m[1];
    row.torch_threads = 1;
  }
  bench::print_row(row);

  // This machine's copy bandwidth, the bound of a memory-bound step.
  const std::size_t bytes = std::size_t(64) << 20;
  auto src = std::make_shared<std::vector<char>>(bytes, 1), dst = std::make_shared<std::vector<char>>(bytes, 0);
  const auto copy = bench::measure({{[src, dst] { std::memcpy(dst->data(), src->data(), src->size()); keep(dst->data()); }, {}}},
                                   ctx.opts)[0];
  const double copy_gbs = 2.0 * static_cast<double>(bytes) / copy.median_s * 1e-9;
  const double moved = 28.0 * static_cast<double>(elements);  // read p, g, m, v; write p, m, v
  std::printf("%-32s %lld floats, 28 B each a step: eigentorch %.1f GB/s, libtorch %s GB/s; memcpy 64 MiB %.1f GB/s "
              "(read + write)\n",
              "", static_cast<long long>(elements), moved / m[0].median_s * 1e-9,
              m.size() > 1 ? bench::format_number(moved / m[1].median_s * 1e-9, "%.1f").c_str() : "-", copy_gbs);
}

}  // namespace
