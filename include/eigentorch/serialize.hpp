// <eigentorch/serialize.hpp>: state dicts and checkpoints in PyTorch's formats, both ways.
//
//   et::save(model.state_dict(), "model.safetensors");     // or "model.pt": torch.load reads it
//   model.load_state_dict(et::load("model.pt"));           // et::load<double> for a double model
//   et::save_checkpoint("ck.pt", model, optimizer, scheduler);
//   et::load_checkpoint("ck.pt", model, optimizer, scheduler);  // resumes bit for bit
//
// The format follows the file name: ".safetensors" is the safetensors format (serialize/safetensors.hpp),
// ".pt" / ".pth" / ".bin" are torch.save's zip archive (serialize/torch_file.hpp); et::load of any other
// name looks at the file's first bytes. A save writes a temporary file beside the target and renames it
// (serialize/file.hpp); a file that is truncated, corrupt or lying throws eigentorch::Error naming the
// problem. A checkpoint is the dict `torch.save({"model": ..., "optimizer": ..., "scheduler": ...})`
// writes, so the same file resumes a run in PyTorch.
#pragma once

#include "tensor.hpp"
#include "nn/ordered_dict.hpp"
#include "serialize/dtype.hpp"
#include "serialize/file.hpp"
#include "serialize/safetensors.hpp"
#include "serialize/torch_file.hpp"

#include <algorithm>  // min
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // declval

namespace eigentorch {

namespace serialize {

/// The two file formats.
enum class Format { safetensors, pt };

namespace detail {
/// The format a file name asks for, if it asks for one.
inline std::optional<Format> format_of_name(const std::string& path) {
  if (ends_with(path, ".safetensors")) return Format::safetensors;
  if (ends_with(path, ".pt") || ends_with(path, ".pth") || ends_with(path, ".bin")) return Format::pt;
  return std::nullopt;
}
}  // namespace detail

/// The format of `path`: from its name; for reading a name without a known suffix, from the first bytes
/// (a zip archive's "PK" or safetensors' header length followed by '{').
inline Format format_of(const std::string& path, bool reading) {
  if (auto f = detail::format_of_name(path)) return *f;
  if (reading) {
    InputFile file(path);
    unsigned char head[9] = {};
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), 9));
    file.read_at(0, head, n);
    if (n >= 4 && head[0] == 'P' && head[1] == 'K') return Format::pt;
    if (n == 9 && head[8] == '{') return Format::safetensors;
    eigentorch::detail::fail({"'", path, "' is neither a safetensors file nor a torch.save zip archive"});
  }
  eigentorch::detail::fail({"cannot tell the format of '", path,
                            "' from its name: use .safetensors, or .pt / .pth for torch.save's format"});
}

}  // namespace serialize

/// Saves a state dict in the format of the file name (".safetensors", ".pt", ".pth", ".bin").
template <class T>
void save(const nn::OrderedDict<T>& state_dict, const std::string& path) {
  if (serialize::format_of(path, false) == serialize::Format::safetensors)
    serialize::save_safetensors(state_dict, path);
  else
    serialize::save_pt(state_dict, path);
}

/// Loads a state dict saved by et::save, torch.save(model.state_dict()) or safetensors, converting every
/// tensor to T as load_state_dict copies: `model.load_state_dict(et::load(path))`.
template <class T = float>
nn::OrderedDict<T> load(const std::string& path) {
  if (serialize::format_of(path, true) == serialize::Format::safetensors) return serialize::load_safetensors<T>(path);
  return serialize::load_pt_state_dict<T>(path);
}

namespace serialize::detail {

/// The scalar type of a model's state dict.
template <class T>
T scalar_of(const nn::OrderedDict<T>&);
template <class Model>
using model_scalar_t = decltype(scalar_of(std::declval<const Model&>().state_dict()));

/// {"model": ..., "optimizer": ..., ["scheduler": ...]}, as torch.save writes such a dict.
template <class Model, class Optimizer>
Value checkpoint_of(const Model& model, const Optimizer& optimizer) {
  return Value::dict({{"model", state_dict_value(model.state_dict())}, {"optimizer", optimizer.state_dict()}});
}

/// Restores a checkpoint, all or nothing: if any part is refused, what was restored before it is put back.
template <class Model, class Optimizer, class Restore>
void restore(const std::string& path, Model& model, Optimizer& optimizer, Restore rest) {
  using T = model_scalar_t<Model>;
  const Value checkpoint = load_pt(path);  // the whole file read and checked before anything changes
  if (checkpoint.kind() != Value::Kind::dict)
    eigentorch::detail::fail({"'", path, "' is not a checkpoint: it holds no dict"});
  auto part = [&](const char* key) -> const Value& {
    const Value* v = checkpoint.find(std::string(key));
    if (!v) eigentorch::detail::fail({"'", path, "' is not a checkpoint with a \"", key, "\" entry"});
    return *v;
  };
  const nn::OrderedDict<T> model_state = state_dict_from_value<T>(part("model"), path);
  const Value& optimizer_state = part("optimizer");
  // What to put back if a later part is refused: the model's values (copies) and the optimizer's state.
  nn::OrderedDict<T> model_backup;
  for (const auto& [key, t] : model.state_dict()) model_backup.insert(key, t.clone());
  const Value optimizer_backup = optimizer.state_dict();
  model.load_state_dict(model_state);
  try {
    optimizer.load_state_dict(optimizer_state);
    rest(part);
  } catch (...) {
    model.load_state_dict(model_backup);
    optimizer.load_state_dict(optimizer_backup);
    throw;
  }
}

}  // namespace serialize::detail

/// Saves the model's state dict and the optimizer's state as one torch.save-compatible .pt file. The
/// model is a module (anything with state_dict() / load_state_dict()), the optimizer and the scheduler
/// anything with state_dict() / load_state_dict() over Values.
template <class Model, class Optimizer>
void save_checkpoint(const std::string& path, const Model& model, const Optimizer& optimizer) {
  serialize::save_pt(serialize::detail::checkpoint_of(model, optimizer), path);
}

/// The same with the scheduler's state under "scheduler".
template <class Model, class Optimizer, class Scheduler>
void save_checkpoint(const std::string& path, const Model& model, const Optimizer& optimizer,
                     const Scheduler& scheduler) {
  Value checkpoint = serialize::detail::checkpoint_of(model, optimizer);
  checkpoint.insert("scheduler", scheduler.state_dict());
  serialize::save_pt(checkpoint, path);
}

/// Restores a checkpoint written by save_checkpoint or by torch.save({"model": ..., "optimizer": ...}):
/// all or nothing (a refused part leaves model and optimizer as they were).
template <class Model, class Optimizer>
void load_checkpoint(const std::string& path, Model& model, Optimizer& optimizer) {
  serialize::detail::restore(path, model, optimizer, [](const auto&) {});
}

/// The same, with the scheduler's state from "scheduler".
template <class Model, class Optimizer, class Scheduler>
void load_checkpoint(const std::string& path, Model& model, Optimizer& optimizer, Scheduler& scheduler) {
  serialize::detail::restore(path, model, optimizer,
                             [&](const auto& part) { scheduler.load_state_dict(part("scheduler")); });
}

}  // namespace eigentorch
