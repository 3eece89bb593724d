#include "sim/rules/update_rule.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "sim/ff_experiment.h"

using namespace mortal;

TEST_CASE("FF's momentum and the carry options choose the update rule and its extra arrays", "[insitu]") {
  FFParams p;
  p.momentum = 0;
  CHECK(std::holds_alternative<PulsedSgdParams>(choose_update_rule(p, {}, {})));
  CHECK(extra_arrays(choose_update_rule(p, {}, {})).empty());
  const FineCarry carry{10.0, 1, true};
  CHECK(std::holds_alternative<FineCarry>(choose_update_rule(p, {}, carry)));
  CHECK(extra_arrays(choose_update_rule(p, {}, carry)) == std::vector<std::string>{"momentum"});
  p.momentum = 0.9f;
  CHECK(std::holds_alternative<AnalogMomentumParams>(choose_update_rule(p, {}, {})));
  const UpdateRuleParams both = choose_update_rule(p, {}, carry);
  CHECK(std::holds_alternative<ThresholdAccumulatorParams>(both));
  CHECK(extra_arrays(both) == std::vector<std::string>{"momentum", "accumulator"});
  CHECK_NOTHROW(validate(both));
}

TEST_CASE("an update rule refuses settings it cannot run, naming the option", "[insitu]") {
  FFParams p;
  p.momentum = 0;
  p.momentum_final = 0.99f;  // a rising momentum without momentum
  CHECK_THROWS_WITH(choose_update_rule(p, {}, {}), Catch::Contains("momentum-final"));
  p.momentum = 0.9f;
  AnalogMomentum every3;
  every3.every = 3;  // a rising momentum decays every row every step
  CHECK_THROWS_WITH(validate(choose_update_rule(p, every3, {})), Catch::Contains("momentum-every 1"));
  p.momentum_final = -1;
  CHECK_THROWS_WITH(validate(choose_update_rule(p, {}, FineCarry{10.0, 1, false})), Catch::Contains("carry-whole"));
}

TEST_CASE("an update rule refuses a chip built without its extra arrays", "[insitu]") {
  FFParams p;
  p.momentum = 0.9f;
  hw::Ledger ledger;
  hw::ChipParams cp = hw::chip_preset("ideal", {8, 4});
  hw::Chip chip("chip", cp, ledger, 1);
  CHECK_THROWS_WITH(make_update_rule(choose_update_rule(p, {}, {}), chip),
                    Catch::Contains("needs the extra arrays [momentum]"));
}
