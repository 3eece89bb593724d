#include "sim/resume.h"

#include <catch2/catch.hpp>

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
