// The pickle inside a torch.save file (data.pkl), both ways. unpickle() is a restricted unpickler: it
// knows the opcodes torch.save's protocol-2 pickle uses and the globals torch.load(weights_only=True)
// allows in PyTorch 1.13 (collections.OrderedDict, torch._utils._rebuild_tensor_v2, _rebuild_parameter,
// torch.*Storage, ...); any other global is refused by name in 1.13's words, and nothing named in a file
// is ever called: the globals are only tags for the few constructions below. The stack, the memo and
// the nesting are bounded, and nothing is allocated because the file claims a size. pickle() writes what
// Python's pickler writes for torch.save (protocol 2: memo puts, batched SETITEMS / APPENDS,
// OrderedDict through REDUCE, tensors through _rebuild_tensor_v2 and a BINPERSID storage reference).
#pragma once

#include "dtype.hpp"
#include "../tensor/value.hpp"

#include <algorithm>  // min, max
#include <cstddef>    // size_t
#include <cstdint>
#include <cstdio>   // snprintf
#include <cstring>  // memcpy, strlen
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eigentorch::serialize {

/// A storage as a persistent id names it: ('storage', torch.FloatStorage, key, location, numel).
struct StorageRef {
  Dtype dtype = Dtype::float32;
  std::string key;
  std::string location;
  int64_t numel = 0;
};

/// A tensor as _rebuild_tensor_v2 describes it: a view of a storage.
struct TensorRef {
  StorageRef storage;
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
};

/// Makes the Value of a tensor a pickle describes (torch_file.hpp reads the storage's record).
using TensorLoader = std::function<Value(const TensorRef&)>;

/// How deep containers may nest in a pickle (Python's own recursion limit is about 1000).
constexpr std::size_t kMaxPickleDepth = 1000;
/// How many MARKs may be open at once: one per level the pickler writes, and the two of a tensor, so
/// that whatever loads can be saved and loaded again.
constexpr std::size_t kMaxPickleMarks = kMaxPickleDepth + 8;

namespace detail {

/// The globals PyTorch 1.13's weights-only unpickler allows (torch/_weights_only_unpickler.py).
inline bool allowed_by_torch(const std::string& name) {
  static const char* const fixed[] = {"collections.OrderedDict", "torch.nn.parameter.Parameter",
                                      "torch.serialization._get_layout", "torch.Size", "torch.Tensor",
                                      "torch.complex32", "torch.complex64", "torch.complex128", "torch.float16",
                                      "torch.float32", "torch.float64", "torch.int8", "torch.int16", "torch.int32",
                                      "torch.int64", "torch.storage.TypedStorage", "torch.storage.UntypedStorage",
                                      "torch._utils._rebuild_parameter", "torch._utils._rebuild_tensor",
                                      "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_sparse_tensor",
                                      "torch._utils._rebuild_meta_tensor_no_storage",
                                      "torch._utils._rebuild_sparse_csr_tensor"};
  for (const char* f : fixed)
    if (name == f) return true;
  static const char* const types[] = {"BFloat16", "Bool", "Byte", "Char", "Double", "Float",
                                      "Half",     "Int",  "Long", "Short"};
  static const char* const extra_storages[] = {"ComplexDouble", "ComplexFloat", "QInt32", "QInt8",
                                               "QUInt2x4",      "QUInt4x2",     "QUInt8"};
  for (const char* prefix : {"torch.", "torch.cuda.", "torch.sparse.", "torch.cuda.sparse."}) {
    if (name.compare(0, std::strlen(prefix), prefix) != 0) continue;
    const std::string rest = name.substr(std::strlen(prefix));
    const bool dense = std::strcmp(prefix, "torch.") == 0 || std::strcmp(prefix, "torch.cuda.") == 0;
    for (const char* t : types) {
      if (rest == std::string(t) + "Tensor" && (dense || std::strcmp(t, "Bool") != 0)) return true;
      if (dense && rest == std::string(t) + "Storage") return true;
    }
    if (dense)
      for (const char* t : extra_storages)
        if (rest == std::string(t) + "Storage" && (std::strcmp(prefix, "torch.") == 0 || t[0] == 'C')) return true;
  }
  return false;
}

/// Checks that s is UTF-8 as Python's decoder (with surrogatepass) accepts it; throws in Python's words.
inline void check_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = p[i];
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", c);
    if (len == 0)
      eigentorch::detail::fail({"'utf-8' codec can't decode byte ", byte, " in position ", i, ": invalid start byte"});
    for (std::size_t k = 1; k < len; ++k) {
      if (i + k >= n)
        eigentorch::detail::fail({"'utf-8' codec can't decode byte ", byte, " in position ", i, ": unexpected end of data"});
      const unsigned b = p[i + k];
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
        eigentorch::detail::fail({"'utf-8' codec can't decode byte ", byte, " in position ", i, ": invalid continuation byte"});
    }
    i += len;
  }
}

