// The data-access helpers every op goes through: the only code in ops/ that reads or writes tensor
// elements, and so the only callers of detail::kernel (which records each call for a CPUGraph
// replay). An op hands them scalar functions (or, rarely, whole-array ones) and never sees the capture.
//   map(f, a, b, ...)         a new tensor out[i] = f(a[i], b[i], ...), the inputs broadcast together
//                             (map_to: broadcast to a given shape; zip: inputs of a's shape or scalars;
//                             map_as<U>: results of another element type, a comparison's bools)
//   map_block(f, a)           a new tensor filled by f(a.data(), out.data(), n): a vectorised function
//   arrays(f, a, b, ...)      f(a.data(), b.data(), ...): whole-array loops over several tensors
//                             (normalisation statistics), writing only into tensors the op made
//   block_to(shape, f, a...)  a new tensor filled by f(out.data(), a.data(), ...), inputs of any element
//                             types (an op picking elements by class index: nll_loss, one_hot)
//   write(self, f, a, ...)    self[i] = f(a[i], ...) in place (self may be among the inputs), and the
//                             version bumped; fill(self, v) writes v everywhere
//   lanes(dim, f, out, a...)  f(out's lane, a's lane, ...) for every 1-D lane along dim (softmax)
//   reduce_all(f, a, ...)     a 0-d tensor holding f(n, a.data(), ...) (sum_of: a sum in PyTorch's
//                             order, for such an f); sum_to, sum_along: sums in PyTorch's order over
//                             broadcast dims, along one dim; reduce_lanes: f(lane) for every lane
//                             along a dim (argmax, prod, var)
//   positions(shape, f, idx)  where each element of an op that takes by index tensors comes from;
//                             take(x, pos) reads there, put_add(base, pos, v) adds there; take_rows,
//                             put_rows: whole rows by a 1-D index (index_select); take_along,
//                             put_along: along a dim by an index of the result's rank (gather)
//   product(...)              matrix products through detail::gemm; transposed: a transposed copy
//   alias(x, shape)           x's storage under another shape (no data touched, no kernel)
//   copy_window(src, w, dst, v)  dst's strided window v = src's window w: part of a tensor, or its
//                             dims reordered or repeated (select, slice, permute, repeat)
//   copy_rows(src, dst, ...)  src into a band of dst's rows (cat, stack)
// Each helper call is one kernel; the function is copied into it (capture its state by value).
#pragma once

#include "../tensor/tensor.hpp"
#include "../backend/gemm.hpp"
#include "../backend/sum_order.hpp"

#include <algorithm>  // copy, equal, fill
#include <array>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>  // index_sequence, move, swap
#include <vector>

