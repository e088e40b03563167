// <eigentorch/serialize.hpp>: et::save / et::load by file name, and checkpoints both ways: eigentorch's
// resume bit for bit in eigentorch and with the same numbers in PyTorch, torch.save's resume in eigentorch
// with PyTorch's numbers (reference/make_serialize_checkpoint_reference.py, fixtures in data/serialize/).
#include <eigentorch/eigentorch.hpp>
#include <eigentorch/serialize.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_checkpoint_cases.hpp"
#include "serialize/serialize_test_util.hpp"
#include "test_util.hpp"

#include <cstdint>
#include <cstdlib>  // getenv
#include <cstring>  // memcmp
#include <string>
#include <vector>

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace optim = eigentorch::optim;
using et::testing::read_bytes;
using et::testing::TempDir;

namespace {

const std::string kData = et::testing::serialize_fixture("");

/// The script's setup: manual_seed(0), the model, then the batch.
struct Setup {
  Setup() : model(make_model()), x(et::randn({8, 3})), y(et::randint(0, 2, {8})) {}
  static nn::Sequential<> make_model() {
    et::manual_seed(0);
    return nn::Sequential<>(nn::Linear(3, 6), nn::Tanh(), nn::BatchNorm1d(6), nn::Linear(6, 2));
  }
  nn::Sequential<> model;
  et::Tensor<float> x;
  et::Tensor<int64_t> y;
};

struct AdamOneCycle : Setup {
  optim::Adam<> opt{model.parameters(), optim::AdamOptions(0.01).amsgrad(true)};
  optim::lr_scheduler::OneCycleLR<float> sched{opt, optim::lr_scheduler::OneCycleLROptions(0.05, 10)};
};
struct SgdStep : Setup {
  optim::SGD<> opt{model.parameters(), optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-3)};
  optim::lr_scheduler::StepLR<float> sched{opt, 2, 0.5};
};

template <class Run>
std::vector<float> steps(Run& r, int n) {
  nn::CrossEntropyLoss loss_fn;
  r.model.train();
  std::vector<float> losses;
  for (int i = 0; i < n; ++i) {
    r.opt.zero_grad();
    et::Tensor<float> loss = loss_fn(r.model(r.x), r.y);
    loss.backward();
    r.opt.step();
    r.sched.step();
    losses.push_back(loss.item());
  }
  return losses;
}

/// The model's state dict values flattened in order, but num_batches_tracked (an int64 in PyTorch).
std::vector<float> state(const nn::Module<float>& model) {
  std::vector<float> values;
  for (const auto& [key, t] : model.state_dict())
    if (!et::serialize::saved_as_int64(key))
      for (float v : t.to_vector()) values.push_back(v);
  return values;
}

/// Bitwise equality of float vectors (doctest's == on floats would take -0 for 0).
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

/// PyTorch's numbers after a resume, to float rounding. (This model's float forward and gradients round
/// differently in the last bit in eigentorch and in PyTorch now and then, resumed or not, so two
/// trajectories drift apart by ulps; the losses agree to 1e-5.)
void check_pytorch_numbers(const std::vector<float>& losses, const std::vector<float>& state,
                           const std::vector<float>& ref_losses, const std::vector<float>& ref_state) {
  et::testing::check_allclose(losses, ref_losses, 1e-5, 1e-6);
  et::testing::check_allclose(state, ref_state, 1e-5, 1e-6);
}

const et::reference::CheckpointCase& reference(const std::string& name) {
  for (const auto& c : et::reference::serialize_checkpoint_cases)
    if (name == c.name) return c;
  FAIL("no reference case " << name);
  return et::reference::serialize_checkpoint_cases[0];
}

template <class Run>
void resume_from_pytorch(const std::string& name) {
  const auto& ref = reference(name);
  Run r;
  et::load_checkpoint(kData + "torch_" + name + ".pt", r.model, r.opt, r.sched);
  const std::vector<float> losses = steps(r, 4);
  check_pytorch_numbers(losses, state(r.model), ref.losses, ref.state);
}

