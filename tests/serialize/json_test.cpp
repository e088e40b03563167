// The safetensors header's JSON: reading values of every kind, escapes (surrogate pairs too), UTF-8
// checks, integer overflow, duplicate keys, the nesting limit, and every error with its byte offset;
// the writer's escaping (serde_json's) and its round trip through the reader.
#include <eigentorch/serialize/json.hpp>

#include <doctest/doctest.h>

#include "serialize/serialize_test_util.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace json = eigentorch::serialize::json;
using eigentorch::Error;

using eigentorch::testing::error_of;

namespace {

/// Reads `text` as one string value.
std::string read_string(const std::string& text) {
  json::Reader r(text, "t");
  std::string s = r.string();
  r.finish();
  return s;
}
std::uint64_t read_uint(const std::string& text) {
  json::Reader r(text, "t");
  const std::uint64_t v = r.uint();
  r.finish();
  return v;
}
/// Skips `text` as one value, then checks nothing follows.
void skip_all(const std::string& text) {
  json::Reader r(text, "t");
  r.skip();
  r.finish();
}

}  // namespace

TEST_CASE("json: an object of strings, integers and arrays, read in order") {
  const std::string text = R"( {"name" : "w", "shape": [2, 0, 18446744073709551615],
                               "flag": true, "none": null, "more": {"x": [1.5e3, -2, {"y": []}]} } )";
  json::Reader r(text, "t");
  r.begin_object();
  std::string key;
  REQUIRE(r.next_key(key));
  CHECK(key == "name");
  CHECK(r.string() == "w");
  REQUIRE(r.next_key(key));
  CHECK(key == "shape");
  r.begin_array();
  std::vector<std::uint64_t> shape;
  while (r.next_item()) shape.push_back(r.uint());
  CHECK(shape == std::vector<std::uint64_t>{2, 0, UINT64_MAX});
  REQUIRE(r.next_key(key));
  CHECK(key == "flag");
  CHECK(r.peek() == json::Kind::boolean);
  CHECK(r.boolean());
  REQUIRE(r.next_key(key));
  CHECK(r.peek() == json::Kind::null);
  r.null();
  REQUIRE(r.next_key(key));
  CHECK(key == "more");
  CHECK(r.peek() == json::Kind::object);
  r.skip();
  CHECK_FALSE(r.next_key(key));
  r.finish();
}

TEST_CASE("json: empty containers and a key that repeats in another object") {
  json::Reader r(R"({"a": {}, "b": [], "c": {"a": 1}})", "t");
  r.begin_object();
  std::string key;
  REQUIRE(r.next_key(key));
  r.begin_object();
  CHECK_FALSE(r.next_key(key));
  REQUIRE(r.next_key(key));
  r.begin_array();
  CHECK_FALSE(r.next_item());
  REQUIRE(r.next_key(key));
  r.begin_object();
  REQUIRE(r.next_key(key));
  CHECK(key == "a");
  CHECK(r.uint() == 1);
  CHECK_FALSE(r.next_key(key));
  CHECK_FALSE(r.next_key(key));
  r.finish();
}

