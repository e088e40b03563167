// The order in which a container's children draw their initial values. Python builds
// Sequential(Linear(1, 13), Tanh(), Linear(13, 1))'s arguments left to right, so the first Linear
// draws first; C++ leaves the order of argument evaluation unspecified (g++ goes right to left).
// Module::initialize() records the generator state around each module's draws, and
// Module::replay_children_initialisation() rewinds the generator and redraws the children in
// argument order when that can be done without changing anything else's numbers.
#pragma once

#include "../tensor/random.hpp"
#include "module.hpp"

#include <cstdint>  // uint64_t
#include <memory>
#include <utility>  // move, pair, swap
#include <vector>

namespace eigentorch {

namespace detail {

/// The generator's state before a module drew its initial values, and the stamps around the draws.
struct InitRecord {
  Generator::State before;
  uint64_t first_stamp = 0, last_stamp = 0;
};

}  // namespace detail

template <class T>
void nn::Module<T>::initialize() {
  Generator& g = default_generator();
  auto record = std::make_shared<detail::InitRecord>();
  record->before = g.get_state();
  record->first_stamp = g.stamp();
  reset_parameters();
  record->last_stamp = g.stamp();
  state_->init_record = std::move(record);
}

// NOTE: the children redraw only when their draws form one unbroken run that nothing has followed:
// then the generator is rewound to the run's start and they draw again in registration order.
// Otherwise (something else drew between or after them) nothing changes.
template <class T>
void nn::Module<T>::replay_children_initialisation(const std::vector<bool>& eligible) {
  std::vector<std::pair<const detail::InitRecord*, Module*>> drew;  // children that drew, registration order
  for (std::size_t i = 0; i < state_->children.size() && i < eligible.size(); ++i) {
    if (!eligible[i]) continue;
    const auto& child = state_->children[i].second;
    const auto& rec = child->state_->init_record;
    if (rec && rec->last_stamp != rec->first_stamp) drew.emplace_back(rec.get(), child.get());
  }
  if (drew.empty()) return;
  auto by_time = drew;  // by first stamp (an insertion sort: a handful of children, and no std::sort to compile)
  for (std::size_t i = 1; i < by_time.size(); ++i)
    for (std::size_t j = i; j > 0 && by_time[j].first->first_stamp < by_time[j - 1].first->first_stamp; --j)
      std::swap(by_time[j], by_time[j - 1]);
  Generator& g = default_generator();
  for (std::size_t i = 1; i < by_time.size(); ++i)
    if (by_time[i].first->first_stamp != by_time[i - 1].first->last_stamp) return;  // something else drew between
  if (by_time.back().first->last_stamp != g.stamp()) return;  // something drew after: too late to rewind
  auto record = std::make_shared<detail::InitRecord>();
  record->before = by_time.front().first->before;
  bool in_order = true;
  for (std::size_t i = 0; i < drew.size(); ++i) in_order = in_order && drew[i].second == by_time[i].second;
  if (in_order) {
    record->first_stamp = by_time.front().first->first_stamp;
  } else {
    g.set_state(record->before);
    record->first_stamp = g.stamp();
    for (auto& d : drew) d.second->initialize();
  }
  record->last_stamp = g.stamp();
  state_->init_record = std::move(record);
}

}  // namespace eigentorch
