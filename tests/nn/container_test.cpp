// Tests of nn/container.hpp (Sequential) against PyTorch 1.13: seeded models drawn in Python's
// left-to-right order, names "0", "1", ..., state_dict, forward and gradients, repr and printing,
// push_back / size / indexing / get, handle semantics and CTAD; ModuleList (seeded values, append,
// extend, insert, iteration, errors), ModuleDict (insertion order, lookup, KeyError) and Identity.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t
#include <memory>       // make_shared
#include <sstream>      // ostringstream
#include <string>
#include <type_traits>  // is_same_v
#include <vector>

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

const ref::ModelCase& model_case(const std::string& name) {
  for (const auto& c : ref::kModelCases)
    if (name == c.name) return c;
  FAIL("no model case " << name);
  throw;
}

/// The Sequential models of the reference, each built the way user code would write it.
template <class T>
nn::Sequential<T> build(const std::string& kind) {
  if (kind == "seq 1-13-1") return nn::Sequential<T>(nn::Linear<T>(1, 13), nn::Tanh<T>(), nn::Linear<T>(13, 1));
  if (kind == "seq 4-8-3") return nn::Sequential<T>(nn::Linear<T>(4, 8), nn::Tanh<T>(), nn::Linear<T>(8, 3));
  if (kind == "nested")
    return nn::Sequential<T>(nn::Linear<T>(2, 3), nn::Sequential<T>(nn::Linear<T>(3, 4), nn::ReLU<T>()),
                             nn::Linear<T>(4, 1), nn::Sigmoid<T>());
  if (kind == "prebuilt reversed") {
    nn::Linear<T> second(5, 2);
    nn::Linear<T> first(3, 5);
    return nn::Sequential<T>(first, nn::Tanh<T>(), second);
  }
  FAIL("unknown kind " << kind);
  return nn::Sequential<T>();
}

/// Initial values, the generator's position, names, forward, gradients, repr and printing.
template <class T>
void check_model(nn::Module<T>& model, const ref::ModelCase& c) {
  const auto named = model.named_parameters();
  REQUIRE(named.size() == c.parameters.size());
  for (std::size_t i = 0; i < named.size(); ++i) {
    const std::string pname = c.parameters[i].name;
    CAPTURE(pname);
    CHECK(named[i].first == c.parameters[i].name);
    CHECK(named[i].second.shape() == et::Size(c.parameters[i].shape));
    check_allclose(named[i].second.to_vector(), c.parameters[i].values, 0.0, 0.0);
  }
  check_allclose(et::rand<T>({5}).to_vector(), c.rand_after, 0.0, 0.0);

  CHECK(model.state_dict().keys() == c.state_dict_keys);
  std::vector<std::string> children;
  for (const auto& kv : model.named_children()) children.push_back(kv.first);
  CHECK(children == c.child_names);
  CHECK(str(model) == c.repr);
  CHECK(str(model.parameters()) == c.parameters_print);
  CHECK(str(model.state_dict()[c.state_dict_keys.back()]) == c.last_state_print);

  // NOTE: float forward values and gradients are within rtol 1e-6 (exact except where Sigmoid
  // rounds differently by an ulp); double within 1e-12.
  const double rtol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  const auto x = make<T>(c.x, {3, static_cast<int64_t>(c.x.size() / 3)});
  const auto y = model(x);
  check_allclose(y.to_vector(), c.y, rtol, 1e-7);
  y.sum().backward();
  const auto params = model.parameters();
  REQUIRE(params.size() == c.grads.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string gname = c.grads[i].name;
    CAPTURE(gname);
    REQUIRE(params[i].grad().defined());
    check_allclose(params[i].grad().to_vector(), c.grads[i].values, rtol, 1e-7);
  }
}

}  // namespace

