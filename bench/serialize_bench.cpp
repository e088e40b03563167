// Saving and loading a 100 MB state dict (25 float tensors of 1M elements) in both formats, against
// PyTorch's torch.save / torch.load on the same shapes, timed in the same run by bench/serialize_torch.py
// when /usr/bin/python3 has torch. Prints medians, MB/s and ratios.
//
//   build/bench/bench/serialize_bench [--reps N] [--dir DIR]     (DIR: where the files go; default /tmp)
//
// Saves end with an fsync (AtomicFile); torch.save's do not, so a save row's ratio includes the disk.
// Loads read a file that the save just wrote, so they come from the page cache.
#include <eigentorch/eigentorch.hpp>
#include <eigentorch/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace et = eigentorch;

namespace {

constexpr int kTensors = 25;
constexpr int64_t kNumel = 1 << 20;
constexpr double kMB = kTensors * kNumel * 4.0 / 1e6;

template <class F>
double median_seconds(int reps, F f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// PyTorch's medians from bench/serialize_torch.py, or nothing if python3-torch is missing.
std::map<std::string, double> pytorch_times(const std::string& dir, int reps) {
  std::map<std::string, double> times;
  const std::string cmd = "/usr/bin/python3 " EIGENTORCH_BENCH_DIR "/serialize_torch.py " + dir + " " +
                          std::to_string(kTensors) + " " + std::to_string(kNumel) + " " + std::to_string(reps) +
                          " 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char name[64];
    double s;
    while (std::fscanf(p, "%63s %lf", name, &s) == 2) times[name] = s;
    pclose(p);
  }
  return times;
}

void row(const char* what, double s, double torch_s) {
  std::printf("%-34s %9.1f ms %8.0f MB/s", what, s * 1e3, kMB / s);
  if (torch_s > 0)
    std::printf("   PyTorch %9.1f ms %8.0f MB/s   ratio %.2fx\n", torch_s * 1e3, kMB / torch_s, torch_s / s);
  else
    std::printf("   PyTorch -\n");
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--reps") reps = std::atoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  et::manual_seed(0);
  et::nn::OrderedDict<float> sd;
  for (int i = 0; i < kTensors; ++i) sd.insert("layer" + std::to_string(i) + ".weight", et::rand({kNumel}));
  const auto torch = pytorch_times(dir, reps);
  auto get = [&](const char* k) { return torch.count(k) ? torch.at(k) : 0.0; };

  std::printf("state dict: %d float tensors of %lld elements, %.0f MB; medians of %d; files in %s\n", kTensors,
              static_cast<long long>(kNumel), kMB, reps, dir.c_str());
  for (const char* ext : {".safetensors", ".pt"}) {
    const std::string path = dir + "/eigentorch_bench" + ext;
    const bool st = std::string(ext) == ".safetensors";
    const double save_s = median_seconds(reps, [&] { et::save(sd, path); });
    et::nn::OrderedDict<float> back;
    const double load_s = median_seconds(reps, [&] { back = et::load<float>(path); });
    if (back["layer3.weight"].to_vector() != sd["layer3.weight"].to_vector()) std::printf("MISMATCH\n");
    row(st ? "et::save  .safetensors (+ fsync)" : "et::save  .pt (+ fsync)", save_s,
        get(st ? "safetensors.save_file" : "torch.save"));
    row(st ? "et::load  .safetensors" : "et::load  .pt", load_s, get(st ? "safetensors.load_file" : "torch.load"));
    std::remove(path.c_str());
  }
  return 0;
}
