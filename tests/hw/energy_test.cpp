#include "hw/energy.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"

using namespace mortal::hw;

TEST_CASE("ledger totals equal counts times energies plus integrated energy", "[energy]") {
  EnergyParams e;
  Ledger ledger(e);
  auto adc = ledger.counter("chip.layer0", "adc_conversion", e.adc_conversion_pj);
  auto pulse = ledger.counter("chip.layer0", "pulse", e.pulse_pj);
  auto read = ledger.counter("chip.layer1", "crossbar_read", 0.0);
  ledger.add(adc, 1000);
  ledger.add(adc, 24);
  ledger.add(pulse, 7);
  ledger.add_integrated(read, 50, 3.5);
  CHECK(ledger.total_energy_pj() == Approx(1024 * e.adc_conversion_pj + 7 * e.pulse_pj + 3.5));
  CHECK(ledger.energy_pj_of_event("adc_conversion") == Approx(1024 * e.adc_conversion_pj));
  CHECK(ledger.energy_pj_of_module("chip.layer1") == Approx(3.5));
  // Registering the same pair again returns the same counter.
  CHECK(ledger.counter("chip.layer0", "pulse", e.pulse_pj) == pulse);

  const auto j = ledger.to_json();
  CHECK(j["total_energy_pj"].get<double>() == Approx(ledger.total_energy_pj()));
  CHECK(j["counters"].size() == 3);
  CHECK(j["by_event"]["pulse"].get<double>() == Approx(7 * e.pulse_pj));
  const std::string table = ledger.table();
  CHECK(table.find("adc_conversion") != std::string::npos);
  CHECK(table.find("total") != std::string::npos);

  ledger.reset();
  CHECK(ledger.total_energy_pj() == 0);
}

TEST_CASE("energy parameters reject negative energies by name", "[energy]") {
  EnergyParams e;
  e.pulse_pj = -1;
  CHECK_THROWS_WITH(e.validate(), Catch::Contains("pulse_pj"));
}

TEST_CASE("the cost of part of a run is the ledger's difference, and adds up again", "[energy]") {
  Ledger ledger;
  const auto adc = ledger.counter("chip.layer0.adc", "adc_conversion", 6.5);
  ledger.add(adc, 100);
  const Ledger before = ledger;
  ledger.add(adc, 40);
  const auto read = ledger.counter("chip.layer0", "crossbar_read", 0.0);
  ledger.add_integrated(read, 10, 3.0);
  const Ledger part = ledger.minus(before);
  CHECK(part.at(adc).count == 40);
  CHECK(part.total_energy_pj() == Approx(40 * 6.5 + 3.0));
  Ledger sum = before;
  sum.add_all(part);
  CHECK(sum.total_energy_pj() == Approx(ledger.total_energy_pj()));
  CHECK(ledger.minus(part).total_energy_pj() == Approx(100 * 6.5));
}
