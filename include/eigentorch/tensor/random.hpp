// The random number generator: PyTorch's CPU generator (mt19937 plus the cached second normal
// sample) and the fills behind torch.rand, torch.randn, Tensor.uniform_, Tensor.normal_,
// torch.randint, torch.randperm, torch.bernoulli and torch.multinomial, reproducing PyTorch 1.13's
// numbers. Depends on the standard library (and error.hpp) only.
#pragma once

#include "../error.hpp"

#include <algorithm>    // std::nth_element, std::partial_sort, std::sort, std::swap
#include <cmath>        // std::cos, std::fma, std::isfinite, std::isnan, std::log, std::sin, std::sqrt
#include <cstdint>      // int64_t, uint32_t, uint64_t
#include <cstdio>       // std::snprintf, for error messages
#include <mutex>
#include <optional>
#include <stdexcept>    // std::invalid_argument
#include <string>
#include <type_traits>  // std::is_same_v
#include <utility>      // std::pair
#include <vector>

namespace eigentorch {

namespace detail {

/// The 32-bit Mersenne Twister, as PyTorch's at::mt19937.
class MT19937 {
 public:
  /// NOTE: only the low 32 bits of the seed reach the state, as in PyTorch: seeds s and s + 2^32
  /// draw the same numbers (while initial_seed() still reports the full 64-bit seed).
  void seed(uint64_t seed) {
    state_[0] = static_cast<uint32_t>(seed);
    for (uint32_t j = 1; j < kN; ++j) {
      state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + j;
    }
    next_ = kN;
  }

  uint32_t operator()() {
    if (next_ == kN) twist();
    return temper(state_[next_++]);
  }

  /// The next n draws into out, as n calls would give them (in blocks: the tempering vectorises).
  void generate(uint32_t* out, std::size_t n) {
    while (n > 0) {
      if (next_ == kN) twist();
      const std::size_t m = std::min<std::size_t>(n, kN - next_);
      const uint32_t* __restrict from = state_ + next_;
      uint32_t* __restrict to = out;
      for (std::size_t i = 0; i < m; ++i) to[i] = temper(from[i]);
      next_ += static_cast<uint32_t>(m);
      out += m;
      n -= m;
    }
  }

 private:
  static constexpr uint32_t kN = 624;
  static constexpr uint32_t kM = 397;

  // Regenerates all 624 words at once; draws then temper them one by one.
  // The standard recurrence, in three loops so that no index wraps around (the compiler vectorises
  // the first two): element j mixes j and j + 1, then takes element j + kM, modulo kN.
  static uint32_t mix(uint32_t a, uint32_t b, uint32_t c) {
    const uint32_t y = (a & 0x80000000u) | (b & 0x7fffffffu);
    return c ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
  }
  void twist() {
    uint32_t j = 0;
    for (; j < kN - kM; ++j) state_[j] = mix(state_[j], state_[j + 1], state_[j + kM]);
    for (; j < kN - 1; ++j) state_[j] = mix(state_[j], state_[j + 1], state_[j + kM - kN]);
    state_[kN - 1] = mix(state_[kN - 1], state_[0], state_[kM - 1]);
    next_ = 0;
  }
  static uint32_t temper(uint32_t y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
  }

  uint32_t state_[kN] = {};
  uint32_t next_ = kN;
};

class GeneratorLock;

}  // namespace detail

/// PyTorch's CPU generator: mt19937 state plus the cached second Box-Muller sample of normal_.
/// Every draw holds its mutex, so threads may share one generator. Example: Generator g(42);
class Generator {
 public:
  /// PyTorch's default_rng_seed_val, the seed of a fresh torch.Generator().
  static constexpr uint64_t default_seed = 67280421310721ull;

  explicit Generator(uint64_t seed = default_seed) { reset(seed); }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  /// Reseeds and drops the cached normal sample, as torch.Generator.manual_seed.
  void seed(uint64_t seed) {
    std::lock_guard<std::mutex> lock(mutex_);
    reset(seed);
  }

  /// The seed last set, as torch.Generator.initial_seed.
  uint64_t initial_seed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seed_;
  }

