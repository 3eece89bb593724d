#include "core/input_file.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;
using Catch::Matchers::Contains;

TEST_CASE("an input file is read whole", "[input_file]") {
  test::TempDir dir;
  test::write_bytes(dir.file("f"), {1, 2, 3});
  CHECK(read_input_file(dir.file("f"), "data file", 3) == std::vector<std::uint8_t>{1, 2, 3});
  test::write_bytes(dir.file("empty"), {});
  CHECK(read_input_file(dir.file("empty"), "data file", 3).empty());
}

TEST_CASE("a FIFO given as an input file is refused at once, not waited on", "[input_file]") {
  test::TempDir dir;
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_input_file(dir.file("fifo"), "data file", 100),
                    Contains(dir.file("fifo")) && Contains("must be a regular file") && Contains("a FIFO"));
}

TEST_CASE("a directory given as an input file is refused naming its path", "[input_file]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(read_input_file(dir.path().string(), "checkpoint", 100),
                    Contains(dir.path().string()) && Contains("checkpoint must be a regular file") &&
                        Contains("a directory"));
}

TEST_CASE("an input file larger than its reader accepts is refused before it is read", "[input_file]") {
  test::TempDir dir;
  test::write_bytes(dir.file("big"), std::vector<std::uint8_t>(101, 7));
  CHECK_THROWS_WITH(read_input_file(dir.file("big"), "data file", 100),
                    Contains(dir.file("big")) && Contains("101 bytes") && Contains("100 bytes"));
}

TEST_CASE("a missing input file is refused naming it and why", "[input_file]") {
  CHECK_THROWS_WITH(read_input_file("/nonexistent/f", "data file", 100),
                    Contains("/nonexistent/f") && Contains("cannot open data file") &&
                        Contains("No such file or directory"));
}
