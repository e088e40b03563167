// Pooling ops with their derivatives, over contiguous [N, C, H, W] (or unbatched [C, H, W]) planes:
// max_pool2d (MaxPool2DWithIndicesBackward0: the gradient goes to the index the forward picked),
// max_pool1d (as PyTorch: a max_pool2d over [.., 1, L], then SqueezeBackward1), avg_pool2d
// (AvgPool2DBackward0) and adaptive_avg_pool2d (AdaptiveAvgPool2DBackward0; a 1x1 output is
// PyTorch's mean over the last two dims, MeanBackward1). PyTorch 1.13's CPU arithmetic in its order
// (sums in T, window by window), its output sizes and its error messages.
#pragma once

#include "../autograd/node.hpp"
#include "expanding_array.hpp"
#include "kernels.hpp"
#include "shape.hpp"  // unsqueeze, squeeze: max_pool1d

#include <algorithm>  // max, min
#include <array>
#include <cmath>      // ceil, floor, isnan
#include <cstdint>
#include <cstring>  // memcpy: select
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>  // conditional_t
#include <vector>

namespace eigentorch {
namespace ops {

namespace pool_detail {

/// floor(a / b) for b != 0 (PyTorch's div_rtn).
inline int64_t div_floor(int64_t a, int64_t b) {
  const int64_t q = a / b, r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}

/// The (h, w) of a 2-D pooling's size argument: one value serves both; another count throws
/// `message` (PyTorch's words for that argument).
inline std::array<int64_t, 2> hw(const ExpandingArray<2>& a, const char* message) {
  if (a.size() != 1 && a.size() != 2) detail::fail({message});
  return {a[0], a[a.size() - 1]};
}

/// The one value of a 1-D pooling's size argument; another count throws `message` and the count.
inline int64_t one(const ExpandingArray<1>& a, const char* message) {
  if (a.size() != 1) detail::fail({message, static_cast<int64_t>(a.size())});
  return a[0];
}

/// PyTorch's pooling_output_shape, with its checks: the number of windows along one dim.
inline int64_t output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  if (stride == 0) detail::fail({"stride should not be zero"});
  if (pad < 0) detail::fail({"pad must be non-negative, but got pad: ", pad});
  if (pad > k / 2) detail::fail({"pad should be at most half of kernel size, but got pad=", pad, " and kernel_size=", k});
  // NOTE: absurd sizes (a kernel of 2^40) would overflow int64: they are computed in long double
  // instead (for them the result is an output too small or too large, as PyTorch's checks then say).
  const auto fits = [](int64_t v, int64_t bound) { return v > -bound && v < bound; };
  constexpr int64_t kArg = int64_t{1} << 30, kSize = int64_t{1} << 60;
  if (!(fits(k, kArg) && fits(pad, kArg) && fits(stride, kArg) && fits(dilation, kArg) && fits(in, kSize))) {
    using W = long double;
    W out = std::floor((W(in) + 2 * W(pad) - W(dilation) * (W(k) - 1) - 1 + (ceil_mode ? W(stride) - 1 : 0)) / W(stride)) + 1;
    if (ceil_mode && (out - 1) * W(stride) >= W(in) + W(pad)) out -= 1;
    if (!(out >= 0)) return 0;
    return out >= W(kSize) ? kSize : static_cast<int64_t>(out);
  }
  int64_t out = div_floor(in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;  // the last window must start inside the input
  return out;
}

/// The planes (N C, or C unbatched) and sizes of a pooling over the last two dims.
struct Geometry {
  int64_t planes = 0, ih = 0, iw = 0, oh = 0, ow = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

/// PyTorch's pool2d_shape_check (after the output sizes are known).
template <class T>
void shape_check(const Tensor<T>& x, const Geometry& g) {
  if (g.kh <= 0 || g.kw <= 0)
    detail::fail({"kernel size should be greater than zero, but got kH: ", g.kh, " kW: ", g.kw});
  if (g.sh <= 0 || g.sw <= 0) detail::fail({"stride should be greater than zero, but got dH: ", g.sh, " dW: ", g.sw});
  if (g.dh <= 0 || g.dw <= 0)
    detail::fail({"dilation should be greater than zero, but got dilationH: ", g.dh, " dilationW: ", g.dw});
  const int64_t nd = x.dim();
  const bool valid = nd >= 3 && x.size(1) != 0 && x.size(2) != 0;
  if (!((nd == 3 && x.size(0) != 0 && valid) || (nd == 4 && valid && x.size(3) != 0)))
    detail::fail({"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:",
                  x.shape().list_str()});
  if (g.oh < 1 || g.ow < 1)
    detail::fail({"Given input size: (", x.size(-3), "x", g.ih, "x", g.iw, "). Calculated output size: (", x.size(-3),
                  "x", g.oh, "x", g.ow, "). Output size is too small"});
}

/// x's shape with the last two dims replaced by oh, ow.
template <class T>
Size pooled_shape(const Tensor<T>& x, int64_t oh, int64_t ow) {
  Size s = x.shape();
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

/// The planes of x seen as [planes, H, W] (x has at least 2 dims).
template <class T>
int64_t planes_of(const Tensor<T>& x) {
  int64_t p = 1;
  for (int64_t d = 0; d + 2 < x.dim(); ++d) p *= x.size(d);
  return p;
}

/// PyTorch's adaptive window: [floor(o in / out), ceil((o + 1) in / out)), computed in float as PyTorch's.
inline int64_t start_index(int64_t o, int64_t out, int64_t in) {
  return static_cast<int64_t>(std::floor(static_cast<float>(o * in) / static_cast<float>(out)));
}
inline int64_t end_index(int64_t o, int64_t out, int64_t in) {
  return static_cast<int64_t>(std::ceil(static_cast<float>((o + 1) * in) / static_cast<float>(out)));
}

/// c ? a : b by masks, without a branch (g++ branches on a plain `?:`, mispredicted half the time
/// on random data).
template <class V>
V select(bool c, V a, V b) {
  using U = std::conditional_t<sizeof(V) == 4, uint32_t, uint64_t>;
  U ua, ub;
  std::memcpy(&ua, &a, sizeof(V));
  std::memcpy(&ub, &b, sizeof(V));
  const U mask = U(0) - static_cast<U>(c);
  const U r = (ua & mask) | (ub & ~mask);
  V out;
  std::memcpy(&out, &r, sizeof(V));
  return out;
}

/// An avg_pool2d window clipped to the input, with its divisor (PyTorch's cpu_avg_pool).
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
  bool empty() const { return h0 >= h1 || w0 >= w1; }
};
inline AvgWindow avg_window(const Geometry& g, int64_t oh, int64_t ow, bool count_include_pad, int64_t divisor_override) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.ih + g.ph), w1 = std::min(w0 + g.kw, g.iw + g.pw);
  const int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.ih), w1 = std::min(w1, g.iw);
  const int64_t divisor = divisor_override != 0 ? divisor_override : count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

}  // namespace pool_detail

namespace pool_detail {

/// The running maximum of a window and where it is: PyTorch's test, a value greater than the
/// maximum takes over (the first maximum wins a tie) and a NaN always does (the last NaN wins).
template <class T>
struct RunningMax {
  T best = -std::numeric_limits<T>::infinity();
  int64_t at;
  void add(T v, int64_t i) {
    const bool take = (v > best) | std::isnan(v);
    best = select(take, v, best);
    at = select(take, i, at);
  }
};

/// The windows [lo, hi) of a row, all inside the input, of a KH x KW kernel with dilation 1 and
/// stride SW (when SW > 0, else sw): their maxima and where they are, as RunningMax finds them (the
/// first element starts the maximum: what RunningMax's first step gives, -inf included). Branch
/// free, in lanes of the values' width, so that g++ vectorises it.
template <class T, int KH, int KW, int SW>
void max_row(const T* x, int64_t iw, int64_t sw_runtime, int64_t corner, int64_t lo, int64_t hi, T* out, int64_t* idx) {
  using K = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  const int64_t sw = SW > 0 ? SW : sw_runtime;
  for (int64_t ow = lo; ow < hi; ++ow) {
    const T* w = x + corner + ow * sw;
    T best = w[0];
    K k = 0;
    for (int i = 0; i < KH; ++i)
      for (int j = 0; j < KW; ++j) {
        if (i == 0 && j == 0) continue;
        const T v = w[i * iw + j];
        const bool take = (v > best) | (v != v);  // v != v: a NaN
        best = select(take, v, best);
        k = select(take, K(i * KW + j), k);
      }
    out[ow] = best;
    idx[ow] = corner + ow * sw + (k / KW) * iw + k % KW;
  }
}

/// max_pool2d over every plane. KH, KW > 0: the kernel's size known at compile time (and dilation
/// 1), for the windows inside the input; the others (and KH = KW = 0) take the general loop.
template <class T, int KH, int KW>
void max_pool_planes(const Geometry& g, const T* px, T* po, int64_t* pi) {
  const int64_t in_plane = g.ih * g.iw, out_plane = g.oh * g.ow;
  // the outputs [lo, hi) of a row whose windows lie inside the input's columns
  int64_t lo = g.ow, hi = g.ow;
  if (KH > 0) {
    lo = (g.pw + g.sw - 1) / g.sw;
    hi = std::max(lo, std::min(g.ow, (g.iw - KW + g.pw) / g.sw + 1));
  }
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = px + p * in_plane;
    T* op = po + p * out_plane;
    int64_t* ip = pi + p * out_plane;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t top = oh * g.sh - g.ph;
      const int64_t h1 = std::min(top + (g.kh - 1) * g.dh + 1, g.ih);
      int64_t h0 = top;
      while (h0 < 0) h0 += g.dh;
      const bool rows_inside = KH > 0 && top >= 0 && top + KH <= g.ih;
      const auto general = [&](int64_t ow) {
        const int64_t left = ow * g.sw - g.pw;
        const int64_t w1 = std::min(left + (g.kw - 1) * g.dw + 1, g.iw);
        int64_t w0 = left;
        while (w0 < 0) w0 += g.dw;
        RunningMax<T> m;
        m.at = h0 * g.iw + w0;
        for (int64_t h = h0; h < h1; h += g.dh)
          for (int64_t w = w0; w < w1; w += g.dw) m.add(xp[h * g.iw + w], h * g.iw + w);
        op[oh * g.ow + ow] = m.best;
        ip[oh * g.ow + ow] = m.at;
      };
      if (!rows_inside) {
        for (int64_t ow = 0; ow < g.ow; ++ow) general(ow);
        continue;
      }
      for (int64_t ow = 0; ow < lo; ++ow) general(ow);
      if constexpr (KH > 0) {
        const int64_t corner = top * g.iw - g.pw;
        if (g.sw == KW)
          max_row<T, KH, KW, KW>(xp, g.iw, g.sw, corner, lo, hi, op + oh * g.ow, ip + oh * g.ow);
        else
          max_row<T, KH, KW, 0>(xp, g.iw, g.sw, corner, lo, hi, op + oh * g.ow, ip + oh * g.ow);
      }
      for (int64_t ow = hi; ow < g.ow; ++ow) general(ow);
    }
  }
}

}  // namespace pool_detail

