#include "sim/resume.h"

#include <CLI/CLI.hpp>

#include "core/error.h"

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

Checkpointing ResumeOptions::for_run(const std::string& out, const nlohmann::json& config) const {
  validate();
  return {path_for(out), resume, stop_after, checkpoint_fingerprint(config)};
}

nlohmann::json checkpoint_fingerprint(const nlohmann::json& config) {
  nlohmann::json f = config;
  for (const char* k : {"resume", "stop-after-epoch", "out", "checkpoint", "plot", "drift-times", "rival",
                        "rival-epochs", "eval-every"})
    f.erase(k);
  return f;
}

void require_same_settings(const nlohmann::json& run, const nlohmann::json& fingerprint, const std::string& path) {
  require(run.at("fingerprint") == fingerprint,
          "{}: the checkpoint was written by a run with other settings; resume with the same options (saved: {})", path,
          run.at("fingerprint").dump());
}

nlohmann::json stopped_metrics(int epoch, const std::string& path, const nlohmann::json& curve) {
  return {{"status", "stopped"}, {"stopped_after_epoch", epoch}, {"checkpoint", path}, {"curve", curve}};
}

}  // namespace mortal
