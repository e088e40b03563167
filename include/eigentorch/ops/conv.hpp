// Convolutions with their derivative: conv1d and conv2d (ConvolutionBackward0), with stride, zero
// padding (numbers, or "same" / "valid"), dilation, groups and an optional bias, checked in
// PyTorch 1.13's order and words. A 1-D convolution is a 2-D one of height 1.
// The arithmetic is im2col + the library's matrix product (detail::gemm): the input windows of a
// chunk of samples are unfolded into the columns of a buffer [C/groups * KH * KW, samples * OH * OW]
// (PyTorch's slow_conv2d layout, several samples side by side so that small images still make one
// large product), and each group's output is weight [O/groups, K] times it. Backward: the input's
// gradient is weight^T times the output's gradient, folded back (col2im, the adjoint); the weight's
// is the output's gradient times the columns (unfolded again from the saved input) transposed.
// 3x3 kernels of stride 1 with many channels take the direct kernels of backend/conv_kernels.hpp
// instead (detail::conv_direct says which parts, and why).
#pragma once

#include "../autograd/node.hpp"
#include "../backend/conv_kernels.hpp"
#include "expanding_array.hpp"
#include "kernels.hpp"
#include "shape.hpp"  // unsqueeze, squeeze: unbatched inputs

#include <algorithm>  // copy, fill, max, min
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>  // numeric_limits: conv_add, conv_mul
#include <string>
#include <type_traits>  // enable_if_t, is_integral_v
#include <vector>

namespace eigentorch {

/// A convolution's padding: sizes (as ExpandingArray) or PyTorch's strings "valid" and "same".
template <std::size_t D>
class ConvPadding : public ExpandingArray<D> {
 public:
  // (a template for every integer type: a literal 0 would otherwise also match const char*)
  template <class I, class = std::enable_if_t<std::is_integral_v<I>>>
  ConvPadding(I v) : ExpandingArray<D>(static_cast<int64_t>(v)) {}  // NOLINT: implicit on purpose
  ConvPadding(std::initializer_list<int64_t> list) : ExpandingArray<D>(list) {}
  ConvPadding(const std::vector<int64_t>& list) : ExpandingArray<D>(list) {}  // NOLINT
  ConvPadding(const ExpandingArray<D>& a) : ExpandingArray<D>(a) {}           // NOLINT
  ConvPadding(const char* mode) : ExpandingArray<D>(0), mode_(mode) {}        // NOLINT
  ConvPadding(std::string mode) : ExpandingArray<D>(0), mode_(std::move(mode)) {}  // NOLINT
  /// "valid" or "same" when given as a string, else empty.
  const std::string& mode() const { return mode_; }

 private:
  std::string mode_;
};

namespace detail {

/// The shape of a 2-D convolution (a 1-D one has H = KH = 1): input [N, C, H, W], weight
/// [O, C / groups, KH, KW], output [N, O, OH, OW]; ph and pw are the zeros before the first row and
/// column (a "same" padding may put one more after).
struct ConvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0, O = 0, KH = 0, KW = 0;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1, OH = 0, OW = 0;
  int64_t Cg() const { return C / groups; }
  int64_t Og() const { return O / groups; }
  int64_t K() const { return Cg() * KH * KW; }  // rows of the columns: one per weight of a filter
  int64_t P() const { return OH * OW; }         // output positions per channel
  /// Samples unfolded at once: as many as keep the columns near 1 Mi elements (at least one).
  int64_t chunk() const {
    const int64_t per = std::max<int64_t>(K() * P(), 1);
    return std::max<int64_t>(1, std::min<int64_t>(N, (int64_t{1} << 20) / per));
  }
};

/// For one kernel offset k (along a dim of `in` elements, stride s, zeros before p, dilation d), the
/// outputs [lo, hi) whose input position o s - p + k d falls inside the input.
inline void conv_valid_range(int64_t k, int64_t in, int64_t out, int64_t s, int64_t p, int64_t d, int64_t& lo,
                             int64_t& hi) {
  const int64_t first = p - k * d;  // o s >= first, o s <= first + in - 1
  lo = first <= 0 ? 0 : (first - 1) / s + 1;  // ceil(first / s), with no overflow for any stride
  const int64_t last = first + in - 1;
  hi = last < 0 ? 0 : std::min<int64_t>(out, last / s + 1);
  lo = std::min(lo, hi);
}

/// Unfolds Cg channels of one sample (x: [Cg, H, W]) into the columns: cols[(c KH + i) KW + j] is a
/// row (of pitch ld) holding, for every output position, the input under weight (c, i, j), or 0.
template <class T>
void im2col(const T* x, const ConvGeom& g, T* cols, int64_t ld) {
  const int64_t P = g.P();
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t i = 0; i < g.KH; ++i) {
      int64_t oh_lo, oh_hi;
      conv_valid_range(i, g.H, g.OH, g.sh, g.ph, g.dh, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.KW; ++j) {
        T* row = cols + ((c * g.KH + i) * g.KW + j) * ld;
        int64_t ow_lo, ow_hi;
        conv_valid_range(j, g.W, g.OW, g.sw, g.pw, g.dw, ow_lo, ow_hi);
        std::fill(row, row + oh_lo * g.OW, T(0));
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          T* r = row + oh * g.OW;
          const T* src = x + (c * g.H + oh * g.sh - g.ph + i * g.dh) * g.W - g.pw + j * g.dw;
          std::fill(r, r + ow_lo, T(0));
          if (g.sw == 1)
            std::copy(src + ow_lo, src + ow_hi, r + ow_lo);
          else
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) r[ow] = src[ow * g.sw];
          std::fill(r + ow_hi, r + g.OW, T(0));
        }
        std::fill(row + oh_hi * g.OW, row + P, T(0));
      }
    }
}

