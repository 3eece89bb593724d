#pragma once
// What a sweep runs: a grid of values over hardware paths and scenario options, each point run by several
// chip individuals (replicas), each run a scenario command of its own.
//
// Points are numbered from 0 in the order of nested loops over the grids as given, the last varying
// fastest (with --zip: the k-th value of every grid). A run's seed depends on the base seed, its point
// and its replica only (sweep_seed), so one point reruns alone with the seeds it had in the whole sweep.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mortal {

struct GridAxis {
  std::string path;  // a hardware path (device.dw_min), or a scenario option when it begins with "--"
  std::vector<std::string> values;
  bool is_option() const { return path.rfind("--", 0) == 0; }
};

// "PATH=v1,v2,...": split at the first '=', values at commas; none may be empty.
GridAxis parse_grid(const std::string& text);
// A grid file: JSON {"grid": {"PATH": [v, ...], ...}, "zip": false} or the same in TOML
// ([grid] table of arrays, zip = false); numbers and booleans become their text. Throws Error naming the
// file and field.
std::vector<GridAxis> read_grid_file(const std::string& path, bool& zip);

// "a,b.c,metrics.d": the metric columns named, each with "metrics." put before it when it lacks it.
std::vector<std::string> parse_metric_list(const std::string& text);

// seed = s(s(s(base) ^ point) ^ replica), s being SplitMix64's finaliser (core/rng.h, the one the run's
// streams are derived with), so neighbouring points and replicas get unrelated seeds and any run's seed is
// known without the others.
std::uint64_t sweep_seed(std::uint64_t base, std::uint64_t point, std::uint64_t replica);

struct SweepSpec {
  std::vector<GridAxis> axes;
  bool zip = false;
  int seeds = 1;  // replicas per point
  std::uint64_t base_seed = 1;
  // The metrics results.csv keeps (--metrics): columns ("metrics.test_error") or the prefix of a group
  // of them ("metrics.reads"); empty keeps every scalar of the run's metrics.
  std::vector<std::string> metrics;
  std::string scenario;                    // as given: a name found beside mortal_sweep, or a path
  std::vector<std::string> scenario_args;  // passed to every run before the point's own

  // Refuses: no grid, an empty or repeated path, zipped grids of unequal lengths, seeds < 1, scenario
  // arguments that the sweep sets itself (--seed, --out, --force).
  void validate() const;
  int points() const;
  std::vector<std::string> point_values(int point) const;  // one per axis
  // The point's arguments after scenario_args: `--hw PATH=value` per hardware axis, `--opt=value` per
  // option axis.
  std::vector<std::string> point_args(int point) const;

  // What identifies the sweep (grid, zip, seeds, base seed, scenario and its arguments, the metrics kept
  // when they are chosen), for sweep.json.
  nlohmann::json identity() const;
};

// The fields in which two identities differ, one phrase each ("grid device.dw_min: 0.001,0.002 recorded,
// 0.001,0.003 given"); empty when they agree.
std::vector<std::string> identity_differences(const nlohmann::json& recorded, const nlohmann::json& given);

// The columns every results.csv row has, before the metrics: point, replica, seed, one per axis (its
// path), status, exit_code, signal, wall_s, error.
std::vector<std::string> sweep_fixed_columns(const SweepSpec& spec);

// "3-1": the run of point 3, replica 1: its row key and the stem of its files under runs/.
std::string run_id(int point, int replica);

}  // namespace mortal
