// Helpers for the serialize tests (with test_util.hpp's error_of): a fixture's path, a temporary directory
// removed with its files at the end of a test, whole-file reads and writes, and a directory's listing (to
// prove a failed save left no temporary).
#pragma once

#include <eigentorch/error.hpp>

#include "test_util.hpp"  // error_of

#include <dirent.h>  // opendir, readdir
#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // unlink, rmdir

#include <algorithm>  // sort
#include <cstdio>     // FILE
#include <cstdlib>    // getenv
#include <stdexcept>
#include <string>
#include <vector>

namespace eigentorch::testing {

/// The path of the fixture `name` under tests/data/serialize/.
inline std::string serialize_fixture(const std::string& name) {
  return std::string(EIGENTORCH_TESTS_DIR) + "/data/serialize/" + name;
}

/// A fresh directory under $TMPDIR (or /tmp); removed, with the files in it, when destroyed.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/eigentorch-test-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("TempDir: mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { remove_tree(path_); }
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  static void remove_tree(const std::string& dir) {
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::string p = dir + "/" + name;
        if (unlink(p.c_str()) != 0) remove_tree(p);
      }
      closedir(d);
    }
    rmdir(dir.c_str());
  }
  std::string path_;
};

/// The names in a directory, sorted (without . and ..).
inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// A whole file's bytes (empty if it cannot be read).
inline std::vector<unsigned char> read_bytes(const std::string& path) {
  std::vector<unsigned char> bytes;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    unsigned char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
    std::fclose(f);
  }
  return bytes;
}

/// Writes bytes to a file (replacing it).
inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("write_bytes: cannot open " + path);
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace eigentorch::testing