// d max_pool2d / dx: each output's gradient added at the input position its window's maximum came
// from (indices: per plane, ih W + iw), in output order (overlapping windows accumulate)
template <class T>
struct MaxPool2DWithIndicesBackward final : autograd::Node<T> {
  Tensor<int64_t> indices;
  Size input_shape;
  int64_t planes = 0, in_plane = 0, out_plane = 0;
  const char* name() const override { return "MaxPool2DWithIndicesBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    Tensor<T> dx(input_shape);  // zeros
    detail::arrays(
        [P = planes, I = in_plane, O = out_plane](const T* pg, const int64_t* pi, T* pdx) {
          for (int64_t p = 0; p < P; ++p) {
            T* d = pdx + p * I;
            const T* gp = pg + p * O;
            const int64_t* ip = pi + p * O;
            for (int64_t o = 0; o < O; ++o) d[ip[o]] += gp[o];
          }
        },
        g, indices, dx);
    out[0] = dx;
  }
  void release() override { indices = Tensor<int64_t>(); }
};

/// max_pool2d with the indices of the maxima (per plane, ih W + iw): PyTorch's
/// max_pool2d_with_indices over [N, C, H, W] or [C, H, W]. An omitted stride (`{}`) is kernel_size.
/// The first maximum in scan order wins a tie; a NaN wins over numbers (the last NaN in scan order).
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool2d_with_indices(const Tensor<T>& x, const ExpandingArray<2>& kernel_size,
                                                                const ExpandingArray<2>& stride = {},
                                                                const ExpandingArray<2>& padding = 0,
                                                                const ExpandingArray<2>& dilation = 1,
                                                                bool ceil_mode = false) {
  using pool_detail::hw;
  const auto k = hw(kernel_size, "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
  const auto s = stride.empty() ? k : hw(stride, "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
  const auto p = hw(padding, "max_pool2d: padding must be either be a single int, or a tuple of two ints");
  const auto d = hw(dilation, "max_pool2d: dilation must be either a single int, or a tuple of two ints");
  if (x.dim() != 3 && x.dim() != 4) detail::fail({"non-empty 3D or 4D (batch mode) tensor expected for input"});
  pool_detail::Geometry g;
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = p[0], g.pw = p[1], g.dh = d[0], g.dw = d[1];
  g.ih = x.size(-2), g.iw = x.size(-1);
  g.oh = pool_detail::output_size(g.ih, g.kh, g.ph, g.sh, g.dh, ceil_mode);
  g.ow = pool_detail::output_size(g.iw, g.kw, g.pw, g.sw, g.dw, ceil_mode);
  pool_detail::shape_check(x, g);
  g.planes = pool_detail::planes_of(x);
  const Size shape = pool_detail::pooled_shape(x, g.oh, g.ow);
  Tensor<T> out(shape, detail::uninitialized);
  Tensor<int64_t> indices(shape, detail::uninitialized);
  detail::arrays(
      [g](const T* px, T* po, int64_t* pi) {
        const bool plain = g.dh == 1 && g.dw == 1;
        if (plain && g.kh == 2 && g.kw == 2)
          pool_detail::max_pool_planes<T, 2, 2>(g, px, po, pi);
        else if (plain && g.kh == 3 && g.kw == 3)
          pool_detail::max_pool_planes<T, 3, 3>(g, px, po, pi);
        else
          pool_detail::max_pool_planes<T, 0, 0>(g, px, po, pi);
      },
      x, out, indices);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<MaxPool2DWithIndicesBackward<T>>();
    node->indices = indices;
    node->input_shape = x.shape();
    node->planes = g.planes, node->in_plane = g.ih * g.iw, node->out_plane = g.oh * g.ow;
    autograd::connect(out, node, {&x});
  }
  return {out, indices};
}

/// The maximum of each kernel_size window of x's last two dims (F.max_pool2d): [N, C, H, W] or [C, H, W].
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, const ExpandingArray<2>& kernel_size, const ExpandingArray<2>& stride = {},
                     const ExpandingArray<2>& padding = 0, const ExpandingArray<2>& dilation = 1,
                     bool ceil_mode = false) {
  return std::get<0>(max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode));
}

