// Direct 3x3 convolution kernels (stride 1, dilation 1, one group), for the channel counts where
// im2col + the matrix product loses to oneDNN: im2col copies every input value nine times and hands
// the product a short depth, while these kernels read the (zero-padded) input in place and keep a tile
// of outputs in registers, output channels in the vector lanes (the layout oneDNN's direct kernels use).
//   forward      y[o, oh, ow] = bias[o] + sum over c, i, j of w[o, c, i, j] xpad[c, oh + i, ow + j]:
//                R output columns x B packets of output channels accumulate in registers; each step
//                loads B packets of weights and broadcasts R input values.
//   input grad   the same kernel on the output's gradient padded by 2 - padding, with the weights
//                transposed ([C, O]) and flipped (a stride-1 convolution's adjoint is a full one).
//   weight grad  dw[o, c, i, j] = sum over samples and positions of g[o, oh, ow] xpad[c, oh + i, ow + j]:
//                the nine (i, j) x B packets of output channels accumulate in registers over the rows.
// Written with Eigen's packet types, so it compiles for any instruction set; the register blocking
// (R, B) follows the register count (32 vector registers with AVX-512, else 16). With OpenMP
// (EIGEN_HAS_OPENMP) the samples are split across threads; without, it runs serially.
// ops/conv.hpp decides when to take this path (its dispatch says why) and keeps the derivative.
#pragma once

#include "config.hpp"  // before Eigen

#include <Eigen/Core>

#include <algorithm>  // fill, min, max
#include <atomic>
#include <cstdint>
#include <exception>  // exception_ptr: errors out of the threads
#include <vector>

#ifdef EIGEN_HAS_OPENMP
#include <omp.h>
#endif

namespace eigentorch::detail {

/// The shape of a direct 3x3 convolution of one group: input [N, C, H, W], output [N, O, OH, OW], ph
/// and pw zeros before the first row and column (OH = H + ph + zeros after - 2, likewise OW).
struct Conv3x3Shape {
  int64_t N = 0, C = 0, H = 0, W = 0, O = 0, OH = 0, OW = 0, ph = 0, pw = 0;
};

template <class T>
struct Direct3x3 {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int L = Eigen::internal::unpacket_traits<Packet>::size;  // lanes of a packet
#ifdef EIGEN_VECTORIZE_AVX512
  static constexpr int kRegisters = 32;
#else
  static constexpr int kRegisters = 16;  // SSE, AVX, and what has no wider registers
#endif
  // Forward: B packets of output channels, up to R3 output columns (R3 B accumulators + B weights + 1
  // broadcast fit the registers: 12 columns with AVX-512, 6 with 16 registers).
  static constexpr int B = 2;
  static constexpr int R3 = (kRegisters - B - 1) / B / 3 * 3;
  static constexpr int BL = B * L;  // output channels in one group of packets
  // Weight gradient: nine accumulators per packet of output channels, BW packets.
  static constexpr int BW = kRegisters >= 32 ? 2 : 1;
  static constexpr int BWL = BW * L;
  // Input channels per pass over the tiles: at most CB, so that a pass's weights (CB 9 BL) stay within
  // 96 KiB (in L2; measured 4% faster than passes of 32 KiB, the L1 cache, on 32 -> 64 channels and as
  // fast on 64 -> 64); the passes share the channels evenly.
  static constexpr int64_t CB = std::max<int64_t>(4, 98304 / (9 * BL * static_cast<int64_t>(sizeof(T))));
  static int64_t channels_per_pass(int64_t C) {
    const int64_t passes = (C + CB - 1) / CB;
    return (C + passes - 1) / passes;
  }

  static int64_t groups(int64_t O, int64_t width) { return (O + width - 1) / width; }

  /// Weights in the kernels' layout [O / width][C][3][3][width] (zeros past O): element (o, c, i, j)
  /// of the filter bank read by at(o, c, k) with k = 3 i + j.
  template <class At>
  static void pack(int64_t O, int64_t C, int width, At at, T* out) {
    const int64_t G = groups(O, width);
    for (int64_t g = 0; g < G; ++g)
      for (int64_t c = 0; c < C; ++c)
        for (int k = 0; k < 9; ++k) {
          T* dst = out + ((g * C + c) * 9 + k) * width;
          for (int l = 0; l < width; ++l) {
            const int64_t o = g * width + l;
            dst[l] = o < O ? at(o, c, k) : T(0);
          }
        }
  }