/// The adjoint of im2col: adds each column entry into the input element it was read from (dx:
/// [Cg, H, W] of one sample).
template <class T>
void col2im_add(const T* cols, const ConvGeom& g, int64_t ld, T* dx) {
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t i = 0; i < g.KH; ++i) {
      int64_t oh_lo, oh_hi;
      conv_valid_range(i, g.H, g.OH, g.sh, g.ph, g.dh, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.KW; ++j) {
        const T* row = cols + ((c * g.KH + i) * g.KW + j) * ld;
        int64_t ow_lo, ow_hi;
        conv_valid_range(j, g.W, g.OW, g.sw, g.pw, g.dw, ow_lo, ow_hi);
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const T* r = row + oh * g.OW;
          T* dst = dx + (c * g.H + oh * g.sh - g.ph + i * g.dh) * g.W - g.pw + j * g.dw;
          if (g.sw == 1)  // contiguous: the compiler vectorises it
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] += r[ow];
          else
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow * g.sw] += r[ow];
        }
      }
    }
}

/// A scratch buffer of at least n elements, kept by the thread (the columns of the next call reuse it).
template <class T, int Slot>
T* conv_scratch(int64_t n) {
  thread_local std::vector<T> buffer;  // (declared here: a thread_local costs a call where it is)
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

/// Samples per chunk: ConvGeom::chunk, and with several threads, at most N / threads (rounded up), so
/// that every thread has a chunk (OpenMP: backend/conv_kernels.hpp's batch_threads).
inline int64_t conv_chunk(const ConvGeom& g, int threads) {
  return std::max<int64_t>(1, std::min<int64_t>(g.chunk(), (g.N + threads - 1) / threads));
}

/// The im2col paths' loop: body(n0, nb, cols, rows, slot) for each chunk of nb samples from n0
/// (conv_chunk), split across `threads` (for_batch; slot: the thread's), with the thread's scratch
/// for the chunk's columns [K, nb P] and, when a chunk holds several samples, for [Og, nb P] rows.
template <class T, class F>
void for_conv_chunks(const ConvGeom& g, int threads, F body) {
  const int64_t chunk = conv_chunk(g, threads), P = g.P();
  for_batch((g.N + chunk - 1) / chunk, threads, [&](int64_t ci, int slot) {
    T* cols = conv_scratch<T, 0>(g.K() * chunk * P);
    T* rows = chunk > 1 ? conv_scratch<T, 1>(g.Og() * chunk * P) : nullptr;
    const int64_t n0 = ci * chunk;
    body(n0, std::min(chunk, g.N - n0), cols, rows, slot);
  });
}

/// Which parts of a convolution the direct 3x3 kernels (backend/conv_kernels.hpp) compute; im2col
/// does the rest.
struct ConvDirect {
  bool forward = false, input = false, weight = false;
};

/// The direct kernels cover 3x3 filters of stride 1, dilation 1 and one group (the input's gradient
/// also needs at most 2 zeros on each side). Measured against im2col + gemm (1 thread, AVX-512, float,
/// thread CPU time; forward, input's gradient, weight's gradient), they are 1.4, 1.3 and 1.5x faster
/// on 32 -> 64 channels (14x14) and 1.4, 1.5 and 1.25x on 64 -> 64 (32x32). Each part takes them
/// where its lanes fill and its sums are long:
/// - the forward and the input's gradient from 16 channels in and out. (With one input channel the
///   forward alone was 1.0-1.2x faster on 1 -> 32 (26x26), but a training step 15% slower: nine
///   products per output leave its transposed stores, output channels in lanes to rows, the cost.
///   The input's gradient, lanes holding the input channels, was 7x slower there.)
/// - the weight's gradient from a block of BWL output channels (its lanes; 32 floats with AVX-512):
///   1.3x on 1 -> 32, but 1.6x slower with half the lanes empty (3 -> 16).
template <class T>
ConvDirect conv_direct(const ConvGeom& g) {
  constexpr int64_t kMinChannels = 16;
  ConvDirect d;
  const bool fits = g.groups == 1 && g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
                    g.N > 0 && g.C > 0 && g.H > 0 && g.W > 0 && g.OH > 0 && g.OW > 0;
  if (!fits) return d;
  const int64_t after_h = g.OH + 2 - g.H - g.ph, after_w = g.OW + 2 - g.W - g.pw;  // zeros after the input
  const bool many = g.C >= kMinChannels && g.O >= kMinChannels;
  d.forward = many;
  d.input = many && g.ph <= 2 && g.pw <= 2 && after_h <= 2 && after_w <= 2;
  d.weight = g.O >= Direct3x3<T>::BWL;
  return d;
}

inline Conv3x3Shape conv3x3_shape(const ConvGeom& g) { return {g.N, g.C, g.H, g.W, g.O, g.OH, g.OW, g.ph, g.pw}; }

/// The forward by im2col: y[n, o] = bias[o] + sum over the group's channels and the kernel of w x.
template <class T>
void conv_forward_im2col(const ConvGeom& g, bool has_bias, const T* px, const T* pw, const T* pb, T* py) {
  const int64_t K = g.K(), P = g.P(), Og = g.Og(), HW = g.H * g.W;
  for_conv_chunks<T>(g, batch_threads(g.N), [&](int64_t n0, int64_t nb, T* cols, T* prod, int) {
    const int64_t ld = nb * P;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      for (int64_t s = 0; s < nb; ++s) im2col(px + ((n0 + s) * g.C + gr * g.Cg()) * HW, g, cols + s * P, ld);
      const T* w = pw + gr * Og * K;
      // one sample: the product lands in the output's rows; several: [Og, nb P], then spread
      T* out = nb == 1 ? py + (n0 * g.O + gr * Og) * P : prod;
      gemm(Og, ld, K, w, false, cols, false, out);
      for (int64_t s = 0; s < nb; ++s)
        for (int64_t o = 0; o < Og; ++o) {
          T* dst = py + ((n0 + s) * g.O + gr * Og + o) * P;
          const T* src = out + o * ld + s * P;
          const T b = has_bias ? pb[gr * Og + o] : T(0);
          if (nb == 1) {
            if (has_bias)
              for (int64_t p = 0; p < P; ++p) dst[p] += b;
          } else if (has_bias) {
            for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + b;
          } else {
            std::copy(src, src + P, dst);
          }
        }
    }
  });
}

