#include "sim/plot.h"

#include <catch2/catch.hpp>

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
