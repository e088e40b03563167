#!/usr/bin/env bash
# Compile time and peak memory of the same user program in eigentorch and in libtorch: the spec's
# torch.nn tour (tests/data/spec_seed_tour.cpp) and its libtorch translation (bench/tour_libtorch.cpp).
# Three contenders, each compiled to one object file with $CXX -O2 -std=c++17 -c:
#   header-only  eigentorch as shipped by default: the tour compiles every template it uses;
#   compiled     eigentorch's compiled mode (-DEIGENTORCH_COMPILED): the float and double
#                instantiations come from libeigentorch_compiled.a, which this script builds first
#                (once, untimed in the table; what CMake's EIGENTORCH_BUILD_COMPILED builds);
#   libtorch     Debian's libtorch-dev.
# Prints, for each, the median of $runs compiles (wall time, and user+sys CPU time, which a busy
# machine disturbs less) with the ratios to libtorch, the median link time, the compiler's peak RSS,
# the peak RSS of running the linked tour and the binary's size. The runs alternate between the
# contenders, so that a change of load in the middle of a run hits all three alike.
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
et_flags=(-O2 -std=c++17 -I include -I /usr/include/eigen3)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# timed NAME COMMAND...: runs the command once under GNU time; appends its wall, user+sys and peak
# RSS to NAME.walls, NAME.cpus, NAME.rsss.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$@"
  read -r wall user sys rss <"$work/$name.time"
  echo "$wall" >>"$work/$name.walls"
  awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >>"$work/$name.cpus"
  echo "$rss" >>"$work/$name.rsss"
}
med() { median <"$work/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# run_rss BINARY: peak RSS in KiB of one run (GNU time's "Maximum resident set size").
run_rss() {
  /usr/bin/time -v -o "$work/run.time" "$1" >/dev/null
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/run.time"
}

echo "building libeigentorch_compiled.a (src/float.cpp, src/double.cpp; once, not in the table) ..."
lib_start=$(date +%s.%N)
for half in float double; do
  "$cxx" "${et_flags[@]}" -DEIGENTORCH_COMPILED -c "src/$half.cpp" -o "$work/lib_$half.o"
done
ar rcs "$work/libeigentorch_compiled.a" "$work/lib_float.o" "$work/lib_double.o"
lib_wall=$(awk -v s="$lib_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

echo "compiling each tour $runs times (one object file each, the three in turn) ..."
for _ in $(seq "$runs"); do
  timed et "$cxx" "${et_flags[@]}" -c tests/data/spec_seed_tour.cpp -o "$work/tour_et.o"
  timed etc "$cxx" "${et_flags[@]}" -DEIGENTORCH_COMPILED -c tests/data/spec_seed_tour.cpp -o "$work/tour_etc.o"
  # shellcheck disable=SC2086  # the flag variables are lists of words
  timed lt "$cxx" -O2 -std=c++17 $torch_cxxflags -c bench/tour_libtorch.cpp -o "$work/tour_lt.o"
done
echo "linking each $runs times ..."
for _ in $(seq "$runs"); do
  timed et_link "$cxx" "$work/tour_et.o" -o "$work/tour_et"
  timed etc_link "$cxx" "$work/tour_etc.o" "$work/libeigentorch_compiled.a" -o "$work/tour_etc"
  # shellcheck disable=SC2086
  timed lt_link "$cxx" "$work/tour_lt.o" -o "$work/tour_lt" $torch_libs
done

wall_et=$(med et.walls); wall_etc=$(med etc.walls); wall_lt=$(med lt.walls)
cpu_et=$(med et.cpus); cpu_etc=$(med etc.cpus); cpu_lt=$(med lt.cpus)

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   compiler: $($cxx --version | head -1)"
echo "libeigentorch_compiled.a: built in ${lib_wall} s wall (both halves, one after the other)"
printf '%-36s %11s %11s %11s %9s %9s\n' "spec tour, $cxx -O2 -std=c++17" header-only compiled libtorch \
  "lt/h-o" "lt/comp"
printf '%-36s %11s %11s %11s %9s %9s\n' "object file (-c) wall, median (s)" "$wall_et" "$wall_etc" "$wall_lt" \
  "$(ratio "$wall_lt" "$wall_et")" "$(ratio "$wall_lt" "$wall_etc")"
printf '%-36s %11s %11s %11s %9s %9s\n' "object file user+sys, median (s)" "$cpu_et" "$cpu_etc" "$cpu_lt" \
  "$(ratio "$cpu_lt" "$cpu_et")" "$(ratio "$cpu_lt" "$cpu_etc")"
printf '%-36s %11s %11s %11s\n' "link wall, median (s)" "$(med et_link.walls)" "$(med etc_link.walls)" \
  "$(med lt_link.walls)"
printf '%-36s %11s %11s %11s\n' "compiler peak RSS, median (MiB)" "$(mib "$(med et.rsss)")" \
  "$(mib "$(med etc.rsss)")" "$(mib "$(med lt.rsss)")"
printf '%-36s %11s %11s %11s\n' "running the tour: peak RSS (MiB)" \
  "$(awk -v k="$(run_rss "$work/tour_et")" 'BEGIN { printf "%.1f", k / 1024 }')" \
  "$(awk -v k="$(run_rss "$work/tour_etc")" 'BEGIN { printf "%.1f", k / 1024 }')" \
  "$(awk -v k="$(run_rss "$work/tour_lt")" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '%-36s %11s %11s %11s\n' "binary size (KiB)" "$(($(stat -c %s "$work/tour_et") / 1024))" \
  "$(($(stat -c %s "$work/tour_etc") / 1024))" "$(($(stat -c %s "$work/tour_lt") / 1024))"