/// The output's gradient of one group and chunk as [Og, nb P] (the rows of nb samples side by side);
/// for one sample, the gradient's own rows.
template <class T>
const T* conv_grad_rows(const ConvGeom& g, const T* pg, int64_t n0, int64_t nb, int64_t gr, T* buffer) {
  const int64_t P = g.P(), Og = g.Og();
  if (nb == 1) return pg + (n0 * g.O + gr * Og) * P;
  for (int64_t o = 0; o < Og; ++o)
    for (int64_t s = 0; s < nb; ++s) {
      const T* src = pg + ((n0 + s) * g.O + gr * Og + o) * P;
      std::copy(src, src + P, buffer + o * nb * P + s * P);
    }
  return buffer;
}

/// d/dx by im2col: the columns' gradient w^T G, folded back into the input's shape.
template <class T>
void conv_backward_input_im2col(const ConvGeom& g, const T* pgrad, const T* pw, T* pdx) {
  const int64_t K = g.K(), P = g.P(), Og = g.Og(), HW = g.H * g.W;
  std::fill(pdx, pdx + g.N * g.C * HW, T(0));
  for_conv_chunks<T>(g, batch_threads(g.N), [&](int64_t n0, int64_t nb, T* cols, T* rows, int) {
    const int64_t ld = nb * P;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      const T* gg = conv_grad_rows(g, pgrad, n0, nb, gr, rows);
      gemm(K, ld, Og, pw + gr * Og * K, true, gg, false, cols);
      for (int64_t s = 0; s < nb; ++s) col2im_add(cols + s * P, g, ld, pdx + ((n0 + s) * g.C + gr * g.Cg()) * HW);
    }
  });
}

