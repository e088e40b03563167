// optim::AdamW: Adam with decoupled weight decay (p *= 1 - lr * weight_decay before the moments),
// PyTorch 1.13's rule; the update is Adam's (adam.hpp).
#pragma once

#include "adam.hpp"

#include <vector>

namespace eigentorch::optim {

/// AdamW's settings: Adam's, with weight_decay 1e-2 by default.
struct AdamWOptions : detail::AdamFamilyOptions<AdamWOptions> {
  explicit AdamWOptions(double lr = 1e-3) : AdamFamilyOptions(lr, 1e-2) {}
  /// The keys of PyTorch's group dict, in its order (AdamW's differs from Adam's).
  detail::OptionFields fields() {
    using F = detail::OptionField;
    return {F::real("lr", lr_),          F::two("betas", betas_),
            F::real("eps", eps_),        F::real("weight_decay", weight_decay_),
            F::boolean("amsgrad", amsgrad_), F::fixed("foreach", F::Kind::none),
            F::boolean("maximize", maximize_), F::fixed("capturable", F::Kind::off)};
  }
};

/// torch.optim.AdamW: `optim::AdamW opt(model.parameters(), optim::AdamWOptions(1e-3));`.
template <class T = float>
class AdamW : public AdamFamily<T, AdamWOptions, true> {
 public:
  using Group = ParamGroup<T, AdamWOptions>;
  explicit AdamW(std::vector<Tensor<T>> params, const AdamWOptions& options = AdamWOptions())
      : AdamW(std::vector<Group>{Group(std::move(params))}, options) {}
  explicit AdamW(std::vector<Group> groups, const AdamWOptions& options = AdamWOptions())
      : AdamFamily<T, AdamWOptions, true>(std::move(groups), options) {}
};

template <class T>
AdamW(std::vector<Tensor<T>>) -> AdamW<T>;
template <class T>
AdamW(std::vector<Tensor<T>>, AdamWOptions) -> AdamW<T>;

}  // namespace eigentorch::optim
