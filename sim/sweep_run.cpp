#include "sim/sweep_run.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <exception>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "hw/chip.h"
#include "sim/hw_config.h"
#include "sim/process.h"
#include "sim/resume.h"
#include "sim/results.h"

namespace mortal {
namespace {

// The option a command-line word names ("--lr" of "--lr=0.1"), or empty for a value. A word starting with
// '-' and a digit or '.' is a negative number.
std::string option_name(const std::string& word) {
  if (word.size() < 2 || word[0] != '-' || word == "--") return {};
  if (std::isdigit(static_cast<unsigned char>(word[1])) || word[1] == '.') return {};
  return word.substr(0, word.find('='));
}

bool help_lists(const std::string& help, const std::string& name) {
  std::size_t at = 0;
  while ((at = help.find(name, at)) != std::string::npos) {
    const bool start = at == 0 || help[at - 1] == ' ' || help[at - 1] == ',' || help[at - 1] == '\n';
    const std::size_t end = at + name.size();
    const bool stop = end == help.size() || help[end] == ' ' || help[end] == ',' || help[end] == '\n' ||
                      help[end] == '=';
    if (start && stop) return true;
    at = end;
  }
  return false;
}

// The value the last `--name X` or `--name=X` among `args` gives, or `fallback`.
std::string option_value(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
  std::string v = fallback;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) v = args[i + 1];
    if (args[i].rfind(name + "=", 0) == 0) v = args[i].substr(name.size() + 1);
  }
  return v;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string one_line(const std::string& text) {
  std::string s = text;
  for (char& c : s)
    if (c == '\n' || c == '\r') c = '|';
  return s;
}

}  // namespace

std::string resolve_scenario(const std::string& scenario) {
  if (scenario.find('/') != std::string::npos) {
    require(::access(scenario.c_str(), X_OK) == 0, "scenario {}: not an executable file", scenario);
    return scenario;
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  require(!ec, "cannot find this program's folder: {}", ec.message());
  const std::string path = (self.parent_path() / scenario).string();
  require(::access(path.c_str(), X_OK) == 0, "scenario {}: no such program beside mortal_sweep ({}); give a path",
          scenario, path);
  return path;
}

void check_sweep(const SweepSpec& spec, const std::string& program) {
  // Each distinct set of option values once: a grid over hardware paths alone is one check.
  std::set<std::vector<std::string>> checked;
  std::string help;
  for (int p = 0; p < spec.points(); ++p) {
    std::vector<std::string> args = spec.scenario_args;
    const std::vector<std::string> point = spec.point_args(p);
    std::vector<std::string> options;
    for (std::size_t i = 0; i < point.size(); ++i) {
      if (point[i] == "--hw") {
        ++i;
        continue;
      }
      options.push_back(point[i]);
    }
    if (!checked.insert(options).second) continue;
    args.insert(args.end(), options.begin(), options.end());
    std::vector<std::string> argv = {program};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--help");
    const ProcessResult r = run_process(argv);
    require(r.ok(), "{} refuses the options of point {} ({}): {}", spec.scenario, p, fmt::join(options, " "),
            r.started ? tail_lines(r.err.empty() ? r.out : r.err, 3) : r.describe());
    help = r.out;
    for (const std::string& word : args) {
      const std::string name = option_name(word);
      if (!name.empty())
        require(help_lists(help, name), "{} has no option {} (its --help lists every option it takes)", spec.scenario,
                name);
    }
  }
  // Hardware paths: every point's settings, applied as the scenario will, on its device preset.
  bool any_hw = std::find(spec.scenario_args.begin(), spec.scenario_args.end(), "--hw") != spec.scenario_args.end();
  for (const GridAxis& a : spec.axes) any_hw = any_hw || !a.is_option();
  if (!any_hw) return;
  require(help_lists(help, "--hw"), "{} takes no --hw: it cannot sweep hardware paths", spec.scenario);
  std::set<std::vector<std::string>> seen;
  for (int p = 0; p < spec.points(); ++p) {
    std::vector<std::string> args = spec.scenario_args;
    const std::vector<std::string> point = spec.point_args(p);
    args.insert(args.end(), point.begin(), point.end());
    std::vector<std::string> settings = {option_value(args, "--device", "pcm"),
                                         option_value(args, "--second-device", "")};
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--hw") settings.push_back(args[i + 1]);
    if (!seen.insert(settings).second) continue;
    hw::ChipParams chip;
    try {
      chip = hw::chip_preset(settings[0], {1, 1});
      if (!settings[1].empty()) chip.set_second_device(settings[1]);
    } catch (const std::exception& e) {
      fail("point {}: {}", p, e.what());
    }
    hw::EnergyParams energy;
    try {
      apply_hw_overrides(chip, energy, std::vector<std::string>(settings.begin() + 2, settings.end()));
    } catch (const Error& e) {
      fail("point {} (device {}): {}", p, settings[0], e.what());
    }
  }
}

void flatten_scalars(const nlohmann::json& j, const std::string& prefix, CsvRow& row) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten_scalars(v, prefix + "." + k, row);
  } else if (j.is_array()) {
    // A long array is left out whole: more than 64 entries, or more than 64 scalars in all (a learning
    // curve of per-epoch records). It stays in the run's JSON.
    if (j.size() > 64) return;
    CsvRow part;
    for (std::size_t i = 0; i < j.size(); ++i) flatten_scalars(j[i], fmt::format("{}.{}", prefix, i), part);
    if (part.size() > 64) return;
    row.insert(part.begin(), part.end());
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    // A multi-line text (a printed table) is not a metric.
    if (s.find('\n') == std::string::npos) row[prefix] = s;
  } else if (!j.is_null()) {
    row[prefix] = j.dump();
  }
}

