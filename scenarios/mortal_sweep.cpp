// mortal_sweep: runs a scenario over a grid of hardware parameters and options, several chip individuals
// per point, each run its own process, each finished run one durable row of DIR/results.csv; reruns skip
// what is done; under mpirun rank 0 hands the runs to the other ranks.
//   mortal_sweep --out sweeps/dw --grid device.dw_min=0.001,0.002 --seeds 3 -- chip_drift --inputs 64
//   mortal_sweep --collect sweeps/dw
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "sim/cli.h"
#include "sim/sweep_collect.h"
#include "sim/sweep_grid.h"
#include "sim/sweep_mpi.h"
#include "sim/sweep_run.h"

namespace {

// Under mpirun (OpenMPI, or a PMI launcher such as Slurm's srun): MPI is started only then, so a plain run
// needs no MPI runtime at all.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  // The sweep's own options end at "--"; the scenario and its options follow. "--grid --lr=..." is one
  // option with its value, whatever the value begins with.
  std::vector<std::string> own = {argv[0]}, scenario;
  bool rest = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (rest) {
      scenario.push_back(a);
    } else if (a == "--") {
      rest = true;
    } else if (a == "--grid" && i + 1 < argc) {
      own.push_back("--grid=" + std::string(argv[++i]));
    } else {
      own.push_back(a);
    }
  }
  CLI::App app{"Sweeps a scenario over a grid of hardware parameters and options, several chips per point", "mortal_sweep"};
  app.footer("Usage: mortal_sweep --out DIR --grid PATH=v1,v2,... [--grid ...] [options] -- SCENARIO [its options]\n"
             "       mortal_sweep --collect DIR\n"
             "       mortal_sweep --tornado DIR\n" +
             std::string(mpi_built() ? "Built with MPI: mpirun -np N mortal_sweep ... spreads the runs over N-1 ranks."
                                     : "Built without MPI: runs on this machine only."));
  std::string out, collect, grid_file, metrics, tornado_dir;
  std::vector<std::string> grids, plot_metrics;
  SweepSpec spec;
  int workers = 1, point = -1;
  double rank_timeout_s = 60;
  app.add_option("--out", out, "The sweep's folder: sweep.json, results.csv, runs/, summary.json, plots/");
  app.add_option("--grid", grids,
                 "PATH=v1,v2,...: a hardware path (passed as --hw PATH=value) or, beginning with --, a scenario "
                 "option; repeatable, several form their product");
  app.add_flag("--zip", spec.zip, "Pair the grids' values (all of one length) instead of their product");
  app.add_option("--grid-file", grid_file, "Grids from a JSON or TOML file: {\"grid\": {PATH: [values]}, \"zip\": false}");
  app.add_option("--metrics", metrics,
                 "a,b,...: the metrics of each run's JSON that results.csv, summary.json and the plots keep (names "
                 "as in results.csv, \"metrics.\" optional; a name also keeps the metrics under it); default: all");
  app.add_option("--seeds", spec.seeds, "Chip individuals (replicas) per point")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", spec.base_seed, "Base seed; a run's seed is derived from it, its point and replica")
      ->capture_default_str();
  app.add_option("--workers", workers, "Runs at once on this machine")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--point", point, "Run this point only (default: SLURM_ARRAY_TASK_ID when set)")->check(CLI::NonNegativeNumber);
  app.add_option("--rank-timeout", rank_timeout_s,
                 "Under mpirun --enable-recovery: a rank silent this many seconds while it holds a run is taken "
                 "as dead and its run handed out again")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--collect", collect, "Summarise and plot the sweep in this folder, and run nothing");
  app.add_option("--tornado", tornado_dir,
                 "Draw DIR/tornado.png from the sweeps in DIR's subfolders (one per property, factor 1 the middle "
                 "point; bench/sensitivity.sh), and run nothing");
  app.add_option("--plot-metric", plot_metrics, "A metric to plot (a results.csv column); default: every *error* metric");
  std::vector<char*> own_argv;
  for (std::string& s : own) own_argv.push_back(s.data());
  int code = 0;
  if (!parse_command_line(app, int(own_argv.size()), own_argv.data(), code)) return code;
  try {
    if (!collect.empty()) {
      require(out.empty() && grids.empty() && scenario.empty(), "--collect DIR reads a sweep: give nothing to run");
      const nlohmann::json summary = collect_sweep(collect, plot_metrics);
      fmt::print("sweep: {} points summarised in {}/summary.json\n", summary["points"].size(), collect);
      return 0;
    }
    if (!tornado_dir.empty()) {
      require(out.empty() && grids.empty() && scenario.empty(), "--tornado DIR reads sweeps: give nothing to run");
      const nlohmann::json t = tornado(tornado_dir, plot_metrics);
      fmt::print("sweep: tornado of {} properties in {}/tornado.png\n", t["order"].size(), tornado_dir);
      return 0;
    }
    require(!out.empty(), "--out DIR is required (or --collect DIR, or --tornado DIR)");
    for (const std::string& g : grids) spec.axes.push_back(parse_grid(g));
    if (!metrics.empty()) spec.metrics = parse_metric_list(metrics);
    if (!grid_file.empty()) {
      const std::vector<GridAxis> from_file = read_grid_file(grid_file, spec.zip);
      spec.axes.insert(spec.axes.end(), from_file.begin(), from_file.end());
    }
    if (!scenario.empty()) {
      spec.scenario = scenario[0];
      spec.scenario_args.assign(scenario.begin() + 1, scenario.end());
    }
    spec.validate();
    if (point < 0 && std::getenv("SLURM_ARRAY_TASK_ID")) {
      try {
        point = std::stoi(std::getenv("SLURM_ARRAY_TASK_ID"));
      } catch (const std::exception&) {
        fail("SLURM_ARRAY_TASK_ID={} is not a point number", std::getenv("SLURM_ARRAY_TASK_ID"));
      }
    }
    require(point < spec.points(), "--point {}: the grid has points 0 to {}", point, spec.points() - 1);
    std::vector<int> points;
    if (point >= 0) points.push_back(point);
    const std::vector<std::string> command(argv, argv + argc);
    if (launched_by_mpi()) {
      if (mpi_built()) return run_mpi_sweep(spec, out, command, points, plot_metrics, rank_timeout_s);
      fmt::print(stderr, "mortal_sweep: warning: started by an MPI launcher, but built without MPI: running alone\n");
    }
    const std::string program = resolve_scenario(spec.scenario);
    check_sweep(spec, program);
    SweepDir sweep(spec, out, command);
    const auto runs = sweep.pending(points);
    fmt::print("sweep: {} points x {} replicas, {} runs to do ({} done before), {} worker{}; table {}/results.csv\n",
               points.empty() ? spec.points() : 1, spec.seeds, runs.size(),
               (points.empty() ? spec.points() : 1) * spec.seeds - int(runs.size()), workers, workers == 1 ? "" : "s", out);
    sweep.start_progress(points);
    run_local(sweep, program, runs, workers);
    if (points.empty()) collect_sweep(out, plot_metrics);
    fmt::print("sweep: done, {} failed run{}\n", sweep.failed(), sweep.failed() == 1 ? "" : "s");
  } catch (const std::exception& e) {
    fmt::print(stderr, "mortal_sweep: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
