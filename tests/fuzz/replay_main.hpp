// The replay driver of a fuzz target: included at the end of each tests/fuzz/fuzz_*.cpp, it makes
// main() when EIGENTORCH_FUZZ_REPLAY is defined (the *_replay tests: `target FILE...` runs every corpus
// file once, under whatever sanitizers the build uses). libFuzzer builds leave it out.
#pragma once

#if defined(EIGENTORCH_FUZZ_REPLAY)
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    if (!f) {
      std::cerr << "cannot read " << argv[i] << "\n";
      return 1;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "replayed " << (argc - 1) << " inputs\n";
  return 0;
}
#endif
