# shellcheck shell=bash
# Shell helpers shared by bench/compile_time.sh and bench/compile_breakdown.sh (sourced, not run).

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# need_gnu_time: installs GNU time (/usr/bin/time, for user time and peak RSS) with apt when missing.
need_gnu_time() {
  [ -x /usr/bin/time ] && return
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends time >/dev/null
}