namespace eigentorch::detail {

// ---- broadcasting --------------------------------------------------------------------------------

/// Strides (in elements) of `shape` seen through the broadcast `out` shape: 0 along broadcast dims.
inline std::vector<int64_t> broadcast_strides(const Size& shape, const Size& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const std::size_t d = shape.size() - 1 - i;  // from the last dim
    const std::size_t od = out.size() - 1 - i;
    strides[od] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

/// Calls visit(i, at) for every element i of the broadcast shape `out`, in row-major order, at[j]
/// being the matching element of an operand of shape *ins[j]; an odometer keeps them, no division.
template <std::size_t N, class Visit>
void for_each_broadcast(const Size& out, const std::array<const Size*, N>& ins, Visit visit) {
  const int64_t n = out.numel();
  if (n == 0) return;
  std::array<std::vector<int64_t>, N> strides;
  for (std::size_t j = 0; j < N; ++j) strides[j] = broadcast_strides(*ins[j], out);
  const std::size_t nd = out.size();
  std::vector<int64_t> counter(nd, 0);
  std::array<int64_t, N> at{};
  for (int64_t i = 0; i < n; ++i) {
    visit(i, at);
    for (std::size_t d = nd; d-- > 0;) {  // advance the odometer
      if (++counter[d] < out[d]) {
        for (std::size_t j = 0; j < N; ++j) at[j] += strides[j][d];
        break;
      }
      for (std::size_t j = 0; j < N; ++j) at[j] -= strides[j][d] * (out[d] - 1);
      counter[d] = 0;
    }
  }
}

/// The shape the inputs broadcast to (the first input's own, when they all agree).
template <class T, class... Ts>
Size broadcast_all(const Tensor<T>& a, const Ts&... rest) {
  if (((rest.shape() == a.shape()) && ...)) return a.shape();
  Size s = a.shape();
  ((s = broadcast_shapes(s, rest.shape())), ...);
  return s;
}

/// v as U the way PyTorch's CPU kernels convert (C casts), with no undefined behaviour: a NaN or an
/// out-of-range value becomes INT64_MIN, as x86's conversion instruction gives PyTorch.
template <class U, class T>
U convert(T v) {
  if constexpr (std::is_same_v<U, bool>) {
    return v != T(0);
  } else if constexpr (std::is_integral_v<U> && std::is_floating_point_v<T>) {
    constexpr T limit = T(9223372036854775808.0);  // 2^63
    return (v >= -limit && v < limit) ? static_cast<U>(v) : std::numeric_limits<U>::min();
  } else {
    return static_cast<U>(v);
  }
}

/// a + b; for integers wrapping around as PyTorch's do (in uint64: no signed overflow).
template <class T>
T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else
    return a + b;
}

// ---- the loops (run inside kernels) --------------------------------------------------------------

/// How a loop's inputs meet out's shape, decided when the op runs (a CPUGraph replay only loops):
/// whole[j] for an input of out's shape (else one element, read at 0), `odometer` when some input
/// needs general broadcasting.
template <std::size_t N>
struct Plan {
  std::array<bool, N> whole;
  bool odometer;
};

template <class T, class... Ins>
Plan<sizeof...(Ins)> plan(const Size& out, const Ins&... ins) {
  return {{(ins.shape() == out)...}, ((ins.shape() != out && ins.numel() != 1) || ...)};
}

/// out[i] = f(in[i]...), each input broadcast to out's shape as `plan` says: one pass for equal
/// shapes, one that reads one-element inputs at 0, else (Full only) the odometer.
// NOTE: each loop is compile time that every program including eigentorch pays, per function f:
// zip, whose inputs never need the odometer, does not build it.
template <bool Full, class T, class U, class F, std::size_t N, std::size_t... J>
void map_loop(const F& f, const Tensor<U>& out, const std::array<const Tensor<T>*, N>& in, const Plan<N>& plan,
              std::index_sequence<J...>) {
  U* po = out.data();
  const int64_t n = out.numel();
  const std::array<const T*, N> p{in[J]->data()...};
  if ((plan.whole[J] && ...)) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(p[J][i]...);
  } else if (!Full || !plan.odometer) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(p[J][plan.whole[J] ? i : 0]...);
  } else if constexpr (Full) {
    for_each_broadcast<N>(out.shape(), {&in[J]->shape()...},
                          [&](int64_t i, const std::array<int64_t, N>& at) { po[i] = f(p[J][at[J]]...); });
  }
}

template <bool Full = true, class U, class F, class In, class... Ins>
void map_into(const F& f, const Tensor<U>& out, const Plan<1 + sizeof...(Ins)>& plan, const In& a, const Ins&... ins) {
  using T = typename In::Scalar;
  map_loop<Full, T>(f, out, std::array<const Tensor<T>*, 1 + sizeof...(Ins)>{&a, &ins...}, plan,
                    std::index_sequence_for<In, Ins...>{});
}

/// f(v) = v: one type for every copy, so that its loops are compiled once.
struct Identity {
  template <class T>
  T operator()(T v) const { return v; }
};

/// f(n, v) = the sum of v[0..n) in PyTorch's order, for reduce_all.
struct SumAll {
  template <class T>
  T operator()(int64_t n, const T* v) const { return sum_contiguous(v, n); }
};

// ---- the helpers ---------------------------------------------------------------------------------

/// A new tensor of `shape` and element type U (T by default), out[i] = f(a[i], rest[i]...), each
/// input broadcast to it; no autograd.
template <class U = void, class F, class T, class... Ts, class R = std::conditional_t<std::is_void_v<U>, T, U>>
Tensor<R> map_to(const Size& shape, F f, const Tensor<T>& a, const Ts&... rest) {
  Tensor<R> out(shape, uninitialized);
  kernel([](const F& f, const Tensor<R>& out, const Plan<1 + sizeof...(Ts)>& plan, const Tensor<T>& a,
            const Ts&... rest) { map_into(f, out, plan, a, rest...); },
         f, out, plan<T>(shape, a, rest...), a, rest...);
  return out;
}

