#include "sim/plot.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"

using namespace mortal;

TEST_CASE("a plot writes its data, its script and a PNG image", "[plot]") {
  test::TempDir dir;
  const std::string stem = dir.file("drift");
  plot_png(stem, {"test error after idle time", "idle time", "test error (%)", true, false, {"1 s", "1 h", "1 day"}},
           {{"with compensation", {1, 3600, 86400}, {2.0, 2.1, 2.3}}, {"without", {1, 3600, 86400}, {2.0, 3.5, 9.0}}});
  std::ifstream png(stem + ".png", std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  CHECK(std::string(magic + 1, 3) == "PNG");
  std::ifstream csv(stem + ".csv");
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  CHECK(header == "series,x,y");
  CHECK(first == "0,1,2");
}

TEST_CASE("a series with mismatched lengths is refused", "[plot]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(plot_png(dir.file("p"), {}, {{"s", {1, 2}, {1}}}),
                    Catch::Matchers::Contains("2 x values but 1 y values"));
}

TEST_CASE("a plot path full of shell and gnuplot metacharacters is a path, never a command", "[plot]") {
  test::TempDir dir;
  const std::string mark = dir.file("MARK");
  // Each would run `touch MARK` if the path passed through a shell, or through a gnuplot string in double
  // quotes (which runs backquoted text).
  const std::string stem =
      dir.file("r$(touch " + mark + ")`touch " + mark + "` $HOME;'q\"u\\o@t e|&<>");
  plot_png(stem, {"a 'title' with \"quotes\" and `touch " + mark + "`", "x", "y", false, false, {"1 s", "`x`"}},
           {{"it's `touch " + mark + "`", {1, 2}, {3, 4}}});
  CHECK_FALSE(std::filesystem::exists(mark));
  std::ifstream png(stem + ".png", std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  CHECK(std::string(magic + 1, 3) == "PNG");
  CHECK_FALSE(std::filesystem::exists(stem + ".png.tmp"));
}

TEST_CASE("a missing gnuplot is named in the error, and the data stays", "[plot]") {
  test::TempDir dir;
  const std::string stem = dir.file("drift");
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.file("nothing-here").c_str(), 1);
  CHECK_THROWS_WITH(plot_png(stem, {}, {{"s", {1, 2}, {3, 4}}}),
                    Catch::Matchers::Contains("cannot run gnuplot") && Catch::Matchers::Contains("drift.png"));
  ::setenv("PATH", path.c_str(), 1);
  CHECK(std::filesystem::exists(stem + ".csv"));
  CHECK_FALSE(std::filesystem::exists(stem + ".png"));
}

TEST_CASE("gnuplot runs without a shell and its failure reports its exit code and words", "[plot]") {
  const ProcessResult ok = run_gnuplot({"-e", "print 1+1"});
  CHECK(ok.started);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "2\n");
  const ProcessResult bad = run_gnuplot({"-e", "this is not gnuplot"});
  CHECK(bad.started);
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.out, Catch::Matchers::Contains("invalid command"));
}
