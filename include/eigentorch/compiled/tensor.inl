// The float and double instantiations behind <eigentorch/tensor.hpp>: the one list that the compiled
// mode reads twice. A program built with EIGENTORCH_COMPILED gets them as `extern template`
// declarations (tensor.hpp includes this file last), so it compiles none of them; the library
// eigentorch_compiled (src/) defines them, once per scalar type. See compiled/README.md.
// Only public names are listed (classes, methods, free functions); the ops' nodes and helpers are
// instantiated in the library through them.
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

#endif
