#include "sim/results.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "sim/progress.h"
#include "test_util.h"

using namespace mortal;

TEST_CASE("results are written whole, through a rename, into new folders", "[results]") {
  test::TempDir dir;
  const std::string path = dir.file("a/b/run.json");
  nlohmann::json j = run_record("unit", 42, {{"epochs", 3}});
  j["metrics"] = {{"test_error", 0.08}};
  write_json_atomic(path, j);
  std::ifstream in(path);
  nlohmann::json back = nlohmann::json::parse(in);
  CHECK(back["seed"] == 42);
  CHECK(back["scenario"] == "unit");
  CHECK(back["config"]["epochs"] == 3);
  CHECK(back["machine"]["cores"].get<unsigned>() >= 1);
  CHECK_FALSE(back["version"].get<std::string>().empty());
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path() / "a/b")) files += e.is_regular_file();
  CHECK(files == 1);  // no temporary left behind
}

TEST_CASE("a results path that cannot be written is an error naming it, and the old file stays", "[results]") {
  test::TempDir dir;
  const std::string path = dir.file("run.json");
  write_json_atomic(path, {{"v", 1}});
  // The write's temporary (path.tmp.PID, core/atomic_file.h) taken by a folder: the new contents cannot be
  // created, and the file already there is what a reader still finds.
  std::filesystem::create_directories(path + ".tmp." + std::to_string(::getpid()));
  CHECK_THROWS_WITH(write_json_atomic(path, {{"v", 2}}), Catch::Matchers::Contains(path));
  std::ifstream in(path);
  CHECK(nlohmann::json::parse(in)["v"] == 1);
  // A folder where the results file would go is refused, named as what it is.
  std::filesystem::create_directories(dir.file("run.json.dir"));
  CHECK_THROWS_WITH(write_json_atomic(dir.file("run.json.dir"), {{"v", 2}}),
                    Catch::Matchers::Contains(dir.file("run.json.dir")) && Catch::Matchers::Contains("a folder"));
}

TEST_CASE("progress durations read as a person would write them", "[progress]") {
  CHECK(Progress::format_duration(5.25) == "5.2s");
  CHECK(Progress::format_duration(125) == "2m05s");
  CHECK(Progress::format_duration(7322) == "2h02m");
  CHECK(Progress::format_duration(-1) == "?");
}
