// Tests of nn/module.hpp against PyTorch 1.13: a user-defined model (fc1, act, fc2 and a parameter
// `scale`) gets PyTorch's names, values and repr; state_dict / load_state_dict (values, detachment,
// errors), zero_grad, train / eval, handle semantics and registration errors; named_modules / modules,
// apply, requires_grad_, train(bool) and buffers (persistent or not) on a nested model (Tree).
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

// This file compiles module_cases.hpp's tables for every test that reads them.
#define EIGENTORCH_MODULE_REFERENCE_TABLES
#include "reference/module_cases.hpp"
#include "reference/nn_cases.hpp"
#include "nn/nn_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;
namespace ref = eigentorch::testing::nn_reference;
namespace mref = eigentorch::testing::module_reference;
using eigentorch::testing::check_allclose;
using eigentorch::testing::make;
using eigentorch::testing::str;

/// The reference's Net: fc1 = Linear(4, 8), act = Tanh, fc2 = Linear(8, 3), scale = ones(3).
template <class T>
class Net : public nn::Module<T> {
 public:
  nn::Linear<T> fc1{4, 8};
  nn::Tanh<T> act;
  nn::Linear<T> fc2{8, 3};
  et::Tensor<T> scale;

  Net() {
    this->register_module("fc1", fc1);
    this->register_module("act", act);
    this->register_module("fc2", fc2);
    scale = this->register_parameter("scale", et::ones<T>({3}));
  }
  et::Tensor<T> forward(const et::Tensor<T>& x) override { return fc2(act(fc1(x))) * scale; }
};

/// One Linear registered twice, a buffer and an own parameter (the reference's Shared).
class Shared : public nn::Module<float> {
 public:
  Shared() {
    nn::Linear lin(2, 2);
    register_module("a", lin);
    register_module("b", lin);
    register_buffer("running", et::zeros({2}));
    register_parameter("w", et::ones({1}));
  }
};

class NoForward : public nn::Module<float> {};

/// The reference's Inner and Block: a parameter, buffers (scratch not persistent) and a child.
class Inner : public nn::Module<float> {
 public:
  Inner() {
    register_buffer("stat", et::ones({1}));
    register_module("lin", nn::Linear(2, 2));
  }
};
class Block : public nn::Module<float> {
 public:
  Block() {
    register_parameter("scale", et::ones({2}));
    register_buffer("running", et::zeros({2}));
    register_buffer("scratch", et::zeros({3}), false);
    register_module("inner", Inner());
    register_buffer("count", et::zeros(et::Size{}));
  }
};

/// The reference's Tree: a shared Linear registered as a and inside seq, a ModuleList, a ModuleDict, a Block.
class Tree : public nn::Module<float> {
 public:
  nn::Linear<> shared{2, 2};
  Tree() {
    register_module("a", shared);
    register_module("seq", nn::Sequential(nn::Linear(2, 3), nn::ReLU(), shared));
    register_module("layers", nn::ModuleList(nn::Tanh(), nn::Linear(3, 1)));
    nn::ModuleDict heads;
    heads.insert("cls", nn::Linear(1, 2));
    heads.insert("reg", nn::Identity());
    register_module("heads", heads);
    register_module("block", Block());
  }
};

template <class P>
std::vector<std::string> keys_of(const std::vector<P>& named) {
  std::vector<std::string> out;
  for (const auto& kv : named) out.push_back(kv.first);
  return out;
}

const ref::ModelCase& net_case(bool is_double) {
  for (const auto& c : ref::kModelCases)
    if (std::string(c.kind) == "net" && c.is_double == is_double) return c;
  FAIL("no net case");
  throw;
}

