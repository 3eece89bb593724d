// chip_drift: how far an analog layer's outputs move as its devices drift, with and without global drift
// compensation, in simulated time; prints the energy ledger.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <new>

#include "core/blas_kernels.h"
#include "sim/chip_drift.h"
#include "sim/cli.h"
#include "sim/outputs.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Drift of an analog layer over idle time, with and without compensation", "chip_drift"};
  RunOptions run;
  ChipDriftParams params;
  add_run_options(app, run, "results/chip_drift.json");
  add_dry_run_option(app, run);
  params.add_options(app);
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    params.validate();
    if (run.dry_run) {
      print_resolved_config(options_to_json(app));
      return 0;
    }
    nlohmann::json result = run_record("chip_drift", run.seed, options_to_json(app));
    prepare_outputs(run.out, run.force, {});  // before any training: a run that cannot write finds out now
    fmt::print("chip_drift: seed {}, device {}{}, layer {}x{}, batch {}\n", run.seed, params.device,
               params.hw.empty() ? std::string() : fmt::format(" ({})", fmt::join(params.hw, ", ")), params.inputs,
               params.outputs, params.batch);
    result["metrics"] = run_chip_drift(params, run.seed);
    write_json_atomic(run.out, result);
    fmt::print("{}results in {}\n", result["metrics"]["energy_table"].get<std::string>(), run.out);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "chip_drift: error: out of memory: the run's arrays do not fit in this machine's memory; choose "
               "smaller sizes\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "chip_drift: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