/// The objects an unpickling builds, kept in one arena and referred to by index: memo entries and
/// containers share them as Python shares objects, and nothing is freed until the end.
struct PickleObject {
  enum class Kind { none, boolean, integer, real, string, tuple, list, dict, ordered_dict, global, storage, tensor };
  Kind kind = Kind::none;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                // a str, or a global's "module.name"
  std::vector<std::size_t> items;  // a tuple's or list's items; a dict's keys and values, alternating
  std::size_t ref = 0;             // a storage's or tensor's index in storages / tensors
};

inline const char* python_type(PickleObject::Kind k) {
  using K = PickleObject::Kind;
  switch (k) {
    case K::none: return "<class 'NoneType'>";
    case K::boolean: return "<class 'bool'>";
    case K::integer: return "<class 'int'>";
    case K::real: return "<class 'float'>";
    case K::string: return "<class 'str'>";
    case K::tuple: return "<class 'tuple'>";
    case K::list: return "<class 'list'>";
    case K::dict: return "<class 'dict'>";
    case K::ordered_dict: return "<class 'collections.OrderedDict'>";
    case K::global: return "<class 'type'>";
    case K::storage: return "<class 'torch.storage.TypedStorage'>";
    case K::tensor: return "<class 'torch.Tensor'>";
  }
  return "<class 'object'>";
}

// NOTE: a template (on nothing) so that a program that never reads or writes these files compiles none of
// its code: including serialize.hpp then costs parsing only.
template <class = void>
class Unpickler {
 public:
  using Kind = PickleObject::Kind;

  Unpickler(const unsigned char* data, std::size_t n, const TensorLoader& load) : p_(data), n_(n), load_(load) {}