  /// A copy of the whole state (torch.Generator.get_state): restoring it replays the same draws.
  struct State {
    detail::MT19937 engine;
    std::optional<double> next_double_normal;
    uint64_t seed = default_seed;
  };
  State get_state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return State{engine_, next_double_normal_, seed_};
  }
  void set_state(const State& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    engine_ = state.engine;
    next_double_normal_ = state.next_double_normal;
    seed_ = state.seed;
    ++stamp_;
  }
  /// Counts every change of state (a fill, a reseed, a restore): equal stamps mean nothing drew between.
  uint64_t stamp() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stamp_;
  }

 private:
  friend class detail::GeneratorLock;

  void reset(uint64_t seed) {
    ++stamp_;
    seed_ = seed;
    engine_.seed(seed);
    next_double_normal_.reset();
  }

  detail::MT19937 engine_;
  // PyTorch also keeps a float slot, but every CPU normal_ path of 1.13 caches in double.
  std::optional<double> next_double_normal_;
  uint64_t seed_ = default_seed;
  uint64_t stamp_ = 0;
  mutable std::mutex mutex_;
};

/// The process-wide generator that draws use when given none, as PyTorch's default CPU generator.
/// NOTE: it starts from Generator::default_seed, as a fresh torch.Generator() does; PyTorch 1.13
/// seeds its own default generator nondeterministically at start-up, so no fixed sequence can match
/// an unseeded PyTorch process.
inline Generator& default_generator() {
  static Generator generator;
  return generator;
}

/// Reseeds the default generator and drops its cached normal sample, as torch.manual_seed.
inline void manual_seed(uint64_t seed) { default_generator().seed(seed); }

/// The seed last given to the default generator, as torch.initial_seed.
inline uint64_t initial_seed() { return default_generator().initial_seed(); }

namespace detail {

/// Holds a generator's mutex for a run of draws, as PyTorch's kernels hold generator->mutex_.
class GeneratorLock {
 public:
  explicit GeneratorLock(Generator& g) : g_(g), lock_(g.mutex_) { ++g.stamp_; }

  uint32_t random() { return g_.engine_(); }
  /// The next n 32-bit draws, as n calls of random() would give them.
  void random_block(uint32_t* out, std::size_t n) { g_.engine_.generate(out, n); }

  /// Two draws, the first giving the high half (PyTorch's make64BitsFrom32Bits(random1, random2)).
  uint64_t random64() {
    const uint64_t hi = g_.engine_();
    return (hi << 32) | g_.engine_();
  }

  std::optional<double>& next_double_normal() { return g_.next_double_normal_; }

 private:
  Generator& g_;
  std::lock_guard<std::mutex> lock_;
};

inline constexpr double kPi = 3.14159265358979323846;

// NOTE: every a * b + c below is std::fma on purpose. PyTorch's CPU kernels are built for AVX2
// with FMA, and GCC fuses their a * b + c into one multiply-add (one rounding, not two); writing
// the fma out keeps these numbers PyTorch's whatever flags this header is compiled with.

/// PyTorch's uniform_real_distribution<T>: the low `digits` bits of one 32-bit draw (float) or of
/// one 64-bit value (double), times 2^-digits, mapped to [from, to) in T.
template <class T>
T uniform_sample(GeneratorLock& lock, T from, T to) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double only");
  constexpr int digits = std::is_same_v<T, float> ? 24 : 53;
  constexpr uint64_t mask = (uint64_t{1} << digits) - 1;
  constexpr T scale = T(1) / static_cast<T>(uint64_t{1} << digits);
  const uint64_t bits = std::is_same_v<T, float> ? lock.random() : lock.random64();
  const T x = static_cast<T>(bits & mask) * scale;
  return std::fma(x, to - from, from);
}