namespace pool_detail {
/// max_pool1d's checks for the path without autograd (PyTorch's check_max_pool1d), and its size.
inline int64_t max_pool1d_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  if (k <= 0) detail::fail({"max_pool1d() kernel_size must be greater than zero, but got ", k});
  if (s <= 0) detail::fail({"max_pool1d() stride must be greater than zero, but got ", s});
  if (p < 0) detail::fail({"max_pool1d() padding must be non-negative, but got ", p});
  if (p > k / 2)
    detail::fail({"max_pool1d() padding should be at most half of kernel size, but got padding=", p, " and kernel_size=", k});
  if (d <= 0) detail::fail({"max_pool1d() dilation must be greater than zero, but got ", d});
  const int64_t out = output_size(in, k, p, s, d, ceil_mode);
  if (out < 0) detail::fail({"max_pool1d() Invalid computed output size: ", out});
  return out;
}
/// max_pool1d's kernel size, stride (the kernel size when omitted), padding and dilation, each checked
/// to be one value in PyTorch's words.
inline std::array<int64_t, 4> max_pool1d_args(const ExpandingArray<1>& kernel_size, const ExpandingArray<1>& stride,
                                              const ExpandingArray<1>& padding, const ExpandingArray<1>& dilation) {
  const int64_t k = one(kernel_size, "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got size ");
  const int64_t s = stride.empty() ? k : one(stride, "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 but got size ");
  const int64_t p = one(padding, "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got size ");
  const int64_t d = one(dilation, "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got size ");
  return {k, s, p, d};
}
}  // namespace pool_detail

