// The JSON a safetensors header is written in: a pull reader hardened for hostile input, and the writer's
// escaping. The reader builds no tree: its user asks for the value it expects next (an object, a key, a
// string, a non-negative integer), so memory follows what the user keeps, never a file's claims. Strings
// are checked as UTF-8 (raw bytes and \u escapes, surrogate pairs included), integers against 64-bit
// overflow, keys against duplicates within their object, nesting against kMaxDepth (serde_json's limit);
// every error is an eigentorch::Error naming the context, the problem and its byte offset.
#pragma once

#include "../error.hpp"

#include <cstddef>  // size_t
#include <cstdint>  // uint64_t, uint32_t
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace eigentorch::serialize::json {

/// The deepest nesting of arrays and objects a reader accepts (serde_json's recursion limit).
inline constexpr int kMaxDepth = 128;

enum class Kind { null, boolean, number, string, array, object };

/// Appends `s` as a JSON string, escaped as serde_json escapes (what the safetensors crate writes):
/// `"` and `\`, \b \t \n \f \r, other bytes below 0x20 as \u00xx (lowercase hex); the rest as is.
inline void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

/// `s` quoted and escaped, cut after `limit` bytes (with "..."): how error messages show a key.
inline std::string quoted(std::string_view s, std::size_t limit = 100) {
  std::string out;
  write_string(out, s.substr(0, limit));
  if (s.size() > limit) out.insert(out.size() - 1, "...");
  return out;
}

/// Appends `v` in decimal.
inline void write_uint(std::string& out, std::uint64_t v) { out += std::to_string(v); }

/// Reads one JSON text value by value. Offsets in messages are `base` + the byte's index in `text`
/// (a safetensors header starts at byte 8 of its file). Usage:
///   Reader r(text, "model.safetensors: header", 8);
///   r.begin_object();
///   for (std::string key; r.next_key(key);) { ... r.string() / r.uint() / r.skip() ... }
///   r.finish();
// NOTE: a template (on nothing) so that a program that never reads or writes these files compiles none of
// its code: including serialize.hpp then costs parsing only.
template <class = void>
class Reader {
 public:
  Reader(std::string_view text, std::string context, std::uint64_t base = 0)
      : text_(text), context_(std::move(context)), base_(base) {}

  /// The kind of the next value (after white space); fails at the end of the text or on a byte that
  /// starts no value.
  Kind peek() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of JSON");
    switch (text_[pos_]) {
      case '{': return Kind::object;
      case '[': return Kind::array;
      case '"': return Kind::string;
      case 't': case 'f': return Kind::boolean;
      case 'n': return Kind::null;
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) return Kind::number;
        fail_unexpected();
    }
  }
  /// The file offset of the next unread byte.
  std::uint64_t offset() const { return base_ + pos_; }

  /// Enters an object (fails if the next value is not one).
  void begin_object() {
    expect_kind(Kind::object, "an object");
    enter();
    keys_.emplace_back();
    first_.push_back(true);
  }
  /// The next key of the innermost open object and its ':' consumed: true; or the object's '}'
  /// consumed: false. A key seen before in this object fails ("duplicate key").
  bool next_key(std::string& key) {
    skip_space();
    if (!after_separator(first_.back(), '}')) {
      keys_.pop_back();
      first_.pop_back();
      --depth_;
      return false;
    }
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '"') fail_expected("a string key");
    key_offset_ = offset();
    key = read_string();
    if (!keys_.back().insert(key).second) fail("duplicate key " + quoted(key), key_offset_);
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != ':') fail_expected("':'");
    ++pos_;
    return true;
  }
  /// Where the last key returned by next_key began.
  std::uint64_t key_offset() const { return key_offset_; }

  /// Enters an array.
  void begin_array() {
    expect_kind(Kind::array, "an array");
    enter();
    first_.push_back(true);
    keys_.emplace_back();  // unused: keeps first_ and keys_ one entry per open container
  }
  /// True if the innermost open array has another item (read it next); false once its ']' is consumed.
  bool next_item() {
    if (!after_separator(first_.back(), ']')) {
      keys_.pop_back();
      first_.pop_back();
      --depth_;
      return false;
    }
    return true;
  }

  /// A string value, decoded to UTF-8.
  std::string string() {
    expect_kind(Kind::string, "a string");
    return read_string();
  }
  /// A non-negative integer that fits in 64 bits; `what` names it in messages ("a shape entry").
  std::uint64_t uint(const char* what = "a non-negative integer") {
    if (peek() != Kind::number) fail_expected(what);
    const std::uint64_t at = offset();
    const std::string_view token = read_number();
    if (token[0] == '-' || token.find_first_of(".eE") != std::string_view::npos)
      fail(std::string("expected ") + what + ", got " + std::string(token.substr(0, 40)), at);
    std::uint64_t v = 0;
    for (const char c : token) {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (v > (UINT64_MAX - d) / 10) fail(std::string(what) + " " + std::string(token.substr(0, 40)) + " overflows 64 bits", at);
      v = v * 10 + d;
    }
    return v;
  }
  bool boolean() {
    expect_kind(Kind::boolean, "true or false");
    if (text_.compare(pos_, 4, "true") == 0) return pos_ += 4, true;
    if (text_.compare(pos_, 5, "false") == 0) return pos_ += 5, false;
    fail_unexpected();
  }
  void null() {
    expect_kind(Kind::null, "null");
    if (text_.compare(pos_, 4, "null") != 0) fail_unexpected();
    pos_ += 4;
  }

  /// Reads and discards the next value, whatever it is (nested containers too, without recursion),
  /// checking it as strictly as the typed reads do.
  void skip() {
    const int outer = depth_;
    do {
      // inside a container opened here: step to its next element, or close it
      if (depth_ > outer) {
        std::string key;
        if (object_flags_.back() ? !next_key(key) : !next_item()) {
          object_flags_.pop_back();
          continue;
        }
      }
      switch (peek()) {
        case Kind::object: begin_object(); object_flags_.push_back(true); break;
        case Kind::array: begin_array(); object_flags_.push_back(false); break;
        case Kind::string: read_string(); break;
        case Kind::number: read_number(); break;
        case Kind::boolean: boolean(); break;
        case Kind::null: null(); break;
      }
    } while (depth_ > outer);
  }

  /// Checks that only white space follows the value read.
  void finish() {
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters after the JSON value");
  }

  /// Throws Error("<context>: <what> at byte <offset>").
  [[noreturn]] void fail(const std::string& what, std::uint64_t at) const {
    eigentorch::detail::fail({context_, ": ", what, " at byte ", at});
  }
  [[noreturn]] void fail(const std::string& what) const { fail(what, offset()); }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) ++pos_;
  }
  void expect_kind(Kind k, const char* what) {
    if (peek() != k) fail_expected(what);
  }
  [[noreturn]] void fail_expected(const char* what) {
    skip_space();
    if (pos_ >= text_.size()) fail(std::string("unexpected end of JSON, expected ") + what);
    fail(std::string("expected ") + what + ", found " + describe(static_cast<unsigned char>(text_[pos_])));
  }
  [[noreturn]] void fail_unexpected() { fail("unexpected " + describe(static_cast<unsigned char>(text_[pos_]))); }
  static std::string describe(unsigned char c) {
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
  }
  void enter() {
    if (depth_ >= kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    ++depth_;
    ++pos_;
  }
  /// Before an element of the innermost container: consumes ',' (or nothing before the first one) and
  /// returns true, or consumes the closing byte and returns false.
  bool after_separator(char& first, char close) {
    skip_space();
    if (pos_ >= text_.size()) fail(std::string("unexpected end of JSON, expected ',' or '") + close + "'");
    if (text_[pos_] == close) {
      ++pos_;
      return false;
    }
    if (!first) {
      if (text_[pos_] != ',') fail_expected(close == '}' ? "',' or '}'" : "',' or ']'");
      ++pos_;
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == close) fail("trailing comma");
    }
    first = 0;
    return true;
  }
  /// The number token at pos_, checked against JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  std::string_view read_number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == from) fail("invalid number: expected a digit");
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') fail("invalid number: leading zero");
    } else {
      digits();
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      digits();
    }
    return text_.substr(start, pos_ - start);
  }
  unsigned hex4() {
    if (text_.size() - pos_ < 4) fail("unexpected end of JSON in a \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail("invalid \\u escape: expected a hex digit, found " + describe(static_cast<unsigned char>(c)));
      v = v * 16 + static_cast<unsigned>(d);
      ++pos_;
    }
    return v;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  /// Length of the valid UTF-8 sequence starting at pos_ (a byte >= 0x80), or 0 if it is not one:
  /// no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629, what Rust's from_utf8 takes).
  std::size_t utf8_length() const {
    const auto at = [&](std::size_t i) { return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u; };
    const unsigned c = at(0);
    const auto cont = [&](std::size_t i) { return (at(i) & 0xc0) == 0x80; };
    if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
      const unsigned c1 = at(1);
      if (c == 0xe0 && c1 < 0xa0) return 0;   // overlong
      if (c == 0xed && c1 >= 0xa0) return 0;  // a surrogate
      return cont(1) && cont(2) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
      const unsigned c1 = at(1);
      if (c == 0xf0 && c1 < 0x90) return 0;  // overlong
      if (c == 0xf4 && c1 >= 0x90) return 0;  // above U+10FFFF
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }
  /// The string at pos_ (its opening quote), decoded.
  std::string read_string() {
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) fail("unexpected end of JSON in a string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character " + describe(c) + " in a string");
      if (c == '\\') {
        if (++pos_ >= text_.size()) fail("unexpected end of JSON in an escape");
        const char e = text_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const std::uint64_t at = offset() - 2;
            std::uint32_t cp = hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) fail("lone trailing surrogate in a \\u escape", at);
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (text_.compare(pos_, 2, "\\u") != 0) fail("lone leading surrogate in a \\u escape", at);
              pos_ += 2;
              const std::uint32_t low = hex4();
              if (low < 0xdc00 || low > 0xdfff) fail("lone leading surrogate in a \\u escape", at);
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            --pos_;
            fail("invalid escape \\" + describe(static_cast<unsigned char>(e)));
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      const std::size_t n = utf8_length();
      if (n == 0) fail("invalid UTF-8 (" + describe(c) + ") in a string");
      out.append(text_.data() + pos_, n);
      pos_ += n;
    }
  }

  std::string_view text_;
  std::string context_;
  std::uint64_t base_ = 0;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::uint64_t key_offset_ = 0;
  std::vector<std::unordered_set<std::string>> keys_;  // per open container: the keys seen (objects)
  std::vector<char> first_;                            // per open container: no element read yet
  std::vector<char> object_flags_;                     // containers opened by skip(): object or array
};

}  // namespace eigentorch::serialize::json
