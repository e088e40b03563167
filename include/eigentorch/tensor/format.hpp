// PyTorch 1.13's tensor printing (torch/_tensor_str.py, default print options) over a plain
// row-major buffer, so that repr output can be reproduced byte for byte without Eigen or Tensor.
// NOTE: printing and repr functions here and elsewhere are [[gnu::cold]]: the compiler builds them
// for size rather than speed (a program prints far less than it computes), which shortens the
// compile of every program that includes eigentorch.
#pragma once

#include <cmath>        // std::isfinite, std::isnan, std::ceil, std::fabs
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, INT64_MAX
#include <algorithm>    // max
#include <cstdio>       // std::snprintf
#include <string>
#include <type_traits>  // std::is_floating_point
#include <utility>      // std::move
#include <vector>

namespace eigentorch::detail {

/// What decorates the numbers in a tensor's repr.
struct TensorPrintInfo {
  std::string grad_fn;         // e.g. "AddmmBackward0"; empty if none
  bool requires_grad = false;  // printed as requires_grad=True only when grad_fn is empty
  bool is_double = false;      // adds the suffix dtype=float64 (float32 is the default dtype)
  const char* int_dtype = nullptr;  // "int64" or "bool": printed only when there are no elements
  bool is_parameter = false;   // prefix "Parameter containing:\n"
};

/// PyTorch's default print options; the algorithm below is only ever run with these.
namespace print_options {
inline constexpr int precision = 4;
inline constexpr int64_t threshold = 1000;  // more elements than this are summarised
inline constexpr int64_t edgeitems = 3;
inline constexpr int64_t linewidth = 80;
}  // namespace print_options

[[gnu::cold]] inline std::string tuple_str(const std::vector<int64_t>& shape) {
  // Python's tuple repr: a one-element tuple keeps its trailing comma.
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Python's len() counts code points, and grad_fn names are the only text that might not be ASCII.
inline int64_t text_length(const std::string& s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

enum class NumberMode { integer, fixed, scientific };

// One value as Python's format() spells it in the given mode, before padding.
[[gnu::cold]] inline std::string raw_number(double v, NumberMode mode) {
  // NOTE: Python writes every NaN as "nan" whatever its sign bit, where printf may write "-nan".
  if (std::isnan(v)) return "nan";
  if (!std::isfinite(v)) return v < 0 ? "-inf" : "inf";
  // %.4f of the largest double needs 309 integer digits; glibc rounds exactly (ties to even on
  // the binary value), as Python's own float formatting does, so the digits agree.
  const int precision = mode == NumberMode::integer ? 0 : print_options::precision;
  char buf[400];
  const int n = std::snprintf(buf, sizeof buf, mode == NumberMode::scientific ? "%.*e" : "%.*f",
                              precision, v);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::string();
  std::string s(buf, static_cast<std::size_t>(n));
  // NOTE: printf spells the decimal point as the C locale says, so a program that called
  // setlocale may get "1,5"; the only bytes that are not digits, signs or 'e' are that point.
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == '.') continue;
    std::size_t end = i;
    while (end < s.size() && (s[end] < '0' || s[end] > '9')) ++end;
    s.replace(i, end - i, ".");
    break;
  }
  // The trailing point marks a float tensor whose values all happen to be integral.
  if (mode == NumberMode::integer) s += '.';
  return s;
}

// PyTorch's _Formatter: one notation and one column width for every value on show.
struct Formatter {
  NumberMode mode = NumberMode::integer;
  std::size_t width = 1;

