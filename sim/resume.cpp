#include "sim/resume.h"

#include <CLI/CLI.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"
#include "sim/cli.h"
#include "sim/version.h"

namespace mortal {

void ResumeOptions::add_options(CLI::App& app) {
  const std::size_t before = app.get_options().size();
  app.add_option("--checkpoint", checkpoint, "Checkpoint file, written at every epoch end (default: results path "
                                             "with .ckpt)");
  app.add_flag("--resume", resume, "Continue from the checkpoint (the same options as the run that wrote it)");
  app.add_option("--stop-after-epoch", stop_after, "Stop once this epoch is checkpointed (0: never)");
  group_options_since(app, before, "Output");
}

void ResumeOptions::validate(int epochs) const {
  check_nonnegative("stop-after-epoch", stop_after);
  require(epochs <= 0 || stop_after < epochs,
          "stop-after-epoch {} must come before the last epoch ({}): a run stopped there would simply finish "
          "(0: never stop)", stop_after, epochs);
}

std::string results_stem(const std::string& out) {
  return out.size() > 5 && out.substr(out.size() - 5) == ".json" ? out.substr(0, out.size() - 5) : out;
}

std::string ResumeOptions::path_for(const std::string& out) const {
  return checkpoint.empty() ? results_stem(out) + ".ckpt" : checkpoint;
}

Checkpointing ResumeOptions::for_run(const std::string& out, const nlohmann::json& config,
                                     const nlohmann::json& defaults, const std::string& data) const {
  validate();
  Checkpointing ck;
  ck.path = path_for(out);
  ck.resume = resume;
  ck.stop_after = stop_after;
  ck.fingerprint = checkpoint_fingerprint(config);
  ck.defaults = checkpoint_fingerprint(defaults);
  if (!data.empty()) {
    ck.fingerprint["data-digest"] = data;
    ck.defaults["data-digest"] = data;  // a checkpoint from before digests were recorded passes
  }
  return ck;
}

const std::vector<std::string>& run_place_keys() {
  static const std::vector<std::string> keys = {"data", "force", "resume", "stop-after-epoch", "out",
                                                "checkpoint", "plot", "trace", "trace-steps"};
  return keys;
}

nlohmann::json checkpoint_fingerprint(const nlohmann::json& config) {
  nlohmann::json f = config;
  for (const std::string& k : run_place_keys()) f.erase(k);
  // analog-momentum is momentum's value in situ (apply_insitu_defaults), which the fingerprint holds: a
  // checkpoint from before it had its own name resumes.
  for (const char* k : {"drift-times", "rival", "rival-epochs", "eval-every", "analog-momentum"}) f.erase(k);
  return f;
}

nlohmann::json checkpoint_run_record(const Checkpointing& ck) {
  return {{"fingerprint", ck.fingerprint}, {"version", version()}};
}

std::string setting_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) return v.dump();
  std::string text;
  for (std::size_t i = 0; i < v.size(); ++i) text += (i ? "," : "") + setting_text(v[i]);
  return text;
}

bool same_setting(const nlohmann::json& a, const nlohmann::json& b) {
  return a == b || ((a.is_array() || b.is_array()) && setting_text(a) == setting_text(b));
}

void require_same_settings(const nlohmann::json& run, const Checkpointing& ck) {
  const nlohmann::json& saved = run.at("fingerprint");
  require(saved.is_object(), "{}: the checkpoint's settings are not a record of options", ck.path);
  std::vector<std::string> differ;
  for (const auto& [key, now] : ck.fingerprint.items()) {
    if (saved.contains(key)) {
      if (!same_setting(saved.at(key), now)) differ.push_back(fmt::format("{} (checkpoint {}, now {})", key, saved.at(key).dump(), now.dump()));
    } else if (!ck.defaults.contains(key) || !same_setting(ck.defaults.at(key), now)) {
      differ.push_back(fmt::format("{} (not in the checkpoint; now {}, not its default)", key, now.dump()));
    }
  }
  for (const auto& [key, was] : saved.items())
    // Checkpoints before the data digest recorded the data folder's path, which the digest replaces.
    if (!ck.fingerprint.contains(key) && key != "data") differ.push_back(fmt::format("{} (checkpoint {}, no such option now)", key, was.dump()));
  require(differ.empty(), "{}: the checkpoint was written by a run with other settings: {}; resume with the same options",
          ck.path, fmt::join(differ, "; "));
  const std::string written_by = run.value("version", std::string("unknown"));
  if (written_by != version())
    fmt::print(stderr, "{}: written by version {}, resumed by {}: the settings agree, the numbers may not continue bit for bit\n",
               ck.path, written_by, version());
}

