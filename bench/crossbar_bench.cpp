// Cost of the analog emulation against the digital operation of the same shape: a tiled 784x1000 layer,
// batch 256. Prints the Google Benchmark table, then the ratios measured in this run:
//   forward (PCM: 7-bit DAC, device read noise with 1/f, drift, output noise, 9-bit ADC) / x W^T
//   pulsed update (sampled coincidence counts, GokmenVlasov constant step) / W += lr d^T x
//   SystemC kernel wall time / wall time of a chip training step (forward + update through SynapticArray)
//   build/bin/crossbar_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "hw/chip.h"
#include "hw/crossbar.h"

namespace {

using mortal::Mat;
using namespace mortal::hw;

constexpr int kIn = 784, kOut = 1000, kBatch = 256;

struct Inputs {
  Mat x = Mat::Random(kBatch, kIn).cwiseAbs();  // non-negative like pixels and ReLU outputs
  Mat d = Mat::Random(kBatch, kOut) * 0.1f;
  Mat w = Mat::Random(kOut, kIn) * 0.3f;
  Mat z = Mat(kBatch, kOut);
};
Inputs& inputs() {
  static Inputs in;
  return in;
}

void BM_eigen_forward(benchmark::State& state) {
  auto& in = inputs();
  for (auto _ : state) {
    in.z.noalias() = in.x * in.w.transpose();
    benchmark::DoNotOptimize(in.z.data());
  }
}
BENCHMARK(BM_eigen_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_eigen_update(benchmark::State& state) {
  auto& in = inputs();
  Mat w = in.w;
  for (auto _ : state) {
    w.noalias() += 0.01f * in.d.transpose() * in.x;
    benchmark::DoNotOptimize(w.data());
  }
}
BENCHMARK(BM_eigen_update)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_crossbar_forward(benchmark::State& state, const std::string& preset) {
  auto& in = inputs();
  Ledger ledger;
  Crossbar xb("xb", crossbar_preset(preset), ledger, kOut, kIn, 1);
  FastRng rng(1, "bench");
  xb.program(in.w, 0.0, rng);
  // One hour after programming; the drift and 1/f state is cached between batches as on a chip.
  for (auto _ : state) {
    xb.forward(in.z, in.x, 3600.0, rng);
    benchmark::DoNotOptimize(in.z.data());
  }
}
BENCHMARK_CAPTURE(BM_crossbar_forward, pcm, std::string("pcm"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_crossbar_forward, ideal, std::string("ideal"))->Unit(benchmark::kMillisecond)->UseRealTime();

// lr 0.01: every device expects tens of pulses (the Gaussian branch); lr 1e-4: a third of a pulse, as in
// FF training in situ (the small-count branch).
void BM_crossbar_update(benchmark::State& state, const std::string& preset, float lr) {
  auto& in = inputs();
  Ledger ledger;
  Crossbar xb("xb", crossbar_preset(preset), ledger, kOut, kIn, 2);
  FastRng rng(2, "bench");
  xb.program(in.w, 0.0, rng);
  double pulses = 0;
  for (auto _ : state) {
    xb.update(in.x, in.d, lr, 0.0, rng);
    pulses += xb.last_pulses();
  }
  state.counters["pulses/batch"] = pulses / double(state.iterations());
}
BENCHMARK_CAPTURE(BM_crossbar_update, gokmen_vlasov, std::string("gokmen_vlasov"), 0.01f)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_crossbar_update, reram, std::string("reram"), 0.01f)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_crossbar_update, ecram, std::string("ecram"), 0.01f)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_crossbar_update, ecram_few_pulses, std::string("ecram"), 1e-4f)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// The chip is elaborated once per process (SystemC cannot elaborate again), before any benchmark runs.
std::unique_ptr<Ledger> g_ledger;
std::unique_ptr<Chip> g_chip;
double g_kernel_share = -1;

void BM_chip_train_step(benchmark::State& state) {
  auto& in = inputs();
  mortal::SynapticArray& layer = g_chip->layer(0);
  const double kernel0 = g_chip->kernel_wall_s();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    layer.forward(in.z, in.x);
    layer.update(in.x, in.d, 0.01f);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  g_kernel_share = (g_chip->kernel_wall_s() - kernel0) / wall;
  state.counters["kernel_share"] = g_kernel_share;
  state.counters["sim_time_s"] = sc_core::sc_time_stamp().to_seconds();
}
BENCHMARK(BM_chip_train_step)->Unit(benchmark::kMillisecond)->UseRealTime();

// Keeps each run's mean real time per benchmark name, for the ratios.
class Recorder : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) times[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  g_ledger = std::make_unique<Ledger>();
  g_chip = std::make_unique<Chip>("chip", chip_preset("gokmen_vlasov", {kIn, kOut}), *g_ledger, 3);
  g_chip->program(0, inputs().w);
  Recorder rec;
  benchmark::RunSpecifiedBenchmarks(&rec);
  auto ratio = [&](const char* a, const char* b) {
    auto ia = rec.times.find(a), ib = rec.times.find(b);
    if (ia == rec.times.end() || ib == rec.times.end()) return;
    std::printf("%-44s %6.2fx\n", (std::string(a) + " / " + b).c_str(), ia->second / ib->second);
  };
  std::printf("\nratios measured in this run (784x1000 layer, batch 256):\n");
  ratio("BM_crossbar_forward/pcm/real_time", "BM_eigen_forward/real_time");
  ratio("BM_crossbar_forward/ideal/real_time", "BM_eigen_forward/real_time");
  ratio("BM_crossbar_update/gokmen_vlasov/real_time", "BM_eigen_update/real_time");
  ratio("BM_crossbar_update/reram/real_time", "BM_eigen_update/real_time");
  ratio("BM_crossbar_update/ecram/real_time", "BM_eigen_update/real_time");
  ratio("BM_crossbar_update/ecram_few_pulses/real_time", "BM_eigen_update/real_time");
  ratio("BM_crossbar_update/gokmen_vlasov/real_time", "BM_eigen_forward/real_time");
  if (g_kernel_share >= 0)
    std::printf("%-44s %6.2f%%\n", "SystemC kernel share of a chip train step", 100 * g_kernel_share);
  benchmark::Shutdown();
  return 0;
}
