// serialize/pickle.hpp: the restricted unpickler reads what Python's pickler wrote (protocol 2, as
// torch.save pickles) value for value, and the pickler writes Python's bytes again; everything a hostile
// pickle could try (a forbidden global, unknown opcodes, a missing memo entry, stack underflow, deep or
// self-containing nesting, lying lengths) ends in an Error with its message.
#include <eigentorch/serialize/pickle.hpp>
#include <eigentorch/tensor.hpp>
#include <eigentorch/serialize/zip.hpp>

#include <doctest/doctest.h>

#include "reference/serialize_pt_cases.hpp"
#include "serialize/pt_test_util.hpp"

#include <string>
#include <vector>

namespace et = eigentorch;
namespace ser = eigentorch::serialize;
using et::Value;
using et::testing::canon;

namespace {

/// A loader for pickles that hold no tensor.
Value no_tensors(const ser::TensorRef&) { throw et::Error("unexpected tensor"); }

Value unpickle(const std::string& bytes) {
  return ser::unpickle(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), no_tensors);
}

/// "\x80\x02" + body: a protocol-2 pickle (the literal's NULs included).
template <std::size_t N>
std::string p2(const char (&body)[N]) {
  return std::string("\x80\x02", 2) + std::string(body, N - 1);
}
std::string p2(const std::string& body) { return std::string("\x80\x02", 2) + body; }

}  // namespace

TEST_CASE("serialize pickle: Python's pickles read value for value and written again byte for byte") {
  for (const auto& f : et::reference::serialize_pickle_fixtures) {
    CAPTURE(std::string(f.name));
    const std::string bytes(f.bytes, f.size);
    const Value v = unpickle(bytes);
    CHECK(canon(v) == f.contents);
    const std::vector<unsigned char> again = ser::pickle(v);
    CHECK(std::string(again.begin(), again.end()) == bytes);
  }
}

TEST_CASE("serialize pickle: torch.save's data.pkl, tensors described to the loader") {
  const std::string path = et::testing::pt_fixture("dtypes.pt");
  ser::InputFile file(path);
  const ser::ZipReader zip(file);
  const std::vector<unsigned char> pkl = zip.read("dtypes/data.pkl");
  std::vector<ser::TensorRef> seen;
  const Value v = ser::unpickle(pkl.data(), pkl.size(), [&](const ser::TensorRef& t) {
    seen.push_back(t);
    return Value(static_cast<int64_t>(seen.size()));
  });
  REQUIRE(v.is_ordered_dict());
  REQUIRE(seen.size() == 16);
  CHECK(seen[0].storage.dtype == ser::Dtype::float32);  // f32: randn(2, 3)
  CHECK(seen[0].storage.location == "cpu");
  CHECK(seen[0].storage.numel == 6);
  CHECK(seen[0].size == std::vector<int64_t>{2, 3});
  CHECK(seen[0].stride == std::vector<int64_t>{3, 1});
  CHECK(seen[2].storage.dtype == ser::Dtype::float16);
  CHECK(seen[3].storage.dtype == ser::Dtype::bfloat16);
  CHECK(seen[9].storage.dtype == ser::Dtype::boolean);
  CHECK(seen[10].size.empty());  // scalar
  CHECK(seen[11].size == std::vector<int64_t>{0, 3});
  // noncontiguous = base.view(3, 4).t(); shared_a = base[2:8]; shared_b = base.view(3, 4)[:, 1]: one storage
  CHECK(seen[12].stride == std::vector<int64_t>{1, 4});
  CHECK(seen[13].offset == 2);
  CHECK(seen[14].offset == 1);
  CHECK(seen[14].stride == std::vector<int64_t>{4});
  CHECK(seen[12].storage.key == seen[13].storage.key);
  CHECK(seen[13].storage.key == seen[14].storage.key);
  CHECK(seen[15].storage.numel == 12);
}