  /// dst [C][Hp][Wp] = src [C][H][W] placed at row `top`, column `left`, zeros around.
  static void pad(const T* src, int64_t C, int64_t H, int64_t W, int64_t top, int64_t left, int64_t Hp, int64_t Wp,
                  T* dst) {
    for (int64_t c = 0; c < C; ++c) {
      T* plane = dst + c * Hp * Wp;
      std::fill(plane, plane + top * Wp, T(0));
      for (int64_t h = 0; h < H; ++h) {
        T* row = plane + (top + h) * Wp;
        const T* s = src + (c * H + h) * W;
        std::fill(row, row + left, T(0));
        std::copy(s, s + W, row + left);
        std::fill(row + left + W, row + Wp, T(0));
      }
      std::fill(plane + (top + H) * Wp, plane + Hp * Wp, T(0));
    }
  }

  /// One tile of R output columns of one row and one group of output channels, over the input
  /// channels [c0, c1) and the kernel rows [i0, i1) (the others read only padding). The first pass
  /// starts from the bias (or zero), later ones from the partial sums in yb; the last one writes the
  /// output rows (y, channels rows of pitch ystride), the others yb.
  template <int R>
  static void tile(const T* x, int64_t plane, int64_t Wp, int64_t c0, int64_t c1, int i0, int i1, const T* w,
                   const T* bias, T* yb, bool first, bool last, T* y, int64_t ystride, int64_t channels) {
    using namespace Eigen::internal;
    Packet acc[R][B];
    for (int r = 0; r < R; ++r)
      for (int b = 0; b < B; ++b)
        acc[r][b] = !first ? ploadu<Packet>(yb + r * BL + b * L) : bias ? ploadu<Packet>(bias + b * L) : pset1<Packet>(T(0));
    for (int64_t c = c0; c < c1; ++c) {
      const T* xc = x + c * plane;
      const T* wc = w + c * 9 * BL;
      for (int i = i0; i < i1; ++i)
        for (int j = 0; j < 3; ++j) {
          Packet wv[B];
          for (int b = 0; b < B; ++b) wv[b] = ploadu<Packet>(wc + (i * 3 + j) * BL + b * L);
          const T* xr = xc + i * Wp + j;
          for (int r = 0; r < R; ++r) {
            const Packet xv = pset1<Packet>(xr[r]);
            for (int b = 0; b < B; ++b) acc[r][b] = pmadd(wv[b], xv, acc[r][b]);
          }
        }
    }
    if (!last) {
      for (int r = 0; r < R; ++r)
        for (int b = 0; b < B; ++b) pstoreu(yb + r * BL + b * L, acc[r][b]);
      return;
    }
    // Channels were in the lanes: transpose through a small buffer into the rows of y (NCHW).
    alignas(64) T buf[R * BL];
    for (int r = 0; r < R; ++r)
      for (int b = 0; b < B; ++b) pstoreu(buf + r * BL + b * L, acc[r][b]);
    for (int64_t l = 0; l < channels; ++l)
      for (int r = 0; r < R; ++r) y[l * ystride + r] = buf[r * BL + l];
  }

  /// tile<width> for a width known at run time (1 to R3).
  template <int R, class... Args>
  static void tile_of(int width, Args... args) {
    if constexpr (R > 1)
      if (width != R) return tile_of<R - 1>(width, args...);
    tile<R>(args...);
  }

  /// One sample: y [O][OH][OW] from xp [C][OH + 2][OW + 2] (padded, with slack; rows [top, top + rows)
  /// hold the input, the others zeros) and the packed weights wp [O / BL][C][9][BL]; pbias: the bias
  /// padded to a multiple of BL (or null); yb: scratch of O / BL * OH * OW * BL elements when C > CB.
  static void forward_sample(const T* xp, int64_t C, int64_t top, int64_t rows, int64_t O, int64_t OH, int64_t OW,
                             const T* wp, const T* pbias, T* yb, T* y) {
    const int64_t Wp = OW + 2, plane = (OH + 2) * Wp, G = groups(O, BL);
    // each row in tiles of equal widths (to one column), at most R3
    const int64_t tiles = (OW + R3 - 1) / R3, base = OW / tiles, wider = OW % tiles;
    const int64_t cb = channels_per_pass(C);
    for (int64_t c0 = 0; c0 < C; c0 += cb) {
      const int64_t c1 = std::min(C, c0 + cb);
      const bool first = c0 == 0, last = c1 == C;
      for (int64_t g = 0; g < G; ++g) {
        const T* w = wp + g * C * 9 * BL;
        const T* bias = pbias ? pbias + g * BL : nullptr;
        const int64_t channels = std::min<int64_t>(BL, O - g * BL);
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int i0 = static_cast<int>(std::max<int64_t>(0, top - oh));
          const int i1 = static_cast<int>(std::min<int64_t>(3, top + rows - oh));
          const T* x = xp + oh * Wp;
          T* ybr = yb ? yb + (g * OH + oh) * OW * BL : nullptr;
          T* yr = y + (g * BL * OH + oh) * OW;
          for (int64_t t = 0, ow = 0; t < tiles; ++t) {
            const int width = static_cast<int>(base + (t < wider ? 1 : 0));
            tile_of<R3>(width, x + ow, plane, Wp, c0, c1, i0, i1, w, bias, ybr ? ybr + ow * BL : nullptr, first, last,
                        yr + ow, OH * OW, channels);
            ow += width;
          }
        }
      }
    }
  }