/// max_pool1d with the indices of the maxima along L (F.max_pool1d(..., return_indices=True)):
/// [N, C, L] or [C, L], computed as PyTorch does, as a max_pool2d of x.unsqueeze(-2) squeezed back.
template <class T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool1d_with_indices(const Tensor<T>& x, const ExpandingArray<1>& kernel_size,
                                                               const ExpandingArray<1>& stride = {},
                                                               const ExpandingArray<1>& padding = 0,
                                                               const ExpandingArray<1>& dilation = 1,
                                                               bool ceil_mode = false) {
  const auto [k, s, p, d] = pool_detail::max_pool1d_args(kernel_size, stride, padding, dilation);
  const int64_t nd = x.dim();
  if (!((nd == 2 && x.size(0) != 0 && x.size(1) != 0) || (nd == 3 && x.size(1) != 0 && x.size(2) != 0)))
    detail::fail({"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:",
                  x.shape().list_str()});
  auto [out, indices] = max_pool2d_with_indices(x.unsqueeze(-2), {1, k}, {1, s}, {0, p}, {1, d}, ceil_mode);
  Tensor<T> values = out.squeeze(-2);
  return {values, detail::alias(indices, values.shape())};  // per plane of one row: the index along L
}

/// The maximum of each window along x's last dim (F.max_pool1d): [N, C, L] or [C, L]. Without
/// autograd, PyTorch checks with max_pool1d's own words and allows an empty output; with it, it runs
/// max_pool2d's path (and words), as here.
template <class T>
Tensor<T> max_pool1d(const Tensor<T>& x, const ExpandingArray<1>& kernel_size, const ExpandingArray<1>& stride = {},
                     const ExpandingArray<1>& padding = 0, const ExpandingArray<1>& dilation = 1,
                     bool ceil_mode = false) {
  const auto [k, s, p, d] = pool_detail::max_pool1d_args(kernel_size, stride, padding, dilation);
  const int64_t nd = x.dim();
  if (!((nd == 2 && x.size(0) != 0 && x.size(1) != 0) || (nd == 3 && x.size(1) != 0 && x.size(2) != 0)))
    detail::fail({"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:",
                  x.shape().list_str()});
  if (autograd::needs_grad(x)) return std::get<0>(max_pool1d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode));
  const int64_t ow = pool_detail::max_pool1d_size(x.size(-1), k, s, p, d, ceil_mode);
  Size shape = x.shape();
  shape[shape.size() - 1] = ow;
  if (ow == 0) return Tensor<T>(shape);
  return std::get<0>(max_pool2d_with_indices(x.unsqueeze(-2), {1, k}, {1, s}, {0, p}, {1, d}, ceil_mode)).squeeze(-2);
}