/// map with results of another element type U: a comparison's bools, a conversion's numbers.
template <class U, class F, class T, class... Ts>
Tensor<U> map_as(F f, const Tensor<T>& a, const Ts&... rest) {
  return map_to<U>(broadcast_all(a, rest...), f, a, rest...);
}

/// map for inputs known to have a's shape, or one element (no general broadcasting to compile).
template <class F, class T, class... Ts>
Tensor<T> zip(F f, const Tensor<T>& a, const Ts&... rest) {
  Tensor<T> out(a.shape(), uninitialized);
  kernel([](const F& f, const Tensor<T>& out, const Plan<1 + sizeof...(Ts)>& plan, const Tensor<T>& a,
            const Ts&... rest) { map_into<false>(f, out, plan, a, rest...); },
         f, out, plan<T>(a.shape(), a, rest...), a, rest...);
  return out;
}

/// A new tensor out[i] = f(a[i], rest[i]...), the inputs broadcast together; no autograd.
template <class F, class T, class... Ts>
Tensor<T> map(F f, const Tensor<T>& a, const Ts&... rest) {
  if constexpr (sizeof...(Ts) > 0) {
    return map_to(broadcast_all(a, rest...), f, a, rest...);
  } else {  // one input: nothing to broadcast
    return zip(f, a);
  }
}

/// A new tensor of a's shape filled by f(a.data(), out.data(), numel): a function that handles a
/// whole array at once (a vectorised tanh); no autograd.
template <class F, class T>
Tensor<T> map_block(F f, const Tensor<T>& a) {
  Tensor<T> out(a.shape(), uninitialized);
  kernel([](const F& f, const Tensor<T>& a, const Tensor<T>& out) { f(a.data(), out.data(), a.numel()); }, f, a, out);
  return out;
}

/// f(a.data(), rest.data()...): a whole-array function over several tensors at once, for ops whose
/// loops do not fit the maps and lanes above (a normalisation's row statistics and its outputs). f
/// carries its sizes by value; it writes only into tensors the op has just made (no version bump).
template <class F, class T, class... Ts>
void arrays(F f, const Tensor<T>& a, const Ts&... rest) {
  kernel([](const F& f, const Tensor<T>& a, const Ts&... rest) { f(a.data(), rest.data()...); }, f, a, rest...);
}

/// A new tensor of `shape` (element type U, T's by default) filled whole by f(out.data(), a.data(),
/// rest.data()...): the inputs may have other element types and shapes (class indices, a weight per
/// class); f knows the layout and writes every element.
template <class U = void, class F, class T, class... Ts, class R = std::conditional_t<std::is_void_v<U>, T, U>>
Tensor<R> block_to(const Size& shape, F f, const Tensor<T>& a, const Ts&... rest) {
  Tensor<R> out(shape, uninitialized);
  arrays(f, out, a, rest...);
  return out;
}

/// A new tensor out[i] = cond[i] ? a[i] : b[i], all three of one shape (where's common case: one pass,
/// a blend the compiler vectorises).
template <class T>
Tensor<T> choose(const Tensor<bool>& cond, const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out(a.shape(), uninitialized);
  kernel(
      [](const Tensor<bool>& cond, const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& out) {
        // The mask read as bytes (0 or 1) and both values read before the choice: g++ then vectorises
        // the select; from a bool, or reading only the chosen value, it branches per element,
        // mispredicted half the time on a random mask (10x slower).
        const auto* pc = reinterpret_cast<const unsigned char*>(cond.data());
        const T *pa = a.data(), *pb = b.data();
        T* po = out.data();
        for (int64_t i = 0, n = out.numel(); i < n; ++i) {
          const T x = pa[i], y = pb[i];
          po[i] = pc[i] ? x : y;
        }
      },
      cond, a, b, out);
  return out;
}

/// self[i] = f(ins[i]...) in place, each input broadcast to self's shape (self may be one of them),
/// and self's version bumped (saved copies of it are then stale, as after any in-place op).
template <class F, class T, class... Ts>
void write(const Tensor<T>& self, F f, const Ts&... ins) {
  kernel(
      [](const F& f, const Tensor<T>& self, const Plan<sizeof...(Ts)>& plan, const Ts&... ins) {
        map_into(f, self, plan, ins...);
        ++self.impl()->storage->version;
      },
      f, self, plan<T>(self.shape(), ins...), ins...);
}