/// d/dw by im2col: G cols^T, summed over the samples (the columns unfolded again from the saved input).
template <class T>
void conv_backward_weight_im2col(const ConvGeom& g, const T* px, const T* pgrad, T* pdw) {
  const int64_t K = g.K(), P = g.P(), Og = g.Og(), HW = g.H * g.W;
  const int threads = batch_threads(g.N);
  const bool one_chunk = conv_chunk(g, threads) >= g.N;
  // NOTE: measured, Eigen's blocked product is faster with the shorter side as the result's columns:
  // with more weights per filter than filters (K > Og: 64 -> 64 channels, 3x3) it makes dw^T [K, Og] =
  // cols G^T (23% faster there) and transposes it after.
  const bool transposed = K > Og;
  // with several threads, one sum per thread, added together at the end
  T* sums = threads > 1 ? conv_scratch<T, 3>(threads * g.O * K) : pdw;
  std::fill(sums, sums + (threads > 1 ? threads : 1) * g.O * K, T(0));
  for_conv_chunks<T>(g, threads, [&](int64_t n0, int64_t nb, T* cols, T* rows, int slot) {
    T* part = one_chunk && !transposed ? nullptr : conv_scratch<T, 2>(Og * K);
    const int64_t ld = nb * P;
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      for (int64_t s = 0; s < nb; ++s) im2col(px + ((n0 + s) * g.C + gr * g.Cg()) * HW, g, cols + s * P, ld);
      const T* gg = conv_grad_rows(g, pgrad, n0, nb, gr, rows);
      T* dw = sums + slot * g.O * K + gr * Og * K;
      if (transposed) {
        gemm(K, Og, ld, cols, false, gg, true, part);
        for (int64_t o = 0; o < Og; ++o)
          for (int64_t k = 0; k < K; ++k) dw[o * K + k] += part[k * Og + o];
      } else if (one_chunk) {
        gemm(Og, K, ld, gg, false, cols, true, dw);
      } else {
        gemm(Og, K, ld, gg, false, cols, true, part);
        for (int64_t i = 0; i < Og * K; ++i) dw[i] += part[i];
      }
    }
  });
  if (threads > 1) {
    std::copy(sums, sums + g.O * K, pdw);
    for (int t = 1; t < threads; ++t)
      for (int64_t i = 0; i < g.O * K; ++i) pdw[i] += sums[t * g.O * K + i];
  }
}

/// The forward, the input's gradient and the weight's gradient: by the direct kernels where
/// conv_direct says so, else by im2col.
template <class T>
void conv_forward(const ConvGeom& g, bool has_bias, const T* px, const T* pw, const T* pb, T* py) {
  if (conv_direct<T>(g).forward) return direct3x3_forward(conv3x3_shape(g), px, pw, has_bias ? pb : nullptr, py);
  conv_forward_im2col(g, has_bias, px, pw, pb, py);
}
template <class T>
void conv_backward_input(const ConvGeom& g, const T* pgrad, const T* pw, T* pdx) {
  if (conv_direct<T>(g).input) return direct3x3_backward_input(conv3x3_shape(g), pgrad, pw, pdx);
  conv_backward_input_im2col(g, pgrad, pw, pdx);
}
template <class T>
void conv_backward_weight(const ConvGeom& g, const T* px, const T* pgrad, T* pdw) {
  if (conv_direct<T>(g).weight) return direct3x3_backward_weight(conv3x3_shape(g), px, pgrad, pdw);
  conv_backward_weight_im2col(g, px, pgrad, pdw);
}