std::vector<std::string> names_of(const std::vector<std::pair<std::string, et::Tensor<float>>>& named) {
  std::vector<std::string> out;
  for (const auto& kv : named) out.push_back(kv.first);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("a user-defined model has PyTorch's names, values, repr and gradients", T, float, double) {
  const auto& c = net_case(std::is_same_v<T, double>);
  et::manual_seed(c.seed);
  Net<T> net;
  const auto named = net.named_parameters();
  REQUIRE(named.size() == c.parameters.size());
  for (std::size_t i = 0; i < named.size(); ++i) {
    const std::string pname = c.parameters[i].name;
    CAPTURE(pname);
    CHECK(named[i].first == c.parameters[i].name);  // scale, fc1.weight, fc1.bias, fc2.weight, fc2.bias
    CHECK(named[i].second.shape() == et::Size(c.parameters[i].shape));
    check_allclose(named[i].second.to_vector(), c.parameters[i].values, 0.0, 0.0);
  }
  check_allclose(et::rand<T>({5}).to_vector(), c.rand_after, 0.0, 0.0);
  CHECK(net.state_dict().keys() == c.state_dict_keys);
  std::vector<std::string> children;
  for (const auto& kv : net.named_children()) children.push_back(kv.first);
  CHECK(children == c.child_names);
  CHECK(net.children().size() == 3);
  CHECK(str(net) == c.repr);
  CHECK(str(net.parameters()) == c.parameters_print);
  CHECK(str(net.state_dict()[c.state_dict_keys.back()]) == c.last_state_print);

  // The members are the registered children: the same parameters.
  CHECK(named[1].second.is_same(net.fc1.weight));
  CHECK(named[4].second.is_same(net.fc2.bias));
  CHECK(named[0].second.is_same(net.scale));

  const double rtol = std::is_same_v<T, float> ? 0.0 : 1e-12;  // NOTE: float is bit-exact here
  const auto y = net(make<T>(c.x, {3, 4}));
  check_allclose(y.to_vector(), c.y, rtol, 0.0);
  y.sum().backward();
  const auto params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string gname = c.grads[i].name;
    CAPTURE(gname);
    REQUIRE(params[i].grad().defined());
    check_allclose(params[i].grad().to_vector(), c.grads[i].values, rtol, 0.0);
  }
}

TEST_CASE("a module registered twice lists its parameters once, and state_dict lists both") {
  Shared m;
  CHECK(names_of(m.named_parameters()) == ref::kSharedParameterNames);
  CHECK(names_of(m.named_buffers()) == ref::kSharedBufferNames);
  CHECK(m.state_dict().keys() == ref::kSharedStateDictKeys);
  CHECK(str(m) == ref::kSharedRepr);
  CHECK(m.parameters().size() == 3);
  CHECK(m.buffers().size() == 1);
  CHECK_FALSE(m.buffers()[0].requires_grad());
  CHECK(m.named_parameters(false).size() == 1);  // recurse = false: only w
}

TEST_CASE("copying a module shares parameters and mode, assignment replaces the model") {
  et::manual_seed(1);
  nn::Linear a(2, 3);
  nn::Linear b = a;
  CHECK(b.weight.is_same(a.weight));
  CHECK(b.parameters()[1].is_same(a.bias));
  {
    et::NoGradGuard no_grad;
    b.weight.fill_(0.5f);
  }
  check_allclose(a.weight.to_vector(), std::vector<float>(6, 0.5f), 0.0, 0.0);
  b.eval();
  CHECK_FALSE(a.is_training());

  const auto old_weight = a.weight;
  a = nn::Linear(2, 3);
  CHECK_FALSE(a.weight.is_same(old_weight));
  CHECK(a.parameters()[0].is_same(a.weight));
  CHECK(a.is_training());
  CHECK(b.weight.is_same(old_weight));  // the copy keeps the old model

  Net<float> net;
  Net<float> alias = net;
  CHECK(alias.fc1.weight.is_same(net.fc1.weight));
  CHECK(alias.parameters()[2].is_same(net.fc1.bias));
}

TEST_CASE("train() and eval() reach every descendant, is_training reports it") {
  nn::Sequential<> inner(nn::Linear(3, 4), nn::ReLU());
  nn::Sequential<> outer(nn::Linear(2, 3), inner, nn::Sigmoid());
  Net<float> net;
  CHECK(outer.is_training());
  CHECK(net.is_training());
  outer.eval();
  CHECK_FALSE(outer.is_training());
  CHECK_FALSE(outer[1].is_training());
  CHECK_FALSE(inner.is_training());  // the child is the handle passed in
  CHECK_FALSE(inner[0].is_training());
  CHECK_FALSE(outer[2].is_training());
  outer.train();
  CHECK(inner[1].is_training());
  outer.train(false);
  CHECK_FALSE(inner[1].is_training());

  net.eval();
  CHECK_FALSE(net.fc1.is_training());
  CHECK_FALSE(net.act.is_training());
  CHECK_FALSE(net.fc2.is_training());
  net.fc1.train();  // a child alone
  CHECK(net.fc1.is_training());
  CHECK_FALSE(net.is_training());
  CHECK(&net.train() == &net);  // chains, as Module.train returns self
}

