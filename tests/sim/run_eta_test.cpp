#include "sim/run_eta.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace mortal;

namespace {

// An in-situ run's phases: a rival of 3 epochs, 30 FF epochs with 10 test evaluations, the final
// evaluation (1.5 test evaluations' worth), the rival on its chip (a tenth) and 4 drift times (two each).
RunEta insitu_run() {
  RunEta run;
  run.add("rival BP epoch", 3);
  run.add("FF epoch", 30);
  run.add("test evaluation", 10);
  run.add("final evaluation", 1, "test evaluation", 1.5);
  run.add("rival on the chip", 1, "test evaluation", 0.1);
  run.add("drift", 4, "test evaluation", 2);
  return run;
}

}  // namespace

TEST_CASE("while the rival trains, the ETA counts the rival's epochs left and names the phases not yet timed",
          "[progress]") {
  RunEta run = insitu_run();
  run.finished("rival BP epoch", 20);
  CHECK(run.seconds_left() == Approx(40));
  CHECK(run.untimed() == std::vector<std::string>{"FF epoch", "test evaluation"});
  CHECK(run.text() == "40.0s + (not yet timed: FF epoch, test evaluation)");
}

TEST_CASE("in the FF epochs the ETA adds the evaluations after training, estimated from the curve's", "[progress]") {
  RunEta run = insitu_run();
  for (int i = 0; i < 3; ++i) run.finished("rival BP epoch", 20);
  for (int i = 0; i < 3; ++i) run.finished("FF epoch", 60);
  run.finished("test evaluation", 10);
  // 27 epochs of 60 s, 9 curve evaluations of 10 s, then 15 + 1 + 4 x 20 s of evaluations.
  CHECK(run.untimed().empty());
  CHECK(run.seconds_left() == Approx(27 * 60 + 9 * 10 + 15 + 1 + 80));
  CHECK(run.text() == "30m06s");
}

TEST_CASE("before the first test evaluation the ETA says the evaluations are not yet timed", "[progress]") {
  RunEta run = insitu_run();
  for (int i = 0; i < 3; ++i) run.finished("rival BP epoch", 20);
  run.finished("FF epoch", 60);
  CHECK(run.seconds_left() == Approx(29 * 60));
  CHECK(run.untimed() == std::vector<std::string>{"test evaluation"});
}

TEST_CASE("a phase's own timing replaces its estimate once a unit of it has run", "[progress]") {
  RunEta run = insitu_run();
  for (int i = 0; i < 3; ++i) run.finished("rival BP epoch", 20);
  for (int i = 0; i < 30; ++i) run.finished("FF epoch", 60);
  for (int i = 0; i < 10; ++i) run.finished("test evaluation", 10);
  run.finished("final evaluation", 15);
  run.finished("rival on the chip", 1);
  CHECK(run.seconds_left() == Approx(4 * 20));
  run.finished("drift", 30);  // the drift times take longer than two test evaluations each
  CHECK(run.seconds_left() == Approx(3 * 30));
  for (int i = 0; i < 3; ++i) run.finished("drift", 30);
  CHECK(run.seconds_left() == 0);
  CHECK(run.text() == "0.0s");
}

TEST_CASE("a resumed run's ETA comes from the epochs this process timed, not from those it skipped", "[progress]") {
  RunEta run;
  run.add("FF epoch", 40);
  run.add("test evaluation", 40);
  run.skipped("FF epoch", 30);
  run.skipped("test evaluation", 30);
  CHECK(run.text() == "? (not yet timed: FF epoch, test evaluation)");
  run.finished("FF epoch", 50);
  run.finished("test evaluation", 5);
  CHECK(run.seconds_left() == Approx(9 * 50 + 9 * 5));
}

TEST_CASE("a phase estimated from one not added before it, or added twice, is refused", "[progress]") {
  RunEta run;
  run.add("FF epoch", 3);
  CHECK_THROWS(run.add("drift", 2, "test evaluation", 2));
  CHECK_THROWS(run.add("FF epoch", 3));
  CHECK_THROWS(run.finished("no such phase", 1));
}
