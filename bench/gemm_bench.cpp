// Float32 matrix-product throughput of this machine as the project builds it (Eigen, over OpenBLAS when
// MORTAL_USE_BLAS is on): the ceiling every training-speed figure is a fraction of.
//   build/bin/gemm_bench
#include <benchmark/benchmark.h>

#include "core/tensor.h"

namespace {

void BM_gemm(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  mortal::Mat a = mortal::Mat::Random(n, n), b = mortal::Mat::Random(n, n), c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  // Rate counters divide by the elapsed time: 2 n^3 / 1e9 per iteration reads as GFLOP/s.
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(n) * double(n) * double(n),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_gemm)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
