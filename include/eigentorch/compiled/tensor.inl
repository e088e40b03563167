// Compiled mode (as spdlog's SPDLOG_COMPILED_LIB): the float and double instantiations behind
// <eigentorch/tensor.hpp>, listed once and read in two ways.
// - A program built with EIGENTORCH_COMPILED (target eigentorch::compiled sets it) reads them at the
//   end of tensor.hpp as `extern template` declarations, for float and then double (the first
//   branch below): it compiles none of these functions and links them from libeigentorch_compiled.a.
// - The library's sources (src/float.cpp, src/double.cpp) define EIGENTORCH_COMPILED_SOURCE, which
//   turns the declarations off, and include this file with EIGENTORCH_INSTANTIATE = `template` and
//   EIGENTORCH_T = their scalar type: explicit instantiation definitions, one object per type.
// nn.inl and optim.inl do the same for <eigentorch/nn.hpp> and <eigentorch/optim.hpp>.
// Only public names are listed (classes, with every method not defined in the class; free
// functions); the ops' nodes and helpers are instantiated in the library through them.
// NOTE: C++ still instantiates, for inlining, what a class defines in its body (and whatever is
// declared `inline`) even under `extern template`; what a program then compiles is those bodies.
#ifndef EIGENTORCH_T
#ifndef EIGENTORCH_COMPILED_SOURCE  // the library's own sources define them instead
#define EIGENTORCH_INSTANTIATE extern template
#define EIGENTORCH_T float
#include "tensor.inl"
#undef EIGENTORCH_T
#define EIGENTORCH_T double
#include "tensor.inl"
#undef EIGENTORCH_T
#undef EIGENTORCH_INSTANTIATE
#endif
#else

