#include "sim/rules/rule_step.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

TEST_CASE("a momentum array decayed in shares keeps the mean velocity of a constant gradient", "[insitu]") {
  // Every row every step: exact momentum.
  const DecayShare exact = decay_share(785, 1, 0.9f);
  CHECK(exact.rows == 785);
  CHECK(exact.period == 1);
  CHECK(exact.fraction == Approx(0.1f));
  // A row's turn every P steps: run the row's recurrence (gradient a each step, read, decay f at its turn)
  // and compare its mean read with the exact momentum's steady velocity a / (1 - mu).
  for (float mu : {0.6f, 0.9f}) {
    const DecayShare s = decay_share(1001, 3, mu);
    CHECK(s.rows == 334);
    CHECK(s.period == 3);
    double v = 0, sum = 0;
    const int steps = 30000;
    for (int t = 0; t < steps; ++t) {
      v += 1.0;
      sum += v;
      if (t % s.period == s.period - 1) v -= s.fraction * v;
    }
    INFO("momentum " << mu);
    CHECK(sum / steps == Approx(1.0 / (1.0 - mu)).epsilon(1e-3));
  }
  CHECK_THROWS_AS(decay_share(1001, 40, 0.9f), Error);  // a turn every 40 steps is too rare for mu = 0.9
}

TEST_CASE("row shares cycle through every row and start again", "[insitu]") {
  const DecayShare s = row_share(10, 3);  // 4 rows per step: 0-3, 4-7, 8-9, 0-3, ...
  int row = 0;
  CHECK(next_rows(s, row, 10) == std::pair<int, int>{0, 4});
  CHECK(next_rows(s, row, 10) == std::pair<int, int>{4, 4});
  CHECK(next_rows(s, row, 10) == std::pair<int, int>{8, 2});
  CHECK(next_rows(s, row, 10) == std::pair<int, int>{0, 4});
}
