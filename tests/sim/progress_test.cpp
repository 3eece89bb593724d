#include "sim/progress.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <utility>

namespace {

// The seconds of "elapsed" and "ETA" in a report line such as "epoch 3/10 | x | 0.1s elapsed, ETA 0.2s".
std::pair<double, double> elapsed_and_eta(const std::string& line) {
  const std::regex re(R"(\| ([0-9.]+)s elapsed, ETA ([0-9.]+)s)");
  std::smatch m;
  REQUIRE(std::regex_search(line, m, re));
  return {std::stod(m[1]), std::stod(m[2])};
}

// A loop of `total` that starts with `first` already done (0: fresh), works for `work`, then reports
// `done`: the elapsed and ETA seconds its report line prints (to a file, so one plain line).
std::pair<double, double> report_after(int total, int first, std::chrono::milliseconds work, int done) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    mortal::Progress p("epoch", total, f);
    if (first > 0) p.resume_at(first);
    std::this_thread::sleep_for(work);
    p.report(done, "loss 1");
  }
  std::rewind(f);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  return elapsed_and_eta(text);
}

}  // namespace

TEST_CASE("a resumed loop's ETA comes from the work this process timed", "[progress]") {
  using namespace std::chrono_literals;
  // 30 epochs were done by an earlier process.
  const auto [elapsed, eta] = report_after(40, 30, 200ms, 31);
  // One epoch in `elapsed`, nine to go: about 9 elapsed (not 9/31 of it, what counting the earlier 30 gives).
  // The printed values are rounded to 0.1 s: 9 times half of that, and half of it again.
  CHECK(eta >= 9 * elapsed - 0.5);
  CHECK(eta <= 9 * elapsed + 0.5);
  CHECK(eta > 0.3);
}

TEST_CASE("a fresh loop's ETA is elapsed time per unit done times the units left", "[progress]") {
  using namespace std::chrono_literals;
  const auto [elapsed, eta] = report_after(5, 0, 100ms, 1);
  CHECK(eta >= 4 * elapsed - 0.3);
  CHECK(eta <= 4 * elapsed + 0.3);
}

TEST_CASE("a loop that is a phase of a longer run prints the run's ETA to its end", "[progress]") {
  mortal::RunEta run;
  run.add("FF epoch", 2);
  run.add("drift", 4);
  run.finished("FF epoch", 100, 2);
  run.finished("drift", 10);
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    mortal::Progress p("drift", 4, f);
    p.follow(&run);
    p.report(1, "after 1 s: FF 2.00%");
  }
  std::rewind(f);
  char buf[256];
  REQUIRE(std::fgets(buf, sizeof buf, f) != nullptr);
  std::fclose(f);
  const std::string line = buf;
  CHECK(line.rfind("drift 1/4 | after 1 s: FF 2.00% | ", 0) == 0);
  CHECK(line.find("ETA 30.0s\n") != std::string::npos);
}
