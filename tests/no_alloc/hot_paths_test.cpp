// No heap allocation in a training step's hot paths, as Eigen itself counts them: this file is built into its
// own binary together with the core, the hardware and the update rules, all compiled under eigen_no_malloc.h
// (tests/CMakeLists.txt), so that every Eigen allocation those make is checked. After a warm-up step has sized
// every buffer, the steps that follow must allocate nothing.
#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "hw/chip.h"
#include "hw/crossbar.h"
#include "sim/rules/analog_momentum.h"
#include "sim/rules/mixed_precision.h"
#include "sim/rules/periodic_carry.h"
#include "sim/rules/pulsed_sgd.h"
#include "sim/rules/threshold_accumulator.h"

namespace mortal::test {
namespace {
std::mutex failed_mutex;
int failed = 0;
std::string first_failure;
}  // namespace

void eigen_check_failed(const char* what, const char* file, int line) {
  const std::lock_guard<std::mutex> lock(failed_mutex);
  if (failed++ == 0) first_failure = std::string(file) + ":" + std::to_string(line) + ": " + what;
}
}  // namespace mortal::test

using namespace mortal;

namespace {

// The steps run on one thread: which of parallel_for's helpers takes which block is up to the scheduler,
// and a helper's work buffers (thread_local, kept with the helper: core/parallel.cpp) grow at its first
// block of a kind, once, whenever that comes. One thread makes the check the same on every run.
struct OneThread {
  OneThread() { set_worker_threads(1); }
  ~OneThread() { set_worker_threads(0); }
};

// Runs `step` with Eigen's heap allocation forbidden; returns the Eigen checks that failed inside it, the
// first one's place and text in `what`.
template <typename F>
int eigen_failures(F&& step, std::string& what) {
  {
    const std::lock_guard<std::mutex> lock(test::failed_mutex);
    test::failed = 0;
    test::first_failure.clear();
  }
  struct Allow {
    ~Allow() { Eigen::internal::set_is_malloc_allowed(true); }
  } allow_again;
  Eigen::internal::set_is_malloc_allowed(false);
  step();
  Eigen::internal::set_is_malloc_allowed(true);
  const std::lock_guard<std::mutex> lock(test::failed_mutex);
  what = test::first_failure;
  return test::failed;
}

}  // namespace

TEST_CASE("the check sees an allocation made inside the hardware's code", "[crossbar][alloc]") {
  // The control for the cases below: a crossbar built while allocation is forbidden sizes its arrays in
  // hw/crossbar.cpp, compiled with the check (tests/CMakeLists.txt); were the check not compiled in there,
  // the "nothing" of the other cases would be nothing seen.
  const OneThread one;
  hw::Ledger ledger;
  std::string what;
  const int failures = eigen_failures(
      [&] { const hw::Crossbar xb("xb", hw::crossbar_preset("ecram"), ledger, 20, 30, 3); }, what);
  CHECK(failures > 0);
  CHECK_THAT(what, Catch::Matchers::Contains("heap allocation is forbidden"));
}

TEST_CASE("a crossbar's pulsed update, forward pass and row read and write allocate nothing once warm",
          "[crossbar][alloc]") {
  // A tiled layer (4 tiles along the inputs) of every preset, with the bias row's odd width.
  const int out = 300, in = 785, batch = 32;
  const Mat x = Mat::Random(batch, in), d = 0.1f * Mat::Random(batch, out);
  const Mat delta = 0.02f * Mat::Random(out, 7);
  Mat z(batch, out), r(out, 7);
  const OneThread one;
  for (const hw::DevicePreset& preset : hw::device_presets()) {
    hw::Ledger ledger;
    hw::Crossbar xb("xb", hw::crossbar_preset(preset.name), ledger, out, in, 3);
    hw::FastRng rng(3, "alloc");
    double t_s = 0;
    const auto step = [&] {
      t_s += 1e-3;
      xb.update(x, d, 0.01f, t_s, rng);
      xb.forward(z, x, t_s, rng);
      xb.read_rows(r, 100, t_s, rng);
      xb.write_rows(delta, 100, t_s, rng);
      xb.write_rows(delta, 100, t_s, rng, hw::Crossbar::RowWrite::whole_steps);
    };
    step();
    std::string what;
    const int failures = eigen_failures(
        [&] {
          for (int s = 0; s < 3; ++s) step();
        },
        what);
    INFO("preset " << preset.name << ": " << what);
    CHECK(failures == 0);
  }
}

