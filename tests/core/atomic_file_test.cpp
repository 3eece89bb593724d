#include "core/atomic_file.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_util.h"

using namespace mortal;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("an atomic write replaces a regular file whole and leaves no temporary", "[atomic_file]") {
  test::TempDir dir;
  const std::string path = dir.file("sub/folder/r.json");
  write_file_atomic(path, "one");
  write_file_atomic(path, "two");
  CHECK(read(path) == "two");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("sub/folder"))) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("an atomic write never replaces a symlink or a device", "[atomic_file]") {
  test::TempDir dir;
  std::ofstream(dir.file("target")) << "keep";
  std::filesystem::create_symlink(dir.file("target"), dir.file("link"));
  CHECK_THROWS_WITH(write_file_atomic(dir.file("link"), "new"), Catch::Contains("symbolic link"));
  CHECK(read(dir.file("target")) == "keep");
  CHECK(std::filesystem::is_symlink(dir.file("link")));
  CHECK_THROWS_WITH(write_file_atomic("/dev/null", "new"), Catch::Contains("/dev/null is a device"));
  CHECK(std::filesystem::is_character_file("/dev/null"));
}

TEST_CASE("checking an output path removes the temporaries of killed runs only", "[atomic_file]") {
  test::TempDir dir;
  const std::string path = dir.file("r.json");
  // A process id no process has (above the kernel's maximum), and this process's own.
  const std::string dead = path + ".tmp.99999999", live = path + ".tmp." + std::to_string(::getpid());
  std::ofstream(dead) << "half";
  std::ofstream(live) << "mine";
  std::ofstream(path + ".tmp.notapid") << "other";
  check_output_path(path, "--out");
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(path + ".tmp.notapid"));
  CHECK_FALSE(std::filesystem::exists(path));  // the check writes nothing under the name itself
}
