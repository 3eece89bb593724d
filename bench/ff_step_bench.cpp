// One step of the pytorch/examples FF recipe (a layer-epoch: one full batch of 50,000 positive and 50,000
// negative images, one Adam step), beside the float32 GEMM peak of the same run.
//   build/bin/ff_step_bench            (bench/ff_speed.sh runs it next to PyTorch)
#include <benchmark/benchmark.h>

#include <memory>

#include "model/digital_array.h"
#include "model/ff_layer.h"

namespace {

using namespace mortal;

// FLOPs of the matrix products of one FF step: z = x W^T and W += d^T x, 2 rows in out each.
double step_flops(double rows, double in, double out) { return 2 * 2 * rows * in * out; }

void BM_gemm_peak(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  Mat a = Mat::Random(n, n), b = Mat::Random(n, n), c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(n) * double(n) * double(n),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

constexpr int kUnits = 500, kBatch = 50000, kClasses = 10;

// A 500-unit layer of the recipe (Adam, mean-square goodness, theta 2, l2 norm) over `in` inputs.
FFLayer recipe_layer(int in) {
  OptimiserParams opt;
  opt.kind = OptimiserKind::adam;
  auto array = std::make_unique<DigitalArray>(kUnits, in + 1, opt);
  Rng rng = make_rng(1, "bench.init");
  array->init_uniform(rng);
  FFLayerParams lp;
  lp.objective.kind = GoodnessKind::mean_squares;
  lp.objective.theta = 2;
  lp.norm = NormKind::l2;
  return FFLayer(std::move(array), lp);
}

// Times layer.train on its 2 x 50,000 rows (positives first); `rows` rows go through the products.
void time_steps(benchmark::State& state, FFLayer& layer, int in, int rows) {
  Vec target(2 * kBatch);
  target.head(kBatch).setOnes();
  target.tail(kBatch).setZero();
  for (auto _ : state) {
    FFStepStats s = layer.train(target, 0.03f, 1.0f / (2 * kBatch));
    benchmark::DoNotOptimize(s.loss);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * step_flops(rows, in + 1, kUnits),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// range(0): inputs of the layer (784 for layer 0, 500 for layer 1); 500 units; 2 x 50,000 rows.
void BM_ff_recipe_step(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0));
  FFLayer layer = recipe_layer(in);
  MatRef x = layer.input(2 * kBatch);
  x = Mat::Random(2 * kBatch, in).cwiseAbs();
  normalise_rows(x, x, NormKind::l2, 1e-4f);
  time_steps(state, layer, in, 2 * kBatch);
}

// The same step of layer 0 as ff_mnist --pair-negatives true runs it: each negative is its positive's image
// under another label (label pixels 0-9), so the products run on the 50,000 positives plus 10 label rows
// (FFLayer::pair_negatives). GFLOP/s counts the products executed.
void BM_ff_recipe_step_paired(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0));
  FFLayer layer = recipe_layer(in);
  layer.pair_negatives(kClasses);
  MatRef x = layer.input(2 * kBatch);
  x.topRows(kBatch) = Mat::Random(kBatch, in).cwiseAbs();
  x.topLeftCorner(kBatch, kClasses).setZero();
  x.bottomRows(kBatch) = x.topRows(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    x(i, i % kClasses) = 1.0f;
    x(kBatch + i, (i + 1 + i / kClasses % (kClasses - 1)) % kClasses) = 1.0f;
  }
  normalise_rows(x, x, NormKind::l2, 1e-4f);
  time_steps(state, layer, in, kBatch + kClasses);
}

BENCHMARK(BM_gemm_peak)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ff_recipe_step)->Arg(784)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);
BENCHMARK(BM_ff_recipe_step_paired)->Arg(784)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);

}  // namespace

BENCHMARK_MAIN();
