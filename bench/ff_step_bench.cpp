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

// range(0): inputs of the layer (784 for layer 0, 500 for layer 1); 500 units; 2 x 50,000 rows.
void BM_ff_recipe_step(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0)), units = 500, batch = 50000;
  OptimiserParams opt;
  opt.kind = OptimiserKind::adam;
  auto array = std::make_unique<DigitalArray>(units, in + 1, opt);
  Rng rng = make_rng(1, "bench.init");
  array->init_uniform(rng);
  FFLayerParams lp;
  lp.objective.kind = GoodnessKind::mean_squares;
  lp.objective.theta = 2;
  lp.norm = NormKind::l2;
  FFLayer layer(std::move(array), lp);
  MatRef x = layer.input(2 * batch);
  x = Mat::Random(2 * batch, in).cwiseAbs();
  normalise_rows(x, x, NormKind::l2, 1e-4f);
  Vec target(2 * batch);
  target.head(batch).setOnes();
  target.tail(batch).setZero();
  for (auto _ : state) {
    FFStepStats s = layer.train(target, 0.03f, 1.0f / (2 * batch));
    benchmark::DoNotOptimize(s.loss);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * step_flops(2 * batch, in + 1, units),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// The same step of layer 0 as ff_mnist --pair-negatives true runs it: each negative is its positive's image
// under another label (label pixels 0-9), so the products run on the 50,000 positives plus 10 label rows
// (FFLayer::pair_negatives). GFLOP/s counts the products executed.
void BM_ff_recipe_step_paired(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0)), units = 500, batch = 50000, classes = 10;
  OptimiserParams opt;
  opt.kind = OptimiserKind::adam;
  auto array = std::make_unique<DigitalArray>(units, in + 1, opt);
  Rng rng = make_rng(1, "bench.init");
  array->init_uniform(rng);
  FFLayerParams lp;
  lp.objective.kind = GoodnessKind::mean_squares;
  lp.objective.theta = 2;
  lp.norm = NormKind::l2;
  FFLayer layer(std::move(array), lp);
  layer.pair_negatives(classes);
  MatRef x = layer.input(2 * batch);
  x.topRows(batch) = Mat::Random(batch, in).cwiseAbs();
  x.topLeftCorner(batch, classes).setZero();
  x.bottomRows(batch) = x.topRows(batch);
  for (int i = 0; i < batch; ++i) {
    x(i, i % classes) = 1.0f;
    x(batch + i, (i + 1 + i / classes % (classes - 1)) % classes) = 1.0f;
  }
  normalise_rows(x, x, NormKind::l2, 1e-4f);
  Vec target(2 * batch);
  target.head(batch).setOnes();
  target.tail(batch).setZero();
  for (auto _ : state) {
    FFStepStats s = layer.train(target, 0.03f, 1.0f / (2 * batch));
    benchmark::DoNotOptimize(s.loss);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * step_flops(batch + classes, in + 1, units),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_gemm_peak)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_ff_recipe_step)->Arg(784)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);
BENCHMARK(BM_ff_recipe_step_paired)->Arg(784)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(4);

}  // namespace

BENCHMARK_MAIN();