// d avg_pool2d / dx: each output's gradient divided by its window's divisor, added over the window
// (clipped to the input)
template <class T>
struct AvgPool2DBackward final : autograd::Node<T> {
  pool_detail::Geometry geometry;
  Size input_shape;
  bool count_include_pad = true;
  int64_t divisor_override = 0;
  const char* name() const override { return "AvgPool2DBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    Tensor<T> dx(input_shape);  // zeros
    detail::arrays(
        [geo = geometry, cip = count_include_pad, div = divisor_override](const T* pg, T* pdx) {
          for (int64_t p = 0; p < geo.planes; ++p) {
            T* d = pdx + p * geo.ih * geo.iw;
            const T* gp = pg + p * geo.oh * geo.ow;
            for (int64_t oh = 0; oh < geo.oh; ++oh)
              for (int64_t ow = 0; ow < geo.ow; ++ow) {
                const auto w = pool_detail::avg_window(geo, oh, ow, cip, div);
                const T delta = gp[oh * geo.ow + ow] / static_cast<T>(w.divisor);
                for (int64_t h = w.h0; h < w.h1; ++h)
                  for (int64_t c = w.w0; c < w.w1; ++c) d[h * geo.iw + c] += delta;
              }
          }
        },
        g, dx);
    out[0] = dx;
  }
};