TEST_CASE("a step of every in-situ update rule allocates nothing once warm", "[insitu][alloc]") {
  OptimiserParams momentum;
  momentum.momentum = 0.9f;
  AnalogMomentumParams pulses{AnalogMomentum{}, momentum, 0.05f};
  AnalogMomentumParams every3 = pulses;  // a share of V's rows decayed per step
  every3.array.every = 3;
  AnalogMomentumParams share = pulses;  // V decayed by charge sharing
  share.array.decay = "share";
  const FineCarry carry{4.0, 3, false}, whole{4.0, 3, true};

  // Every chip is built before the first one runs (SystemC elaborates once per process).
  struct Case {
    std::string name;
    std::vector<std::string> arrays;
    std::string second;
    std::unique_ptr<hw::Chip> chip;
    std::unique_ptr<UpdateRule> rule;
  };
  std::vector<Case> cases;
  cases.push_back({"pulsed SGD", PulsedSgd::extra_arrays({}), "", nullptr, nullptr});
  cases.push_back({"analog momentum", AnalogMomentumRule::extra_arrays(pulses), "", nullptr, nullptr});
  cases.push_back({"analog momentum, every 3", AnalogMomentumRule::extra_arrays(every3), "", nullptr, nullptr});
  cases.push_back(
      {"capacitor momentum, shared", AnalogMomentumRule::extra_arrays(share), "capacitor", nullptr, nullptr});
  cases.push_back({"periodic carry, every 3", PeriodicCarry::extra_arrays(carry), "", nullptr, nullptr});
  cases.push_back({"periodic carry, whole steps", PeriodicCarry::extra_arrays(whole), "", nullptr, nullptr});
  cases.push_back({"threshold accumulator", ThresholdAccumulator::extra_arrays({pulses, whole}), "", nullptr, nullptr});
  cases.push_back({"mixed precision", MixedPrecision::extra_arrays({}), "", nullptr, nullptr});
  hw::Ledger ledger;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    hw::ChipParams cp = hw::chip_preset("reram", {64, 48, 32});
    cp.bias_row = true;
    cp.extra_arrays = cases[i].arrays;
    if (!cases[i].second.empty()) cp.set_second_device(cases[i].second);
    cases[i].chip = std::make_unique<hw::Chip>(("chip" + std::to_string(i)).c_str(), cp, ledger, 5);
  }
  cases[0].rule = std::make_unique<PulsedSgd>(PulsedSgdParams{}, *cases[0].chip);
  cases[1].rule = std::make_unique<AnalogMomentumRule>(pulses, *cases[1].chip);
  cases[2].rule = std::make_unique<AnalogMomentumRule>(every3, *cases[2].chip);
  cases[3].rule = std::make_unique<AnalogMomentumRule>(share, *cases[3].chip);
  cases[4].rule = std::make_unique<PeriodicCarry>(carry, *cases[4].chip);
  cases[5].rule = std::make_unique<PeriodicCarry>(whole, *cases[5].chip);
  cases[6].rule = std::make_unique<ThresholdAccumulator>(ThresholdAccumulatorParams{pulses, whole}, *cases[6].chip);
  cases[7].rule = std::make_unique<MixedPrecision>(MixedPrecisionParams{}, *cases[7].chip);

  // A batch of 20 positive and 20 negative rows for each layer (inputs with the bias row), its signal small.
  const int rows = 40;
  const OneThread one;
  const std::vector<Mat> x = {Mat::Random(rows, 65).cwiseAbs(), Mat::Random(rows, 49).cwiseAbs()};
  const std::vector<Mat> d = {0.05f * Mat::Random(rows, 48), 0.05f * Mat::Random(rows, 32)};
  for (Case& c : cases) {
    hw::FastRng rng(5, "alloc");
    double t_s = 0;
    const auto step = [&] {
      for (int k = 0; k < 2; ++k) {
        t_s += 1e-6;
        c.rule->step(RuleStep{k, x[std::size_t(k)], d[std::size_t(k)], 0.05f, 0.05f, t_s, 0.0, rng});
      }
    };
    // The warm-up goes once through every share of rows (a share's last rows may be fewer).
    for (int s = 0; s < 3; ++s) step();
    std::string what;
    const int failures = eigen_failures(
        [&] {
          for (int s = 0; s < 3; ++s) step();
        },
        what);
    INFO(c.name << ": " << what);
    CHECK(failures == 0);
  }
}
