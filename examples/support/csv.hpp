// Reading the examples' data sets: CSV lines of `features` numbers and a class index (as scikit-learn
// ships iris, digits, wine, ...). Not part of the library. A missing file or a malformed line throws
// std::runtime_error naming the file and the line.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace csv {

/// The samples of a classification data set: features row by row, and one class index per row.
struct Table {
  std::vector<float> features;
  std::vector<int64_t> labels;
  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
};

/// Reads `path`: each line holds `features` numbers then the class; a first header line is skipped
/// when `header` is true.
inline Table read(const std::string& path, int features, bool header) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  Table t;
  std::string line;
  if (header) std::getline(file, line);
  for (int64_t number = header ? 2 : 1; std::getline(file, line); ++number) {
    std::istringstream fields(line);
    std::string v;
    try {
      for (int i = 0; i < features; ++i) {
        if (!std::getline(fields, v, ',')) throw std::invalid_argument("too few fields");
        t.features.push_back(std::stof(v));
      }
      if (!std::getline(fields, v, ',')) throw std::invalid_argument("no class");
      t.labels.push_back(std::stoll(v));
    } catch (const std::exception&) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected " + std::to_string(features) +
                               " numbers and a class index, got \"" + line + "\"");
    }
  }
  return t;
}

}  // namespace csv
