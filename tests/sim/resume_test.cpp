#include "sim/resume.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>

#include "core/checkpoint.h"
#include "sim/version.h"
#include "test_util.h"

using namespace mortal;

namespace {
Checkpointing settings(nlohmann::json now) {
  Checkpointing ck;
  ck.path = "run.ckpt";
  ck.fingerprint = std::move(now);
  ck.defaults = {{"lr", 0.02}, {"layers", "1000,1000"}, {"pair-negatives", false}};
  return ck;
}
nlohmann::json written_with(nlohmann::json fingerprint) {
  return {{"fingerprint", std::move(fingerprint)}, {"version", version()}, {"epoch", 3}};
}
}  // namespace

TEST_CASE("a checkpoint resumes under its own settings and names every option that differs", "[resume]") {
  const nlohmann::json saved = {{"lr", 0.02}, {"layers", "1000,1000"}};
  CHECK_NOTHROW(require_same_settings(written_with(saved), settings(saved)));
  CHECK_THROWS_WITH(require_same_settings(written_with(saved), settings({{"lr", 0.03}, {"layers", "1000,1000"}})),
                    Catch::Contains("run.ckpt") && Catch::Contains("other settings") &&
                        Catch::Contains("lr (checkpoint 0.02, now 0.03)"));
  // An option in the checkpoint that no longer exists.
  CHECK_THROWS_WITH(require_same_settings(written_with(saved), settings({{"lr", 0.02}})),
                    Catch::Contains("layers (checkpoint \"1000,1000\", no such option now)"));
}

TEST_CASE("an option newer than the checkpoint is accepted at its default only", "[resume]") {
  const nlohmann::json saved = {{"lr", 0.02}, {"layers", "1000,1000"}};
  CHECK_NOTHROW(require_same_settings(
      written_with(saved), settings({{"lr", 0.02}, {"layers", "1000,1000"}, {"pair-negatives", false}})));
  CHECK_THROWS_WITH(require_same_settings(written_with(saved),
                                          settings({{"lr", 0.02}, {"layers", "1000,1000"}, {"pair-negatives", true}})),
                    Catch::Contains("pair-negatives (not in the checkpoint; now true, not its default)"));
}

TEST_CASE("the run record of a checkpoint holds its settings and the version that wrote it", "[resume]") {
  const Checkpointing ck = settings({{"lr", 0.02}});
  const nlohmann::json r = checkpoint_run_record(ck);
  CHECK(r.at("fingerprint") == ck.fingerprint);
  CHECK(r.at("version") == version());
  // Another version with the same settings resumes (with a warning).
  nlohmann::json other = written_with({{"lr", 0.02}});
  other["version"] = "0000000";
  CHECK_NOTHROW(require_same_settings(other, ck));
}

TEST_CASE("for_run resolves the checkpoint path and drops what does not decide the numbers", "[resume]") {
  ResumeOptions ro;
  ro.stop_after = 2;
  const Checkpointing ck = ro.for_run("results/a.json", {{"lr", 0.02}, {"out", "results/a.json"}, {"eval-every", 3}},
                                      {{"lr", 0.02}, {"out", "results/ff_mnist.json"}, {"eval-every", 0}});
  CHECK(ck.path == "results/a.ckpt");
  CHECK(ck.stop_after == 2);
  CHECK(ck.fingerprint == nlohmann::json{{"lr", 0.02}});
  CHECK(ck.defaults == nlohmann::json{{"lr", 0.02}});
  ro.stop_after = -1;
  CHECK_THROWS_WITH(ro.for_run("a.json", {}, {}), Catch::Contains("stop-after-epoch"));
}