/// The mean of each kernel_size window of x's last two dims (F.avg_pool2d): [N, C, H, W] or
/// [C, H, W]; padding counts as zeros in the divisor when count_include_pad; divisor (when given,
/// not 0) divides every window's sum instead. An omitted stride (`{}`) is kernel_size.
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, const ExpandingArray<2>& kernel_size, const ExpandingArray<2>& stride = {},
                     const ExpandingArray<2>& padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor = std::nullopt) {
  using pool_detail::hw;
  const auto k = hw(kernel_size, "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints");
  const auto s = stride.empty() ? k : hw(stride, "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
  const auto p = hw(padding, "avg_pool2d: padding must either be a single int, or a tuple of two ints");
  if (divisor && *divisor == 0) detail::fail({"divisor must be not zero"});
  const int64_t divisor_override = divisor.value_or(0);  // 0: none
  (void)x.size(-3);  // PyTorch reads the planes first: its IndexError for fewer than 3 dims
  pool_detail::Geometry g;
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = p[0], g.pw = p[1];
  g.ih = x.size(-2), g.iw = x.size(-1);
  g.oh = pool_detail::output_size(g.ih, g.kh, g.ph, g.sh, 1, ceil_mode);
  g.ow = pool_detail::output_size(g.iw, g.kw, g.pw, g.sw, 1, ceil_mode);
  pool_detail::shape_check(x, g);
  g.planes = pool_detail::planes_of(x);
  Tensor<T> out(pool_detail::pooled_shape(x, g.oh, g.ow), detail::uninitialized);
  detail::arrays(
      [g, count_include_pad, divisor_override](const T* px, T* po) {
        for (int64_t p = 0; p < g.planes; ++p) {
          const T* xp = px + p * g.ih * g.iw;
          T* op = po + p * g.oh * g.ow;
          for (int64_t oh = 0; oh < g.oh; ++oh)
            for (int64_t ow = 0; ow < g.ow; ++ow) {
              const auto w = pool_detail::avg_window(g, oh, ow, count_include_pad, divisor_override);
              T sum = 0;
              if (!w.empty())
                for (int64_t h = w.h0; h < w.h1; ++h)
                  for (int64_t c = w.w0; c < w.w1; ++c) sum += xp[h * g.iw + c];
              op[oh * g.ow + ow] = w.empty() ? T(0) : sum / static_cast<T>(w.divisor);
            }
        }
      },
      x, out);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<AvgPool2DBackward<T>>();
    node->geometry = g;
    node->input_shape = x.shape();
    node->count_include_pad = count_include_pad;
    node->divisor_override = divisor_override;
    autograd::connect(out, node, {&x});
  }
  return out;
}