TEST_CASE("json: escapes, surrogate pairs and raw UTF-8 decode to UTF-8") {
  CHECK(read_string(R"("a\"b\\c\/d\b\f\n\r\t")") == "a\"b\\c/d\b\f\n\r\t");
  CHECK(read_string(R"("\u00e9\u00E9")") == "\xc3\xa9\xc3\xa9");
  CHECK(read_string(R"("\u20ac")") == "\xe2\x82\xac");
  CHECK(read_string(R"("\ud83d\ude00")") == "\xf0\x9f\x98\x80");  // U+1F600
  CHECK(read_string(R"("\udbff\udfff")") == "\xf4\x8f\xbf\xbf");  // U+10FFFF
  CHECK(read_string(R"("\u0000")") == std::string(1, '\0'));
  CHECK(read_string("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"") == "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f");
}

TEST_CASE("json: invalid strings name the problem and its byte") {
  CHECK(error_of([] { read_string(R"("ab\ud83d")"); }) == "t: lone leading surrogate in a \\u escape at byte 3");
  CHECK(error_of([] { read_string(R"("\ud83d\u0041")"); }) == "t: lone leading surrogate in a \\u escape at byte 1");
  CHECK(error_of([] { read_string(R"("\ude00")"); }) == "t: lone trailing surrogate in a \\u escape at byte 1");
  CHECK(error_of([] { read_string(R"("\u12g4")"); }) == "t: invalid \\u escape: expected a hex digit, found 'g' at byte 5");
  CHECK(error_of([] { read_string(R"("\u12)"); }) == "t: unexpected end of JSON in a \\u escape at byte 3");
  CHECK(error_of([] { read_string(R"("\x")"); }) == "t: invalid escape \\'x' at byte 2");
  CHECK(error_of([] { read_string("\"a\nb\""); }) == "t: control character byte 0x0a in a string at byte 2");
  CHECK(error_of([] { read_string("\"abc"); }) == "t: unexpected end of JSON in a string at byte 4");
  CHECK(error_of([] { read_string("\"a\xff\""); }) == "t: invalid UTF-8 (byte 0xff) in a string at byte 2");
  CHECK(error_of([] { read_string("\"\xc0\x80\""); }) == "t: invalid UTF-8 (byte 0xc0) in a string at byte 1");      // overlong
  CHECK(error_of([] { read_string("\"\xe0\x80\x80\""); }) == "t: invalid UTF-8 (byte 0xe0) in a string at byte 1");  // overlong
  CHECK(error_of([] { read_string("\"\xed\xa0\x80\""); }) == "t: invalid UTF-8 (byte 0xed) in a string at byte 1");  // surrogate
  CHECK(error_of([] { read_string("\"\xf4\x90\x80\x80\""); }) == "t: invalid UTF-8 (byte 0xf4) in a string at byte 1");  // > U+10FFFF
  CHECK(error_of([] { read_string("\"\xe2\x82\""); }) == "t: invalid UTF-8 (byte 0xe2) in a string at byte 1");  // cut short
  CHECK(error_of([] { read_string("\"\x80\""); }) == "t: invalid UTF-8 (byte 0x80) in a string at byte 1");
  CHECK(error_of([] { read_string("\"\xe2\x82"); }) == "t: invalid UTF-8 (byte 0xe2) in a string at byte 1");  // at the end
}

TEST_CASE("json: non-negative integers, with overflow and grammar checks") {
  CHECK(read_uint("0") == 0);
  CHECK(read_uint(" 18446744073709551615 ") == UINT64_MAX);
  CHECK(error_of([] { read_uint("18446744073709551616"); }) ==
        "t: a non-negative integer 18446744073709551616 overflows 64 bits at byte 0");
  CHECK(error_of([] { read_uint("99999999999999999999999"); }) ==
        "t: a non-negative integer 99999999999999999999999 overflows 64 bits at byte 0");
  CHECK(error_of([] { read_uint(" -3"); }) == "t: expected a non-negative integer, got -3 at byte 1");
  CHECK(error_of([] { read_uint("2.0"); }) == "t: expected a non-negative integer, got 2.0 at byte 0");
  CHECK(error_of([] { read_uint("1e3"); }) == "t: expected a non-negative integer, got 1e3 at byte 0");
  CHECK(error_of([] { read_uint("012"); }) == "t: invalid number: leading zero at byte 1");
  CHECK(error_of([] { read_uint("-"); }) == "t: invalid number: expected a digit at byte 1");
  CHECK(error_of([] { read_uint("1."); }) == "t: invalid number: expected a digit at byte 2");
  CHECK(error_of([] { read_uint("\"1\""); }) == "t: expected a non-negative integer, found '\"' at byte 0");
  json::Reader r("[7]", "t");
  CHECK(error_of([&] { r.uint("a shape entry"); }) == "t: expected a shape entry, found '[' at byte 0");
}

TEST_CASE("json: duplicate keys are refused, at the repeated key") {
  CHECK(error_of([] { skip_all(R"({"a": 1, "b": 2, "a": 3})"); }) == "t: duplicate key \"a\" at byte 17");
  CHECK(error_of([] { skip_all(R"({"x": {"k": [], "k": []}})"); }) == "t: duplicate key \"k\" at byte 16");
  // the same text after decoding is the same key
  CHECK(error_of([] { skip_all(R"({"\u0061": 1, "a": 2})"); }) == "t: duplicate key \"a\" at byte 14");
  json::Reader r(R"({"a": 1, "a": 2})", "t", 8);
  r.begin_object();
  std::string key;
  REQUIRE(r.next_key(key));
  r.uint();
  CHECK(error_of([&] { r.next_key(key); }) == "t: duplicate key \"a\" at byte 17");
}

TEST_CASE("json: nesting deeper than kMaxDepth is refused without recursion") {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK_NOTHROW(skip_all(nested(json::kMaxDepth)));
  CHECK(error_of([&] { skip_all(nested(json::kMaxDepth + 1)); }) == "t: nesting deeper than 128 levels at byte 128");
  CHECK(error_of([&] { skip_all(std::string(1000000, '[')); }) == "t: nesting deeper than 128 levels at byte 128");
  std::string objects;
  for (int i = 0; i < 200; ++i) objects += "{\"a\":";
  CHECK(error_of([&] { skip_all(objects); }) == "t: nesting deeper than 128 levels at byte 640");
}

TEST_CASE("json: malformed texts") {
  CHECK(error_of([] { skip_all(""); }) == "t: unexpected end of JSON at byte 0");
  CHECK(error_of([] { skip_all("   "); }) == "t: unexpected end of JSON at byte 3");
  CHECK(error_of([] { skip_all("{\"a\" 1}"); }) == "t: expected ':', found '1' at byte 5");
  CHECK(error_of([] { skip_all("{\"a\": 1,}"); }) == "t: trailing comma at byte 8");
  CHECK(error_of([] { skip_all("[1,]"); }) == "t: trailing comma at byte 3");
  CHECK(error_of([] { skip_all("[1 2]"); }) == "t: expected ',' or ']', found '2' at byte 3");
  CHECK(error_of([] { skip_all("{\"a\": 1 \"b\": 2}"); }) == "t: expected ',' or '}', found '\"' at byte 8");
  CHECK(error_of([] { skip_all("{1: 2}"); }) == "t: expected a string key, found '1' at byte 1");
  CHECK(error_of([] { skip_all("{\"a\": 1"); }) == "t: unexpected end of JSON, expected ',' or '}' at byte 7");
  CHECK(error_of([] { skip_all("[1, 2"); }) == "t: unexpected end of JSON, expected ',' or ']' at byte 5");
  CHECK(error_of([] { skip_all("{} x"); }) == "t: trailing characters after the JSON value at byte 3");
  CHECK(error_of([] { skip_all("tru"); }) == "t: unexpected 't' at byte 0");
  CHECK(error_of([] { skip_all("nul"); }) == "t: unexpected 'n' at byte 0");
  CHECK(error_of([] { skip_all("+1"); }) == "t: unexpected '+' at byte 0");
  CHECK(error_of([] { skip_all("\xef\xbb\xbf{}"); }) == "t: unexpected byte 0xef at byte 0");  // a BOM is not JSON
  CHECK(error_of([] { skip_all("{}\0"); }) == "");  // the literal ends at the NUL: nothing follows
  CHECK(error_of([] { skip_all(std::string("{}\0", 3)); }) == "t: trailing characters after the JSON value at byte 2");
  json::Reader r("[1]", "ctx", 8);
  CHECK(error_of([&] { r.begin_object(); }) == "ctx: expected an object, found '[' at byte 8");
  CHECK(error_of([&] { r.string(); }) == "ctx: expected a string, found '[' at byte 8");
}

TEST_CASE("json: the writer escapes as serde_json, and reads back") {
  std::string out;
  json::write_string(out, std::string("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\0z", 18));
  CHECK(out == "\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\\u0000z\"");
  CHECK(read_string(out) == std::string("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\0z", 18));
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c < 128 ? c : 'x');
  out.clear();
  json::write_string(out, all);
  CHECK(read_string(out) == all);
  out.clear();
  json::write_uint(out, UINT64_MAX);
  CHECK(out == "18446744073709551615");
  CHECK(json::quoted(std::string(120, 'k'), 4) == "\"kkkk...\"");
  CHECK(json::quoted("a\nb") == "\"a\\nb\"");
}