TEST_CASE("serialize pickle: the pickler's memo, batches and tensors") {
  SUBCASE("an OrderedDict of tensors: GLOBAL, REDUCE, SETITEMS, BINPERSID") {
    const Value sd = Value::ordered_dict({{"w", Value(et::tensor({{1.f, 2.f}}))}, {"n", Value(et::tensor<int64_t>({3}))}});
    ser::Pickler p(sd);
    REQUIRE(p.storages().size() == 2);
    CHECK(p.storages()[0].key == "0");
    CHECK(p.storages()[0].dtype == ser::Dtype::float32);
    CHECK(p.storages()[1].dtype == ser::Dtype::int64);
    const std::vector<unsigned char>& b = p.bytes();
    const std::string s(b.begin(), b.end());
    CHECK(s.rfind(p2("ccollections\nOrderedDict\nq\x00)Rq\x01(X\x01\x00\x00\x00w"), 0) == 0);
    CHECK(s.find("ctorch\nFloatStorage\n") != std::string::npos);
    CHECK(s.find("ctorch\nLongStorage\n") != std::string::npos);
    // read back, the tensors described as written
    std::vector<ser::TensorRef> seen;
    const Value back = ser::unpickle(b.data(), b.size(), [&](const ser::TensorRef& t) {
      seen.push_back(t);
      return Value();
    });
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].size == std::vector<int64_t>{1, 2});
    CHECK(seen[0].stride == std::vector<int64_t>{2, 1});
    CHECK(seen[1].storage.key == "1");
    CHECK(canon(back) == "O{'w': None, 'n': None}");
  }
  SUBCASE("the same tensor twice is one storage and one memo entry") {
    const et::Tensor<float> t = et::tensor({1.f, 2.f});
    ser::Pickler p(Value::list({Value(t), Value(t), Value(et::tensor({1.f, 2.f}))}));
    CHECK(p.storages().size() == 2);
  }
  SUBCASE("nesting past the limit is refused") {
    Value v = Value::list({});
    for (std::size_t i = 0; i < ser::kMaxPickleDepth + 1; ++i) v = Value::list({v});
    CHECK_THROWS_WITH_AS(ser::pickle(v), "cannot pickle a value nested deeper than 1000 levels", et::Error);
  }
}