TEST_CASE_TEMPLATE("Sequential draws its children in argument order, as Python does", T, float, double) {
  const std::string suffix = std::is_same_v<T, double> ? " double" : "";
  for (const char* name : {"seq 1-13-1 seed 0", "seq 4-8-3 seed 5", "nested seed 11"}) {
    const auto& c = model_case(name + suffix);
    const std::string case_name = c.name;
    CAPTURE(case_name);
    REQUIRE(c.is_double == std::is_same_v<T, double>);
    et::manual_seed(c.seed);
    auto model = build<T>(c.kind);
    check_model(model, c);
  }
}

TEST_CASE("Sequential keeps the values of children built beforehand, in whatever order") {
  // Python: second = Linear(5, 2); first = Linear(3, 5); Sequential(first, Tanh(), second): each
  // child keeps what it drew when it was built.
  const auto& c = model_case("prebuilt reversed seed 2");
  et::manual_seed(c.seed);
  auto model = build<float>(c.kind);
  check_model(model, c);
}

TEST_CASE("children built in order, or with draws in between, keep their values") {
  const auto& c = model_case("seq 1-13-1 seed 0");
  SUBCASE("built in order beforehand") {
    et::manual_seed(0);
    nn::Linear first(1, 13);
    nn::Tanh act;
    nn::Linear last(13, 1);
    nn::Sequential model(first, act, last);
    check_model(model, c);
  }
  SUBCASE("a draw between the children") {
    et::manual_seed(0);
    nn::Linear first(1, 13);
    const auto between = et::rand({2});
    nn::Linear last(13, 1);
    const auto after = et::rand({1});
    nn::Sequential model(first, nn::Tanh(), last);
    // first took the first draws, exactly as PyTorch's model would; nothing is redrawn.
    check_allclose(model.get<nn::Linear<>>(0).weight.to_vector(), c.parameters[0].values, 0.0, 0.0);
    check_allclose(model.get<nn::Linear<>>(0).bias.to_vector(), c.parameters[1].values, 0.0, 0.0);
    CHECK(model.get<nn::Linear<>>(2).weight.is_same(last.weight));
    CHECK(str(model) == c.repr);
    (void)between;
    (void)after;
  }
}

