// Tests of size.hpp: Size (equality, numel, printing as torch.Size) and the shape arithmetic
// the ops share: wrap_dim, broadcast_shapes and infer_shape, with PyTorch's messages.
#include <eigentorch/eigentorch.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <sstream>  // std::ostringstream
#include <string>
#include <vector>

#include "reference/core_cases.hpp"

namespace {

namespace et = eigentorch;
namespace ref = eigentorch::testing::core_reference;
using et::Size;

const char* error_of(const char* key) { return ref::find_text("error:tensor", key).text; }

}  // namespace

TEST_CASE("size: construction, indexing, numel") {
  const Size s{2, 3, 4};
  CHECK(s.size() == 3);
  CHECK_FALSE(s.empty());
  CHECK(s[0] == 2);
  CHECK(s[2] == 4);
  CHECK(s.numel() == 24);
  CHECK(Size{}.numel() == 1);  // a 0-d tensor holds one element
  CHECK(Size{}.empty());
  CHECK(Size{3, 0, 5}.numel() == 0);
  CHECK(Size(std::vector<int64_t>{7, 1}) == Size{7, 1});
  CHECK(s.vec() == std::vector<int64_t>{2, 3, 4});
  Size m{1, 2};
  m[1] = 5;
  CHECK(m == Size{1, 5});
  int64_t product = 1;
  for (int64_t d : s) product *= d;
  CHECK(product == 24);
}

TEST_CASE("size: equality compares every dim") {
  CHECK(Size{2, 3} == Size{2, 3});
  CHECK(Size{2, 3} != Size{3, 2});
  CHECK(Size{2, 3} != Size{2, 3, 1});
  CHECK(Size{} == Size());
  CHECK(Size{1} != Size{});
}

TEST_CASE("size: printed as torch.Size is, without the torch. prefix") {
  const std::vector<std::pair<Size, const char*>> cases = {
      {Size{}, "[]"}, {Size{0}, "[0]"}, {Size{3}, "[3]"}, {Size{11, 1}, "[11, 1]"}, {Size{2, 3, 4}, "[2, 3, 4]"}};
  for (const auto& [size, key] : cases) {
    const std::string name = key;
    CAPTURE(name);
    const std::string expected = ref::find_text("print:size", key).text;
    std::ostringstream os;
    os << size;
    CHECK(os.str() == expected);
    CHECK(size.str() == expected);
    CHECK(size.list_str() == key);
  }
}

TEST_CASE("size: wrap_dim counts negative dims from the end and names the range it wanted") {
  using et::detail::wrap_dim;
  CHECK(wrap_dim(0, 2) == 0);
  CHECK(wrap_dim(1, 2) == 1);
  CHECK(wrap_dim(-1, 2) == 1);
  CHECK(wrap_dim(-2, 2) == 0);
  CHECK(wrap_dim(0, 0) == 0);  // a 0-d tensor accepts 0 and -1
  CHECK(wrap_dim(-1, 0) == 0);
  CHECK_THROWS_WITH_AS(wrap_dim(2, 2), error_of("size(2) of 2-d"), et::IndexError);
  CHECK_THROWS_WITH_AS(wrap_dim(-3, 2), error_of("size(-3) of 2-d"), et::IndexError);
  CHECK_THROWS_WITH_AS(wrap_dim(3, 3), error_of("unsqueeze(3) of 2-d"), et::IndexError);
  CHECK_THROWS_WITH_AS(wrap_dim(1, 0), error_of("sum(1) of 0-d"), et::IndexError);
}

TEST_CASE("size: broadcast_shapes follows PyTorch's rules and message") {
  using et::detail::broadcast_shapes;
  CHECK(broadcast_shapes(Size{2, 3}, Size{3}) == Size{2, 3});
  CHECK(broadcast_shapes(Size{2, 1}, Size{1, 3}) == Size{2, 3});
  CHECK(broadcast_shapes(Size{}, Size{4, 1}) == Size{4, 1});
  CHECK(broadcast_shapes(Size{5, 1, 3}, Size{4, 1}) == Size{5, 4, 3});
  CHECK(broadcast_shapes(Size{0}, Size{1}) == Size{0});
  CHECK_THROWS_WITH_AS(broadcast_shapes(Size{2, 3}, Size{4}),
                       "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
                       et::Error);
}

TEST_CASE("size: infer_shape resolves one -1 and refuses what PyTorch refuses") {
  using et::detail::infer_shape;
  CHECK(infer_shape({-1, 1}, 6) == Size{6, 1});
  CHECK(infer_shape({2, -1, 1}, 6) == Size{2, 3, 1});
  CHECK(infer_shape({}, 1) == Size{});
  CHECK(infer_shape({-1}, 0) == Size{0});
  CHECK(infer_shape({0, 5}, 0) == Size{0, 5});
  CHECK_THROWS_WITH_AS(infer_shape({4, 2}, 6), error_of("reshape({4, 2}) of 6"), et::Error);
  CHECK_THROWS_WITH_AS(infer_shape({5, -1}, 6), error_of("view({5, -1}) of 6"), et::Error);
  CHECK_THROWS_WITH_AS(infer_shape({-1, -1}, 6), error_of("view({-1, -1})"), et::Error);
  CHECK_THROWS_WITH_AS(infer_shape({-2, 3}, 6), error_of("reshape({-2, 3})"), et::Error);
  CHECK_THROWS_WITH_AS(infer_shape({0, -1}, 6), error_of("reshape({0, -1}) of 6"), et::Error);
}
