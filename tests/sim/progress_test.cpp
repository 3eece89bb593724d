#include "sim/progress.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

namespace {

// The seconds of "elapsed" and "ETA" in a report line such as "epoch 3/10 | x | 0.1s elapsed, ETA 0.2s".
std::pair<double, double> elapsed_and_eta(const std::string& line) {
  const std::regex re(R"(\| ([0-9.]+)s elapsed, ETA ([0-9.]+)s)");
  std::smatch m;
  REQUIRE(std::regex_search(line, m, re));
  return {std::stod(m[1]), std::stod(m[2])};
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  return text;
}

}  // namespace

TEST_CASE("a resumed loop's ETA comes from the work this process timed", "[progress]") {
  using namespace std::chrono_literals;
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    mortal::Progress p("epoch", 40, f);
    p.resume_at(30);  // 30 epochs were done by an earlier process
    std::this_thread::sleep_for(200ms);
    p.report(31, "loss 1");
  }
  const auto [elapsed, eta] = elapsed_and_eta(read_all(f));
  std::fclose(f);
  // One epoch in `elapsed`, nine to go: about 9 elapsed (not 9/31 of it, what counting the earlier 30 gives).
  // The printed values are rounded to 0.1 s: 9 times half of that, and half of it again.
  CHECK(eta >= 9 * elapsed - 0.5);
  CHECK(eta <= 9 * elapsed + 0.5);
  CHECK(eta > 0.3);
}

TEST_CASE("a fresh loop's ETA is elapsed time per unit done times the units left", "[progress]") {
  using namespace std::chrono_literals;
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    mortal::Progress p("step", 5, f);
    std::this_thread::sleep_for(100ms);
    p.report(1, "x");
  }
  const auto [elapsed, eta] = elapsed_and_eta(read_all(f));
  std::fclose(f);
  CHECK(eta >= 4 * elapsed - 0.3);
  CHECK(eta <= 4 * elapsed + 0.3);
}
