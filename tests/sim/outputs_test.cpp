#include "sim/outputs.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sim/results.h"
#include "test_util.h"

using namespace mortal;

namespace {
void record(const std::string& path, const std::string& status) {
  nlohmann::json j = {{"scenario", "ff_mnist"}, {"seed", 3}, {"started_at", "2026-12-01T00:00:00Z"}};
  if (!status.empty()) j["status"] = status;
  write_json_atomic(path, j);
}
}  // namespace

TEST_CASE("a finished results file is never replaced unasked", "[outputs]") {
  test::TempDir dir;
  const std::string out = dir.file("r.json");
  record(out, "finished");
  CHECK_THROWS_WITH(prepare_outputs(out, false, {}),
                    Catch::Contains("--out " + out) && Catch::Contains("finished results") && Catch::Contains("--force"));
  record(out, "");  // a scenario whose record has no status is finished when written
  CHECK_THROWS_WITH(prepare_outputs(out, false, {}), Catch::Contains("finished results"));
  std::ofstream(out) << "some notes\n";
  CHECK_THROWS_WITH(prepare_outputs(out, false, {}), Catch::Contains("not a run's results"));
}

TEST_CASE("an unfinished run's record is continued in place", "[outputs]") {
  test::TempDir dir;
  const std::string out = dir.file("r.json");
  for (const char* status : {"running", "stopped"}) {
    record(out, status);
    const RunOutputs o = prepare_outputs(out, false, {});
    CHECK(o.running == out);
  }
  std::filesystem::remove(out);
  CHECK(prepare_outputs(out, false, {}).running == out);
}

TEST_CASE("with --force the run so far is recorded beside the finished record, which stays until the end",
          "[outputs]") {
  test::TempDir dir;
  const std::string out = dir.file("r.json");
  record(out, "finished");
  const RunOutputs o = prepare_outputs(out, true, {});
  CHECK(o.running == dir.file("r.running.json"));
  record(o.running, "running");
  record(out, "finished");  // the final write
  o.finish();
  CHECK_FALSE(std::filesystem::exists(o.running));
  CHECK(std::filesystem::exists(out));
}

TEST_CASE("two outputs at one path are refused, naming both options", "[outputs]") {
  test::TempDir dir;
  const std::string out = dir.file("r.json");
  CHECK_THROWS_WITH(prepare_outputs(out, false, {{"--checkpoint", out}}),
                    Catch::Contains("--checkpoint") && Catch::Contains("--out") && Catch::Contains("same file"));
  CHECK_THROWS_WITH(prepare_outputs(out, false, {{"--checkpoint", dir.file("./sub/../r.json")}}),
                    Catch::Contains("same file"));
  CHECK_THROWS_WITH(prepare_outputs(out, false, {{"--checkpoint", dir.file("c")}, {"--plot", dir.file("c")}}),
                    Catch::Contains("--plot") && Catch::Contains("--checkpoint"));
}

TEST_CASE("an output that is a device, a symlink or a folder is refused before the run starts", "[outputs]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(prepare_outputs("/dev/null", true, {}), Catch::Contains("/dev/null is a device"));
  std::filesystem::create_directory(dir.file("folder"));
  CHECK_THROWS_WITH(prepare_outputs(dir.file("folder"), true, {}), Catch::Contains("is a folder"));
  std::ofstream(dir.file("target")) << "keep me";
  std::filesystem::create_symlink(dir.file("target"), dir.file("link.json"));
  CHECK_THROWS_WITH(prepare_outputs(dir.file("link.json"), true, {}), Catch::Contains("symbolic link"));
  CHECK_THROWS_WITH(prepare_outputs(dir.file("r.json"), false, {{"--checkpoint", "/dev/null"}}),
                    Catch::Contains("--checkpoint /dev/null is a device"));
}

TEST_CASE("an output whose folder cannot take a file is refused before the run starts", "[outputs]") {
  test::TempDir dir;
  std::ofstream(dir.file("plain")) << "x";
  // A "folder" that is a file cannot be created.
  CHECK_THROWS_WITH(prepare_outputs(dir.file("plain/r.json"), false, {}), Catch::Contains("--out"));
  CHECK_THROWS_WITH(prepare_outputs("/proc/r.json", false, {}), Catch::Contains("/proc/r.json"));
}

TEST_CASE("plot files are the PNG, its data and its script", "[outputs]") {
  const std::vector<OutputFile> f = plot_files("--plot", "a/b_drift");
  REQUIRE(f.size() == 3);
  CHECK(f[0].path == "a/b_drift.png");
  CHECK(f[1].path == "a/b_drift.csv");
  CHECK(f[2].path == "a/b_drift.gp");
}