/// Every element of self set to v, in place (version bumped).
template <class T>
void fill(const Tensor<T>& self, T v) {
  kernel(
      [](const Tensor<T>& self, T v) {
        std::fill(self.data(), self.data() + self.numel(), v);
        ++self.impl()->storage->version;
      },
      self, v);
}

/// One 1-D lane of a tensor along a dim: element k at p[k * stride].
template <class P>
struct Lane {
  P* p;
  int64_t n, stride;
  P& operator[](int64_t k) const { return p[k * stride]; }
  int64_t size() const { return n; }
};

template <class T, class F, std::size_t N, std::size_t... J>
void lanes_loop(const F& f, int64_t d, const Tensor<T>& out, const std::array<const Tensor<T>*, N>& in,
                std::index_sequence<J...>) {
  const Size& s = out.shape();
  int64_t outer = 1, inner = 1;
  const int64_t n = s.empty() ? 1 : s[static_cast<std::size_t>(d)];
  for (int64_t i = 0; i < d; ++i) outer *= s[static_cast<std::size_t>(i)];
  for (int64_t i = d + 1; i < static_cast<int64_t>(s.size()); ++i) inner *= s[static_cast<std::size_t>(i)];
  T* po = out.data();
  const std::array<const T*, N> p{in[J]->data()...};
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      f(Lane<T>{po + base, n, inner}, Lane<const T>{p[J] + base, n, inner}...);
    }
}

/// f(out's lane, ins' lanes...) for every lane along `dim` (all the tensors have out's shape; a 0-d
/// tensor is one lane of one element). f reads its lanes and writes out's.
template <class F, class T, class... Ts>
void lanes(int64_t dim, F f, const Tensor<T>& out, const Ts&... ins) {
  kernel(
      [](const F& f, int64_t d, const Tensor<T>& out, const Ts&... ins) {
        lanes_loop<T>(f, d, out, std::array<const Tensor<T>*, sizeof...(Ts)>{&ins...}, std::index_sequence_for<Ts...>{});
      },
      f, wrap_dim(dim, out.dim()), out, ins...);
}

/// A reduction along dim d of a tensor of shape s: the result's shape (d kept as size 1, or removed),
/// and the loop sizes around d (outer blocks, n along d, inner elements apart).
// NOTE: the shape is built in a Size, not a std::vector: a bias gradient goes through here every
// training step, which must make no heap allocation.
struct ReducedDim {
  Size shape;
  int64_t outer = 1, n = 1, inner = 1;
  ReducedDim(const Size& s, int64_t d, bool keepdim) : shape(s) {
    const auto at = static_cast<std::size_t>(d);
    n = s[at];
    for (std::size_t i = 0; i < at; ++i) outer *= s[i];
    for (std::size_t i = at + 1; i < s.size(); ++i) inner *= s[i];
    if (keepdim) {
      shape[at] = 1;
    } else {
      for (std::size_t i = at; i + 1 < shape.size(); ++i) shape[i] = shape[i + 1];
      shape = Size(shape.begin(), shape.size() - 1);
    }
  }
};

/// A new tensor of U: x reduced along dim d (the dim kept as size 1, or removed), each result f(lane)
/// of x's lane along d (a Lane<const T>: lane[k], lane.size()). For reductions that are not sums
/// (argmax, max with its index).
template <class U, class F, class T>
Tensor<U> reduce_lanes(int64_t d, bool keepdim, F f, const Tensor<T>& x) {
  const ReducedDim r(x.shape(), d, keepdim);
  Tensor<U> out(r.shape, uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& x, const Tensor<U>& out, int64_t outer, int64_t n, int64_t inner) {
        const T* px = x.data();
        U* po = out.data();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) po[o * inner + i] = f(Lane<const T>{px + o * n * inner + i, n, inner});
      },
      f, x, out, r.outer, r.n, r.inner);
  return out;
}

/// A new int64 tensor of `shape`, pos[i] = f(i, idx.data()) for every flat i: where an op that takes
/// elements by index reads each output element from (f checks the index and may throw).
template <class F, class I>
Tensor<int64_t> positions(const Size& shape, F f, const Tensor<I>& idx) {
  Tensor<int64_t> out(shape, uninitialized);
  kernel(
      [](const F& f, const Tensor<int64_t>& out, const Tensor<I>& idx) {
        int64_t* po = out.data();
        const I* pi = idx.data();
        for (int64_t i = 0, n = out.numel(); i < n; ++i) po[i] = f(i, pi);
      },
      f, out, idx);
  return out;
}