TEST_CASE("Sequential deduces float, as nn::Sequential s(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1))") {
  et::manual_seed(0);
  nn::Sequential s(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  static_assert(std::is_same_v<decltype(s), nn::Sequential<float>>);
  check_model(s, model_case("seq 1-13-1 seed 0"));  // before anything else draws
  nn::Sequential<> t;
  static_assert(std::is_same_v<decltype(t), nn::Sequential<float>>);
  nn::Sequential d(nn::Linear<double>(1, 2));
  static_assert(std::is_same_v<decltype(d), nn::Sequential<double>>);
}

TEST_CASE("Sequential names its children 0, 1, 2 and indexes, gets and appends them") {
  et::manual_seed(0);
  nn::Linear first(1, 13);
  nn::Sequential s(first, nn::Tanh(), nn::Linear(13, 1));
  REQUIRE(s.size() == 3);
  const auto children = s.named_children();
  REQUIRE(children.size() == 3);
  CHECK(children[0].first == "0");
  CHECK(children[1].first == "1");
  CHECK(children[2].first == "2");
  CHECK(s[1].name() == "Tanh");
  CHECK(s[-1].name() == "Linear");
  CHECK(s.get<nn::Linear<>>(0).weight.is_same(first.weight));  // the child is the handle passed in
  CHECK(s.get<nn::Linear<>>(-3).bias.is_same(first.bias));
  CHECK(s.get<nn::Linear<>>(2).in_features() == 13);
  CHECK(s[0].parameters()[0].is_same(first.weight));
  CHECK_THROWS_AS(s.get<nn::Linear<>>(1), std::exception);  // a Tanh

  CHECK_THROWS_WITH_AS(s[3], ref::kSequentialIndex3Message, et::IndexError);
  CHECK_THROWS_WITH_AS(s[-4], ref::kSequentialIndexMinus4Message, et::IndexError);
  CHECK_THROWS_WITH_AS(s.get<nn::Linear<>>(3), ref::kSequentialIndex3Message, et::IndexError);

  nn::Linear appended(1, 2);
  s.push_back(appended);
  s.push_back(nn::Sigmoid());
  s.push_back(std::make_shared<nn::ReLU<>>());  // held as is, no copy
  REQUIRE(s.size() == 6);
  CHECK(s.named_children()[3].first == "3");
  CHECK(s.named_children()[5].first == "5");
  CHECK(s.get<nn::Linear<>>(3).weight.is_same(appended.weight));
  std::vector<std::string> names;
  for (const auto& kv : s.named_parameters()) names.push_back(kv.first);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"});
  CHECK(s[5].name() == "ReLU");
}

TEST_CASE_TEMPLATE("Sequential's forward applies the children in order", T, float, double) {
  et::manual_seed(3);
  nn::Linear<T> a(2, 4), b(4, 3);
  nn::Sequential<T> s(a, nn::Tanh<T>(), b, nn::ReLU<T>());
  const auto x = et::rand<T>({5, 2});
  const auto expected = et::relu(b(et::tanh(a(x))));
  check_allclose(s(x).to_vector(), expected.to_vector(), 0.0, 0.0);
  check_allclose(s.forward(x).to_vector(), expected.to_vector(), 0.0, 0.0);

  nn::Sequential<T> empty;
  CHECK(empty.size() == 0);
  check_allclose(empty(x).to_vector(), x.to_vector(), 0.0, 0.0);  // as PyTorch, the input itself
}

TEST_CASE("copying a Sequential shares its parameters, assignment replaces the model") {
  et::manual_seed(0);
  nn::Sequential model(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  nn::Sequential alias = model;
  const auto p = model.parameters();
  const auto q = alias.parameters();
  REQUIRE(p.size() == q.size());
  for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i].is_same(q[i]));
  alias.push_back(nn::Sigmoid());  // the same model: the original sees the new child too
  CHECK(model.size() == 4);
  alias.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(model[0].is_training());

  const auto old_weight = model.get<nn::Linear<>>(0).weight;
  model = nn::Sequential(nn::Linear(1, 13), nn::Tanh(), nn::Linear(13, 1));
  CHECK(model.size() == 3);
  CHECK(model.is_training());
  CHECK_FALSE(model.parameters()[0].is_same(old_weight));
  CHECK(alias.parameters()[0].is_same(old_weight));  // a copy still holds the old model
  CHECK(alias.size() == 4);
}

TEST_CASE("Sequential reprs match PyTorch's") {
  for (const auto& [what, expected] : ref::kReprCases) {
    const std::string w = what;
    CAPTURE(w);
    if (w == "Sequential()") CHECK(str(nn::Sequential<>()) == expected);
    if (w == "Sequential(Tanh, Sequential(ReLU, Sigmoid))")
      CHECK(str(nn::Sequential(nn::Tanh(), nn::Sequential(nn::ReLU(), nn::Sigmoid()))) == expected);
  }
}

TEST_CASE_TEMPLATE("Sequential::reset_parameters redraws every child in order", T, float, double) {
  const auto& c = model_case(std::is_same_v<T, double> ? "seq 4-8-3 seed 5 double" : "seq 4-8-3 seed 5");
  auto model = build<T>(c.kind);
  et::manual_seed(c.seed);
  model.reset_parameters();
  const auto named = model.named_parameters();
  REQUIRE(named.size() == c.parameters.size());
  for (std::size_t i = 0; i < named.size(); ++i) check_allclose(named[i].second.to_vector(), c.parameters[i].values, 0.0, 0.0);
  check_allclose(et::rand<T>({5}).to_vector(), c.rand_after, 0.0, 0.0);
}

