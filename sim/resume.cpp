#include "sim/resume.h"

#include <CLI/CLI.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"
#include "sim/version.h"

namespace mortal {

void ResumeOptions::add_options(CLI::App& app) {
  app.add_option("--checkpoint", checkpoint, "Checkpoint file, written at every epoch end (default: results path "
                                             "with .ckpt)");
  app.add_flag("--resume", resume, "Continue from the checkpoint (the same options as the run that wrote it)");
  app.add_option("--stop-after-epoch", stop_after, "Stop once this epoch is checkpointed (0: never)");
}

void ResumeOptions::validate() const { check_nonnegative("stop-after-epoch", stop_after); }

std::string results_stem(const std::string& out) {
  return out.size() > 5 && out.substr(out.size() - 5) == ".json" ? out.substr(0, out.size() - 5) : out;
}

std::string ResumeOptions::path_for(const std::string& out) const {
  return checkpoint.empty() ? results_stem(out) + ".ckpt" : checkpoint;
}

Checkpointing ResumeOptions::for_run(const std::string& out, const nlohmann::json& config,
                                     const nlohmann::json& defaults) const {
  validate();
  Checkpointing ck;
  ck.path = path_for(out);
  ck.resume = resume;
  ck.stop_after = stop_after;
  ck.fingerprint = checkpoint_fingerprint(config);
  ck.defaults = checkpoint_fingerprint(defaults);
  return ck;
}

nlohmann::json checkpoint_fingerprint(const nlohmann::json& config) {
  nlohmann::json f = config;
  for (const char* k : {"resume", "stop-after-epoch", "out", "checkpoint", "plot", "drift-times", "rival",
                        "rival-epochs", "eval-every"})
    f.erase(k);
  return f;
}

nlohmann::json checkpoint_run_record(const Checkpointing& ck) {
  return {{"fingerprint", ck.fingerprint}, {"version", version()}};
}

void require_same_settings(const nlohmann::json& run, const Checkpointing& ck) {
  const nlohmann::json& saved = run.at("fingerprint");
  require(saved.is_object(), "{}: the checkpoint's settings are not a record of options", ck.path);
  std::vector<std::string> differ;
  for (const auto& [key, now] : ck.fingerprint.items()) {
    if (saved.contains(key)) {
      if (saved.at(key) != now) differ.push_back(fmt::format("{} (checkpoint {}, now {})", key, saved.at(key).dump(), now.dump()));
    } else if (!ck.defaults.contains(key) || ck.defaults.at(key) != now) {
      differ.push_back(fmt::format("{} (not in the checkpoint; now {}, not its default)", key, now.dump()));
    }
  }
  for (const auto& [key, was] : saved.items())
    if (!ck.fingerprint.contains(key)) differ.push_back(fmt::format("{} (checkpoint {}, no such option now)", key, was.dump()));
  require(differ.empty(), "{}: the checkpoint was written by a run with other settings: {}; resume with the same options",
          ck.path, fmt::join(differ, "; "));
  const std::string written_by = run.value("version", std::string("unknown"));
  if (written_by != version())
    fmt::print(stderr, "{}: written by version {}, resumed by {}: the settings agree, the numbers may not continue bit for bit\n",
               ck.path, written_by, version());
}

void require_resumable(const Checkpointing& ck) {
  if (!ck.resume || ck.path.empty()) return;  // no checkpoint to resume: the trainer says why
  require_same_settings(ck.checkpoint().get_json("run"), ck);
}

const Checkpoint& Checkpointing::checkpoint() const {
  if (!loaded_) loaded_ = std::make_shared<const Checkpoint>(Checkpoint::load(path));
  return *loaded_;
}

nlohmann::json stopped_metrics(int epoch, const std::string& path, const nlohmann::json& curve) {
  return {{"status", "stopped"}, {"stopped_after_epoch", epoch}, {"checkpoint", path}, {"curve", curve}};
}

}  // namespace mortal