/// A new tensor of `shape`: for x seen as [outer, n, inner] and an index tensor of m elements,
/// out[o, j, :] = x[o, f(idx[j]), :], whole rows copied (f checks an index, may throw, and wraps a
/// negative one).
template <class T, class F>
Tensor<T> take_rows(const Tensor<T>& x, const Size& shape, int64_t outer, int64_t n, int64_t inner,
                    const Tensor<int64_t>& idx, F f) {
  Tensor<T> out(shape, uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& x, const Tensor<T>& out, int64_t outer, int64_t n, int64_t inner,
         const Tensor<int64_t>& idx) {
        const T* px = x.data();
        T* po = out.data();
        const int64_t* pi = idx.data();
        const int64_t m = idx.numel();
        for (int64_t j = 0; j < m; ++j) f(pi[j]);  // every index checked before anything is written
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < m; ++j) {
            const T* row = px + (o * n + f(pi[j])) * inner;
            std::copy(row, row + inner, po + (o * m + j) * inner);
          }
      },
      f, x, out, outer, n, inner, idx);
  return out;
}

/// A copy of base (seen as [outer, n, inner]) with g's rows added at the rows take_rows read them
/// from, in order (index_add's accumulation).
template <class T, class F>
Tensor<T> put_rows(const Tensor<T>& base, int64_t outer, int64_t n, int64_t inner, const Tensor<int64_t>& idx,
                   const Tensor<T>& g, F f) {
  Tensor<T> out(base.shape(), uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& base, const Tensor<T>& out, int64_t outer, int64_t n, int64_t inner,
         const Tensor<int64_t>& idx, const Tensor<T>& g) {
        T* po = out.data();
        std::copy(base.data(), base.data() + base.numel(), po);
        const T* pg = g.data();
        const int64_t* pi = idx.data();
        const int64_t m = idx.numel();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < m; ++j) {
            T* row = po + (o * n + f(pi[j])) * inner;
            const T* grow = pg + (o * m + j) * inner;
            for (int64_t k = 0; k < inner; ++k) row[k] = wrapping_add(row[k], grow[k]);
          }
      },
      f, base, out, outer, n, inner, idx, g);
  return out;
}

/// A new tensor of pos's shape: out[i] = x[pos[i]] (take_rows with rows of one element).
template <class T>
Tensor<T> take(const Tensor<T>& x, const Tensor<int64_t>& pos) {
  return take_rows(x, pos.shape(), 1, x.numel(), 1, pos, Identity{});
}

/// A copy of base with values[i] added at pos[i], in order of i (repeated positions accumulate, in
/// PyTorch's order): put_rows with rows of one element.
template <class T>
Tensor<T> put_add(const Tensor<T>& base, const Tensor<int64_t>& pos, const Tensor<T>& values) {
  return put_rows(base, 1, base.numel(), 1, pos, values, Identity{});
}


/// A 0-d tensor holding f(n, a.data(), rest.data()...), n = a.numel(): a whole-array reduction (a
/// sum in PyTorch's order, a dot product, a loss).
// (U: the result's element type, T's by default; all() and any() give bool.)
template <class U = void, class F, class T, class... Ts, class R = std::conditional_t<std::is_void_v<U>, T, U>>
Tensor<R> reduce_all(F f, const Tensor<T>& a, const Ts&... rest) {
  Tensor<R> out(Size{}, uninitialized);
  kernel([](const F& f, const Tensor<R>& out, const Tensor<T>& a,
            const Ts&... rest) { out.data()[0] = f(a.numel(), a.data(), rest.data()...); },
         f, out, a, rest...);
  return out;
}

/// The sum of n values elem(i), in PyTorch's order (the values are formed first: the order depends
/// on all of them). For reduce_all's functions.
template <class T, class Elem>
T sum_of(int64_t n, Elem elem) {
  constexpr int64_t kOnStack = 256;
  T on_stack[kOnStack];
  T* v = on_stack;
  if (n > kOnStack) {
    thread_local std::vector<T> on_heap;  // (declared here: a thread_local costs a call where it is)
    on_heap.resize(static_cast<std::size_t>(n));
    v = on_heap.data();
  }
  for (int64_t i = 0; i < n; ++i) v[i] = elem(i);
  return sum_contiguous(v, n);
}