// d adaptive_avg_pool2d / dx: each output's gradient divided by its window's height, then width,
// added over the window; for the 1x1 output (a mean), g / (H W) everywhere
template <class T>
struct AdaptiveAvgPool2DBackward final : autograd::Node<T> {
  Size input_shape;
  int64_t planes = 0, ih = 0, iw = 0, oh = 0, ow = 0;
  bool mean = false;  // the 1x1 output: PyTorch's mean over the last two dims
  const char* name() const override { return mean ? "MeanBackward1" : "AdaptiveAvgPool2DBackward0"; }
  void apply(Tensor<T>& g, std::vector<Tensor<T>>& out) override {
    Tensor<T> dx(input_shape);  // zeros
    detail::arrays(
        [P = planes, IH = ih, IW = iw, OH = oh, OW = ow, mean = mean](const T* pg, T* pdx) {
          for (int64_t p = 0; p < P; ++p) {
            T* d = pdx + p * IH * IW;
            const T* gp = pg + p * OH * OW;
            if (mean) {
              const T v = gp[0] / static_cast<T>(IH * IW);
              for (int64_t i = 0; i < IH * IW; ++i) d[i] = v;
              continue;
            }
            for (int64_t oh = 0; oh < OH; ++oh) {
              const int64_t h0 = pool_detail::start_index(oh, OH, IH), h1 = pool_detail::end_index(oh, OH, IH);
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t w0 = pool_detail::start_index(ow, OW, IW), w1 = pool_detail::end_index(ow, OW, IW);
                const T delta = gp[oh * OW + ow] / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
                for (int64_t h = h0; h < h1; ++h)
                  for (int64_t w = w0; w < w1; ++w) d[h * IW + w] += delta;
              }
            }
          }
        },
        g, dx);
    out[0] = dx;
  }
};

/// The mean of each of output_size's windows (PyTorch's start/end indices) over x's last two dims
/// (F.adaptive_avg_pool2d): [N, C, H, W] or [C, H, W]. For a 1x1 output PyTorch takes
/// x.mean({-1, -2}, keepdim) instead, on any input of 2 dims or more, and so does this.
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& x, const ExpandingArray<2>& output_size) {
  if (output_size.size() != 2) detail::fail({"adaptive_avg_pool2d: output_size must be 2"});
  if (output_size[0] < 0 || output_size[1] < 0)
    detail::fail({"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {",
                  output_size[0], ", ", output_size[1], "}"});
  const bool mean = output_size == ExpandingArray<2>(1);
  if (mean) {
    (void)x.size(-2);  // mean's IndexError for a 1-D or 0-d input
  } else {
    if (x.dim() != 3 && x.dim() != 4)
      detail::fail({"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ", x.shape().list_str()});
    for (int64_t d : {-2, -1})
      if (x.size(d) <= 0)
        detail::fail({"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input "
                      "has sizes ", x.shape().list_str(), " with dimension ", d + x.dim(), " being empty"});
  }
  const int64_t planes = pool_detail::planes_of(x), ih = x.size(-2), iw = x.size(-1);
  const int64_t oh = output_size[0], ow = output_size[1];
  Tensor<T> out(pool_detail::pooled_shape(x, oh, ow), detail::uninitialized);
  detail::arrays(
      [planes, ih, iw, oh, ow, mean](const T* px, T* po) {
        for (int64_t p = 0; p < planes; ++p) {
          const T* xp = px + p * ih * iw;
          T* op = po + p * oh * ow;
          if (mean) {  // mean = sum / n, the sum in PyTorch's order
            op[0] = detail::sum_contiguous(xp, ih * iw) / static_cast<T>(ih * iw);
            continue;
          }
          for (int64_t i = 0; i < oh; ++i) {
            const int64_t h0 = pool_detail::start_index(i, oh, ih), h1 = pool_detail::end_index(i, oh, ih);
            for (int64_t j = 0; j < ow; ++j) {
              const int64_t w0 = pool_detail::start_index(j, ow, iw), w1 = pool_detail::end_index(j, ow, iw);
              T sum = 0;
              for (int64_t h = h0; h < h1; ++h)
                for (int64_t w = w0; w < w1; ++w) sum += xp[h * iw + w];
              op[i * ow + j] = sum / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
            }
          }
        }
      },
      x, out);
  if (autograd::needs_grad(x)) {
    auto node = detail::make_pooled<AdaptiveAvgPool2DBackward<T>>();
    node->input_shape = x.shape();
    node->planes = planes, node->ih = ih, node->iw = iw, node->oh = oh, node->ow = ow;
    node->mean = mean;
    autograd::connect(out, node, {&x});
  }
  return out;
}

}  // namespace ops
}  // namespace eigentorch
