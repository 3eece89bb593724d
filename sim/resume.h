#pragma once
// Long runs survive interruption: at every epoch end a run writes its whole state to a checkpoint; a run
// started again with the same options and --resume continues from it and ends with the numbers of a run
// never interrupted (same seed). The checkpoint remembers the configuration that decides the numbers, and
// refuses to resume under another.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"

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
  nlohmann::json defaults;     // the same keys at the options' defaults: an option newer than a checkpoint
                               // is accepted at its default

  // The checkpoint at `path`, loaded on the first call and kept until release(): the settings check before
  // data loads and the trainer's restore read one load of it.
  const Checkpoint& checkpoint() const;
  void release() const { loaded_.reset(); }
  mutable std::shared_ptr<const Checkpoint> loaded_;
  // What require_resumable passed: the path and the fingerprint it checked (a copy given other settings is
  // checked again).
  mutable std::string settings_checked_;
};

struct ResumeOptions {
  std::string checkpoint;  // default: the results path with .ckpt in place of .json
  bool resume = false;     // continue from the checkpoint
  int stop_after = 0;      // stop once epoch N is checkpointed, as a killed run would (0: never)

  void add_options(CLI::App& app);
  // With the run's epoch count: a stop after the last epoch would never happen.
  void validate(int epochs = 0) const;
  // The checkpoint file of a run whose results go to `out`.
  std::string path_for(const std::string& out) const;
  // Checkpointing of the run whose results go to `out`, configured by `config` (options_to_json), whose
  // options default to `defaults` (option_defaults).
  // `data` is the digest of the data files the run reads (data_digest): a resume compares the data by
  // content, so the same files in another folder resume and changed files under the same path do not.
  Checkpointing for_run(const std::string& out, const nlohmann::json& config, const nlohmann::json& defaults,
                        const std::string& data = {}) const;
};

// The results path without its .json ending: the stem the checkpoint and plot paths derive from.
std::string results_stem(const std::string& out);

// The options of a run's configuration that say where it reads and writes its files or how it was started,
// not what it computes: data (the folder; the data's digest is recorded apart), force, resume,
// stop-after-epoch, out, checkpoint, plot, trace, trace-steps.
const std::vector<std::string>& run_place_keys();

// A recorded setting as one text: a string without its quotes, a list's elements comma-separated (a list is an
// array in today's records, comma-separated text in checkpoints of earlier versions).
std::string setting_text(const nlohmann::json& v);
// Whether two recorded values are one setting: equal, or a list spelled either way (setting_text).
bool same_setting(const nlohmann::json& a, const nlohmann::json& b);

// Everything of a run's configuration (options_to_json) that decides its numbers: what a checkpoint must
// agree with. Leaves out where the data lies (its digest stands in for it), where results go, how often the learning curve is evaluated, and what is
// measured only after training (drift times, the rival).
nlohmann::json checkpoint_fingerprint(const nlohmann::json& config);

// The "run" record of a checkpoint starts from this: the fingerprint and the version that wrote it.
nlohmann::json checkpoint_run_record(const Checkpointing& ck);

// Refuses (Error naming ck.path and every option that differs, with both values) a checkpoint's "run"
// record written under other settings. An option the checkpoint does not know is accepted at its default
// (it was added since, and its default is the old behaviour). A checkpoint of another version is resumed
// with a warning on stderr: the settings agree, the numbers may not continue bit for bit.
void require_same_settings(const nlohmann::json& run, const Checkpointing& ck);

// With ck.resume and a checkpoint path: loads the checkpoint (ck.checkpoint(), kept for the restore) and
// checks its settings (require_same_settings), so a run that cannot resume stops before it loads data or
// trains anything. A missing or corrupt file is refused too. Checked once per Checkpointing: the scenario,
// the experiment and the trainer each ask, and a version warning is said once.
void require_resumable(const Checkpointing& ck);

// Where a checkpoint's "run" record resumes: each field read and checked against the run about to continue
// (Error naming the file, the field and its value): epoch in [1, epochs], step = epoch x steps per epoch,
// one curve entry and one epoch time per finished epoch, wall times finite and not negative.
struct ResumePoint {
  int epoch = 0;        // the last finished epoch
  long long step = 0;   // batches trained so far
  nlohmann::json curve;
  std::vector<double> epoch_seconds;
  nlohmann::json run;   // the record itself, for the trainer's own fields (resume_field)
};
ResumePoint read_resume_point(const Checkpointing& ck, int epochs, long long steps_per_epoch);

// A time in seconds of a checkpoint's run record (finite, not negative): Error naming the file, the field
// and its value otherwise.
double resume_seconds(const ResumePoint& r, const Checkpointing& ck, const char* field);
// A run's wall time in its results' `timing` (timing_s): "this_process", the seconds of the process that
// finished it, and "total", those and "earlier_processes" (a resumed run's earlier processes, from the start
// of training to their last checkpoint; what a kill cut off after it is not the run's), 0 when absent.
void set_wall_time(nlohmann::json& timing, double this_process);
// A whole number of a checkpoint's run record: Error naming the file, the field and its value otherwise.
long long resume_integer(const ResumePoint& r, const Checkpointing& ck, const char* field);
// An array of a checkpoint's run record with `size` entries (any number without), each an object (`what`
// names one in the error: "an epoch's record"); `expected` says in the error what was expected.
nlohmann::json resume_records(const ResumePoint& r, const Checkpointing& ck, const char* field,
                              std::optional<std::size_t> size, const std::string& expected, const char* what);
// The same with each entry a time in seconds (finite, not negative).
std::vector<double> resume_times(const ResumePoint& r, const Checkpointing& ck, const char* field,
                                 std::optional<std::size_t> size, const std::string& expected);

// Runs `restore` (a trainer reading its part of the checkpoint) so that a field of the wrong kind or shape
// is reported as an Error naming the checkpoint file, never as the JSON library's own message.
template <typename F>
void restoring(const Checkpointing& ck, F&& restore) {
  try {
    restore();
  } catch (const nlohmann::json::exception& e) {
    // The library's text without its "[json.exception.type_error.302] " tag.
    std::string why = e.what();
    if (!why.empty() && why.front() == '[' && why.find("] ") != std::string::npos) why = why.substr(why.find("] ") + 2);
    throw Error(fmt::format("{}: a field of the checkpoint is missing or of the wrong kind ({}); was it written by "
                            "another kind of run?", ck.path, why));
  }
}

// The metrics of a run stopped after `epoch` (ResumeOptions::stop_after): status, the checkpoint, the curve.
nlohmann::json stopped_metrics(int epoch, const std::string& path, const nlohmann::json& curve);

}  // namespace mortal
