// The float and double instantiations behind <eigentorch/nn.hpp> (modules, nn::functional, nn::init),
// read twice as compiled/tensor.inl is: `extern template` at the end of nn.hpp in compiled mode,
// definitions in the library (src/).
#ifndef EIGENTORCH_T
#ifndef EIGENTORCH_COMPILED_SOURCE  // the library's own sources define them instead
#define EIGENTORCH_INSTANTIATE extern template
#define EIGENTORCH_T float
#include "nn.inl"
#undef EIGENTORCH_T
#define EIGENTORCH_T double
#include "nn.inl"
#undef EIGENTORCH_T
#undef EIGENTORCH_INSTANTIATE
#endif
#else

namespace eigentorch::nn {

// Modules: every member function of the class (constructors, forward, repr, state_dict, ...).
EIGENTORCH_INSTANTIATE class OrderedDict<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Module<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Linear<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Conv1d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Conv2d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Sequential<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class ModuleList<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class ModuleDict<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Flatten<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Unflatten<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class MSELoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class L1Loss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class SmoothL1Loss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class HuberLoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class KLDivLoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class CrossEntropyLoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class NLLLoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class BCELoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class BCEWithLogitsLoss<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Tanh<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Sigmoid<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct ReLU<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct LeakyReLU<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct ELU<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class GELU<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Softplus<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Hardtanh<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct ReLU6<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Hardswish<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct SiLU<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Mish<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct LogSigmoid<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Softsign<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE struct Tanhshrink<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Softmax<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class LogSoftmax<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Identity<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class detail::DropoutBase<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Dropout<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Dropout2d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class Embedding<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class LayerNorm<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class detail::BatchNormBase<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class BatchNorm1d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class BatchNorm2d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class MaxPool1d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class MaxPool2d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class AvgPool2d<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class AdaptiveAvgPool2d<EIGENTORCH_T>;
// MSELoss, L1Loss, SmoothL1Loss, HuberLoss and KLDivLoss take tensors of either type (their forward is a
// member template).
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> MSELoss<float>::forward(const Tensor<EIGENTORCH_T>&,
                                                                    const Tensor<EIGENTORCH_T>&) const;
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> MSELoss<double>::forward(const Tensor<EIGENTORCH_T>&,
                                                                     const Tensor<EIGENTORCH_T>&) const;
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> L1Loss<float>::forward(const Tensor<EIGENTORCH_T>&,
                                                                   const Tensor<EIGENTORCH_T>&) const;
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> SmoothL1Loss<float>::forward(const Tensor<EIGENTORCH_T>&,
                                                                         const Tensor<EIGENTORCH_T>&) const;
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> HuberLoss<float>::forward(const Tensor<EIGENTORCH_T>&,
                                                                      const Tensor<EIGENTORCH_T>&) const;
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> KLDivLoss<float>::forward(const Tensor<EIGENTORCH_T>&,
                                                                      const Tensor<EIGENTORCH_T>&) const;

// nn::functional's own functions (its activations are eigentorch's, listed in tensor.inl).
namespace functional {
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> linear(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                   const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> mse_loss(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                     const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> conv1d(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                   const Tensor<EIGENTORCH_T>&, const ExpandingArray<1>&,
                                                   const ConvPadding<1>&, const ExpandingArray<1>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> conv2d(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                   const Tensor<EIGENTORCH_T>&, const ExpandingArray<2>&,
                                                   const ConvPadding<2>&, const ExpandingArray<2>&, int64_t);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> dropout(const Tensor<EIGENTORCH_T>&, double, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> dropout2d(const Tensor<EIGENTORCH_T>&, double, bool, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> max_pool2d(const Tensor<EIGENTORCH_T>&, const ExpandingArray<2>&,
                                                       const ExpandingArray<2>&, const ExpandingArray<2>&,
                                                       const ExpandingArray<2>&, bool);
EIGENTORCH_INSTANTIATE std::tuple<Tensor<EIGENTORCH_T>, Tensor<int64_t>> max_pool2d_with_indices(
    const Tensor<EIGENTORCH_T>&, const ExpandingArray<2>&, const ExpandingArray<2>&, const ExpandingArray<2>&,
    const ExpandingArray<2>&, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> max_pool1d(const Tensor<EIGENTORCH_T>&, const ExpandingArray<1>&,
                                                       const ExpandingArray<1>&, const ExpandingArray<1>&,
                                                       const ExpandingArray<1>&, bool);
EIGENTORCH_INSTANTIATE std::tuple<Tensor<EIGENTORCH_T>, Tensor<int64_t>> max_pool1d_with_indices(
    const Tensor<EIGENTORCH_T>&, const ExpandingArray<1>&, const ExpandingArray<1>&, const ExpandingArray<1>&,
    const ExpandingArray<1>&, bool);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> avg_pool2d(const Tensor<EIGENTORCH_T>&, const ExpandingArray<2>&,
                                                       const ExpandingArray<2>&, const ExpandingArray<2>&, bool, bool,
                                                       std::optional<int64_t>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> adaptive_avg_pool2d(const Tensor<EIGENTORCH_T>&, const ExpandingArray<2>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> embedding(const Tensor<int64_t>&, const Tensor<EIGENTORCH_T>&,
                                                      std::optional<int64_t>);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> layer_norm(const Tensor<EIGENTORCH_T>&, const Size&,
                                                       const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> batch_norm(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                       const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                       const Tensor<EIGENTORCH_T>&, bool, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> nll_loss(const Tensor<EIGENTORCH_T>&, const Tensor<int64_t>&,
                                                     const Tensor<EIGENTORCH_T>&, int64_t, const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> cross_entropy(const Tensor<EIGENTORCH_T>&, const Tensor<int64_t>&,
                                                          const Tensor<EIGENTORCH_T>&, int64_t, const std::string&,
                                                          double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> cross_entropy(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                          const Tensor<EIGENTORCH_T>&, int64_t, const std::string&,
                                                          double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> binary_cross_entropy(const Tensor<EIGENTORCH_T>&,
                                                                 const Tensor<EIGENTORCH_T>&,
                                                                 const Tensor<EIGENTORCH_T>&, const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> binary_cross_entropy_with_logits(
    const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&, const std::string&,
    const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> l1_loss(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                    const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> smooth_l1_loss(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                           const std::string&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> huber_loss(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                       const std::string&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> kl_div(const Tensor<EIGENTORCH_T>&, const Tensor<EIGENTORCH_T>&,
                                                   const std::string&, bool);
}  // namespace functional

// nn::init.
namespace init {
EIGENTORCH_INSTANTIATE std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& uniform_(Tensor<EIGENTORCH_T>&, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& normal_(Tensor<EIGENTORCH_T>&, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& constant_(Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& zeros_(Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& ones_(Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& kaiming_uniform_(Tensor<EIGENTORCH_T>&, double, const std::string&,
                                                              const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& xavier_uniform_(Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE int64_t calculate_correct_fan(const Tensor<EIGENTORCH_T>&, std::string);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& eye_(Tensor<EIGENTORCH_T>&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& kaiming_normal_(Tensor<EIGENTORCH_T>&, double, const std::string&,
                                                             const std::string&);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& xavier_normal_(Tensor<EIGENTORCH_T>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& trunc_normal_(Tensor<EIGENTORCH_T>&, double, double, double, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T>& orthogonal_(Tensor<EIGENTORCH_T>&, double);
}  // namespace init

// nn::utils.
namespace utils {
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> clip_grad_norm_(const std::vector<Tensor<EIGENTORCH_T>>&, double, double,
                                                            bool);
EIGENTORCH_INSTANTIATE void clip_grad_value_(const std::vector<Tensor<EIGENTORCH_T>>&, double);
EIGENTORCH_INSTANTIATE Tensor<EIGENTORCH_T> parameters_to_vector(const std::vector<Tensor<EIGENTORCH_T>>&);
EIGENTORCH_INSTANTIATE void vector_to_parameters(const Tensor<EIGENTORCH_T>&, const std::vector<Tensor<EIGENTORCH_T>>&);
}  // namespace utils

}  // namespace eigentorch::nn

// The bases that activation modules and the indexed containers inherit their members from.
namespace eigentorch::detail {
EIGENTORCH_INSTANTIATE class IndexedModules<EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class ConvNd<1, EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class ConvNd<2, EIGENTORCH_T>;
EIGENTORCH_INSTANTIATE class AlongDim<EIGENTORCH_T, false>;
EIGENTORCH_INSTANTIATE class AlongDim<EIGENTORCH_T, true>;
EIGENTORCH_INSTANTIATE class WithOptions<EIGENTORCH_T, nn::functional::leaky_relu<EIGENTORCH_T>, 1>;
EIGENTORCH_INSTANTIATE class WithOptions<EIGENTORCH_T, nn::functional::elu<EIGENTORCH_T>, 1>;
EIGENTORCH_INSTANTIATE class WithOptions<EIGENTORCH_T, nn::functional::softplus<EIGENTORCH_T>, 2>;
EIGENTORCH_INSTANTIATE class WithOptions<EIGENTORCH_T, nn::functional::hardtanh<EIGENTORCH_T>, 2>;
}  // namespace eigentorch::detail

// The standard containers of named_parameters() / state traversal and named_children() (see the
// note on std::vector in tensor.inl).
EIGENTORCH_INSTANTIATE class std::vector<std::pair<std::string, eigentorch::Tensor<EIGENTORCH_T>>>;
EIGENTORCH_INSTANTIATE class std::vector<std::pair<std::string, std::shared_ptr<eigentorch::nn::Module<EIGENTORCH_T>>>>;

#endif
