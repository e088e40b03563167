// Tests of nn/ordered_dict.hpp: insertion order, replacement in place, lookup and its KeyError
// (Python's str of a KeyError is the quoted key), erase and keys.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

namespace et = eigentorch;
namespace nn = eigentorch::nn;

}  // namespace

TEST_CASE_TEMPLATE("OrderedDict keeps insertion order and replaces values in place", T, float, double) {
  nn::OrderedDict<T> d;
  CHECK(d.empty());
  const auto a = et::tensor<T>({1.0, 2.0});
  const auto b = et::tensor<T>({3.0});
  const auto c = et::tensor<T>({4.0});
  d.insert("z", a);
  d.insert("a", b);
  d.insert("m", c);
  REQUIRE(d.size() == 3);
  CHECK(d.keys() == std::vector<std::string>{"z", "a", "m"});
  CHECK(d["z"].is_same(a));
  CHECK(d.at("a").is_same(b));

  d.insert("z", c);  // a known key keeps its place
  CHECK(d.keys() == std::vector<std::string>{"z", "a", "m"});
  CHECK(d["z"].is_same(c));

  std::vector<std::string> seen;
  for (const auto& [key, value] : d) {
    seen.push_back(key);
    CHECK(value.defined());
  }
  CHECK(seen == d.keys());

  CHECK(d.contains("a"));
  CHECK(d.erase("a"));
  CHECK_FALSE(d.erase("a"));
  CHECK_FALSE(d.contains("a"));
  CHECK(d.keys() == std::vector<std::string>{"z", "m"});

  d["m"] = a;  // operator[] gives a reference to the stored handle
  CHECK(d["m"].is_same(a));
}

TEST_CASE("OrderedDict lookup of a missing key throws KeyError with the quoted key") {
  nn::OrderedDict<> d;
  d.insert("0.weight", et::zeros({1}));
  const nn::OrderedDict<>& cd = d;
  CHECK_THROWS_WITH_AS(d["2.weight"], "'2.weight'", et::KeyError);
  CHECK_THROWS_WITH_AS(cd["2.weight"], "'2.weight'", et::KeyError);
  CHECK_THROWS_WITH_AS(d.at("x"), "'x'", et::KeyError);
  CHECK(cd["0.weight"].numel() == 1);
}
