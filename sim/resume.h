#pragma once
// Long runs survive interruption: at every epoch end a run writes its whole state to a checkpoint; a run
// started again with the same options and --resume continues from it and ends with the numbers of a run
// never interrupted (same seed). The checkpoint remembers the configuration that decides the numbers, and
// refuses to resume under another.
#include <nlohmann/json.hpp>

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

// One run's checkpointing, resolved: where the checkpoint goes and what it must agree with.
struct Checkpointing {
  std::string path;            // empty: none written
  bool resume = false;         // start from `path`
  int stop_after = 0;          // stop once this epoch is checkpointed (0: never)
  nlohmann::json fingerprint;  // the configuration a checkpoint must agree with (checkpoint_fingerprint)
};

struct ResumeOptions {
  std::string checkpoint;  // default: the results path with .ckpt in place of .json
  bool resume = false;     // continue from the checkpoint
  int stop_after = 0;      // stop once epoch N is checkpointed, as a killed run would (0: never)

  void add_options(CLI::App& app);
  void validate() const;
  // The checkpoint file of a run whose results go to `out`.
  std::string path_for(const std::string& out) const;
  // Checkpointing of the run whose results go to `out`, configured by `config` (options_to_json).
  Checkpointing for_run(const std::string& out, const nlohmann::json& config) const;
};

// The results path without its .json ending: the stem the checkpoint and plot paths derive from.
std::string results_stem(const std::string& out);

// Everything of a run's configuration (options_to_json) that decides its numbers: what a checkpoint must
// agree with. Leaves out where results go, how often the learning curve is evaluated, and what is
// measured only after training (drift times, the rival).
nlohmann::json checkpoint_fingerprint(const nlohmann::json& config);

// Refuses (Error naming `path`) a checkpoint's "run" record whose fingerprint is not `fingerprint`.
void require_same_settings(const nlohmann::json& run, const nlohmann::json& fingerprint, const std::string& path);

// The metrics of a run stopped after `epoch` (ResumeOptions::stop_after): status, the checkpoint, the curve.
nlohmann::json stopped_metrics(int epoch, const std::string& path, const nlohmann::json& curve);

}  // namespace mortal