TEST_CASE("a run that cannot resume is refused before it starts", "[resume]") {
  test::TempDir dir;
  Checkpointing ck = settings({{"lr", 0.02}});
  ck.path = dir.file("run.ckpt");
  ck.resume = true;
  CHECK_THROWS_WITH(require_resumable(ck), Catch::Contains("run.ckpt"));  // no file yet
  Checkpoint c;
  c.put_json("run", checkpoint_run_record(ck));
  c.save(ck.path);
  CHECK_NOTHROW(require_resumable(ck));
  Checkpointing other = ck;
  other.fingerprint = {{"lr", 0.03}};
  CHECK_THROWS_WITH(require_resumable(other), Catch::Contains("lr (checkpoint 0.02, now 0.03)"));
  other.resume = false;  // a fresh run does not look at the file
  CHECK_NOTHROW(require_resumable(other));
}

TEST_CASE("a resumed run reads one load of its checkpoint for the settings check and the restore", "[resume]") {
  test::TempDir dir;
  Checkpointing ck = settings({{"lr", 0.02}});
  ck.path = dir.file("run.ckpt");
  ck.resume = true;
  Checkpoint c;
  c.put_json("run", written_with({{"lr", 0.02}}));
  c.save(ck.path);
  require_resumable(ck);
  REQUIRE(std::remove(ck.path.c_str()) == 0);
  // The file is gone: only the load kept from the check can serve the restore.
  CHECK(ck.checkpoint().get_json("run").at("epoch") == 3);
  ck.release();
  CHECK_THROWS_WITH(ck.checkpoint(), Catch::Contains("run.ckpt"));
}

namespace {
// A checkpoint at `path` whose run record is `run`, and the checkpointing that resumes it.
Checkpointing crafted(const test::TempDir& dir, const nlohmann::json& run) {
  Checkpoint c;
  c.put_json("run", run);
  Checkpointing ck;
  ck.path = dir.file("run.ckpt");
  ck.resume = true;
  c.save(ck.path);
  return ck;
}
nlohmann::json epochs_done(int epoch, long long step) {
  nlohmann::json curve = nlohmann::json::array(), secs = nlohmann::json::array();
  for (int e = 0; e < epoch; ++e) {
    curve.push_back({{"epoch", e + 1}});
    secs.push_back(1.5);
  }
  return {{"epoch", epoch}, {"step", step}, {"curve", curve}, {"epoch_seconds", secs}, {"train_s", 3.0}};
}
}  // namespace

TEST_CASE("a checkpoint's resume point is read whole and checked against the run", "[resume]") {
  test::TempDir dir;
  const ResumePoint r = read_resume_point(crafted(dir, epochs_done(2, 20)), 15, 10);
  CHECK(r.epoch == 2);
  CHECK(r.step == 20);
  CHECK(r.curve.size() == 2);
  CHECK(r.epoch_seconds == std::vector<double>{1.5, 1.5});
  CHECK(resume_seconds(r, crafted(dir, epochs_done(2, 20)), "train_s") == 3.0);
}

TEST_CASE("a crafted checkpoint's resume point is refused, naming the field and its value", "[resume]") {
  test::TempDir dir;
  const auto refused = [&](nlohmann::json run, const std::string& words) {
    const Checkpointing ck = crafted(dir, run);
    CHECK_THROWS_WITH(read_resume_point(ck, 15, 10), Catch::Contains(ck.path) && Catch::Contains(words));
  };
  refused(epochs_done(100, 1000), "run.epoch is 100, outside this run's epochs 1..15");
  nlohmann::json negative = epochs_done(1, 10);
  negative["epoch"] = -5;
  refused(negative, "run.epoch is -5");
  refused(epochs_done(2, 7), "run.step is 7");
  nlohmann::json text = epochs_done(2, 20);
  text["epoch"] = "2";
  refused(text, "run.epoch is \"2\", not a whole number");
  nlohmann::json short_curve = epochs_done(2, 20);
  short_curve["curve"].erase(0);
  refused(short_curve, "run.curve has 1 entries");
  nlohmann::json bad_time = epochs_done(2, 20);
  bad_time["epoch_seconds"][1] = -1;
  refused(bad_time, "run.epoch_seconds holds -1");
  const Checkpointing ck = crafted(dir, epochs_done(2, 20));
  nlohmann::json nan_wall = epochs_done(2, 20);
  nan_wall["train_s"] = "soon";
  const ResumePoint r = read_resume_point(crafted(dir, nan_wall), 15, 10);
  CHECK_THROWS_WITH(resume_seconds(r, ck, "train_s"), Catch::Contains("run.train_s is \"soon\""));
}