  std::string operator()(double v) const {
    std::string s = raw_number(v, mode);
    if (s.size() < width) s.insert(0, width - s.size(), ' ');
    return s;
  }
};

[[gnu::cold]] inline Formatter make_formatter(const std::vector<double>& shown) {
  Formatter f;
  // Zeros (of either sign), infinities and NaNs neither choose the mode nor widen the column.
  bool any = false;
  bool integral = true;
  double lo = 0.0, hi = 0.0;
  for (double v : shown) {
    if (!std::isfinite(v) || v == 0.0) continue;
    const double a = std::fabs(v);
    if (!any || a < lo) lo = a;
    if (!any || a > hi) hi = a;
    any = true;
    if (v != std::ceil(v)) integral = false;
  }
  if (!any) return f;

  const bool wide_range = hi / lo > 1000.0 || hi > 1.0e8;
  if (integral) {
    f.mode = wide_range ? NumberMode::scientific : NumberMode::integer;
  } else {
    f.mode = wide_range || lo < 1.0e-4 ? NumberMode::scientific : NumberMode::fixed;
  }
  for (double v : shown) {
    if (!std::isfinite(v) || v == 0.0) continue;
    const std::size_t len = raw_number(v, f.mode).size();
    if (len > f.width) f.width = len;
  }
  return f;
}

// The index ranges of one dimension that are on show: the edge items either side of the gap
// when summarising, else everything.
struct ShownRanges {
  int64_t first_end;     // [0, first_end) is shown
  int64_t second_begin;  // [second_begin, size) is shown; equals first_end when there is no gap
  bool gap;
};

inline ShownRanges shown_ranges(int64_t size, bool summarize) {
  if (summarize && size > 2 * print_options::edgeitems) {
    return {print_options::edgeitems, size - print_options::edgeitems, true};
  }
  return {size, size, false};
}

// Gathers the values on show in printing order, which is the order get_summarized_data keeps.
template <class T, class V>
[[gnu::cold]] void collect_shown(const T* data, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
             std::size_t dim, int64_t offset, bool summarize, std::vector<V>& out) {
  if (dim == shape.size()) {
    out.push_back(static_cast<V>(data[offset]));
    return;
  }
  const ShownRanges r = shown_ranges(shape[dim], summarize);
  for (int64_t i = 0; i < r.first_end; ++i) {
    collect_shown(data, shape, strides, dim + 1, offset + i * strides[dim], summarize, out);
  }
  for (int64_t i = r.second_begin; i < shape[dim]; ++i) {
    collect_shown(data, shape, strides, dim + 1, offset + i * strides[dim], summarize, out);
  }
}

// Writes the nested brackets, taking the formatted cells in the order collect_shown() produced them.
[[gnu::cold]] inline void render_shown(const std::vector<int64_t>& shape, std::size_t dim, int64_t indent,
                   bool summarize, std::size_t width, const std::vector<std::string>& cells,
                   std::size_t& next, std::string& out) {
  if (dim == shape.size()) {  // a 0-d tensor: the bare number
    out += cells[next++];
    return;
  }
  const ShownRanges r = shown_ranges(shape[dim], summarize);
  const std::size_t shown = static_cast<std::size_t>(r.first_end + (shape[dim] - r.second_begin));
  out += '[';
  if (dim + 1 == shape.size()) {
    // A row wraps after as many ", "-separated cells as fit in the line width; the " ..." of a
    // summarised row takes a cell's place in that count.
    const int64_t cell = static_cast<int64_t>(width) + 2;
    const int64_t room = print_options::linewidth - indent;
    const int64_t per_line = room > 0 && room / cell > 1 ? room / cell : 1;
    const std::size_t items = shown + (r.gap ? 1 : 0);
    for (std::size_t k = 0; k < items; ++k) {
      if (k > 0) {
        if (static_cast<int64_t>(k) % per_line == 0) {
          out += ",\n";
          out.append(static_cast<std::size_t>(indent + 1), ' ');
        } else {
          out += ", ";
        }
      }
      if (r.gap && k == static_cast<std::size_t>(r.first_end)) {
        out += " ...";
      } else {
        out += cells[next++];
      }
    }
  } else {
    // Slices of a d-dimensional tensor are separated by d - 1 newlines, then aligned under '['.
    std::string separator = ",";
    separator.append(shape.size() - dim - 1, '\n');
    separator.append(static_cast<std::size_t>(indent + 1), ' ');
    const std::size_t items = shown + (r.gap ? 1 : 0);
    for (std::size_t k = 0; k < items; ++k) {
      if (k > 0) out += separator;
      if (r.gap && k == static_cast<std::size_t>(r.first_end)) {
        out += "...";
      } else {
        render_shown(shape, dim + 1, indent + 1, summarize, width, cells, next, out);
      }
    }
  }
  out += ']';
}

// A suffix such as "dtype=float64", with the length PyTorch gave it when choosing where it goes.
struct ReprSuffix {
  std::string text;
  int64_t length;
};

// NOTE: PyTorch lays suffixes out while they still read "dtype=torch.float64", so the prefix we
// drop still counts towards the line width.
inline ReprSuffix repr_suffix(std::string text, int64_t dropped_chars = 0) {
  const int64_t length = text_length(text) + dropped_chars;
  return {std::move(text), length};
}

// Joins the suffixes the way _add_suffixes does: on the same line while it stays within the line
// width, otherwise on a new line indented under the first bracket.
[[gnu::cold]] inline std::string add_suffixes(std::string text, const std::vector<ReprSuffix>& suffixes,
                                int64_t indent) {
  // NOTE: PyTorch measures the last line as its length plus 2 (len - rfind('\n') + 1), and this
  // off-by-two decides where suffixes wrap, so it is kept.
  const std::size_t newline = text.rfind('\n');
  const std::size_t last_start = newline == std::string::npos ? 0 : newline + 1;
  int64_t last_line = static_cast<int64_t>(text.size() - last_start) + 2;
  for (const ReprSuffix& s : suffixes) {
    if (last_line + s.length + 2 > print_options::linewidth) {
      text += ",\n";
      text.append(static_cast<std::size_t>(indent), ' ');
      last_line = indent + s.length;
    } else {
      text += ", ";
      last_line += s.length + 2;
    }
    text += s.text;
  }
  return text + ")";
}

/// PyTorch 1.13's repr of a float32 or float64 CPU tensor, with the "torch." prefixes dropped.
/// `data` is row-major and holds the product of `shape` elements; an empty shape is a 0-d tensor.
///   format_tensor(v.data(), {2}, {}) == "tensor([1., 2.])"
template <class T>
[[gnu::cold]] std::string format_tensor(const T* data, const std::vector<int64_t>& shape,
                          const TensorPrintInfo& info) {
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());