/// x summed along dim d (kept as size 1, or removed), in PyTorch's order, divided by the dim's size
/// for a mean.
template <class T>
Tensor<T> sum_along(const Tensor<T>& x, int64_t d, bool keepdim, bool mean) {
  const ReducedDim r(x.shape(), d, keepdim);  // sizes decided once: a CPUGraph replay only loops
  Tensor<T> out(r.shape, uninitialized);
  kernel(
      [](const Tensor<T>& x, const Tensor<T>& out, int64_t outer, int64_t n, int64_t inner, bool mean) {
        const T* px = x.data();
        T* po = out.data();
        for (int64_t o = 0; o < outer; ++o) {
          if (inner == 1)
            po[o] = sum_contiguous(px + o * n, n);
          else
            sum_columns(px + o * n * inner, n, inner, po + o * inner);
        }
        if (mean)
          for (int64_t i = 0, m = outer * inner; i < m; ++i) po[i] /= static_cast<T>(n);
      },
      x, out, r.outer, r.n, r.inner, mean);
  return out;
}

/// Sums g over the dims that broadcasting expanded, so the result has `shape` (the adjoint of
/// broadcasting). Returns g itself when nothing was broadcast.
template <class T>
Tensor<T> sum_to(const Tensor<T>& g, const Size& shape) {
  if (g.shape() == shape) return g;
  Tensor<T> out(shape, uninitialized);
  kernel(
      [](const Tensor<T>& g, const Tensor<T>& out) {
        const Size& shape = out.shape();
        // Common case, a bias-like operand: shape (less leading 1s) equals g's trailing dims.
        std::size_t lead = 0;
        while (lead < shape.size() && shape[lead] == 1) ++lead;
        const std::size_t rest = shape.size() - lead;
        if (rest <= g.shape().size() && std::equal(shape.begin() + static_cast<std::ptrdiff_t>(lead), shape.end(),
                                                   g.shape().end() - static_cast<std::ptrdiff_t>(rest))) {
          const int64_t cols = shape.numel();
          sum_columns(g.data(), cols ? g.numel() / cols : 0, cols, out.data());
          return;
        }
        T* po = out.data();
        const T* pg = g.data();
        std::fill(po, po + out.numel(), T(0));
        for_each_broadcast<2>(g.shape(), {&g.shape(), &shape},
                              [&](int64_t i, const std::array<int64_t, 2>& at) { po[at[1]] += pg[i]; });
      },
      g, out);
  return out;
}

/// c = op(a) op(b) (+ bias on every row; a one-element bias on every element): n x m from n x k and
/// k x m, op a transpose where asked (an operand layout, never a copy); `batch` products of
/// consecutive matrices.
template <class T>
void product(int64_t n, int64_t m, int64_t k, const Tensor<T>& a, bool trans_a, const Tensor<T>& b, bool trans_b,
             const Tensor<T>& c, const Tensor<T>& bias = Tensor<T>(), int64_t batch = 1) {
  kernel(
      [](int64_t n, int64_t m, int64_t k, const Tensor<T>& a, bool ta, const Tensor<T>& b, bool tb, const Tensor<T>& c,
         const Tensor<T>& bias, int64_t batch) {
        const T* pa = a.data();
        const T* pb = b.data();
        T* pc = c.data();
        const T* pbias = bias.defined() ? bias.data() : nullptr;
        if (pbias && bias.numel() != m) {  // one element for every column: spread into a row
          thread_local std::vector<T> row;  // (declared here: a thread_local costs a call where it is)
          row.assign(static_cast<std::size_t>(m), pbias[0]);
          pbias = row.data();
        }
        for (int64_t i = 0; i < batch; ++i) gemm(n, m, k, pa + i * n * k, ta, pb + i * k * m, tb, pc + i * n * m, pbias);
      },
      n, m, k, a, trans_a, b, trans_b, c, bias, batch);
}

/// A strided window on a tensor's elements: element (i0, i1, ...) of `shape` is the element at
/// offset + i0 strides[0] + i1 strides[1] + ... of the tensor's row-major storage.
struct Window {
  Size shape;
  Size strides;  // (a Size: up to Size::kInline dims, a window costs no heap allocation)
  int64_t offset = 0;
  /// All of a tensor of `shape`, in its own order. A shape with no elements gets strides of 0: no
  /// element is ever addressed, and its other dims may multiply past int64 ([0, 2^62, 2^62], which
  /// PyTorch makes too), so their products are not taken.
  static Window whole(const Size& shape) {
    Size strides = shape;
    const bool empty = std::find(shape.begin(), shape.end(), int64_t{0}) != shape.end();
    int64_t s = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      strides[d] = empty ? 0 : s;
      if (!empty) s *= shape[d];
    }
    return {shape, std::move(strides), 0};
  }
};

