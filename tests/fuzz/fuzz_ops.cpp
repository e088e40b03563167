// Fuzz target: turns bytes into a program of tensor ops (factories, broadcasting arithmetic, matmul,
// shape ops, reductions, activations, losses, in-place ops, backward, printing) on a small stack of
// tensors. Misuse must end in an eigentorch::Error; anything else (a crash, a sanitizer report, any
// other exception) is a finding.
// libFuzzer: clang++ -fsanitize=fuzzer,address,undefined (the `fuzz` preset). Without libFuzzer the
// file builds a replay driver (EIGENTORCH_FUZZ_REPLAY) that runs every file given on its command line.
#include <eigentorch/eigentorch.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

namespace et = eigentorch;
namespace F = eigentorch::nn::functional;

namespace {

/// Reads the input one byte at a time; past its end every read is 0.
class Bytes {
 public:
  Bytes(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool done() const { return pos_ >= size_; }
  int64_t small(int64_t n) { return static_cast<int64_t>(next() % n); }
  /// A dim argument, sometimes out of range on purpose.
  int64_t dim() { return small(9) - 4; }
  et::Size shape() {
    std::vector<int64_t> dims(static_cast<std::size_t>(small(4)));
    for (auto& d : dims) d = small(5);  // 0..4: empty tensors too
    return et::Size(dims);
  }
  /// A requested shape for reshape/view, with -1 and bad values sometimes.
  et::Size target() {
    std::vector<int64_t> dims(static_cast<std::size_t>(small(4)));
    for (auto& d : dims) d = small(8) - 2;
    return et::Size(dims);
  }

 private:
  const uint8_t* data_;
  std::size_t size_, pos_ = 0;
};

void run(const uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  std::vector<et::Tensor<>> stack;
  auto pick = [&]() -> et::Tensor<>& { return stack[static_cast<std::size_t>(in.small(static_cast<int64_t>(stack.size())))]; };
  std::ostringstream sink;
  for (int ops = 0; !in.done() && ops < 64; ++ops) {
    const int op = in.next() % 40;
    try {
      if (stack.empty() || op < 4) {  // factories
        const et::Size s = in.shape();
        switch (in.small(4)) {
          case 0: stack.push_back(et::randn(s)); break;
          case 1: stack.push_back(et::rand(s).requires_grad_()); break;
          case 2: stack.push_back(et::full(s, static_cast<double>(in.next()) - 128.0)); break;
          default: stack.push_back(et::zeros(s).requires_grad_(in.next() & 1)); break;
        }
        if (stack.size() > 8) stack.erase(stack.begin());
        continue;
      }
      et::Tensor<>& a = pick();
      et::Tensor<>& b = pick();
      et::Tensor<> r;
      switch (op) {
        case 4: r = a + b; break;
        case 5: r = a - b; break;
        case 6: r = a * b; break;
        case 7: r = a / b; break;
        case 8: r = a.matmul(b); break;
        case 9: r = a.mm(b); break;
        case 10: r = a.reshape(in.target()); break;
        case 11: r = a.view(in.target()); break;
        case 12: r = a.unsqueeze(in.dim()); break;
        case 13: r = a.squeeze(in.dim()); break;
        case 14: r = a.transpose(in.dim(), in.dim()); break;
        case 15: r = a.t(); break;
        case 16: r = a.sum(in.dim(), in.next() & 1); break;
        case 17: r = a.mean(); break;
        case 18: r = a.pow(static_cast<double>(in.small(7)) / 2 - 1); break;
        case 19: r = a.exp().log().sqrt().abs(); break;
        case 20: r = a.tanh().sigmoid().relu(); break;
        case 21: r = F::softmax(a, in.dim()); break;
        case 22: r = F::linear(a, b); break;
        case 23: r = F::mse_loss(a, b, in.next() & 1 ? "mean" : "none"); break;
        case 24: a.backward(); break;
        case 25: a.backward(b); break;
        case 26: sink << a.item(); break;
        case 27: a.add_(b); break;
        case 28: a.mul_(2.0); break;
        case 29: a.zero_(); break;
        case 30: {
          et::NoGradGuard no_grad;
          a.copy_(b);
          break;
        }
        case 31: r = a.detach(); break;
        case 32: r = a.clone(); break;
        case 33: sink << a << a.shape() << a.grad(); break;
        case 34: r = a.flatten(in.dim(), in.dim()); break;
        case 35: r = 2.0 / a - 1.0; break;
        case 36: r = et::pow(a, b); break;
        case 37: r = F::log_softmax(a, in.dim()) * F::gelu(b); break;
        case 38: a.requires_grad_(in.next() & 1); break;
        default: r = a.sum(); r.backward(); break;
      }
      if (r.defined()) {
        stack.push_back(r);
        if (stack.size() > 8) stack.erase(stack.begin());
      }
    } catch (const et::Error&) {
      // misuse, reported cleanly: what the library promises
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  run(data, size);
  return 0;
}

#if defined(EIGENTORCH_FUZZ_REPLAY)
#include <fstream>
#include <iostream>
#include <iterator>

/// Replays corpus files: fuzz_replay FILE...
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "replayed " << (argc - 1) << " inputs\n";
  return 0;
}
#endif