std::vector<std::string> keep_metrics(const std::vector<std::string>& wanted, CsvRow& row) {
  if (wanted.empty()) return {};
  auto names = [](const std::string& want, const std::string& column) {
    return column == want || (column.size() > want.size() && column.compare(0, want.size(), want) == 0 &&
                              column[want.size()] == '.');
  };
  std::vector<std::string> unknown;
  for (const std::string& want : wanted) {
    bool found = false;
    for (const auto& entry : row) found = found || names(want, entry.first);
    if (!found) unknown.push_back(want);
  }
  for (auto it = row.begin(); it != row.end();) {
    const bool metric = it->first.rfind("metrics.", 0) == 0;
    const bool kept = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) { return names(w, it->first); });
    it = metric && !kept ? row.erase(it) : std::next(it);
  }
  return unknown;
}

RunOutcome run_one(const SweepSpec& spec, const std::string& program, const std::string& runs_dir, int point,
                   int replica) {
  const std::string id = run_id(point, replica);
  const std::uint64_t seed = sweep_seed(spec.base_seed, std::uint64_t(point), std::uint64_t(replica));
  const std::string out = runs_dir + "/" + id + ".json";
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), spec.scenario_args.begin(), spec.scenario_args.end());
  const std::vector<std::string> args = spec.point_args(point);
  argv.insert(argv.end(), args.begin(), args.end());
  // --force: a record a killed sweep's run finished but never got into the table is run again.
  for (const std::string& a : {std::string("--seed"), std::to_string(seed), std::string("--out"), out,
                               std::string("--force")})
    argv.push_back(a);
  // A scenario that checkpoints writes its checkpoint where ResumeOptions puts it by default (beside its
  // results, <id>.ckpt) at every epoch end. A run killed with its sweep left one: it goes on from there, to
  // the numbers of a run never stopped.
  std::error_code ec;
  if (std::filesystem::exists(ResumeOptions().path_for(out), ec)) argv.push_back("--resume");

  RunOutcome outcome;
  CsvRow& row = outcome.row;
  row["point"] = std::to_string(point);
  row["replica"] = std::to_string(replica);
  row["seed"] = std::to_string(seed);
  const std::vector<std::string> values = spec.point_values(point);
  for (std::size_t i = 0; i < spec.axes.size(); ++i) row[spec.axes[i].path] = values[i];

  ProcessOptions options;
  options.keep_bytes = 64 * 1024;
  const Stopwatch clock;
  const ProcessResult r = run_process(argv, options);
  row["wall_s"] = fmt::format("{:.3f}", clock.seconds());
  row["exit_code"] = std::to_string(r.signal ? -1 : r.exit_code);
  row["signal"] = std::to_string(r.signal);
  try {
    write_file_atomic(runs_dir + "/" + id + ".log",
                      fmt::format("$ {}\n{}\n--- stderr ---\n{}", fmt::join(argv, " "), r.out, r.err));
  } catch (const std::exception& e) {
    fmt::print(stderr, "sweep: run {}: its log was not kept: {}\n", id, e.what());
  }
  std::string error;
  if (!r.ok()) {
    const std::string tail = tail_lines(r.err.empty() ? r.out : r.err, 3);
    error = r.describe() + (tail.empty() ? std::string() : ": " + one_line(tail));
  } else {
    outcome.json_text = read_text(out);
    try {
      const nlohmann::json j = nlohmann::json::parse(outcome.json_text);
      if (j.contains("metrics")) flatten_scalars(j["metrics"], "metrics", row);
    } catch (const nlohmann::json::exception& e) {
      error = fmt::format("exited with 0 but its results {} are not readable JSON: {}", out, e.what());
      outcome.json_text.clear();
    }
  }
  row["status"] = error.empty() ? "ok" : "failed";
  if (!error.empty()) row["error"] = error;
  return outcome;
}