template <class Run>
void resume_from_eigentorch(const std::string& name) {
  const auto& ref = reference(name);
  TempDir dir;
  const std::string file = "et_" + name + ".pt";  // (the archive's folder inside is named after the file)
  Run first;
  steps(first, 4);
  et::save_checkpoint(dir / file, first.model, first.opt, first.sched);
  if (const char* out = std::getenv("EIGENTORCH_WRITE_FIXTURES"))  // regenerating data/serialize/et_*.pt
    et::save_checkpoint(std::string(out) + "/" + file, first.model, first.opt, first.sched);
  // What we write now is the committed file PyTorch resumed from, byte for byte.
  const auto committed = read_bytes(kData + file);
  REQUIRE_MESSAGE(!committed.empty(), "data/serialize/" << file << " is missing (see the script)");
  CHECK(read_bytes(dir / file) == committed);

  const std::vector<float> uninterrupted = steps(first, 4);
  Run second;
  et::load_checkpoint(dir / file, second.model, second.opt, second.sched);
  const std::vector<float> resumed = steps(second, 4);
  CHECK(same_bits(resumed, uninterrupted));
  CHECK(same_bits(state(second.model), state(first.model)));
  // PyTorch, from the same file, took the same steps.
  REQUIRE(ref.from_et);
  check_pytorch_numbers(resumed, state(second.model), ref.et_losses, ref.et_state);
}

}  // namespace

TEST_CASE("checkpoint: torch.save's checkpoint resumes in eigentorch with PyTorch's numbers") {
  SUBCASE("Adam (amsgrad) and OneCycleLR") { resume_from_pytorch<AdamOneCycle>("adam_onecycle"); }
  SUBCASE("SGD (nesterov, weight decay) and StepLR") { resume_from_pytorch<SgdStep>("sgd_step"); }
}

TEST_CASE("checkpoint: eigentorch's checkpoint resumes bit for bit in eigentorch, with the same numbers in PyTorch") {
  SUBCASE("Adam (amsgrad) and OneCycleLR") { resume_from_eigentorch<AdamOneCycle>("adam_onecycle"); }
  SUBCASE("SGD (nesterov, weight decay) and StepLR") { resume_from_eigentorch<SgdStep>("sgd_step"); }
}

TEST_CASE("checkpoint: without a scheduler, and a model-only load of a checkpoint's parts") {
  TempDir dir;
  SgdStep first;
  steps(first, 2);
  et::save_checkpoint(dir / "ck.pt", first.model, first.opt);
  SgdStep second;
  et::load_checkpoint(dir / "ck.pt", second.model, second.opt);
  CHECK(same_bits(state(second.model), state(first.model)));
  CHECK(same_bits(steps(second, 2), steps(first, 2)));
}

TEST_CASE("checkpoint: a refused part leaves model, optimizer and scheduler as they were") {
  TempDir dir;
  AdamOneCycle saved;
  steps(saved, 3);
  et::save_checkpoint(dir / "adam.pt", saved.model, saved.opt, saved.sched);

  SgdStep r;  // another optimizer and scheduler: the model part fits, the optimizer part does not
  steps(r, 1);
  const std::vector<float> before = state(r.model);
  const double lr_before = r.opt.param_groups()[0].options.lr();
  CHECK_THROWS_AS(et::load_checkpoint(dir / "adam.pt", r.model, r.opt, r.sched), et::Error);
  CHECK(same_bits(state(r.model), before));
  CHECK(r.opt.param_groups()[0].options.lr() == lr_before);
  CHECK(r.sched.last_epoch() == 1);

  // A model of another shape: refused before anything changes, in PyTorch's words.
  nn::Sequential<> other(nn::Linear(3, 5), nn::Tanh(), nn::BatchNorm1d(5), nn::Linear(5, 2));
  optim::Adam<> opt(other.parameters(), optim::AdamOptions(0.01).amsgrad(true));
  CHECK_THROWS_WITH_AS(et::load_checkpoint(dir / "adam.pt", other, opt),
                       doctest::Contains("size mismatch for 0.weight: copying a param with shape Size([6, 3]) from "
                                         "checkpoint, the shape in current model is Size([5, 3])."),
                       et::Error);

  // Not a checkpoint: a state dict.
  et::save(saved.model.state_dict(), dir / "model.pt");
  CHECK_THROWS_WITH_AS(et::load_checkpoint(dir / "model.pt", r.model, r.opt),
                       ("'" + dir / "model.pt" + "' is not a checkpoint with a \"model\" entry").c_str(), et::Error);
  CHECK(same_bits(state(r.model), before));
}