/// dst's window `to` = src's window `from` (of one shape), element by element; no autograd, no
/// version bump (dst is a tensor the op is making). A zero stride in `from` reads one element again.
template <class T>
void copy_window(const Tensor<T>& src, const Window& from, const Tensor<T>& dst, const Window& to) {
  kernel(
      [](const Tensor<T>& src, const Window& from, const Tensor<T>& dst, const Window& to) {
        const Size& shape = from.shape;
        const int64_t n = shape.numel();
        if (n == 0) return;
        // The trailing dims that are contiguous in both windows are copied as one run each step.
        std::size_t nd = shape.size();
        int64_t run = 1;
        while (nd > 0 && from.strides[nd - 1] == run && to.strides[nd - 1] == run) run *= shape[--nd];
        Size counter = shape;
        for (std::size_t d = 0; d < nd; ++d) counter[d] = 0;
        const T* ps = src.data();
        T* pd = dst.data();
        for (int64_t i = 0, a = from.offset, b = to.offset; i < n; i += run) {  // an odometer over the rest
          std::copy(ps + a, ps + a + run, pd + b);
          for (std::size_t d = nd; d-- > 0;) {
            if (++counter[d] < shape[d]) {
              a += from.strides[d];
              b += to.strides[d];
              break;
            }
            a -= from.strides[d] * (shape[d] - 1);
            b -= to.strides[d] * (shape[d] - 1);
            counter[d] = 0;
          }
        }
      },
      src, from, dst, to);
}

/// dst[o * pitch + offset + k] = src[o * run + k] for o < rows, k < run: src's elements, as rows of
/// `run`, copied into a band of dst's rows of `pitch` (cat and stack: each input fills a band of the
/// result's rows; cheaper to set up than copy_window's windows). No autograd, no version bump.
template <class T>
void copy_rows(const Tensor<T>& src, const Tensor<T>& dst, int64_t rows, int64_t run, int64_t pitch, int64_t offset) {
  kernel(
      [](const Tensor<T>& src, const Tensor<T>& dst, int64_t rows, int64_t run, int64_t pitch, int64_t offset) {
        const T* ps = src.data();
        T* pd = dst.data() + offset;
        for (int64_t o = 0; o < rows; ++o) std::copy(ps + o * run, ps + (o + 1) * run, pd + o * pitch);
      },
      src, dst, rows, run, pitch, offset);
}

/// Calls visit(i, p) for every element i of an index tensor of shape `at_shape` (row-major order), p
/// being the flat position, in a tensor of `shape` (of as many dims), of i's coordinates with the one
/// along d replaced by idx[i]: where gather reads and scatter_add writes. The indices are checked a
/// row at a time before that row is visited (in one branch-free, vectorised pass, while the row is in
/// cache): f(v) throws for the first index v outside [0, size of dim d). A row-wise loop under an
/// odometer, no division.
template <class F, class Visit>
void for_each_along(const Size& at_shape, const Size& shape, int64_t d, const int64_t* idx, const F& f, Visit visit) {
  const int64_t n = at_shape.numel();
  if (n == 0) return;
  const auto size = static_cast<uint64_t>(shape.size() == 0 ? 1 : shape[static_cast<std::size_t>(d)]);
  const auto check = [&](int64_t from, int64_t count) {
    uint64_t top = 0;  // the largest index as unsigned: a negative one is larger than any size
    for (int64_t i = from; i < from + count; ++i) top = std::max(top, static_cast<uint64_t>(idx[i]));
    if (top >= size)
      for (int64_t i = from; i < from + count; ++i)
        if (static_cast<uint64_t>(idx[i]) >= size) f(idx[i]);
  };
  if (at_shape.size() == 0) {  // a 0-d tensor: one element
    check(0, 1);
    return visit(0, idx[0]);
  }
  const std::size_t nd = at_shape.size();
  Size step = Window::whole(shape).strides;
  const int64_t sd = step[static_cast<std::size_t>(d)];
  step[static_cast<std::size_t>(d)] = 0;  // the coordinate along d comes from the index
  const int64_t last = at_shape[nd - 1], sl = step[nd - 1];
  Size counter = at_shape;  // over all dims but the last
  for (std::size_t a = 0; a < nd; ++a) counter[a] = 0;
  for (int64_t i = 0, base = 0; i < n; i += last) {
    check(i, last);
    for (int64_t k = 0; k < last; ++k) visit(i + k, base + k * sl + idx[i + k] * sd);
    for (std::size_t a = nd - 1; a-- > 0;) {
      if (++counter[a] < at_shape[a]) {
        base += step[a];
        break;
      }
      base -= step[a] * (at_shape[a] - 1);
      counter[a] = 0;
    }
  }
}