/// PyTorch's normal_distribution<double>: Box-Muller on two uniforms, returning the cosine sample
/// and caching the sine sample for the next call.
inline double normal_sample(GeneratorLock& lock, double mean, double std) {
  std::optional<double>& cached = lock.next_double_normal();
  if (cached) {
    const double z = *cached;
    cached.reset();
    return std::fma(z, std, mean);
  }
  const double u1 = uniform_sample<double>(lock, 0.0, 1.0);
  const double u2 = uniform_sample<double>(lock, 0.0, 1.0);
  // NOTE: 1.13 takes log(1 - u2); later PyTorch versions take log1p(-u2), which rounds differently.
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  const double theta = 2.0 * kPi * u1;
  cached = r * std::sin(theta);
  return std::fma(r * std::cos(theta), std, mean);
}

/// PyTorch's normal_fill_16: turns 16 uniforms in place into 16 normals, pairing j with j + 8.
inline void normal_fill_16(double* data, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double u1 = 1 - data[j];  // [0, 1) -> (0, 1] for the log
    const double u2 = data[j + 8];
    const double radius = std::sqrt(-2 * std::log(u1));
    const double theta = 2.0 * kPi * u2;
    data[j] = std::fma(radius * std::cos(theta), std, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

/// PyTorch's normal_fill_16_AVX2, one lane at a time: theta in float and a fused multiply-add.
/// NOTE: PyTorch evaluates log and sin/cos with avx_mathfun's polynomials, which differ from the C
/// library's by an ulp or so, so these floats match PyTorch's to float rounding, not bit for bit.
inline void normal_fill_16(float* data, float mean, float std) {
  constexpr float two_pi = static_cast<float>(2.0 * kPi);
  for (int j = 0; j < 8; ++j) {
    const float u1 = 1.0f - data[j];
    const float u2 = data[j + 8];
    const float radius = std::sqrt(-2.0f * std::log(u1));
    const float theta = two_pi * u2;
    data[j] = std::fma(radius * std::cos(theta), std, mean);
    data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

/// A double as PyTorch's error messages print it (an ostream's default, which is printf's %g).
[[gnu::cold]] inline std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

/// Fills data[0, n) as Tensor.uniform_(from, to); torch.rand is from = 0, to = 1.
template <class T>
void fill_uniform(T* data, int64_t n, double from, double to, Generator& g = default_generator()) {
  if (!(from <= to)) {
    fail<std::invalid_argument>(
        {"uniform_ expects to return a [from, to) range, but found from=", format_number(from), " > to=", format_number(to)});
  }
  const T from_t = static_cast<T>(from);
  const T to_t = static_cast<T>(to);
  GeneratorLock lock(g);
  for (int64_t i = 0; i < n; ++i) data[i] = uniform_sample<T>(lock, from_t, to_t);
}

/// Fills data[0, n) as Tensor.normal_(mean, std) on a contiguous tensor; torch.randn is mean = 0,
/// std = 1. Like PyTorch it takes one of two paths, which draw different numbers: below 16
/// elements, Box-Muller per element in double with the cached sample; from 16 on, n uniforms
/// transformed 16 at a time, the last 16 redrawn and recomputed when n is not a multiple of 16.
template <class T>
void fill_normal(T* data, int64_t n, double mean, double std, Generator& g = default_generator()) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double only");
  if (!(std >= 0.0)) {
    fail<std::invalid_argument>({"normal expects std >= 0.0, but found std ", format_number(std)});
  }
  GeneratorLock lock(g);
  if (n < 16) {
    for (int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(normal_sample(lock, mean, std));
    return;
  }
  const T mean_t = static_cast<T>(mean);
  const T std_t = static_cast<T>(std);
  for (int64_t i = 0; i < n; ++i) data[i] = uniform_sample<T>(lock, T(0), T(1));
  for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16(data + i, mean_t, std_t);
  if (n % 16 != 0) {
    T* tail = data + n - 16;
    for (int i = 0; i < 16; ++i) tail[i] = uniform_sample<T>(lock, T(0), T(1));
    normal_fill_16(tail, mean_t, std_t);
  }
}

/// PyTorch's uniform_int_from_to_distribution: base + bits % range, the bits one 32-bit draw when
/// the range fits in 32 bits, else one 64-bit value (two draws).
inline int64_t random_from_to(GeneratorLock& lock, uint64_t range, int64_t base) {
  const uint64_t bits = range >= (uint64_t{1} << 32) ? lock.random64() : lock.random();
  return static_cast<int64_t>(bits % range + static_cast<uint64_t>(base));
}

/// Fills data[0, n) as torch.randint(low, high): integers uniform in [low, high).
inline void fill_randint(int64_t* data, int64_t n, int64_t low, int64_t high, Generator& g = default_generator()) {
  if (!(low < high)) fail({"random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high});
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  GeneratorLock lock(g);
  for (int64_t i = 0; i < n; ++i) data[i] = random_from_to(lock, range, low);
}

/// Fills data[0, n) as torch.randperm(n): 0 .. n-1, then for i from 0 up, element i swapped with
/// element i + (one 32-bit draw % (n - i)); n - 1 draws in all.
inline void fill_randperm(int64_t* data, int64_t n, Generator& g = default_generator()) {
  for (int64_t i = 0; i < n; ++i) data[i] = i;
  GeneratorLock lock(g);
  for (int64_t i = 0; i + 1 < n; ++i) {
    const auto z = static_cast<int64_t>(lock.random() % static_cast<uint64_t>(n - i));
    std::swap(data[i], data[i + z]);
  }
}

/// Fills data[0, n) as Tensor.bernoulli_: element i is 1 when a uniform P in [0, 1) falls below
/// p[i * p_step] (p_step 0: one probability for all). PyTorch draws in P, the probability's type:
/// a scalar p (a double) or a double tensor takes 53 bits of two draws, a float tensor 24 of one.
template <class T, class P>
void fill_bernoulli(T* data, int64_t n, const P* p, int64_t p_step, Generator& g = default_generator()) {
  // The draws come in blocks (one 32-bit draw per element for a float P, two for a double: the
  // first the high half), with uniform_sample's arithmetic on them: the low `digits` bits times
  // 2^-digits (its fma with from = 0 and to = 1 is exact).
  constexpr int per = std::is_same_v<P, float> ? 1 : 2;
  constexpr int digits = std::is_same_v<P, float> ? 24 : 53;
  constexpr uint64_t mask = (uint64_t{1} << digits) - 1;
  constexpr P scale = P(1) / static_cast<P>(uint64_t{1} << digits);
  constexpr int64_t block = 256;
  uint32_t raw[block * per];
  GeneratorLock lock(g);
  for (int64_t start = 0; start < n; start += block) {
    const int64_t m = std::min(block, n - start);
    for (int64_t i = 0; i < m; ++i) {  // every probability checked before its draws
      const P pi = p[(start + i) * p_step];
      // NOTE: PyTorch's words: its bernoulli_distribution checks with TORCH_CHECK_IF_NOT_ON_CUDA.
      if (!(pi >= 0 && pi <= 1))
        fail({"Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
              "If so, please report an enhancement request to PyTorch.)"});
    }
    lock.random_block(raw, static_cast<std::size_t>(m * per));
    const T zero_one[2] = {T(0), T(1)};  // picked by index: a branch would be mispredicted at random
    for (int64_t i = 0; i < m; ++i) {
      const uint64_t bits = per == 1 ? raw[i] : (uint64_t{raw[2 * i]} << 32) | raw[2 * i + 1];
      // (a signed conversion: bits & mask < 2^53, and it vectorises where the unsigned one does not)
      const P u = static_cast<P>(static_cast<int64_t>(bits & mask)) * scale;
      data[start + i] = zero_one[u < p[(start + i) * p_step]];
    }
  }
}

/// PyTorch's exponential_distribution<double> with lambda 1 (Tensor.exponential_(1)): -log(1 - u).
inline double exponential_sample(GeneratorLock& lock) { return -std::log(1.0 - uniform_sample<double>(lock, 0.0, 1.0)); }

/// The index of the largest value, the first on ties, NaN above all (PyTorch's argmax).
template <class T>
int64_t argmax_of(const T* v, int64_t n) {
  int64_t best = 0;
  for (int64_t j = 1; j < n && !std::isnan(v[best]); ++j)
    if (std::isnan(v[j]) || v[j] > v[best]) best = j;
  return best;
}

/// The indices of the k largest of v[0, n), largest first, as PyTorch's CPU topk orders them: the
/// same standard algorithms on the same (value, index) queue (partial_sort when k * 64 <= n, else
/// nth_element then sort of the first k - 1).
/// NOTE: ties (zero probabilities, in multinomial) fall as in PyTorch when both use one standard
/// library's algorithms (Debian's torch 1.13 is built with GCC 12's libstdc++).
template <class T>
void topk_indices(const T* v, int64_t n, int64_t k, int64_t* out) {
  using Elem = std::pair<T, int64_t>;
  std::vector<Elem> queue(static_cast<std::size_t>(n));
  for (int64_t j = 0; j < n; ++j) queue[static_cast<std::size_t>(j)] = {v[j], j};
  auto greater = [](const Elem& x, const Elem& y) {
    return (std::isnan(x.first) && !std::isnan(y.first)) || x.first > y.first;
  };
  if (k * 64 <= n) {
    std::partial_sort(queue.begin(), queue.begin() + k, queue.end(), greater);
  } else {
    std::nth_element(queue.begin(), queue.begin() + k - 1, queue.end(), greater);
    std::sort(queue.begin(), queue.begin() + k - 1, greater);
  }
  for (int64_t j = 0; j < k; ++j) out[j] = queue[static_cast<std::size_t>(j)].second;
}

/// Fills out[rows * n_sample] as torch.multinomial on a [rows, categories] probability table whose
/// arguments were checked (n_sample >= 1, no more than the categories without replacement). Without
/// replacement, PyTorch's exponential trick: q ~ Exp(1) per element (row-major), then the index of
/// the largest p / q (argmax, for one sample) or the n_sample largest (topk). With replacement (even
/// for one sample, in 1.13), per row: the cumulative sums in T divided by their total, the last set
/// to 1, and for each sample a uniform double looked up by binary search (the first bucket not
/// below it).
template <class T>
void fill_multinomial(int64_t* out, const T* probs, int64_t rows, int64_t categories, int64_t n_sample,
                      bool replacement, Generator& g = default_generator()) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double only");
  std::vector<T> work(static_cast<std::size_t>(categories));
  T* w = work.data();
  if (!replacement) {
    for (int64_t i = 0; i < rows * categories; ++i)
      if (!(probs[i] >= 0 && std::isfinite(probs[i]))) fail({"probability tensor contains either `inf`, `nan` or element < 0"});
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = probs + r * categories;
      if (std::all_of(p, p + categories, [](T x) { return x == 0; }))
        fail({"invalid multinomial distribution (sum of probabilities <= 0)"});
    }
    GeneratorLock lock(g);
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = probs + r * categories;
      for (int64_t j = 0; j < categories; ++j) w[j] = static_cast<T>(exponential_sample(lock));
      for (int64_t j = 0; j < categories; ++j) w[j] = p[j] / w[j];
      if (n_sample == 1) out[r] = argmax_of(w, categories);
      else topk_indices(w, categories, n_sample, out + r * n_sample);
    }
    return;
  }
  GeneratorLock lock(g);
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = probs + r * categories;
    T sum = 0;
    for (int64_t j = 0; j < categories; ++j) {
      if (!(p[j] >= 0)) fail({"invalid multinomial distribution (encountering probability entry < 0)"});
      if (!std::isfinite(p[j])) fail({"invalid multinomial distribution (encountering probability entry = infinity or NaN)"});
      sum += p[j];
      w[j] = sum;
    }
    if (!(sum > 0)) fail({"invalid multinomial distribution (sum of probabilities <= 0)"});
    for (int64_t j = 0; j < categories; ++j) w[j] /= sum;
    w[categories - 1] = 1;
    for (int64_t s = 0; s < n_sample; ++s) {
      const double u = uniform_sample<double>(lock, 0.0, 1.0);
      int64_t left = 0, right = categories;
      while (left < right) {
        const int64_t mid = left + (right - left) / 2;
        if (w[mid] < u) left = mid + 1;
        else right = mid;
      }
      out[r * n_sample + s] = left;
    }
  }
}

}  // namespace detail

}  // namespace eigentorch