TEST_CASE_TEMPLATE("zero_grad on a module makes every gradient undefined, or zero", T, float, double) {
  Net<T> net;
  auto loss = net(et::rand<T>({2, 4})).sum();
  loss.backward();
  for (const auto& p : net.parameters()) CHECK(p.grad().defined());
  SUBCASE("set to none, as PyTorch 2") {
    net.zero_grad();
    for (const auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
    net.zero_grad();  // and again, with nothing to clear
    net(et::rand<T>({2, 4})).sum().backward();
    CHECK(net.fc1.weight.grad().defined());
  }
  SUBCASE("set to zero") {
    net.zero_grad(false);
    for (const auto& p : net.parameters()) {
      REQUIRE(p.grad().defined());
      check_allclose(p.grad().to_vector(), std::vector<double>(static_cast<std::size_t>(p.numel()), 0.0), 0.0, 0.0);
    }
  }
}

TEST_CASE_TEMPLATE("state_dict values are detached and share data with the model", T, float, double) {
  Net<T> net;
  auto sd = net.state_dict();
  REQUIRE(sd.size() == 5);
  for (const auto& [key, value] : sd) {
    CAPTURE(key);
    CHECK_FALSE(value.requires_grad());
    CHECK(value.is_leaf());
  }
  CHECK(sd["fc1.weight"].data() == net.fc1.weight.data());
  CHECK_FALSE(sd["fc1.weight"].is_same(net.fc1.weight));
  {
    et::NoGradGuard no_grad;
    net.fc2.bias.fill_(T(0.25));
  }
  check_allclose(sd["fc2.bias"].to_vector(), std::vector<double>(3, 0.25), 0.0, 0.0);
  CHECK(net.fc2.bias.requires_grad());  // the model's parameter is untouched by detaching
}

TEST_CASE_TEMPLATE("load_state_dict copies values into the model's own parameters", T, float, double) {
  et::manual_seed(1);
  Net<T> source;
  et::manual_seed(2);
  Net<T> target;
  const auto target_weight = target.fc1.weight;
  target.load_state_dict(source.state_dict());
  const auto s = source.named_parameters();
  const auto t = target.named_parameters();
  REQUIRE(s.size() == t.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    CAPTURE(s[i].first);
    check_allclose(t[i].second.to_vector(), s[i].second.to_vector(), 0.0, 0.0);
    CHECK_FALSE(t[i].second.is_same(s[i].second));
    CHECK(t[i].second.data() != s[i].second.data());  // copied, not shared
    CHECK(t[i].second.requires_grad());
    CHECK(t[i].second.is_leaf());
  }
  CHECK(target.fc1.weight.is_same(target_weight));
  {
    et::NoGradGuard no_grad;
    source.fc1.weight.fill_(T(7));
  }
  CHECK(target.fc1.weight.to_vector()[0] != T(7));
}

TEST_CASE("load_state_dict names missing, unexpected and mis-shaped keys in PyTorch's words") {
  et::manual_seed(0);
  nn::Sequential seq(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  const auto before = seq.get<nn::Linear<>>(0).weight.to_vector();
  SUBCASE("missing") {
    auto sd = seq.state_dict();
    sd.erase("2.bias");
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd), ref::kLoadMissingMessage, std::exception);
    auto sd2 = seq.state_dict();
    sd2.erase("0.weight");
    sd2.erase("2.bias");
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd2), ref::kLoadTwoMissingMessage, std::exception);
  }
  SUBCASE("unexpected") {
    auto sd = seq.state_dict();
    sd.insert("3.weight", et::zeros({2}));
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd), ref::kLoadUnexpectedMessage, std::exception);
  }
  SUBCASE("size mismatch") {
    auto sd = seq.state_dict();
    sd.insert("0.weight", et::zeros({1, 13}));
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd), ref::kLoadSizeMismatchMessage, std::exception);
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd, false), ref::kLoadSizeMismatchMessage, std::exception);
  }
  SUBCASE("all three at once") {
    auto sd = seq.state_dict();
    sd.erase("0.bias");
    sd.insert("extra", et::zeros({1}));
    sd.insert("2.weight", et::zeros({13}));
    CHECK_THROWS_WITH_AS(seq.load_state_dict(sd), ref::kLoadEverythingMessage, std::exception);
  }
  SUBCASE("the class name of a user model") {
    Net<float> net;
    auto sd = net.state_dict();
    sd.erase("scale");
    sd.erase("fc2.weight");
    CHECK_THROWS_WITH_AS(net.load_state_dict(sd), ref::kLoadNetMissingMessage, std::exception);
  }
  SUBCASE("not strict: missing and unexpected keys are ignored, the rest is loaded") {
    auto sd = seq.state_dict();
    nn::OrderedDict<> partial;
    partial.insert("0.weight", et::full({13, 1}, 2.0f));
    partial.insert("extra", et::zeros({1}));
    seq.load_state_dict(partial, false);
    check_allclose(seq.get<nn::Linear<>>(0).weight.to_vector(), std::vector<float>(13, 2.0f), 0.0, 0.0);
    return;
  }
  // A failed load changes nothing.
  check_allclose(seq.get<nn::Linear<>>(0).weight.to_vector(), before, 0.0, 0.0);
}

