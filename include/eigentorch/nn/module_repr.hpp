// PyTorch's repr of a module: its class name, extra_repr() in parentheses and its children indented
// below, as print(model) shows it. Cold code, as all printing is (see tensor/format.hpp).
#pragma once

#include "module.hpp"

#include <cstdlib>  // free
#include <memory>   // unique_ptr
#include <string>
#include <typeinfo>
#include <vector>
#if defined(__GNUG__)
#include <cxxabi.h>  // __cxa_demangle, for the class name in repr
#endif

namespace eigentorch {

namespace detail {

/// "Net" from a C++ type name such as "app::Net<float>" (what Python's type(self).__name__ gives).
[[gnu::cold]] inline std::string short_type_name(const std::type_info& info) {
  std::string name = info.name();
#if defined(__GNUG__)
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  if (status == 0 && demangled) name = demangled.get();
#endif
  const auto angle = name.find('<');
  if (angle != std::string::npos) name.erase(angle);
  const auto colon = name.rfind("::");
  if (colon != std::string::npos) name.erase(0, colon + 2);
  return name;
}

/// Indents every line after the first by `spaces` (PyTorch's _addindent).
[[gnu::cold]] inline std::string add_indent(const std::string& s, int spaces) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out.append(static_cast<std::size_t>(spaces), ' ');
  }
  return out;
}

}  // namespace detail

template <class T>
std::string nn::Module<T>::name() const {
  return detail::short_type_name(typeid(*this));
}

template <class T>
std::string nn::Module<T>::repr() const {
  const std::string extra = extra_repr();
  std::vector<std::string> extra_lines;
  if (!extra.empty()) {
    std::size_t start = 0, nl;
    while ((nl = extra.find('\n', start)) != std::string::npos) {
      extra_lines.push_back(extra.substr(start, nl - start));
      start = nl + 1;
    }
    extra_lines.push_back(extra.substr(start));
  }
  std::vector<std::string> child_lines;
  for (const auto& [key, child] : state_->children)
    child_lines.push_back("(" + key + "): " + detail::add_indent(child->repr(), 2));
  std::string s = name() + "(";
  if (extra_lines.size() == 1 && child_lines.empty()) {
    s += extra_lines[0];
  } else if (!extra_lines.empty() || !child_lines.empty()) {
    s += "\n";
    for (const auto& l : extra_lines) s += "  " + l + "\n";
    for (const auto& l : child_lines) s += "  " + l + "\n";
  }
  return s + ")";
}

}  // namespace eigentorch
