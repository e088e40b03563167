// tensor/value.hpp: a Value's kinds, and the OrderedDict flag a dict keeps through copies (so that a
// state dict loaded from torch.save is saved as an OrderedDict again).
#include <eigentorch/tensor.hpp>
#include <eigentorch/tensor/value.hpp>

#include <doctest/doctest.h>

namespace et = eigentorch;
using et::Value;

TEST_CASE("Value: dicts and OrderedDicts") {
  const Value d = Value::dict({{"a", 1}, {int64_t(2), "b"}});
  const Value o = Value::ordered_dict({{"a", 1.5}, {"t", Value(et::tensor({1.f, 2.f}))}});
  CHECK(d.kind() == Value::Kind::dict);
  CHECK(o.kind() == Value::Kind::dict);
  CHECK_FALSE(d.is_ordered_dict());
  CHECK(o.is_ordered_dict());
  CHECK_FALSE(Value::list({}).is_ordered_dict());
  Value copy = o;
  CHECK(copy.is_ordered_dict());
  copy.insert("c", Value());
  CHECK(copy.entries().size() == 3);
  CHECK(o.entries().size() == 2);
  CHECK(copy.at("a").as_double() == 1.5);
  CHECK(copy.at("t").as_tensor<float>().to_vector() == std::vector<float>{1, 2});
  CHECK(Value::ordered_dict().entries().empty());
  CHECK_THROWS_WITH_AS(o.at("zz"), "'zz'", et::KeyError);
  CHECK_THROWS_WITH_AS(Value(1).is_ordered_dict() ? 0 : Value(1).entries().size(), "expected a dict, got an int",
                       et::ValueError);
}