namespace {

// Creates DIR and DIR/runs, records the sweep in DIR/sweep.json or refuses a folder holding another one;
// returns the table's path. Done before the table is opened, so a refusal names the grid's difference.
std::string prepare_sweep_dir(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command) {
  std::filesystem::create_directories(dir + "/runs");
  const std::string path = dir + "/sweep.json";
  const nlohmann::json given = spec.identity();
  const std::string text = read_text(path);
  if (text.empty()) {
    nlohmann::json j = given;
    j["command"] = command;
    j["points"] = spec.points();
    write_json_atomic(path, j);
  } else {
    nlohmann::json recorded;
    try {
      recorded = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not readable JSON: {}", path, e.what());
    }
    const std::vector<std::string> diff = identity_differences(recorded, given);
    // Another choice of metrics before any row is written: the table has nothing the new choice contradicts.
    const std::string table = read_text(dir + "/results.csv");
    const bool no_rows = std::count(table.begin(), table.end(), '\n') <= 1;
    if (diff.size() == 1 && diff[0].rfind("metrics:", 0) == 0 && no_rows) {
      nlohmann::json j = given;
      j["command"] = command;
      j["points"] = spec.points();
      write_json_atomic(path, j);
      return dir + "/results.csv";
    }
    require(diff.empty(), "{} holds another sweep ({}): give another --out, or the sweep it holds", dir,
            fmt::join(diff, "; "));
  }
  return dir + "/results.csv";
}

}  // namespace

SweepDir::SweepDir(const SweepSpec& spec, std::string dir, const std::vector<std::string>& command)
    : spec_(spec), dir_(std::move(dir)), table_(prepare_sweep_dir(spec_, dir_, command), sweep_fixed_columns(spec_)) {}

std::vector<std::pair<int, int>> SweepDir::pending(const std::vector<int>& points) {
  std::lock_guard<std::mutex> guard(mutex_);
  const auto lock = table_.lock();
  table_.reload();
  std::vector<int> all = points;
  if (all.empty())
    for (int p = 0; p < spec_.points(); ++p) all.push_back(p);
  std::vector<std::pair<int, int>> runs;
  for (int p : all)
    for (int r = 0; r < spec_.seeds; ++r)
      if (!table_.has(run_id(p, r))) runs.emplace_back(p, r);
  return runs;
}

void SweepDir::start_progress(const std::vector<int>& points) {
  std::lock_guard<std::mutex> guard(mutex_);
  progress_points_ = points;
  if (progress_points_.empty())
    for (int p = 0; p < spec_.points(); ++p) progress_points_.push_back(p);
  total_ = int(progress_points_.size());
  progress_ = std::make_unique<Progress>("points", total_);
  report();
  progress_->resume_at(done_);
}

void SweepDir::report() {
  // A point is done when all its replicas are: counted from the table, which is what a rerun trusts.
  std::map<int, int> runs, failed;
  for (const CsvRow& row : table_.rows()) {
    const int p = std::stoi(row.at("point"));
    ++runs[p];
    if (row.count("status") && row.at("status") != "ok") ++failed[p];
  }
  done_ = 0;
  failed_ = 0;
  for (int p : progress_points_) {
    done_ += runs[p] >= spec_.seeds;
    failed_ += failed[p];
  }
  if (progress_) progress_->report(done_, fmt::format("{} failed run{}", failed_, failed_ == 1 ? "" : "s"));
}

void SweepDir::record(const RunOutcome& given) {
  std::lock_guard<std::mutex> guard(mutex_);
  RunOutcome outcome = given;
  std::vector<std::string> has;
  for (const auto& entry : outcome.row)
    if (entry.first.rfind("metrics.", 0) == 0) has.push_back(entry.first);
  if (has.size() > 40) has.resize(40), has.push_back("...");
  const std::vector<std::string> unknown = keep_metrics(spec_.metrics, outcome.row);
  require(unknown.empty() || outcome.row.at("status") != "ok",
          "--metrics: run {} has no metric {} (its metrics: {})", SweepTable::key(outcome.row), fmt::join(unknown, ", "),
          fmt::join(has, ", "));
  const std::string id = SweepTable::key(outcome.row);
  // A run on another machine (MPI) sent its JSON along; a local one wrote it here already.
  const std::string json_path = runs_dir() + "/" + id + ".json";
  if (!outcome.json_text.empty() && read_text(json_path) != outcome.json_text)
    write_file_atomic(json_path, outcome.json_text);
  {
    const auto lock = table_.lock();
    table_.reload();
    if (!table_.has(id)) table_.append(outcome.row);
  }
  if (outcome.row.at("status") != "ok" && progress_)
    fmt::print(stderr, "sweep: run {} failed: {}\n", id, outcome.row.count("error") ? outcome.row.at("error") : "");
  report();
}

void run_local(SweepDir& sweep, const std::string& program, const std::vector<std::pair<int, int>>& runs, int workers) {
  std::mutex claim;
  std::size_t next = 0;
  std::exception_ptr error;
  auto work = [&] {
    for (;;) {
      std::pair<int, int> run;
      {
        std::lock_guard<std::mutex> guard(claim);
        if (error || next >= runs.size()) return;
        run = runs[next++];
      }
      try {
        // The row is durable before this worker claims its next run.
        sweep.record(run_one(sweep.spec(), program, sweep.runs_dir(), run.first, run.second));
      } catch (...) {
        // A table that cannot be written stops the sweep: the runs going on finish, no new one starts.
        std::lock_guard<std::mutex> guard(claim);
        if (!error) error = std::current_exception();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < std::max(1, workers) - 1; ++w) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace mortal