  Value run() {
    for (;;) {
      const std::size_t at = pos_;
      const unsigned char op = byte();
      switch (op) {
        case 0x80: byte(); break;  // PROTO n
        case '.': {                // STOP
          const std::size_t top = pop();  // as Python: the top, whatever is left below it
          // A memo get shares an object; converting copies it. Allow a few copies per byte of input (a list
          // of one tensor many times loads), refuse the exponential (containers of containers, shared).
          budget_ = 2 * objects_.size() + 4 * n_ + 1024;
          return convert(top, 0);
        }
        case 'N': push(make(Kind::none)); break;
        case 0x88: push(make_bool(true)); break;
        case 0x89: push(make_bool(false)); break;
        case 'K': push(make_int(byte())); break;
        case 'M': push(make_int(le(2))); break;
        case 'J': push(make_int(static_cast<int32_t>(static_cast<uint32_t>(le(4))))); break;
        case 0x8a: push(make_int(long1())); break;  // LONG1
        case 'G': push(make_real(binfloat())); break;
        case 'X': {  // BINUNICODE
          const uint64_t len = le(4);
          push(make_string(text(len), true));
          break;
        }
        case 'U': {  // SHORT_BINSTRING: bytes; Python's torch.load decodes them as ASCII
          const uint64_t len = byte();
          std::string s = text(len);
          for (unsigned char c : s)
            if (c >= 0x80) eigentorch::detail::fail({"'ascii' codec can't decode a byte of a SHORT_BINSTRING"});
          push(make_string(std::move(s), false));
          break;
        }
        case ')': push(make(Kind::tuple)); break;
        case ']': push(make(Kind::list)); break;
        case '}': push(make(Kind::dict)); break;
        case '(':  // MARK
          if (marks_.size() >= kMaxPickleMarks)
            eigentorch::detail::fail({"the pickle nests deeper than ", kMaxPickleMarks, " levels"});
          marks_.push_back(stack_.size());
          break;
        case 't': {  // TUPLE
          std::vector<std::size_t> items = pop_mark();
          const std::size_t t = make(Kind::tuple);
          objects_[t].items = std::move(items);
          push(t);
          break;
        }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
          const std::size_t k = op - 0x84u;
          need(k);
          const std::size_t t = make(Kind::tuple);
          objects_[t].items.assign(stack_.end() - static_cast<std::ptrdiff_t>(k), stack_.end());
          stack_.resize(stack_.size() - k);
          push(t);
          break;
        }
        case 'a': {  // APPEND
          const std::size_t item = pop();
          const std::size_t list = top();
          if (objects_[list].kind != Kind::list)
            eigentorch::detail::fail({"Can only append to lists, but got ", python_type(objects_[list].kind)});
          objects_[list].items.push_back(item);
          break;
        }
        case 'e': {  // APPENDS
          std::vector<std::size_t> items = pop_mark();
          const std::size_t list = top();
          if (objects_[list].kind != Kind::list)
            eigentorch::detail::fail({"Can only extend lists, but got ", python_type(objects_[list].kind)});
          auto& dst = objects_[list].items;
          dst.insert(dst.end(), items.begin(), items.end());
          break;
        }
        case 's': {  // SETITEM
          const std::size_t v = pop(), k = pop();
          set_items(top(), {k, v});
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<std::size_t> items = pop_mark();
          if (items.size() % 2) eigentorch::detail::fail({"odd number of items for SETITEMS"});
          set_items(top(), items);
          break;
        }
        case 'h': push(memo_get(byte())); break;   // BINGET
        case 'j': push(memo_get(le(4))); break;    // LONG_BINGET
        case 'q': memo_[byte()] = top(); break;    // BINPUT
        case 'r': memo_[le(4)] = top(); break;     // LONG_BINPUT
        case 'c': global(); break;
        case 'Q': persistent_id(); break;
        case 'R': reduce(); break;
        case 'b': build(); break;
        case 0x81: newobj(); break;
        default: eigentorch::detail::fail({"Unsupported operand ", static_cast<int>(op), " (at byte ", at, ")"});
      }
    }
  }

 private:
  // Reading the bytes.
  unsigned char byte() {
    if (pos_ >= n_) truncated();
    return p_[pos_++];
  }
  uint64_t le(int k) {
    if (n_ - pos_ < static_cast<std::size_t>(k)) truncated();
    uint64_t v = 0;
    for (int i = 0; i < k; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(k);
    return v;
  }
  std::string text(uint64_t len) {
    if (len > n_ - pos_) truncated();  // checked before anything is allocated
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }
  std::string line() {
    const std::size_t start = pos_;
    while (pos_ < n_ && p_[pos_] != '\n') ++pos_;
    if (pos_ >= n_) truncated();
    std::string s(reinterpret_cast<const char*>(p_ + start), pos_ - start);
    ++pos_;
    check_utf8(s);
    return s;
  }
  int64_t long1() {
    const std::size_t len = byte();
    if (len > 8) eigentorch::detail::fail({"an int of ", len * 8, " bits does not fit in int64"});
    if (n_ - pos_ < len) truncated();
    uint64_t v = 0;
    for (std::size_t i = 0; i < len; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
    if (len > 0 && len < 8 && (p_[pos_ + len - 1] & 0x80)) v |= ~uint64_t(0) << (8 * len);  // sign-extend
    pos_ += len;
    return static_cast<int64_t>(v);
  }
  double binfloat() {
    if (n_ - pos_ < 8) truncated();
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = bits << 8 | p_[pos_ + i];  // big-endian
    pos_ += 8;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  [[noreturn]] void truncated() const { eigentorch::detail::fail({"pickle data was truncated"}); }

  // The stack, marks and memo.
  void push(std::size_t obj) { stack_.push_back(obj); }
  void need(std::size_t k) const {
    const std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + k) eigentorch::detail::fail({"unpickling stack underflow"});
  }
  std::size_t pop() {
    need(1);
    const std::size_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::size_t top() const {
    need(1);
    return stack_.back();
  }
  std::vector<std::size_t> pop_mark() {
    if (marks_.empty()) eigentorch::detail::fail({"could not find MARK"});
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<std::size_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  std::size_t memo_get(uint64_t key) const {
    const auto it = memo_.find(key);
    if (it == memo_.end()) eigentorch::detail::fail({"Memo value not found at index ", key});
    return it->second;
  }

  // Making objects.
  std::size_t make(Kind k) {
    objects_.emplace_back();
    objects_.back().kind = k;
    return objects_.size() - 1;
  }
  std::size_t make_bool(bool b) {
    const std::size_t o = make(Kind::boolean);
    objects_[o].boolean = b;
    return o;
  }
  std::size_t make_int(int64_t v) {
    const std::size_t o = make(Kind::integer);
    objects_[o].integer = v;
    return o;
  }
  std::size_t make_real(double v) {
    const std::size_t o = make(Kind::real);
    objects_[o].real = v;
    return o;
  }
  std::size_t make_string(std::string s, bool check) {
    if (check) check_utf8(s);
    const std::size_t o = make(Kind::string);
    objects_[o].text = std::move(s);
    return o;
  }
  const PickleObject& at(std::size_t o) const { return objects_[o]; }
  const PickleObject& as(std::size_t o, Kind k, const char* what) const {
    if (objects_[o].kind != k)
      eigentorch::detail::fail({what, " must be ", python_type(k), ", but got ", python_type(objects_[o].kind)});
    return objects_[o];
  }
  int64_t as_int(std::size_t o, const char* what) const { return as(o, Kind::integer, what).integer; }
  std::vector<int64_t> int_tuple(std::size_t o, const char* what) const {
    std::vector<int64_t> out;
    for (std::size_t i : as(o, Kind::tuple, what).items) out.push_back(as_int(i, what));
    return out;
  }

  void set_items(std::size_t dict, const std::vector<std::size_t>& kv) {
    PickleObject& d = objects_[dict];
    if (d.kind != Kind::dict && d.kind != Kind::ordered_dict)
      eigentorch::detail::fail({"'", python_type(d.kind), "' object does not support item assignment"});
    for (std::size_t i = 0; i < kv.size(); i += 2) {
      const Kind k = objects_[kv[i]].kind;
      if (k != Kind::integer && k != Kind::string)
        eigentorch::detail::fail({"eigentorch reads dicts with int or str keys only, not ", python_type(k)});
    }
    d.items.insert(d.items.end(), kv.begin(), kv.end());
  }

  void global() {
    std::string module = line();
    const std::string name = line();
    std::string full = module + "." + name;
    // 1.13's own words for anything outside its allow-list.
    if (!allowed_by_torch(full)) eigentorch::detail::fail({"Unsupported class ", full});
    const std::size_t g = make(Kind::global);
    objects_[g].text = std::move(full);
    push(g);
  }

  void persistent_id() {
    const std::size_t pid = pop();
    const PickleObject& t = at(pid);
    if (t.kind != Kind::tuple)
      eigentorch::detail::fail({"persistent_load id must be tuple or int, but got ", python_type(t.kind)});
    if (!t.items.empty() && !(at(t.items[0]).kind == Kind::string && at(t.items[0]).text == "storage"))
      eigentorch::detail::fail({"Only persistent_load of storage is allowed, but got ",
                                at(t.items[0]).kind == Kind::string ? at(t.items[0]).text
                                                                    : python_type(at(t.items[0]).kind)});
    if (t.items.size() != 5)
      eigentorch::detail::fail({"a storage's persistent id must be ('storage', type, key, location, numel), got ",
                                t.items.size(), " items"});
    const PickleObject& type = as(t.items[1], Kind::global, "a storage's type");
    StorageRef s;
    const std::string prefix = "torch.";
    const auto dtype = type.text.compare(0, prefix.size(), prefix) == 0
                           ? dtype_from_storage(type.text.substr(prefix.size()))
                           : std::optional<Dtype>();
    if (!dtype) eigentorch::detail::fail({"eigentorch cannot load a storage of type ", type.text});
    s.dtype = *dtype;
    s.key = as(t.items[2], Kind::string, "a storage's key").text;
    s.location = as(t.items[3], Kind::string, "a storage's location").text;
    s.numel = as_int(t.items[4], "a storage's size");
    if (s.numel < 0) eigentorch::detail::fail({"storage '", s.key, "' has a negative size: ", s.numel});
    storages_.push_back(std::move(s));
    const std::size_t o = make(Kind::storage);
    objects_[o].ref = storages_.size() - 1;
    push(o);
  }

  std::size_t make_tensor(std::size_t storage, std::size_t offset, std::size_t size, std::size_t stride) {
    TensorRef t;
    t.storage = storages_[as(storage, Kind::storage, "a tensor's storage").ref];
    t.offset = as_int(offset, "a tensor's storage offset");
    t.size = int_tuple(size, "a tensor's size");
    t.stride = int_tuple(stride, "a tensor's stride");
    tensors_.push_back(std::move(t));
    const std::size_t o = make(Kind::tensor);
    objects_[o].ref = tensors_.size() - 1;
    return o;
  }

  void reduce() {
    const std::size_t args_o = pop();
    const std::size_t func_o = top();
    const PickleObject& func = at(func_o);
    if (func.kind != Kind::global)
      eigentorch::detail::fail({"Trying to call reduce for unrecognized function ", python_type(func.kind)});
    const std::vector<std::size_t> args = as(args_o, Kind::tuple, "reduce's arguments").items;
    const std::string f = func.text;  // a copy: make() below may move the arena
    std::size_t result;
    if (f == "collections.OrderedDict") {
      if (!args.empty()) eigentorch::detail::fail({"eigentorch reads OrderedDict() without arguments only"});
      result = make(Kind::ordered_dict);
    } else if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") {
      const bool v2 = f == "torch._utils._rebuild_tensor_v2";
      if (v2 ? (args.size() != 6 && args.size() != 7) : args.size() != 4)
        eigentorch::detail::fail({f, " takes ", v2 ? "6 or 7" : "4", " arguments, got ", args.size()});
      result = make_tensor(args[0], args[1], args[2], args[3]);
    } else if (f == "torch._utils._rebuild_parameter") {
      if (args.size() != 3) eigentorch::detail::fail({f, " takes 3 arguments, got ", args.size()});
      as(args[0], Kind::tensor, "a parameter's data");
      result = args[0];
    } else if (f == "torch.Size") {
      if (args.size() != 1) eigentorch::detail::fail({f, " takes 1 argument, got ", args.size()});
      int_tuple(args[0], "a torch.Size");
      result = args[0];
    } else {
      eigentorch::detail::fail({"eigentorch cannot rebuild ", f, " (it reads dense CPU tensors)"});
    }
    stack_.back() = result;
  }

  void build() {
    const std::size_t state = pop();
    const PickleObject& inst = at(top());
    // An OrderedDict's attributes (a module state dict's _metadata) are dropped: a Value has none.
    if (inst.kind == Kind::ordered_dict) {
      (void)state;
      return;
    }
    if (inst.kind == Kind::tensor) eigentorch::detail::fail({"eigentorch does not read legacy tensors rebuilt by BUILD"});
    eigentorch::detail::fail({"Can only build Tensor, parameter or dict objects, but got ", python_type(inst.kind)});
  }

  void newobj() {
    const std::size_t args = pop();
    const std::size_t cls = pop();
    if (at(cls).kind != Kind::global || at(cls).text != "torch.nn.parameter.Parameter")
      eigentorch::detail::fail({"Trying to instantiate unsupported class ",
                                at(cls).kind == Kind::global ? at(cls).text : python_type(at(cls).kind)});
    const auto& items = as(args, Kind::tuple, "Parameter's arguments").items;
    if (items.empty()) eigentorch::detail::fail({"Parameter() without data is not supported"});
    as(items[0], Kind::tensor, "a parameter's data");
    push(items[0]);
  }

  /// The Value of object o; `depth` bounds the nesting, `budget_` the values made (a shared container
  /// is converted each time it is reached, so a file could otherwise ask for exponentially many).
  Value convert(std::size_t o, std::size_t depth) {
    if (depth > kMaxPickleDepth)
      eigentorch::detail::fail({"the pickle nests deeper than ", kMaxPickleDepth,
                                " levels (or holds a container that contains itself)"});
    if (budget_ == 0) eigentorch::detail::fail({"the pickle's shared containers expand to too many values"});
    --budget_;
    const PickleObject& x = objects_[o];
    switch (x.kind) {
      case Kind::none: return Value();
      case Kind::boolean: return Value(x.boolean);
      case Kind::integer: return Value(x.integer);
      case Kind::real: return Value(x.real);
      case Kind::string: return Value(x.text);
      case Kind::tuple:
      case Kind::list: {
        Value::Items items;
        items.reserve(x.items.size());
        for (std::size_t i : x.items) items.push_back(convert(i, depth + 1));
        return x.kind == Kind::tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
      }
      case Kind::dict:
      case Kind::ordered_dict: {
        Value::Entries entries;
        std::map<Value::Key, std::size_t> where;  // a key set again keeps its place, as in Python
        for (std::size_t i = 0; i < x.items.size(); i += 2) {
          const PickleObject& k = objects_[x.items[i]];
          Value::Key key = k.kind == Kind::integer ? Value::Key(k.integer) : Value::Key(k.text);
          Value v = convert(x.items[i + 1], depth + 1);
          const auto it = where.find(key);
          if (it != where.end()) {
            entries[it->second].second = std::move(v);
          } else {
            where.emplace(key, entries.size());
            entries.emplace_back(std::move(key), std::move(v));
          }
        }
        return x.kind == Kind::dict ? Value::dict(std::move(entries)) : Value::ordered_dict(std::move(entries));
      }
      case Kind::tensor: return load_(tensors_[x.ref]);
      case Kind::global:
        eigentorch::detail::fail({"the pickle holds ", x.text, " itself, which eigentorch has no value for"});
      case Kind::storage:
        eigentorch::detail::fail({"the pickle holds a bare storage, which eigentorch has no value for"});
    }
    eigentorch::detail::fail({"unreachable"});
  }

  const unsigned char* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
  const TensorLoader& load_;
  std::vector<PickleObject> objects_;
  std::vector<StorageRef> storages_;
  std::vector<TensorRef> tensors_;
  std::vector<std::size_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, std::size_t> memo_;
  std::size_t budget_ = 0;
};

}  // namespace detail

/// The object the pickle `data[0, n)` holds, its tensors made by `load`. Throws eigentorch::Error naming
/// the problem for anything torch.save would not have written or weights_only=True would refuse.
template <class = void>
Value unpickle(const unsigned char* data, std::size_t n, const TensorLoader& load) {
  return detail::Unpickler<>(data, n, load).run();
}

/// A tensor to be written as a storage record: its Value (a float, double or int64 tensor) and the
/// dtype the record holds.
struct PickledStorage {
  std::string key;
  Dtype dtype = Dtype::float32;
  Value tensor;
};

/// The pickle torch.save would write for `obj` (protocol 2), and the storages it references, in the
/// order their keys ("0", "1", ...) were given. A tensor is one storage of its own unless it is the
/// same tensor as one before (one storage, one memo entry, as Python's pickler shares an object).
template <class = void>  // (see Unpickler)
class Pickler {
 public:
  /// Pickles `obj`.
  explicit Pickler(const Value& obj) {
    out_ = {0x80, 2};
    save(obj, 0);
    out_.push_back('.');
  }
  const std::vector<unsigned char>& bytes() const { return out_; }
  const std::vector<PickledStorage>& storages() const { return storages_; }

 private:
  void op(unsigned char c) { out_.push_back(c); }
  void le(uint64_t v, int k) {
    for (int i = 0; i < k; ++i) out_.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  /// BINPUT / LONG_BINPUT (short and long forms), or BINGET / LONG_BINGET, of memo entry idx.
  void memo_op(unsigned char short_op, unsigned char long_op, uint64_t idx) {
    op(idx < 256 ? short_op : long_op);
    le(idx, idx < 256 ? 1 : 4);
  }
  void put() { memo_op('q', 'r', next_memo_++); }
  void get(uint64_t idx) { memo_op('h', 'j', idx); }
  void save_int(int64_t v) {
    if (v >= 0 && v <= 0xFF) {
      op('K');
      op(static_cast<unsigned char>(v));
    } else if (v >= 0 && v <= 0xFFFF) {
      op('M');
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {  // Python's encode_long: (bit_length >> 3) + 1 bytes, one less for a redundant 0xff
      const bool neg = v < 0;
      const uint64_t mag = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      int bits = 0;
      for (uint64_t m = mag; m; m >>= 1) ++bits;
      const int nbytes = (bits >> 3) + 1;
      std::vector<unsigned char> b;
      for (int i = 0; i < nbytes; ++i)
        b.push_back(i < 8 ? static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i)) : neg ? 0xFF : 0);
      if (neg && nbytes > 1 && b[nbytes - 1] == 0xFF && (b[nbytes - 2] & 0x80)) b.pop_back();
      op(0x8a);
      op(static_cast<unsigned char>(b.size()));
      out_.insert(out_.end(), b.begin(), b.end());
    }
  }
  void save_string(const std::string& s) {
    const auto it = strings_.find(s);
    if (it != strings_.end()) return get(it->second);
    op('X');
    le(s.size(), 4);
    out_.insert(out_.end(), s.begin(), s.end());
    strings_.emplace(s, next_memo_);
    put();
  }
  void save_global(const char* module, const char* name) {
    const std::string key = std::string(module) + "\n" + name + "\n";
    const auto it = globals_.find(key);
    if (it != globals_.end()) return get(it->second);
    op('c');
    out_.insert(out_.end(), key.begin(), key.end());
    globals_.emplace(key, next_memo_);
    put();
  }
  void save_key(const Value::Key& k) {
    if (const auto* i = std::get_if<int64_t>(&k))
      save_int(*i);
    else
      save_string(std::get<std::string>(k));
  }
  /// The C pickler's batch_list_exact / batch_dict_exact: a container of one item gets APPEND or
  /// SETITEM, a longer one batches of 1000 between MARK and APPENDS or SETITEMS (a last batch of one too).
  template <class Each>
  void batches(std::size_t n, unsigned char one, unsigned char many, Each each, std::size_t depth) {
    if (n == 1) {
      each(0, depth);
      return op(one);
    }
    for (std::size_t start = 0; start < n; start += 1000) {
      op('(');
      for (std::size_t i = start; i < std::min(n, start + 1000); ++i) each(i, depth);
      op(many);
    }
  }
  void save_int_tuple(const std::vector<int64_t>& v) {
    if (v.empty()) return op(')');
    if (v.size() > 3) op('(');
    for (int64_t x : v) save_int(x);
    op(v.size() == 1 ? 0x85 : v.size() == 2 ? 0x86 : v.size() == 3 ? 0x87 : 't');
    put();
  }

  template <class U>
  void save_tensor(const Tensor<U>& t, const Value& v) {
    const U* data = t.numel() ? t.data() : nullptr;
    if (data) {
      const auto range = seen_.equal_range(data);
      for (auto it = range.first; it != range.second; ++it)
        if (it->second.shape == t.shape() && it->second.kind == v.kind()) return get(it->second.memo);
    }
    const Dtype dtype = dtype_of<U>();
    save_global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');  // the persistent id
    save_string("storage");
    save_global("torch", storage_name(dtype));
    save_string(std::to_string(storages_.size()));
    save_string("cpu");
    save_int(t.numel());
    op('t');
    put();
    op('Q');
    storages_.push_back({std::to_string(storages_.size()), dtype, v});
    save_int(0);  // storage offset
    std::vector<int64_t> size(t.shape().begin(), t.shape().end()), stride(size.size());
    int64_t step = 1;  // contiguous strides, as PyTorch computes them (a 0 size counts as 1)
    for (std::size_t i = size.size(); i-- > 0;) {
      stride[i] = step;
      step *= std::max<int64_t>(size[i], 1);
    }
    save_int_tuple(size);
    save_int_tuple(stride);
    op(0x89);  // requires_grad: False (a state dict holds detached tensors)
    save_global("collections", "OrderedDict");  // backward hooks: OrderedDict()
    op(')');
    op('R');
    put();
    op('t');
    put();
    op('R');
    if (data) seen_.emplace(data, Seen{t.shape(), v.kind(), next_memo_});
    put();
  }

  void save(const Value& v, std::size_t depth) {
    if (depth > kMaxPickleDepth)
      eigentorch::detail::fail({"cannot pickle a value nested deeper than ", kMaxPickleDepth, " levels"});
    using K = Value::Kind;
    switch (v.kind()) {
      case K::none: return op('N');
      case K::boolean: return op(v.as_bool() ? 0x88 : 0x89);
      case K::integer: return save_int(v.as_int());
      case K::real: {
        const double d = v.as_double();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        op('G');
        for (int i = 7; i >= 0; --i) op(static_cast<unsigned char>(bits >> (8 * i)));
        return;
      }
      case K::string: return save_string(v.as_string());
      case K::tuple: {
        const auto& items = v.items();
        if (items.empty()) return op(')');
        const std::size_t start = out_.size();
        if (items.size() > 3) op('(');
        for (const Value& x : items) save(x, depth + 1);
        op(items.size() == 1 ? 0x85 : items.size() == 2 ? 0x86 : items.size() == 3 ? 0x87 : 't');
        // NOTE: Python memoizes objects, and a tuple of numbers that recurs in an optimizer's state dict
        // (every group's betas) is the one object of its defaults: written once, then a memo get. A Value
        // has no identity, so equal tuples of numbers are taken for one object.
        const bool numbers = std::all_of(items.begin(), items.end(), [](const Value& x) {
          return x.kind() == K::none || x.kind() == K::boolean || x.kind() == K::integer || x.kind() == K::real;
        });
        if (!numbers) return put();
        std::string key(out_.begin() + static_cast<std::ptrdiff_t>(start), out_.end());
        const auto seen = tuples_.find(key);
        if (seen != tuples_.end()) {
          out_.resize(start);
          return get(seen->second);
        }
        tuples_.emplace(std::move(key), next_memo_);
        return put();
      }
      case K::list: {
        const auto& items = v.items();
        op(']');
        put();
        return batches(items.size(), 'a', 'e', [&](std::size_t i, std::size_t d) { save(items[i], d + 1); }, depth);
      }
      case K::dict: {
        const auto& entries = v.entries();
        if (v.is_ordered_dict()) {
          save_global("collections", "OrderedDict");
          op(')');
          op('R');
        } else {
          op('}');
        }
        put();
        return batches(entries.size(), 's', 'u',
                       [&](std::size_t i, std::size_t d) {
                         save_key(entries[i].first);
                         save(entries[i].second, d + 1);
                       },
                       depth);
      }
      case K::float_tensor: return save_tensor(v.as_tensor<float>(), v);
      case K::double_tensor: return save_tensor(v.as_tensor<double>(), v);
      case K::int64_tensor: return save_tensor(v.as_tensor<int64_t>(), v);
    }
  }

  struct Seen {  // a tensor pickled before, by its data pointer
    Size shape;
    Value::Kind kind;
    uint64_t memo;
  };
  std::vector<unsigned char> out_;
  std::vector<PickledStorage> storages_;
  std::unordered_map<std::string, uint64_t> strings_, globals_, tuples_;  // tuples_: of numbers, by their bytes
  std::unordered_multimap<const void*, Seen> seen_;
  uint64_t next_memo_ = 0;
};

/// The pickle of `obj` alone (tensors referenced by key, as torch.save's data.pkl).
template <class = void>
std::vector<unsigned char> pickle(const Value& obj) { return Pickler<>(obj).bytes(); }

}  // namespace eigentorch::serialize