TEST_CASE("a field of the wrong kind met while restoring is an error naming the checkpoint, not the JSON library's",
          "[resume]") {
  Checkpointing ck;
  ck.path = "x.ckpt";
  const nlohmann::json j = {{"row", "three"}};
  CHECK_THROWS_WITH(restoring(ck, [&] { (void)j.at("row").get<int>(); }),
                    Catch::Contains("x.ckpt") && !Catch::Contains("[json.exception"));
}

TEST_CASE("a list recorded as text by an earlier version is the same setting as the array recorded now", "[resume]") {
  const nlohmann::json saved = {{"lr", 0.02}, {"layers", "1000,1000"}};
  CHECK_NOTHROW(require_same_settings(written_with(saved), settings({{"lr", 0.02}, {"layers", {1000, 1000}}})));
  CHECK_THROWS_WITH(require_same_settings(written_with(saved), settings({{"lr", 0.02}, {"layers", {1000, 500}}})),
                    Catch::Contains("layers"));
}

TEST_CASE("a resume compares the data by its digest, not by the folder it lies in", "[resume]") {
  ResumeOptions options;
  const nlohmann::json config = {{"lr", 0.02}, {"data", "/here/mnist"}};
  const Checkpointing saved = options.for_run("r.json", config, config, "train-images 100 0a0b0c0d");
  nlohmann::json moved = config;
  moved["data"] = "/elsewhere/mnist";
  const nlohmann::json run = checkpoint_run_record(saved);
  CHECK_NOTHROW(require_same_settings(run, options.for_run("r.json", moved, moved, "train-images 100 0a0b0c0d")));
  CHECK_THROWS_WITH(require_same_settings(run, options.for_run("r.json", config, config, "train-images 100 ffffffff")),
                    Catch::Contains("data-digest"));
  // A checkpoint written before digests were recorded holds the folder's path instead.
  nlohmann::json old = {{"fingerprint", {{"lr", 0.02}, {"data", "/here/mnist"}}}, {"version", version()}};
  CHECK_NOTHROW(require_same_settings(old, options.for_run("r.json", moved, moved, "train-images 100 0a0b0c0d")));
}

TEST_CASE("a checkpoint's settings are checked once however many parts of a run ask", "[resume]") {
  test::TempDir dir;
  Checkpoint c;
  c.put_json("run", {{"fingerprint", {{"lr", 0.02}}}, {"version", "another-version"}});
  Checkpointing ck;
  ck.path = dir.file("run.ckpt");
  ck.resume = true;
  ck.fingerprint = {{"lr", 0.02}};
  c.save(ck.path);
  std::fflush(stderr);
  const auto captured = [&] {
    std::FILE* saved = std::tmpfile();
    const int old = ::dup(2);
    ::dup2(::fileno(saved), 2);
    require_resumable(ck);
    require_resumable(ck);
    std::fflush(stderr);
    ::dup2(old, 2);
    ::close(old);
    std::rewind(saved);
    std::string text;
    for (int ch; (ch = std::fgetc(saved)) != EOF;) text += char(ch);
    std::fclose(saved);
    return text;
  }();
  // The warning that another version wrote the checkpoint, once.
  const std::size_t first = captured.find("written by version another-version");
  REQUIRE(first != std::string::npos);
  CHECK(captured.find("written by version another-version", first + 1) == std::string::npos);
  // A copy given other settings is checked again.
  Checkpointing other = ck;
  other.fingerprint = {{"lr", 0.03}};
  CHECK_THROWS_WITH(require_resumable(other), Catch::Contains("lr (checkpoint 0.02, now 0.03)"));
}