/// d/db[o] = the sum of G over the samples and positions of channel o: each row of P positions in 16
/// running sums (independent lanes, which the compiler vectorises), added together at the row's end.
template <class T>
void conv_backward_bias(const ConvGeom& g, const T* pgrad, T* pdb) {
  constexpr int64_t kLanes = 16;
  const int64_t P = g.P();
  std::fill(pdb, pdb + g.O, T(0));
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t o = 0; o < g.O; ++o) {
      const T* row = pgrad + (n * g.O + o) * P;
      T acc[kLanes] = {};
      int64_t p = 0;
      for (; p + kLanes <= P; p += kLanes)
        for (int64_t l = 0; l < kLanes; ++l) acc[l] += row[p + l];
      T sum = 0;
      for (int64_t l = 0; l < kLanes; ++l) sum += acc[l];
      for (; p < P; ++p) sum += row[p];
      pdb[o] += sum;
    }
}

[[gnu::cold]] inline std::string conv_list(const std::vector<int64_t>& v) { return Size(v).list_str(); }

}  // namespace detail

namespace ops {

// For y = conv(x, w) + b with G the output's gradient (per group, per sample: y = w cols(x)):
//   d/dx = col2im(w^T G),  d/dw = sum over samples of G cols(x)^T,  d/db = sums of G per channel
template <class T>
struct ConvolutionBackward final : autograd::Node<T> {
  autograd::SavedTensor<T> input, weight;
  detail::ConvGeom geom;
  bool has_bias = false;
  const char* name() const override { return "ConvolutionBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    if (this->next[0]) {
      const Tensor<T>& w = weight.get();
      out[0] = Tensor<T>(input_shape, detail::uninitialized);
      detail::arrays([geom = geom](const T* pg, const T* pw, T* pdx) { detail::conv_backward_input(geom, pg, pw, pdx); },
                     g, w, out[0]);
    }
    if (this->next[1]) {
      const Tensor<T>& x = input.get();
      out[1] = Tensor<T>(weight_shape, detail::uninitialized);
      detail::arrays([geom = geom](const T* px, const T* pg, T* pdw) { detail::conv_backward_weight(geom, px, pg, pdw); },
                     x, g, out[1]);
    }
    if (has_bias && this->next[2]) {
      out[2] = Tensor<T>(Size{geom.O}, detail::uninitialized);
      detail::arrays([geom = geom](const T* pg, T* pdb) { detail::conv_backward_bias(geom, pg, pdb); }, g, out[2]);
    }
  }
  void release() override {
    input.release();
    weight.release();
  }
  Size input_shape, weight_shape;
};

/// a + b and a * b for the size arithmetic of a convolution's arguments, refused when the result
/// leaves int64 (sizes, paddings or dilations near the int64 limits: PyTorch's own arithmetic wraps
/// around there, or crashes; its argument parser says "integer out of range").
inline int64_t conv_add(int64_t a, int64_t b) {
  constexpr int64_t hi = std::numeric_limits<int64_t>::max(), lo = std::numeric_limits<int64_t>::min();
  if ((b > 0 && a > hi - b) || (b < 0 && a < lo - b)) detail::fail({"integer out of range"});
  return a + b;
}
inline int64_t conv_mul(int64_t a, int64_t b) {
  constexpr int64_t hi = std::numeric_limits<int64_t>::max(), lo = std::numeric_limits<int64_t>::min();
  const bool over = a > 0 ? (b > 0 ? a > hi / b : b < lo / a) : (b > 0 ? a < lo / b : a != 0 && b < hi / a);
  if (over) detail::fail({"integer out of range"});
  return a * b;
}