TEST_CASE("serialize pickle: hostile and malformed pickles are refused with a message") {
  struct Case {
    std::string bytes;
    const char* message;
  };
  const std::string deep_marks = p2(std::string(1009, '('));
  std::string fan = p2("]q\x00");  // l0 = []; l_{k+1} = [l_k, l_k]: 2^60 values if expanded
  for (int k = 0; k < 60; ++k) {
    fan += "](h" + std::string(1, static_cast<char>(k)) + "h" + std::string(1, static_cast<char>(k)) + "eq" +
           std::string(1, static_cast<char>(k + 1));
  }
  fan += ".";
  const Case cases[] = {
      {p2("cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."), "Unsupported class os.system"},
      {p2("cbuiltins\neval\n."), "Unsupported class builtins.eval"},
      {p2("ctorch._utils\n_rebuild_sparse_tensor\n)R."),
       "eigentorch cannot rebuild torch._utils._rebuild_sparse_tensor (it reads dense CPU tensors)"},
      {p2("d."), "Unsupported operand 100 (at byte 2)"},
      {p2("\x8c\x01x."), "Unsupported operand 140 (at byte 2)"},
      {p2("h\x05."), "Memo value not found at index 5"},
      {p2("j\x00\x01\x00\x00."), "Memo value not found at index 256"},
      {p2("\x85."), "unpickling stack underflow"},
      {p2("(\x85."), "unpickling stack underflow"},
      {p2("."), "unpickling stack underflow"},
      {p2("N(q\x00."), "unpickling stack underflow"},
      {p2("t."), "could not find MARK"},
      {p2("X\xff\xff\xff\xff" "ab"), "pickle data was truncated"},
      {p2("N"), "pickle data was truncated"},
      {std::string(), "pickle data was truncated"},
      {p2("J\x01\x02"), "pickle data was truncated"},
      {p2("cos\nsys"), "pickle data was truncated"},
      {deep_marks, "the pickle nests deeper than 1008 levels"},
      {p2("]q\x00h\x00" "a."), "the pickle nests deeper than 1000 levels (or holds a container that contains itself)"},
      {fan, "the pickle's shared containers expand to too many values"},
      {p2("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."), "an int of 72 bits does not fit in int64"},
      {p2("X\x02\x00\x00\x00\xc3\x28."), "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte"},
      {p2("X\x01\x00\x00\x00\xff."), "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"},
      {p2("X\x01\x00\x00\x00\xe4."), "'utf-8' codec can't decode byte 0xe4 in position 0: unexpected end of data"},
      {p2("}Na."), "Can only append to lists, but got <class 'dict'>"},
      {p2("}(Ne."), "Can only extend lists, but got <class 'dict'>"},
      {p2(")NNs."), "'<class 'tuple'>' object does not support item assignment"},
      {p2("]}b."), "Can only build Tensor, parameter or dict objects, but got <class 'list'>"},
      {p2("K\x01)R."), "Trying to call reduce for unrecognized function <class 'int'>"},
      {p2("ccollections\nOrderedDict\nK\x01R."), "reduce's arguments must be <class 'tuple'>, but got <class 'int'>"},
      {p2("ccollections\nOrderedDict\nK\x01\x85R."), "eigentorch reads OrderedDict() without arguments only"},
      {p2("X\x03\x00\x00\x00" "fooK\x01\x86Q."), "Only persistent_load of storage is allowed, but got foo"},
      {p2("K\x01Q."), "persistent_load id must be tuple or int, but got <class 'int'>"},
      {p2("(X\x07\x00\x00\x00storagectorch\nComplexFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x01tQ."),
       "eigentorch cannot load a storage of type torch.ComplexFloatStorage"},
      {p2("(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuJ\xff\xff\xff\xfftQ."),
       "storage '0' has a negative size: -1"},
      {p2("(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cputQ."),
       "a storage's persistent id must be ('storage', type, key, location, numel), got 4 items"},
      {p2("}(NK\x01u."), "eigentorch reads dicts with int or str keys only, not <class 'NoneType'>"},
      {p2("}(K\x01u."), "odd number of items for SETITEMS"},
      {p2("ctorch\nFloatStorage\n."), "the pickle holds torch.FloatStorage itself, which eigentorch has no value for"},
      {p2("ctorch.nn.parameter\nParameter\nK\x01\x85\x81."), "a parameter's data must be <class 'torch.Tensor'>, but got <class 'int'>"},
      {p2("ccollections\nOrderedDict\n)\x81."), "Trying to instantiate unsupported class collections.OrderedDict"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    CHECK_THROWS_WITH_AS(unpickle(c.bytes), c.message, et::Error);
  }
}

TEST_CASE("serialize pickle: one object referenced many times loads") {
  std::string many = "}q" + std::string(1, '\0') + "](";
  for (int i = 0; i < 3000; ++i) many += "h" + std::string(1, '\0');
  const Value v = unpickle(p2(many + "e."));
  REQUIRE(v.items().size() == 3000);
  CHECK(canon(v.items()[2999]) == "{}");
}

TEST_CASE("serialize pickle: duplicate dict keys keep their first place, as in Python") {
  const Value v = unpickle(p2("}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "bK\x02X\x01\x00\x00\x00" "aK\x03u."));
  CHECK(canon(v) == "{'a': 3, 'b': 2}");
  // an OrderedDict's attributes (_metadata) are dropped by BUILD; bytes (SHORT_BINSTRING) read as str
  CHECK(canon(unpickle(p2("ccollections\nOrderedDict\n)R}bU\x02hi."))) == "'hi'");
  CHECK(canon(unpickle(p2("ccollections\nOrderedDict\n)R}b."))) == "O{}");
}