/// A new tensor of idx's shape: out[i] = x at idx's coordinates i with the one along d replaced by
/// idx[i] (gather; f(v) throws for an index v out of range).
template <class T, class F>
Tensor<T> take_along(const Tensor<T>& x, int64_t d, const Tensor<int64_t>& idx, F f) {
  Tensor<T> out(idx.shape(), uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& x, int64_t d, const Tensor<int64_t>& idx, const Tensor<T>& out) {
        const T* px = x.data();
        T* po = out.data();
        for_each_along(idx.shape(), x.shape(), d, idx.data(), f, [px, po](int64_t i, int64_t p) { po[i] = px[p]; });
      },
      f, x, d, idx, out);
  return out;
}

/// A copy of base with values[i] (values of idx's shape) added where take_along reads element i, in
/// order of i (repeated positions accumulate in PyTorch's order: scatter_add).
template <class T, class F>
Tensor<T> put_along(const Tensor<T>& base, int64_t d, const Tensor<int64_t>& idx, const Tensor<T>& values, F f) {
  Tensor<T> out(base.shape(), uninitialized);
  kernel(
      [](const F& f, const Tensor<T>& base, int64_t d, const Tensor<int64_t>& idx, const Tensor<T>& values,
         const Tensor<T>& out) {
        T* po = out.data();
        std::copy(base.data(), base.data() + base.numel(), po);
        const T* pv = values.data();
        for_each_along(idx.shape(), base.shape(), d, idx.data(), f,
                       [po, pv](int64_t i, int64_t p) { po[p] = wrapping_add(po[p], pv[i]); });
      },
      f, base, d, idx, values, out);
  return out;
}

/// A tensor with x's storage and another shape (numel must agree); no autograd, no kernel.
template <class T>
Tensor<T> alias(const Tensor<T>& x, const Size& shape) {
  auto impl = make_pooled<TensorImpl<T>>();
  impl->storage = x.impl()->storage;
  impl->shape = shape;
  return Tensor<T>(std::move(impl));
}

/// x with dims dim0 and dim1 (wrapped) swapped, copied into row-major order; no autograd.
template <class T>
Tensor<T> transposed(const Tensor<T>& x, int64_t dim0, int64_t dim1) {
  if (dim0 == dim1 || x.dim() < 2 || x.numel() == 0)  // nothing moves (0-d and 1-d included)
    return map(Identity{}, x);
  std::vector<int64_t> shape = x.shape().vec();
  std::swap(shape[static_cast<std::size_t>(dim0)], shape[static_cast<std::size_t>(dim1)]);
  Tensor<T> out(Size(shape), uninitialized);
  // Input strides, permuted into the output's dim order.
  const std::size_t nd = shape.size();
  std::vector<int64_t> in_strides(nd);
  int64_t s = 1;
  for (std::size_t d = nd; d-- > 0;) {
    in_strides[d] = s;
    s *= x.shape()[d];
  }
  std::swap(in_strides[static_cast<std::size_t>(dim0)], in_strides[static_cast<std::size_t>(dim1)]);
  kernel(
      [](const Tensor<T>& x, const Tensor<T>& out, const std::vector<int64_t>& in_strides) {
        const Size& shape = out.shape();
        const std::size_t nd = shape.size();
        std::vector<int64_t> counter(nd, 0);
        const T* px = x.data();
        T* po = out.data();
        int64_t src = 0;
        for (int64_t i = 0, n = out.numel(); i < n; ++i) {
          po[i] = px[src];
          for (std::size_t d = nd; d-- > 0;) {
            if (++counter[d] < shape[d]) {
              src += in_strides[d];
              break;
            }
            src -= in_strides[d] * (shape[d] - 1);
            counter[d] = 0;
          }
        }
      },
      x, out, in_strides);
  return out;
}

}  // namespace eigentorch::detail