/// The convolution of a batched input x ([N, C, L] when `dims` is 1, [N, C, H, W] when 2) with w
/// ([O, C / groups, K...]) plus b ([O] or undefined): F.conv1d / F.conv2d past the unbatched case.
template <class T, std::size_t D>
Tensor<T> convolution(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b, const ExpandingArray<D>& stride_arg,
                      const ConvPadding<D>& padding_arg, const ExpandingArray<D>& dilation_arg, int64_t groups) {
  using detail::conv_list;
  using detail::fail;
  if (w.dim() < 3) fail({"weight should have at least three dimensions"});
  const int64_t wd = w.dim() - 2;  // PyTorch takes the number of spatial dims from the weight
  const auto expand = [wd](const std::vector<int64_t>& v, const char* what) {
    if (v.size() == 1) return std::vector<int64_t>(static_cast<std::size_t>(wd), v[0]);
    if (static_cast<int64_t>(v.size()) != wd)
      fail({"expected ", what, " to be a single integer value or a list of ", wd,
            " values to match the convolution dimensions, but got ", what, "=", conv_list(v)});
    return v;
  };
  const std::string& mode = padding_arg.mode();
  if (!mode.empty() && mode != "same" && mode != "valid") fail({"Invalid padding string: '", mode, "'"});
  const std::vector<int64_t> stride = expand(stride_arg.values(), "stride");
  std::vector<int64_t> dilation = expand(dilation_arg.values(), "dilation");
  std::vector<int64_t> padding = mode.empty() ? expand(padding_arg.values(), "padding")
                                              : std::vector<int64_t>(static_cast<std::size_t>(wd), 0);
  std::vector<int64_t> pad_after = padding;  // "same" may put one more zero after than before
  if (mode == "same") {
    for (int64_t s : stride)
      if (s != 1) fail({"padding='same' is not supported for strided convolutions"});
    for (std::size_t i = 0; i < padding.size(); ++i) {
      const int64_t total = conv_mul(dilation[i], w.size(static_cast<int64_t>(i) + 2) - 1);
      padding[i] = total / 2;
      pad_after[i] = total - total / 2;
    }
  }
  if (groups <= 0) fail({"non-positive groups is not supported"});
  for (int64_t p : padding)
    if (p < 0) fail({"negative padding is not supported"});
  for (int64_t s : stride)
    if (s <= 0) fail({"non-positive stride is not supported"});
  const std::vector<int64_t> wshape = w.shape().vec();
  if (w.dim() != x.dim())
    fail({"Expected ", w.dim(), "-dimensional input for ", w.dim(), "-dimensional weight ", conv_list(wshape),
          ", but got ", x.dim(), "-dimensional input of size ", x.shape().list_str(), " instead"});
  if (wshape[0] < groups)
    fail({"Given groups=", groups, ", expected weight to be at least ", groups,
          " at dimension 0, but got weight of size ", conv_list(wshape), " instead"});
  if (wshape[0] % groups != 0)  // (PyTorch prints this size in two pairs of brackets)
    fail({"Given groups=", groups, ", expected weight to be divisible by ", groups,
          " at dimension 0, but got weight of size [", conv_list(wshape), "] instead"});
  if (x.size(1) != wshape[1] * groups)
    fail({"Given groups=", groups, ", weight of size ", conv_list(wshape), ", expected input",
          x.shape().list_str(), " to have ", wshape[1] * groups, " channels, but got ", x.size(1),
          " channels instead"});
  if (b.defined() && !(b.dim() == 1 && b.size(0) == wshape[0]))
    fail({"Given weight of size ", conv_list(wshape), ", expected bias to be 1-dimensional with ", wshape[0],
          " elements, but got bias of size ", b.shape().list_str(), " instead"});
  bool fits = true;
  std::string padded, kernel;
  std::vector<int64_t> out_len(static_cast<std::size_t>(wd));  // (padded size - dilated kernel) / stride + 1
  for (int64_t i = 0; i < wd; ++i) {
    const auto at = static_cast<std::size_t>(i);
    const int64_t in = conv_add(conv_add(x.size(i + 2), padding[at]), pad_after[at]);
    const int64_t k = conv_add(conv_mul(dilation[at], wshape[at + 2] - 1), 1);
    fits = fits && in >= k;
    out_len[at] = conv_add(conv_add(in, -std::max(k, -std::numeric_limits<int64_t>::max())) / stride[at], 1);
    padded += (i ? " x " : "") + std::to_string(in);
    kernel += (i ? " x " : "") + std::to_string(k);
  }
  if (!fits)
    fail({"Calculated padded input size per channel: (", padded, "). Kernel size: (", kernel,
          "). Kernel size can't be greater than actual input size"});
  // Past the shape checks, PyTorch sees a 1-D convolution as a 2-D one of height 1.
  detail::ConvGeom g;
  const bool one = wd == 1;
  g.N = x.size(0), g.C = x.size(1), g.O = wshape[0], g.groups = groups;
  g.H = one ? 1 : x.size(2), g.W = x.size(-1);
  g.KH = one ? 1 : wshape[2], g.KW = wshape.back();
  g.sh = one ? 1 : stride[0], g.sw = stride.back();
  g.ph = one ? 0 : padding[0], g.pw = padding.back();
  g.dh = one ? 1 : dilation[0], g.dw = dilation.back();
  if (x.numel() > 0) {
    const bool dilated = g.dh != 1 || g.dw != 1;
    if (dilated && (g.KH <= 0 || g.KW <= 0))
      fail({"kernel size should be greater than zero, but got [", g.KH, ", ", g.KW, "]"});
    if (!dilated && (g.KH <= 0 || g.KW <= 0))
      fail({"kernel size should be greater than zero, but got kernel_height: ", g.KH, " kernel_width: ", g.KW});
    if (g.dh <= 0 || g.dw <= 0) fail({"dilation should be greater than zero, but got [", g.dh, ", ", g.dw, "]"});
  }
  g.OH = one ? 1 : out_len[0];
  g.OW = out_len.back();
  std::vector<int64_t> shape{g.N, g.O};
  if (!one) shape.push_back(g.OH);
  shape.push_back(g.OW);
  Tensor<T> out{Size(shape), detail::uninitialized};
  const bool has_bias = b.defined();
  detail::arrays([g, has_bias](const T* px, const T* pw, const T* pb, T* py) { detail::conv_forward(g, has_bias, px, pw, pb, py); },
                 x, w, has_bias ? b : w, out);
  if (has_bias ? autograd::needs_grad(x, w, b) : autograd::needs_grad(x, w)) {  // (an undefined b has no flag)
    auto node = detail::make_pooled<ConvolutionBackward<T>>();
    if (w.requires_grad()) node->input.save(x);
    if (x.requires_grad()) node->weight.save(w);
    node->geom = g;
    node->has_bias = has_bias;
    node->input_shape = x.shape();
    node->weight_shape = w.shape();
    if (has_bias)
      autograd::connect(out, node, {&x, &w, &b});
    else
      autograd::connect(out, node, {&x, &w});
  }
  return out;
}