namespace eigentorch {

// The handle: every method not defined in the class (the ops' methods, backward, the in-place ops).
EIGENTORCH_INSTANTIATE class Tensor<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct autograd::Node<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct autograd::AccumulateGrad<EIGENTORCH_T>;

// + - * / of two tensors, of a tensor and a number, and their named forms.
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator+(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator-(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator*(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator/(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
#define EIGENTORCH_SCALAR_OPS(U)                                                                          \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator+(const Tensor<EIGENTORCH_T>&, U);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator+(U, const Tensor<EIGENTORCH_T>&);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator-(const Tensor<EIGENTORCH_T>&, U);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator-(U, const Tensor<EIGENTORCH_T>&);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator*(const Tensor<EIGENTORCH_T>&, U);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator*(U, const Tensor<EIGENTORCH_T>&);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator/(const Tensor<EIGENTORCH_T>&, U);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> operator/(U, const Tensor<EIGENTORCH_T>&);                  \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> pow(const Tensor<EIGENTORCH_T>&, U);                        \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> pow(U, const Tensor<EIGENTORCH_T>&);                        \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T, U>(std::initializer_list<U>);          \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T, U>(                                    \
      std::initializer_list<std::initializer_list<U>>);                                                   \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T, U>(U);                                 \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> full<EIGENTORCH_T, U>(const Size&, U);                      \
  EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> full_like(const Tensor<EIGENTORCH_T>&, U);
EIGENTORCH_SCALAR_OPS(int)
EIGENTORCH_SCALAR_OPS(long)
EIGENTORCH_SCALAR_OPS(long long)
EIGENTORCH_SCALAR_OPS(float)
EIGENTORCH_SCALAR_OPS(double)
#undef EIGENTORCH_SCALAR_OPS
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& operator+=(Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& operator-=(Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& operator*=(Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& operator/=(Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> add(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> sub(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mul(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> div(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> neg(const Tensor<EIGENTORCH_T>&);

// Elementwise functions.
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> exp(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> log(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> sqrt(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> abs(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tanh(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> sigmoid(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> relu(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> pow(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
// The activations (nn::functional's too).
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> leaky_relu(const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> elu(const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> gelu(const Tensor<EIGENTORCH_T>&, const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> silu(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> softplus(const Tensor<EIGENTORCH_T>&, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> hardtanh(const Tensor<EIGENTORCH_T>&, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> relu6(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> hardswish(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mish(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> logsigmoid(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> softsign(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tanhshrink(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> softmax(const Tensor<EIGENTORCH_T>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> log_softmax(const Tensor<EIGENTORCH_T>&, int64_t);

// Reductions and shapes.
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> sum(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> sum(const Tensor<EIGENTORCH_T>&, int64_t, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mean(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mean(const Tensor<EIGENTORCH_T>&, int64_t, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> reshape(const Tensor<EIGENTORCH_T>&, const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> unsqueeze(const Tensor<EIGENTORCH_T>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> squeeze(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> squeeze(const Tensor<EIGENTORCH_T>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> flatten(const Tensor<EIGENTORCH_T>&, int64_t, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> t(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> transpose(const Tensor<EIGENTORCH_T>&, int64_t, int64_t);

// Products.
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> matmul(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mm(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> bmm(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> dot(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mv(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);

// Issue 15: math, reductions, comparisons and selection, indexing and joining (integer and bool
// tensors are not listed: their instantiations stay in the program).
#define EIGENTORCH_UNARY(name) EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> name(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_UNARY(square)
EIGENTORCH_UNARY(rsqrt)
EIGENTORCH_UNARY(reciprocal)
EIGENTORCH_UNARY(sin)
EIGENTORCH_UNARY(cos)
EIGENTORCH_UNARY(log1p)
EIGENTORCH_UNARY(expm1)
EIGENTORCH_UNARY(log2)
EIGENTORCH_UNARY(floor)
EIGENTORCH_UNARY(ceil)
EIGENTORCH_UNARY(round)
EIGENTORCH_UNARY(sign)
EIGENTORCH_UNARY(max)
EIGENTORCH_UNARY(min)
EIGENTORCH_UNARY(prod)
#undef EIGENTORCH_UNARY
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> clamp(const Tensor<EIGENTORCH_T>&, std::optional<double>, std::optional<double>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> clamp_min(const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> clamp_max(const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> maximum(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> minimum(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> prod(const Tensor<EIGENTORCH_T>&, int64_t, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> var(const Tensor<EIGENTORCH_T>&, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> var(const Tensor<EIGENTORCH_T>&, int64_t, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> var(const Tensor<EIGENTORCH_T>&, int, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> std(const Tensor<EIGENTORCH_T>&, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> std(const Tensor<EIGENTORCH_T>&, int64_t, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> std(const Tensor<EIGENTORCH_T>&, int, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> logsumexp(const Tensor<EIGENTORCH_T>&, int64_t, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> norm(const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> cumsum(const Tensor<EIGENTORCH_T>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<int64_t> argmax(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<int64_t> argmin(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<int64_t> argmax(const Tensor<EIGENTORCH_T>&, int64_t, bool);
EIGENTORCH_INSTANTIATE Tensor<int64_t> argmin(const Tensor<EIGENTORCH_T>&, int64_t, bool);
#define EIGENTORCH_COMPARISON(name, op)                                                                   \
  EIGENTORCH_INSTANTIATE Tensor<bool> name(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);   \
  EIGENTORCH_INSTANTIATE Tensor<bool> operator op(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_COMPARISON(eq, ==)
EIGENTORCH_COMPARISON(ne, !=)
EIGENTORCH_COMPARISON(lt, <)
EIGENTORCH_COMPARISON(le, <=)
EIGENTORCH_COMPARISON(gt, >)
EIGENTORCH_COMPARISON(ge, >=)
#undef EIGENTORCH_COMPARISON
EIGENTORCH_INSTANTIATE Tensor<bool> logical_not(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<bool> logical_and(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<bool> logical_or(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<bool> all(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<bool> any(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> where(const Tensor<bool>&, const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> select(const Tensor<EIGENTORCH_T>&, int64_t, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> narrow(const Tensor<EIGENTORCH_T>&, int64_t, int64_t, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> permute(const Tensor<EIGENTORCH_T>&, const Size&);
EIGENTORCH_INSTANTIATE std::vector<Tensor<EIGENTORCH_T>> split(const Tensor<EIGENTORCH_T>&, int64_t, int64_t);
EIGENTORCH_INSTANTIATE std::vector<Tensor<EIGENTORCH_T>> chunk(const Tensor<EIGENTORCH_T>&, int64_t, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> cat(const std::vector<Tensor<EIGENTORCH_T>>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> cat(std::initializer_list<Tensor<EIGENTORCH_T>>, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> stack(const std::vector<Tensor<EIGENTORCH_T>>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> stack(std::initializer_list<Tensor<EIGENTORCH_T>>, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> index_select(const Tensor<EIGENTORCH_T>&, int64_t, const Tensor<int64_t>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> gather(const Tensor<EIGENTORCH_T>&, int64_t, const Tensor<int64_t>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> scatter_add(const Tensor<EIGENTORCH_T>&, int64_t, const Tensor<int64_t>&,
                                                        const Tensor<EIGENTORCH_T>&);

// Factories (et::tensor and et::full of each kind of number are listed with the scalar ops above).
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T>(List1<EIGENTORCH_T>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T>(List2<EIGENTORCH_T>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> tensor<EIGENTORCH_T>(std::initializer_list<List2<EIGENTORCH_T>>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> empty<EIGENTORCH_T>(const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> zeros<EIGENTORCH_T>(const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> ones<EIGENTORCH_T>(const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> rand<EIGENTORCH_T>(const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> randn<EIGENTORCH_T>(const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> zeros_like(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> empty_like(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> ones_like(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> rand_like(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> randn_like(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> arange<EIGENTORCH_T>(double, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> arange<EIGENTORCH_T>(double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> linspace<EIGENTORCH_T>(double, double, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> from_vector(const std::vector<EIGENTORCH_T>&, const Size&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> from_vector(const std::vector<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> from_eigen(
    const Eigen::DenseBase<Eigen::Matrix<EIGENTORCH_T, Eigen::Dynamic, Eigen::Dynamic>>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> from_eigen(
    const Eigen::DenseBase<Eigen::Matrix<EIGENTORCH_T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>&);

// Printing.
EIGENTORCH_INSTANTIATE std::string repr(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE std::ostream& operator<<(std::ostream&, const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE std::ostream& operator<<(std::ostream&, const std::vector<Tensor<EIGENTORCH_T>>&);

}  // namespace eigentorch

// The standard container that the public API hands out most (parameters(), an optimizer's list): its
// out-of-line members (growth, resize) are compiled once too. [namespace.std] allows explicit
// instantiations of a standard class template that depend on a program-defined type.
EIGENTORCH_INSTANTIATE class std::vector<eigentorch::Tensor<EIGENTORCH_T>>;

#endif