  // Guards for shapes PyTorch never produces: a negative extent counts as empty; an element
  // count past int64 (no buffer holds it) or a depth past what PyTorch's recursive printer
  // survives (about 500 dims) leaves the elements unread, so nothing can overflow the stack.
  int64_t numel = 1;
  bool unreadable = shape.size() > 1000;
  for (int64_t d : shape) {
    if (d <= 0) {
      numel = 0;
      break;
    }
    if (numel > INT64_MAX / d) unreadable = true;
    if (!unreadable) numel *= d;
  }

  // "dtype=torch.float64" in PyTorch: 6 characters longer than what we print. (Made where it is
  // pushed, so that every push_back moves: one vector growth routine to compile, not two.)
  auto dtype = [&info] {
    return info.int_dtype ? repr_suffix(std::string("dtype=") + info.int_dtype, 6) : repr_suffix("dtype=float64", 6);
  };
  std::vector<ReprSuffix> suffixes;
  std::string body;
  if (numel == 0) {
    // As NumPy does, an empty tensor shows its shape unless it is (0,), and its dtype even when
    // it is the default, since there are no elements to infer it from.
    if (shape.size() != 1) suffixes.push_back(repr_suffix("size=" + tuple_str(shape)));
    if (info.is_double || info.int_dtype) suffixes.push_back(dtype());
    body = "[]";
  } else if (data == nullptr || unreadable) {
    // No elements to read: printed the way PyTorch prints a tensor on the meta device.
    suffixes.push_back(repr_suffix("size=" + tuple_str(shape)));
    if (info.is_double || info.int_dtype) suffixes.push_back(dtype());
    body = "...";
  } else {
    if (info.is_double) suffixes.push_back(dtype());
    std::vector<int64_t> strides(shape.size(), 1);
    for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];

    const bool summarize = numel > print_options::threshold;
    std::vector<std::string> cells;
    std::size_t width = 0;
    if constexpr (std::is_floating_point_v<T>) {
      std::vector<double> shown;
      collect_shown(data, shape, strides, 0, 0, summarize, shown);
      const Formatter formatter = make_formatter(shown);
      cells.reserve(shown.size());
      for (double v : shown) cells.push_back(formatter(v));
      width = formatter.width;
    } else {  // PyTorch's int mode: str(value), right-aligned to the widest (True / False for bool)
      std::vector<T> shown;
      collect_shown(data, shape, strides, 0, 0, summarize, shown);
      for (T v : shown) {
        if constexpr (std::is_same_v<T, bool>)
          cells.push_back(v ? "True" : "False");
        else
          cells.push_back(std::to_string(static_cast<long long>(v)));
        width = std::max(width, cells.back().size());
      }
      for (std::string& c : cells) c.insert(0, width - c.size(), ' ');
    }
    std::size_t next = 0;
    render_shown(shape, 0, indent, summarize, width, cells, next, body);
  }

  if (!info.grad_fn.empty()) {
    suffixes.push_back(repr_suffix("grad_fn=<" + info.grad_fn + ">"));
  } else if (info.requires_grad) {
    suffixes.push_back(repr_suffix("requires_grad=True"));
  }

  std::string text = add_suffixes(prefix + body, suffixes, indent);
  if (info.is_parameter) text.insert(0, "Parameter containing:\n");
  return text;
}

/// The repr of torch.Size without its "torch." prefix: "Size([11, 1])", "Size([])" for 0-d.
[[gnu::cold]] inline std::string format_size(const std::vector<int64_t>& shape) {
  std::string s = "Size([";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "])";
}

}  // namespace eigentorch::detail