/// A convolution of a batched or unbatched input: an unbatched one (one dim fewer) gets a batch of
/// one, and loses it after (PyTorch's SqueezeBackward1 then ends the graph).
template <class T, std::size_t D>
Tensor<T> conv_nd(const char* fn, const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b,
                  const ExpandingArray<D>& stride, const ConvPadding<D>& padding, const ExpandingArray<D>& dilation,
                  int64_t groups) {
  constexpr int64_t d = static_cast<int64_t>(D);
  if (x.dim() != d + 1 && x.dim() != d + 2)
    detail::fail({"Expected ", d + 1, "D (unbatched) or ", d + 2, "D (batched) input to ", fn,
                  ", but got input of size: ", x.shape().list_str()});
  if (x.dim() == d + 2) return convolution(x, w, b, stride, padding, dilation, groups);
  return convolution(x.unsqueeze(0), w, b, stride, padding, dilation, groups).squeeze(0);
}

/// F.conv1d: x [N, C, L] or [C, L], w [O, C / groups, K], b [O] or undefined.
template <class T>
Tensor<T> conv1d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>(),
                 const ExpandingArray<1>& stride = 1, const ConvPadding<1>& padding = 0,
                 const ExpandingArray<1>& dilation = 1, int64_t groups = 1) {
  return conv_nd<T, 1>("conv1d", x, w, b, stride, padding, dilation, groups);
}

/// F.conv2d: x [N, C, H, W] or [C, H, W], w [O, C / groups, KH, KW], b [O] or undefined.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>(),
                 const ExpandingArray<2>& stride = 1, const ConvPadding<2>& padding = 0,
                 const ExpandingArray<2>& dilation = 1, int64_t groups = 1) {
  return conv_nd<T, 2>("conv2d", x, w, b, stride, padding, dilation, groups);
}

}  // namespace ops
}  // namespace eigentorch