  /// One sample's weight gradient, added to dwp [O / BWL][C][9][BWL]: gb is the output's gradient
  /// [O / BWL][OH][OW][BWL] (channels in the lanes), xp the input [C][OH + 2][OW + 2] padded.
  static void weight_sample(const T* xp, int64_t C, int64_t O, int64_t OH, int64_t OW, const T* gb, T* dwp) {
    using namespace Eigen::internal;
    const int64_t Wp = OW + 2, plane = (OH + 2) * Wp, G = groups(O, BWL);
    // rows per block: a block of the gradient (rows OW BWL) stays near 16 KiB
    const int64_t rows = std::max<int64_t>(1, 16384 / (OW * BWL * static_cast<int64_t>(sizeof(T))));
    for (int64_t h0 = 0; h0 < OH; h0 += rows) {
      const int64_t h1 = std::min(OH, h0 + rows);
      for (int64_t g = 0; g < G; ++g)
        for (int64_t c = 0; c < C; ++c) {
          T* d = dwp + (g * C + c) * 9 * BWL;
          Packet acc[9][BW];
          for (int k = 0; k < 9; ++k)
            for (int b = 0; b < BW; ++b) acc[k][b] = ploadu<Packet>(d + k * BWL + b * L);
          for (int64_t oh = h0; oh < h1; ++oh) {
            const T* gr = gb + (g * OH + oh) * OW * BWL;
            const T* xr = xp + c * plane + oh * Wp;
            for (int64_t ow = 0; ow < OW; ++ow) {
              Packet gv[BW];
              for (int b = 0; b < BW; ++b) gv[b] = ploadu<Packet>(gr + ow * BWL + b * L);
              for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) {
                  const Packet xv = pset1<Packet>(xr[i * Wp + ow + j]);
                  for (int b = 0; b < BW; ++b) acc[i * 3 + j][b] = pmadd(gv[b], xv, acc[i * 3 + j][b]);
                }
            }
          }
          for (int k = 0; k < 9; ++k)
            for (int b = 0; b < BW; ++b) pstoreu(d + k * BWL + b * L, acc[k][b]);
        }
    }
  }
};

/// A scratch buffer of at least n elements kept by the calling thread (Slot: independent buffers).
template <class T, int Slot>
T* direct_scratch(int64_t n) {
  thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

/// The threads a batch of N samples is split across: OpenMP's (when this is not already inside a
/// parallel region), else 1. (Measured: splitting the batch beats threading each matrix product.)
inline int batch_threads(int64_t N) {
#ifdef EIGEN_HAS_OPENMP
  if (N > 1 && !omp_in_parallel()) return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), N));
#else
  (void)N;
#endif
  return 1;
}