TEST_CASE("ModuleList, ModuleDict and Identity print PyTorch's reprs") {
  int n = 0;
  for (const auto& [what, expected] : mref::kContainerReprCases) {
    const std::string w = what;
    CAPTURE(w);
    std::string got;
    if (w == "ModuleList()") got = str(nn::ModuleList<>());
    else if (w == "ModuleList(Linear(2, 2) x3)") got = str(nn::ModuleList(nn::Linear(2, 2), nn::Linear(2, 2), nn::Linear(2, 2)));
    else if (w == "ModuleList(Tanh, ModuleList(ReLU))") got = str(nn::ModuleList(nn::Tanh(), nn::ModuleList(nn::ReLU())));
    else if (w == "ModuleDict()") got = str(nn::ModuleDict<>());
    else if (w == "ModuleDict(act: ReLU, out: Linear(3, 1))") {
      nn::ModuleDict d;
      d.insert("act", nn::ReLU());
      d.insert("out", nn::Linear(3, 1));
      got = str(d);
    } else if (w == "Identity") got = str(nn::Identity());
    else continue;  // Flatten and Unflatten: tests/nn/flatten_test.cpp
    CHECK(got == expected);
    ++n;
  }
  CHECK(n == 6);
}

TEST_CASE_TEMPLATE("ModuleList draws its children in argument order and names them 0, 1, 2", T, float, double) {
  for (const auto& c : mref::kListCases) {
    if (c.is_double != std::is_same_v<T, double>) continue;
    et::manual_seed(c.seed);
    nn::ModuleList<T> list(nn::Linear<T>(4, 8), nn::ReLU<T>(), nn::Linear<T>(8, 3));
    const auto named = list.named_parameters();
    REQUIRE(named.size() == c.names.size());
    for (std::size_t i = 0; i < named.size(); ++i) {
      CHECK(named[i].first == c.names[i]);
      check_allclose(named[i].second.to_vector(), c.values[i], 0.0, 0.0);
    }
    check_allclose(et::rand<T>({3}).to_vector(), c.rand_after, 0.0, 0.0);
  }
}

