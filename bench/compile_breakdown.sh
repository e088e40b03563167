#!/usr/bin/env bash
# Where a program's compile time goes: compiles (g++ -O2 -c) small programs that use a growing part of
# eigentorch, from the include alone to the spec's tour, and prints the median user CPU seconds of each
# (user time: a busy machine disturbs it less than wall time), header-only and in compiled mode
# (-DEIGENTORCH_COMPILED: what is left when the library's instantiations are extern templates). The
# table in bench/README.md came from it.
#
# Usage: bench/compile_breakdown.sh [runs]     (runs defaults to 3)
# Environment: CXX (default g++).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-3}
cxx=${CXX:-g++}
root=$PWD

# shellcheck source=bench/common.sh
. bench/common.sh
need_gnu_time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# program NAME BODY: a main() that runs BODY, with eigentorch included.
program() {
  cat >"$work/$1.cpp" <<EOF
#include <eigentorch/eigentorch.hpp>
#include <cstdio>
#include <iostream>
namespace et = eigentorch;
namespace nn = eigentorch::nn;
int main() {
  $2
}
EOF
}

program 01_include ''
program 02_zeros 'auto x = et::zeros({3}); std::printf("%f\n", x.to_vector()[0]);'
program 03_print 'et::manual_seed(0); auto x = et::rand({3, 1}); std::cout << x << "\n" << x.shape() << "\n";'
program 04_view 'auto x = et::zeros({3}).unsqueeze(1); std::printf("%f\n", x.to_vector()[0]);'
program 05_sum 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1); std::printf("%f\n", xs.sum().item());'
program 06_mm 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1); auto ys = et::rand({11}).unsqueeze(1);
  et::NoGradGuard g; std::printf("%f\n", xs.mm(ys.t()).sum().item());'
program 07_linear 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1);
  nn::Linear l1(1, 13); et::NoGradGuard g; std::printf("%f\n", l1(xs).sum().item());'
program 08_linear_backward 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1);
  nn::Linear l1(1, 13); auto y = l1(xs).sum(); y.backward(); std::printf("%f\n", l1.weight.grad().sum().item());'
program 09_sgd_step 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1); auto ys = et::rand({11}).unsqueeze(1);
  nn::Linear l1(1, 1); nn::MSELoss mse; et::optim::SGD opt(l1.parameters(), 1e-3);
  auto loss = mse(l1(xs), ys); opt.zero_grad(); loss.backward(); opt.step(); std::printf("%f\n", loss.item());'
program 10_sequential 'et::manual_seed(0); auto xs = et::rand({11}).unsqueeze(1); auto ys = et::rand({11}).unsqueeze(1);
  nn::Sequential m(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  et::optim::SGD opt(m.parameters(), 1e-3); nn::MSELoss mse;
  for (int i = 0; i < 10; ++i) {
    auto loss = mse(m(xs), ys); opt.zero_grad(); loss.backward(); opt.step(); std::printf("%f\n", loss.item());
  }'
cp tests/data/spec_seed_tour.cpp "$work/11_tour.cpp"

echo "$cxx -O2 -std=c++17 -c, user CPU seconds, median of $runs:"
printf "%-20s %12s %12s\n" program header-only compiled
for src in "$work"/*.cpp; do
  name=$(basename "$src" .cpp)
  times=()
  for mode in -UEIGENTORCH_COMPILED -DEIGENTORCH_COMPILED; do
    times+=("$(for _ in $(seq "$runs"); do
      /usr/bin/time -f "%U" -o "$work/time" "$cxx" -O2 -std=c++17 "$mode" -I "$root/include" -I /usr/include/eigen3 \
        -c "$src" -o "$work/$name.o"
      cat "$work/time"
    done | median)")
  done
  printf "%-20s %12.2f %12.2f\n" "$name" "${times[0]}" "${times[1]}"
done