/// Runs body(i, slot) for every i in [0, count), split across `threads` OpenMP threads when there are
/// more than one (slot: which of them, 0 to threads - 1), else in order with slot 0 (also inside a
/// caller's own parallel region, where batch_threads gives 1). An exception inside the threads (a
/// scratch buffer that cannot grow) stops the rest and is rethrown here, not left to terminate.
template <class F>
void for_batch(int64_t count, int threads, F body) {
#ifdef EIGEN_HAS_OPENMP
  if (threads > 1) {
    std::exception_ptr error;
    std::atomic<bool> failed{false};
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < count; ++i) {
      if (failed.load(std::memory_order_relaxed)) continue;
      try {
        body(i, omp_get_thread_num());
      } catch (...) {
#pragma omp critical(eigentorch_for_batch)
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)threads;
#endif
  for (int64_t i = 0; i < count; ++i) body(i, 0);
}

/// The forward convolution: y [N, O, OH, OW] from x [N, C, H, W], w [O, C, 3, 3] and bias [O] (or null).
template <class T>
void direct3x3_forward(const Conv3x3Shape& s, const T* x, const T* w, const T* bias, T* y) {
  using K = Direct3x3<T>;
  const int64_t G = K::groups(s.O, K::BL);
  T* wp = direct_scratch<T, 2>(G * s.C * 9 * K::BL);
  K::pack(s.O, s.C, K::BL, [w, &s](int64_t o, int64_t c, int k) { return w[(o * s.C + c) * 9 + k]; }, wp);
  T* pb = bias ? direct_scratch<T, 3>(G * K::BL) : nullptr;
  if (bias) {
    std::fill(pb, pb + G * K::BL, T(0));
    std::copy(bias, bias + s.O, pb);
  }
  const int64_t Hp = s.OH + 2, Wp = s.OW + 2;
  const T* pwp = wp;
  const T* ppb = pb;
  for_batch(s.N, batch_threads(s.N), [&](int64_t n, int) {
    T* xp = direct_scratch<T, 0>(s.C * Hp * Wp);
    T* yb = s.C > K::CB ? direct_scratch<T, 1>(G * K::BL * s.OH * s.OW) : nullptr;
    K::pad(x + n * s.C * s.H * s.W, s.C, s.H, s.W, s.ph, s.pw, Hp, Wp, xp);
    K::forward_sample(xp, s.C, s.ph, s.H, s.O, s.OH, s.OW, pwp, ppb, yb, y + n * s.O * s.OH * s.OW);
  });
}

/// The input's gradient dx [N, C, H, W] from the output's gradient gy [N, O, OH, OW]: a full
/// convolution of gy with the transposed, flipped filters (needs ph, pw and the zeros after <= 2).
template <class T>
void direct3x3_backward_input(const Conv3x3Shape& s, const T* gy, const T* w, T* dx) {
  using K = Direct3x3<T>;
  const int64_t G = K::groups(s.C, K::BL);
  T* wp = direct_scratch<T, 2>(G * s.O * 9 * K::BL);
  // filter (c, o, i, j) of the adjoint is w[o, c, 2 - i, 2 - j]
  K::pack(s.C, s.O, K::BL, [w, &s](int64_t c, int64_t o, int k) { return w[(o * s.C + c) * 9 + (8 - k)]; }, wp);
  const int64_t Hp = s.H + 2, Wp = s.W + 2;
  const T* pwp = wp;
  for_batch(s.N, batch_threads(s.N), [&](int64_t n, int) {
    T* gp = direct_scratch<T, 0>(s.O * Hp * Wp);
    T* yb = s.O > K::CB ? direct_scratch<T, 1>(G * K::BL * s.H * s.W) : nullptr;
    K::pad(gy + n * s.O * s.OH * s.OW, s.O, s.OH, s.OW, 2 - s.ph, 2 - s.pw, Hp, Wp, gp);
    K::forward_sample(gp, s.O, 2 - s.ph, s.OH, s.C, s.H, s.W, pwp, nullptr, yb, dx + n * s.C * s.H * s.W);
  });
}

/// The weight's gradient dw [O, C, 3, 3] = sum over samples and positions of gy[o] xpad[c] (shifted).
template <class T>
void direct3x3_backward_weight(const Conv3x3Shape& s, const T* x, const T* gy, T* dw) {
  using K = Direct3x3<T>;
  const int64_t G = K::groups(s.O, K::BWL), P = s.OH * s.OW, size = G * s.C * 9 * K::BWL;
  const int threads = batch_threads(s.N);
  // one packed sum per thread, added together at the end
  T* sums = direct_scratch<T, 4>(size * threads);
  std::fill(sums, sums + size * threads, T(0));
  const int64_t Hp = s.OH + 2, Wp = s.OW + 2;
  const auto sample = [&](int64_t n, T* dwp) {
    T* xp = direct_scratch<T, 0>(s.C * Hp * Wp);
    T* gb = direct_scratch<T, 1>(G * K::BWL * P);
    K::pad(x + n * s.C * s.H * s.W, s.C, s.H, s.W, s.ph, s.pw, Hp, Wp, xp);
    const T* g = gy + n * s.O * P;
    for (int64_t gr = 0; gr < G; ++gr)  // the gradient with its channels in the lanes
      for (int64_t p = 0; p < P; ++p) {
        T* dst = gb + (gr * P + p) * K::BWL;
        for (int l = 0; l < K::BWL; ++l) {
          const int64_t o = gr * K::BWL + l;
          dst[l] = o < s.O ? g[o * P + p] : T(0);
        }
      }
    K::weight_sample(xp, s.C, s.O, s.OH, s.OW, gb, dwp);
  };
  for_batch(s.N, threads, [&](int64_t n, int slot) { sample(n, sums + size * slot); });
  for (int t = 1; t < threads; ++t)
    for (int64_t i = 0; i < size; ++i) sums[i] += sums[size * t + i];
  for (int64_t o = 0; o < s.O; ++o)
    for (int64_t c = 0; c < s.C; ++c)
      for (int k = 0; k < 9; ++k)
        dw[(o * s.C + c) * 9 + k] = sums[((o / K::BWL * s.C + c) * 9 + k) * K::BWL + o % K::BWL];
}

}  // namespace eigentorch::detail