TEST_CASE("registration rejects bad names with PyTorch's messages") {
  nn::Module<float> m;
  CHECK_THROWS_WITH_AS(m.register_parameter("a.b", et::zeros({1})), ref::kParameterDotMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(m.register_parameter("", et::zeros({1})), ref::kParameterEmptyMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(m.register_buffer("a.b", et::zeros({1})), ref::kBufferDotMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(m.register_module("a.b", nn::Tanh()), ref::kModuleDotMessage, et::KeyError);
  CHECK(m.parameters().empty());
  CHECK(m.named_children().empty());
}

TEST_CASE("register_parameter makes a leaf that requires grad, and replaces by name") {
  nn::Module<double> m;
  auto p = m.register_parameter("p", et::zeros<double>({2}));
  CHECK(p.requires_grad());
  CHECK(p.is_leaf());
  CHECK(str(p) == "Parameter containing:\ntensor([0., 0.], dtype=float64, requires_grad=True)");
  auto q = m.register_parameter("q", et::ones<double>({1}), false);
  CHECK_FALSE(q.requires_grad());
  m.register_parameter("p", et::ones<double>({3}));
  REQUIRE(m.named_parameters().size() == 2);
  CHECK(m.named_parameters()[0].first == "p");  // replaced in place
  CHECK(m.named_parameters()[0].second.numel() == 3);
  auto x = et::ones<double>({1}).requires_grad_();
  CHECK_THROWS_AS(m.register_parameter("r", x * 2.0), std::exception);  // not a leaf
}

TEST_CASE("a module without forward says so, with its class name") {
  NoForward m;
  CHECK_THROWS_WITH_AS(m(et::zeros({1})), ref::kMissingForwardMessage, std::exception);
  CHECK(m.name() == "NoForward");
  CHECK(str(m) == "NoForward()");
}

TEST_CASE("named_modules, children, parameters, buffers and state_dict of a nested model follow PyTorch") {
  Tree tree;
  CHECK(keys_of(tree.named_modules()) == mref::kTreeModuleNames);
  CHECK(keys_of(tree.named_children()) == mref::kTreeChildNames);
  CHECK(keys_of(tree.named_parameters()) == mref::kTreeParameterNames);
  CHECK(keys_of(tree.named_buffers()) == mref::kTreeBufferNames);
  CHECK(tree.state_dict().keys() == mref::kTreeStateDictKeys);
  CHECK(str(tree) == mref::kTreeRepr);

  // modules() is named_modules()'s modules: the first is the model itself, the shared Linear once.
  const auto modules = tree.modules();
  REQUIRE(modules.size() == mref::kTreeModuleNames.size());
  CHECK(modules[0] == &tree);
  CHECK(modules[1]->name() == "Linear");
  CHECK(modules[1]->parameters()[0].is_same(tree.shared.weight));
  const auto named = tree.named_modules();
  for (std::size_t i = 0; i < named.size(); ++i) CHECK(named[i].second == modules[i]);
  CHECK(named[3].second->name() == "Linear");  // seq.0
  CHECK(named[4].second->name() == "ReLU");    // seq.1

  Block block;
  CHECK(block.state_dict().keys() == mref::kBlockStateDictKeys);
  CHECK(keys_of(block.named_buffers()) == mref::kBlockBufferNames);
  CHECK(keys_of(block.named_modules()) == mref::kBlockModuleNames);
  CHECK(block.buffers().size() == 4);
  CHECK(keys_of(block.named_buffers(false)) == std::vector<std::string>{"running", "scratch", "count"});
}

TEST_CASE("apply visits every child's subtree, then the module itself, and returns it") {
  Tree tree;
  const auto named = tree.named_modules();
  std::vector<std::string> visited;
  // A module is named as named_modules() names it: by address, or, for the shared Linear whose
  // handle inside seq is another object on the same state, by its weight (Python: by identity).
  nn::Module<>& back = tree.apply([&](nn::Module<>& m) {
    std::string found = "?";
    for (const auto& [name, ptr] : named)
      if (ptr == &m || (!m.parameters().empty() && !ptr->parameters().empty() &&
                        ptr->parameters()[0].is_same(m.parameters()[0]) && ptr->name() == m.name()))
        if (found == "?") found = name;
    visited.push_back(found);
  });
  CHECK(&back == &tree);
  CHECK(visited == mref::kTreeApplyOrder);

  // apply as initialisation: zero every Linear's bias.
  tree.apply([](nn::Module<>& m) {
    if (auto* lin = dynamic_cast<nn::Linear<>*>(&m)) nn::init::zeros_(lin->bias);
  });
  for (const auto& [name, p] : tree.named_parameters())
    if (name.size() > 5 && name.substr(name.size() - 5) == ".bias") {
      CAPTURE(name);
      check_allclose(p.to_vector(), std::vector<double>(static_cast<std::size_t>(p.numel()), 0.0), 0.0, 0.0);
    }
}

TEST_CASE("requires_grad_ and train(bool) reach every parameter and descendant") {
  Tree tree;
  CHECK(&tree.requires_grad_(false) == &tree);
  for (const auto& p : tree.parameters()) CHECK_FALSE(p.requires_grad());
  const auto x = et::rand({1, 2});
  CHECK_FALSE(tree.shared(x).requires_grad());  // nothing recorded: the model is frozen
  tree.requires_grad_();
  for (const auto& p : tree.parameters()) CHECK(p.requires_grad());
  CHECK(tree.shared(x).grad_fn());

  CHECK(&tree.train(false) == &tree);
  for (auto* m : tree.modules()) CHECK_FALSE(m->is_training());
  tree.train(true);
  for (auto* m : tree.modules()) CHECK(m->is_training());
}

TEST_CASE("a non-persistent buffer is a buffer but not state, load_state_dict leaves it alone") {
  Block block;
  auto sd = block.state_dict();
  CHECK_FALSE(sd.contains("scratch"));
  sd["running"].fill_(3.0f);
  Block other;
  auto scratch = other.named_buffers()[1].second;
  REQUIRE(other.named_buffers()[1].first == "scratch");
  scratch.fill_(7.0f);
  other.load_state_dict(sd);  // strict: scratch is neither missing nor unexpected
  check_allclose(other.named_buffers()[0].second.to_vector(), std::vector<double>{3.0, 3.0}, 0.0, 0.0);
  check_allclose(scratch.to_vector(), std::vector<double>{7.0, 7.0, 7.0}, 0.0, 0.0);

  // Registering the name again makes it persistent (or not) as the last call says.
  other.register_buffer("scratch", scratch);
  CHECK(other.state_dict().contains("scratch"));
  other.register_buffer("scratch", scratch, false);
  CHECK_FALSE(other.state_dict().contains("scratch"));
  // An undefined buffer holds its name, and is in neither buffers() nor state_dict().
  other.register_buffer("none", et::Tensor<float>());
  CHECK(other.buffers().size() == 4);
  CHECK_FALSE(other.state_dict().contains("none"));
}

TEST_CASE("a name taken by a member of another kind is refused with PyTorch's KeyError") {
  nn::Module<> m;
  m.register_buffer("x", et::zeros({1}));
  m.register_parameter("w", et::zeros({1}));
  CHECK_THROWS_WITH_AS(m.register_parameter("x", et::zeros({1})), mref::kParameterTakenMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(m.register_module("w", nn::ReLU()), mref::kModuleTakenMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(m.register_buffer("w", et::zeros({1})), mref::kBufferTakenMessage, et::KeyError);
  CHECK(m.parameters().size() == 1);  // nothing changed
  CHECK(m.buffers().size() == 1);
  CHECK(m.children().empty());
}