void require_resumable(const Checkpointing& ck) {
  if (!ck.resume || ck.path.empty()) return;  // nothing to resume: the trainer says why
  const std::string checking = ck.path + '\n' + ck.fingerprint.dump() + '\n' + ck.defaults.dump();
  if (ck.settings_checked_ == checking) return;
  require_same_settings(ck.checkpoint().get_json("run"), ck);
  ck.settings_checked_ = checking;
}

const Checkpoint& Checkpointing::checkpoint() const {
  if (!loaded_) loaded_ = std::make_shared<const Checkpoint>(Checkpoint::load(path));
  return *loaded_;
}

namespace {

// An array of a checkpoint's run record with `size` entries (any number without).
const nlohmann::json& resume_array(const ResumePoint& r, const Checkpointing& ck, const char* field,
                                   std::optional<std::size_t> size, const std::string& expected) {
  static const nlohmann::json missing;
  const nlohmann::json& v = r.run.contains(field) ? r.run.at(field) : missing;
  require(v.is_array() && (!size || v.size() == *size), "{}: the checkpoint's run.{} has {} entries, {} expected", ck.path, field,
          v.is_array() ? v.size() : 0, expected);
  return v;
}

}  // namespace

long long resume_integer(const ResumePoint& r, const Checkpointing& ck, const char* field) {
  const nlohmann::json& v = r.run.contains(field) ? r.run.at(field) : nlohmann::json();
  require(v.is_number_integer(), "{}: the checkpoint's run.{} is {}, not a whole number", ck.path, field, v.dump());
  return v.get<long long>();
}

nlohmann::json resume_records(const ResumePoint& r, const Checkpointing& ck, const char* field,
                              std::optional<std::size_t> size, const std::string& expected, const char* what) {
  const nlohmann::json& a = resume_array(r, ck, field, size, expected);
  for (const auto& e : a)
    require(e.is_object(), "{}: the checkpoint's run.{} holds {}, not {}", ck.path, field, e.dump(), what);
  return a;
}

std::vector<double> resume_times(const ResumePoint& r, const Checkpointing& ck, const char* field,
                                 std::optional<std::size_t> size, const std::string& expected) {
  std::vector<double> times;
  for (const auto& v : resume_array(r, ck, field, size, expected)) {
    require(v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0,
            "{}: the checkpoint's run.{} holds {}, not a time", ck.path, field, v.dump());
    times.push_back(v.get<double>());
  }
  return times;
}

ResumePoint read_resume_point(const Checkpointing& ck, int epochs, long long steps_per_epoch) {
  ResumePoint r;
  r.run = ck.checkpoint().get_json("run");
  require(r.run.is_object(), "{}: the checkpoint's 'run' record is not an object", ck.path);
  const long long epoch = resume_integer(r, ck, "epoch");
  require(epoch >= 1 && epoch <= epochs, "{}: the checkpoint's run.epoch is {}, outside this run's epochs 1..{}",
          ck.path, epoch, epochs);
  r.epoch = int(epoch);
  r.step = resume_integer(r, ck, "step");
  require(r.step == epoch * steps_per_epoch,
          "{}: the checkpoint's run.step is {}, but {} epochs of {} steps end at step {}", ck.path, r.step, epoch,
          steps_per_epoch, epoch * steps_per_epoch);
  const std::string per_epoch = fmt::format("one per finished epoch ({})", epoch);
  r.curve = resume_records(r, ck, "curve", std::size_t(epoch), per_epoch, "an epoch's record");
  r.epoch_seconds = resume_times(r, ck, "epoch_seconds", std::size_t(epoch), per_epoch);
  return r;
}

double resume_seconds(const ResumePoint& r, const Checkpointing& ck, const char* field) {
  const nlohmann::json& v = r.run.contains(field) ? r.run.at(field) : nlohmann::json();
  require(v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0,
          "{}: the checkpoint's run.{} is {}, not a time in seconds", ck.path, field, v.dump());
  return v.get<double>();
}

void set_wall_time(nlohmann::json& timing, double this_process) {
  timing["this_process"] = this_process;
  timing["total"] = timing.value("earlier_processes", 0.0) + this_process;
}

nlohmann::json stopped_metrics(int epoch, const std::string& path, const nlohmann::json& curve) {
  return {{"status", "stopped"}, {"stopped_after_epoch", epoch}, {"checkpoint", path}, {"curve", curve}};
}

}  // namespace mortal