TEST_CASE("ModuleList: the user's forward loops over it, append, extend, insert, index, errors") {
  et::manual_seed(0);
  nn::ModuleList layers;
  static_assert(std::is_same_v<decltype(layers), nn::ModuleList<float>>);
  nn::Linear first(4, 8);
  layers.push_back(first);
  layers.append(nn::ReLU()).append(nn::Linear(8, 3));
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].parameters()[0].is_same(first.weight));  // shared with the handle passed in
  CHECK(layers[-1].name() == "Linear");
  CHECK(layers.get<nn::Linear<>>(2).out_features() == 3);

  const auto x = et::rand({2, 4});
  et::Tensor<float> y = x;
  for (auto& layer : layers) y = layer(y);
  const auto expected = layers.get<nn::Linear<>>(2)(et::relu(first(x)));
  check_allclose(y.to_vector(), expected.to_vector(), 0.0, 0.0);

  std::vector<std::string> kinds;
  for (const auto& m : layers) kinds.push_back(m.name());
  CHECK(kinds == std::vector<std::string>{"Linear", "ReLU", "Linear"});

  nn::ModuleList two{nn::ReLU(), nn::Tanh()};  // braces: with parentheses this would declare a function
  CHECK_THROWS_WITH_AS(two[2], mref::kListIndexMessage, et::IndexError);
  CHECK_THROWS_WITH_AS(two.get<nn::ReLU<>>(2), mref::kListIndexMessage, et::IndexError);
  CHECK_THROWS_WITH_AS(two[-3], mref::kListIndexNegativeMessage, et::IndexError);
  CHECK_THROWS_WITH_AS(two(x), mref::kListForwardMessage, std::exception);

  layers.extend(two);  // "3", "4": the same modules as two's
  REQUIRE(layers.size() == 5);
  CHECK(&layers[3] == &two[0]);
  CHECK(layers.named_children()[4].first == "4");
  layers.extend(layers);  // extending by itself doubles it, as Python's does
  CHECK(layers.size() == 10);
  CHECK(&layers[9] == &two[1]);

  nn::ModuleList<> list{nn::ReLU(), nn::Tanh()};
  list.insert(1, nn::Sigmoid());
  list.insert(-1, nn::Identity());  // before the last, as Python's insert(-1, m)
  list.insert(99, nn::ReLU6());     // clamped to the end
  std::vector<std::string> names, keys;
  for (const auto& m : list) names.push_back(m.name());
  for (const auto& kv : list.named_children()) keys.push_back(kv.first);
  CHECK(names == std::vector<std::string>{"ReLU", "Sigmoid", "Identity", "Tanh", "ReLU6"});
  CHECK(keys == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("ModuleDict keeps insertion order, finds by key and names a missing key as Python does") {
  et::manual_seed(0);
  nn::ModuleDict heads;
  nn::Linear cls(8, 3);
  heads.insert("cls", cls);
  heads.insert("act", nn::ReLU());
  heads.insert("reg", std::shared_ptr<nn::Module<>>(std::make_shared<nn::Linear<>>(8, 1)));
  CHECK(heads.keys() == std::vector<std::string>{"cls", "act", "reg"});
  CHECK(heads.size() == 3);
  CHECK(heads.contains("act"));
  CHECK_FALSE(heads.contains("gone"));
  CHECK(heads["cls"].parameters()[0].is_same(cls.weight));
  CHECK(heads.at("reg").name() == "Linear");
  CHECK(heads.get<nn::Linear<>>("reg").out_features() == 1);
  CHECK_THROWS_AS(heads.get<nn::Linear<>>("act"), std::exception);
  CHECK_THROWS_WITH_AS(heads["gone"], mref::kDictKeyMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(heads.at("gone"), mref::kDictKeyMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(heads.pop("gone"), mref::kDictKeyMessage, et::KeyError);
  CHECK_THROWS_WITH_AS(heads.insert("a.b", nn::ReLU()), mref::kDictDotMessage, et::KeyError);

  std::vector<std::string> names;
  for (const auto& names_and_modules : heads) names.push_back(names_and_modules.first + ":" + names_and_modules.second->name());
  CHECK(names == std::vector<std::string>{"cls:Linear", "act:ReLU", "reg:Linear"});
  std::vector<std::string> params;
  for (const auto& kv : heads.named_parameters()) params.push_back(kv.first);
  CHECK(params == std::vector<std::string>{"cls.weight", "cls.bias", "reg.weight", "reg.bias"});

  const auto x = et::rand({2, 8});
  check_allclose(heads["act"](heads["cls"](x)).to_vector(), et::relu(cls(x)).to_vector(), 0.0, 0.0);

  heads.insert("act", nn::Tanh());  // replacing keeps the position
  CHECK(heads.keys() == std::vector<std::string>{"cls", "act", "reg"});
  CHECK(heads["act"].name() == "Tanh");
  const auto popped = heads.pop("cls");
  CHECK(popped->parameters()[0].is_same(cls.weight));
  CHECK(heads.keys() == std::vector<std::string>{"act", "reg"});
  CHECK(heads.values().size() == 2);
  heads.clear();
  CHECK(heads.empty());

  nn::ModuleDict<double> built({{"a", std::make_shared<nn::Linear<double>>(2, 2)}, {"b", std::make_shared<nn::Tanh<double>>()}});
  CHECK(built.keys() == std::vector<std::string>{"a", "b"});
}

TEST_CASE_TEMPLATE("Identity passes its input through, as the same tensor", T, float, double) {
  nn::Identity<T> id;
  const auto x = et::rand<T>({2, 3}).requires_grad_();
  const auto y = id(x);
  CHECK(y.is_same(x));
  CHECK(id.parameters().empty());
  CHECK(str(id) == "Identity()");
}
