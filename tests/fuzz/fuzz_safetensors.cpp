// Fuzz target: the safetensors reader on hostile bytes. The first byte picks how the rest is read: even,
// the rest is a whole file; odd, the rest is a header's JSON, then (after the first NUL byte) the data, and
// the target writes the 8-byte length in front, so that mutations reach the JSON and the offsets checks
// instead of dying at the length. Each input is read as a header, as float and double state dicts and as
// lossless values, from memory (MemorySource). A malformed file must end in an eigentorch::Error; anything
// else (a crash, a sanitizer report, another exception, a read out of bounds) is a finding.
// libFuzzer: clang++ -fsanitize=fuzzer,address,undefined. With EIGENTORCH_FUZZ_REPLAY the file builds a
// replay driver that runs every file given on its command line (the fuzz_safetensors_replay test).
#include <eigentorch/serialize/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>  // memchr, memcpy
#include <vector>

namespace et = eigentorch;
namespace st = eigentorch::serialize;

namespace {

void run(const uint8_t* data, std::size_t size) {
  if (size == 0) return;
  std::vector<unsigned char> file;
  if (data[0] % 2 == 0) {
    file.assign(data + 1, data + size);
  } else {
    const auto* body = data + 1;
    const std::size_t n = size - 1;
    const auto* nul = static_cast<const uint8_t*>(std::memchr(body, 0, n));
    const std::size_t header = nul ? static_cast<std::size_t>(nul - body) : n;
    file.resize(8);
    for (int i = 0; i < 8; ++i) file[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(header) >> (8 * i));
    file.insert(file.end(), body, body + header);
    if (nul) file.insert(file.end(), nul + 1, body + n);
  }
  const st::MemorySource src(file.data(), file.size());
  bool valid = false;
  try {
    const st::SafetensorsHeader h = st::read_safetensors_header(src);
    valid = true;
    // a valid header's promises hold: the tensors tile the data, each holding its shape's bytes
    std::uint64_t total = 0;
    for (const auto& t : h.tensors) {
      if (t.end < t.begin) __builtin_trap();
      if (static_cast<std::uint64_t>(t.shape.numel()) * st::element_size(t.dtype) != t.end - t.begin) __builtin_trap();
      total += t.end - t.begin;
    }
    if (h.data_start + total != file.size()) __builtin_trap();
  } catch (const et::Error&) {
  }
  try {
    const auto f = st::load_safetensors<float>(src);
    if (!valid) __builtin_trap();  // the loader and the header reader must agree
  } catch (const et::Error&) {
    if (valid) __builtin_trap();
  }
  try {
    st::load_safetensors<double>(src);
    st::load_safetensors_values(src);
  } catch (const et::Error&) {
    if (valid) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  run(data, size);
  return 0;
}

#include "replay_main.hpp"