TEST_CASE("checkpoint: OneCycleLR's state as PyTorch pickles it (a bound method) is refused by name") {
  AdamOneCycle r;
  const std::vector<float> before = state(r.model);
  CHECK_THROWS_WITH_AS(et::load_checkpoint(kData + "torch_adam_onecycle_method.pt", r.model, r.opt, r.sched),
                       doctest::Contains("getattr"), et::Error);
  CHECK(same_bits(state(r.model), before));
}

TEST_CASE_TEMPLATE("save / load: the format follows the file name, and the values come back", T, float, double) {
  TempDir dir;
  et::manual_seed(3);
  nn::Sequential<T> model(nn::Linear<T>(4, 3), nn::BatchNorm1d<T>(3));
  model.train();
  model(et::randn<T>({5, 4}));  // running statistics and num_batches_tracked move
  const auto sd = model.state_dict();
  for (const std::string name : {"m.pt", "m.pth", "m.safetensors", "m.bin"}) {
    CAPTURE(name);
    et::save(sd, dir / name);
    const auto back = et::load<T>(dir / name);
    CHECK(back.size() == sd.size());  // (safetensors keeps its own order: by dtype, then name)
    for (const auto& [key, t] : sd) {
      CAPTURE(key);
      CHECK(back[key].shape() == t.shape());
      CHECK(back[key].to_vector() == t.to_vector());
    }
  }
  // A name without a known suffix: saving refuses, loading looks at the first bytes.
  CHECK_THROWS_WITH_AS(et::save(sd, dir / "m.weights"),
                       ("cannot tell the format of '" + dir / "m.weights" +
                        "' from its name: use .safetensors, or .pt / .pth for torch.save's format")
                           .c_str(),
                       et::Error);
  std::rename((dir / "m.pt").c_str(), (dir / "zip").c_str());
  std::rename((dir / "m.safetensors").c_str(), (dir / "st").c_str());
  CHECK(et::load<T>(dir / "zip").keys() == sd.keys());
  CHECK(et::load<T>(dir / "st").keys().size() == sd.keys().size());
  et::testing::write_bytes(dir / "junk", {'n', 'o', 't', ' ', 'a', ' ', 'm', 'o', 'd', 'e', 'l'});
  CHECK_THROWS_WITH_AS(et::load<T>(dir / "junk"),
                       ("'" + dir / "junk" + "' is neither a safetensors file nor a torch.save zip archive").c_str(),
                       et::Error);
  CHECK_THROWS_WITH_AS(et::load<T>(dir / "none.pt"),
                       ("cannot open '" + dir / "none.pt" + "': No such file or directory").c_str(), et::Error);
  // model.load_state_dict(et::load(path)) of the .pt file read without its suffix.
  nn::Sequential<T> fresh(nn::Linear<T>(4, 3), nn::BatchNorm1d<T>(3));
  fresh.load_state_dict(et::load<T>(dir / "zip"));
  CHECK(fresh.state_dict()["1.num_batches_tracked"].item() == 1);
  CHECK(fresh.state_dict()["0.weight"].to_vector() == sd["0.weight"].to_vector());
}
