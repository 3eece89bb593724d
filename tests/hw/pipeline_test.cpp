#include "hw/pipeline.h"

#include <catch2/catch.hpp>
#include <memory>

#include "hw/chip.h"

using namespace mortal;
using namespace mortal::hw;

TEST_CASE("a pipeline delivers one batch per bottleneck stage time in simulated time", "[pipeline][timing]") {
  std::vector<PipelineStage::Work> works;
  for (double ns : {10.0, 30.0, 20.0}) works.push_back([ns](Packet&, double) { return ns; });
  Pipeline pipe("pipe", works, 2);
  const int n = 10;
  for (int k = 0; k < n; ++k) pipe.source.push(Packet{k, std::make_shared<Mat>(Mat::Zero(1, 1))});
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
  REQUIRE(pipe.sink.received().size() == std::size_t(n));
  // Fill time 10 + 30 + 20 ns, then one packet per 30 ns (the slowest stage).
  for (int k = 0; k < n; ++k) {
    CHECK(pipe.sink.received()[std::size_t(k)].id == k);
    CHECK(pipe.sink.arrival_s()[std::size_t(k)] == Approx((60.0 + 30.0 * k) * 1e-9).epsilon(1e-9));
  }
  CHECK(pipe.stage(1).processed() == n);
}

TEST_CASE("chip layers run as concurrent pipeline stages and compute what they compute alone", "[pipeline]") {
  Ledger ledger;
  ChipParams p = chip_preset("ideal", {64, 32, 16});
  Chip chip("chip", p, ledger, 1);
  // Every module exists before the first chip operation starts the kernel.
  Pipeline pipe("pipe", {chip_layer_stage(chip, 0), chip_layer_stage(chip, 1)}, 1);
  Mat w0 = Mat::Random(32, 64), w1 = Mat::Random(16, 32);
  chip.program(0, w0);
  chip.program(1, w1);
  const double t_start = sc_core::sc_time_stamp().to_seconds();
  const int n = 4, batch = 8;
  std::vector<Mat> inputs;
  for (int k = 0; k < n; ++k) {
    inputs.push_back(Mat::Random(batch, 64));
    pipe.source.push(Packet{k, std::make_shared<Mat>(inputs.back())});
  }
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_MS));
  REQUIRE(pipe.sink.received().size() == std::size_t(n));
  const auto& t = p.crossbar.timing;
  // Packets enter when pushed, after programming.
  const double stage_ns = batch * (t.t_dac_ns + t.t_read_ns + t.t_adc_ns * t.columns_per_adc) +
                          chip.relu(0).time_ns(batch) + chip.normaliser(0).time_ns(batch);
  const double t0 = pipe.sink.arrival_s()[0];
  CHECK(t0 - t_start == Approx(2 * stage_ns * 1e-9).epsilon(1e-9));
  for (int k = 1; k < n; ++k)
    CHECK(pipe.sink.arrival_s()[std::size_t(k)] - t0 == Approx(k * stage_ns * 1e-9).epsilon(1e-9));
  // Same result as layer by layer: forward, ReLU, normalise to unit mean square.
  for (int k = 0; k < n; ++k) {
    Mat h = (inputs[std::size_t(k)] * w0.transpose()).cwiseMax(0.0f);
    for (int b = 0; b < batch; ++b) h.row(b) /= std::sqrt(h.row(b).squaredNorm() / 32) + 1e-4f;
    Mat y = (h * w1.transpose()).cwiseMax(0.0f);
    for (int b = 0; b < batch; ++b) y.row(b) /= std::sqrt(y.row(b).squaredNorm() / 16) + 1e-4f;
    CHECK((*pipe.sink.received()[std::size_t(k)].x - y).cwiseAbs().maxCoeff() < 1e-4f);
  }
}
