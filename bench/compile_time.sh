#!/usr/bin/env bash
# Compile time and peak memory of the same user program in eigentorch and in libtorch: the spec's
# torch.nn tour (tests/data/spec_seed_tour.cpp) and its libtorch translation (bench/tour_libtorch.cpp).
# Prints, for each: the median of 3 compile+link wall times (and their user+sys CPU time, which a busy
# machine disturbs less), the compiler's peak RSS, and the peak RSS of running the built tour.
#
# Usage: bench/compile_time.sh [runs]          (runs defaults to 3)
# Environment: CXX (default g++); TORCH_CXXFLAGS and TORCH_LIBS override Debian's libtorch-dev paths.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-3}
cxx=${CXX:-g++}

# shellcheck source=bench/common.sh
. bench/common.sh
need_gnu_time

# What find_package(Torch) gives a consumer on Debian (see build/bench/compile_commands.json).
torch_cxxflags=${TORCH_CXXFLAGS:--I/usr/include -I/usr/include/torch/csrc/api/include -D_GLIBCXX_USE_CXX11_ABI=1}
torch_libs=${TORCH_LIBS:--ltorch -ltorch_cpu -lc10}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# compile NAME COMMAND...: runs the compile $runs times; leaves NAME.wall, NAME.cpu, NAME.rss (median).
compile() {
  local name=$1; shift
  : >"$work/$name.walls"; : >"$work/$name.cpus"; : >"$work/$name.rsss"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$@"
    read -r wall user sys rss <"$work/$name.time"
    echo "$wall" >>"$work/$name.walls"
    awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >>"$work/$name.cpus"
    echo "$rss" >>"$work/$name.rsss"
  done
  median <"$work/$name.walls" >"$work/$name.wall"
  median <"$work/$name.cpus" >"$work/$name.cpu"
  median <"$work/$name.rsss" >"$work/$name.rss"
}

# run_rss NAME BINARY: peak RSS in KiB of one run (GNU time's "Maximum resident set size").
run_rss() {
  /usr/bin/time -v -o "$work/$1.run" "$2" >/dev/null
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$1.run"
}

echo "compiling each tour $runs times (compile + link, one g++ call) ..."
# shellcheck disable=SC2086  # the flag variables are lists of words
compile et "$cxx" -O2 -std=c++17 -I include -I /usr/include/eigen3 tests/data/spec_seed_tour.cpp -o "$work/tour_et"
# shellcheck disable=SC2086
compile lt "$cxx" -O2 -std=c++17 $torch_cxxflags bench/tour_libtorch.cpp -o "$work/tour_lt" $torch_libs

et_run_rss=$(run_rss et "$work/tour_et")
lt_run_rss=$(run_rss lt "$work/tour_lt")

wall_et=$(cat "$work/et.wall"); wall_lt=$(cat "$work/lt.wall")
cpu_et=$(cat "$work/et.cpu"); cpu_lt=$(cat "$work/lt.cpu")
cc_rss_et=$(cat "$work/et.rss"); cc_rss_lt=$(cat "$work/lt.rss")

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   compiler: $($cxx --version | head -1)"
printf '%-34s %12s %12s %10s\n' "spec tour, $cxx -O2 -std=c++17" eigentorch libtorch "lt/et"
printf '%-34s %12s %12s %10s\n' "compile+link wall, median (s)" "$wall_et" "$wall_lt" \
  "$(awk -v a="$wall_lt" -v b="$wall_et" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12s %12s %10s\n' "compile+link user+sys, median (s)" "$cpu_et" "$cpu_lt" \
  "$(awk -v a="$cpu_lt" -v b="$cpu_et" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12s %12s %10s\n' "compiler peak RSS, median (MiB)" \
  "$(awk -v k="$cc_rss_et" 'BEGIN { printf "%.0f", k / 1024 }')" \
  "$(awk -v k="$cc_rss_lt" 'BEGIN { printf "%.0f", k / 1024 }')" \
  "$(awk -v a="$cc_rss_lt" -v b="$cc_rss_et" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12s %12s %10s\n' "running the tour: peak RSS (MiB)" \
  "$(awk -v k="$et_run_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
  "$(awk -v k="$lt_run_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
  "$(awk -v a="$lt_run_rss" -v b="$et_run_rss" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12s %12s\n' "binary size (KiB)" \
  "$(( $(stat -c %s "$work/tour_et") / 1024 ))" "$(( $(stat -c %s "$work/tour_lt") / 1024 ))"
