// mortal_energy: FF in situ against BP, digital and analog, per training and per inference image, with every
// constant from the energy tables (energy/*.toml); or, with --calibrate, the tables against published chips.
#include <fmt/format.h>

#include <cstdio>
#include <new>

#include "core/blas_kernels.h"
#include "sim/cli.h"
#include "sim/energy_report.h"
#include "sim/outputs.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Energy per training and inference image: FF in situ against BP, digital and analog; --calibrate "
               "against published chips",
               "mortal_energy"};
  RunOptions run;
  MortalEnergyParams params;
  add_run_options(app, run, "results/mortal_energy.json");
  params.add_options(app);
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    params.validate();
    nlohmann::json result = run_record("mortal_energy", run.seed, options_to_json(app));
    std::vector<OutputFile> files;
    if (!params.run_insitu.empty()) files.push_back({"--run-insitu", params.insitu_run_out(run.out)});
    if (!params.insitu.empty() || !params.run_insitu.empty()) {
      const std::string stem = params.plot_stem(run.out);
      for (const char* kind : {"_bars", "_pareto"})
        for (const OutputFile& f : plot_files("--plot", stem + kind)) files.push_back(f);
    }
    const RunOutputs outputs = prepare_outputs(run.out, run.force, files);
    std::string text;
    result["metrics"] = run_mortal_energy(params, run.out, text, run.force);
    result["status"] = "finished";
    write_json_atomic(run.out, result);
    outputs.finish();
    fmt::print("{}results in {}\n", text, run.out);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "mortal_energy: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mortal_energy: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
