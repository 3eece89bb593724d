#include "sim/energy_tables.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "hw/crossbar.h"
#include "hw/energy.h"
#include "sim/energy_models.h"
#include "test_util.h"

using namespace mortal;

namespace {

const std::string kTablesDir = std::string(MORTAL_SOURCE_DIR) + "/energy";

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

}  // namespace

TEST_CASE("every constant of the energy tables has a value, a unit and a source", "[energy]") {
  const EnergyTables t = EnergyTables::load(kTablesDir);
  REQUIRE(t.constants().size() >= 20);
  for (const auto& [path, c] : t.constants()) {
    INFO(path);
    CHECK(!c.unit.empty());
    CHECK(!c.source.empty());
    CHECK(c.value >= 0);
  }
  CHECK(t.value("cmos45.fp32_add_pj") == 0.9);
  CHECK(t.value("cmos45.fp32_mult_pj") == 3.7);
  CHECK(t.at("cmos45.dram_64bit_pj").unit == "pJ");
}

TEST_CASE("the analog chip's table holds the ledger's default event energies", "[energy]") {
  const EnergyTables t = EnergyTables::load(kTablesDir);
  const hw::EnergyParams e;
  CHECK(t.value("analog.dac_conversion_pj") == e.dac_conversion_pj);
  CHECK(t.value("analog.pulse_pj") == e.pulse_pj);
  CHECK(t.value("analog.periphery_op_pj") == e.periphery_op_pj);
  const hw::CrossbarParams x;
  CHECK(t.value("analog.v_read_v") == x.v_read_v);
  CHECK(t.value("analog.t_read_ns") == x.timing.t_read_ns);
  CHECK(t.value("analog.overhead_factor") == 1.0);
  // The ADC from the survey's figure of merit lands within 2% of the ledger's survey figure per sample.
  CHECK(adc_conversion_pj(t) == Approx(e.adc_conversion_pj).epsilon(0.02));
}

TEST_CASE("the H100 table's derived constants follow from its data-sheet figures", "[energy]") {
  const EnergyTables t = EnergyTables::load(kTablesDir);
  CHECK(t.value("h100.pj_per_flop") ==
        Approx(t.value("h100.board_power_w") / t.value("h100.bf16_dense_flop_per_s") * 1e12).epsilon(1e-3));
  CHECK(t.value("h100.hbm_pj_per_byte") == Approx(8 * t.value("h100.hbm_pj_per_bit")));
}

TEST_CASE("an override changes exactly the constant it names", "[energy]") {
  const EnergyTables base = EnergyTables::load(kTablesDir);
  test::TempDir dir;
  const std::string file = dir.file("o.toml");
  write_text(file, "[cmos45]\nfp32_add_pj = 1.25\n[analog]\npulse_pj = { value = 7.5, unit = \"pJ\", source = \"s\" }\n");
  EnergyTables t = base;
  t.override_file(file);
  t.override_setting("h100.utilization=0.4");
  for (const auto& [path, c] : base.constants()) {
    INFO(path);
    if (path == "cmos45.fp32_add_pj")
      CHECK(t.value(path) == 1.25);
    else if (path == "analog.pulse_pj")
      CHECK(t.value(path) == 7.5);
    else if (path == "h100.utilization")
      CHECK(t.value(path) == 0.4);
    else
      CHECK(t.value(path) == c.value);
  }
  CHECK(t.at("cmos45.fp32_add_pj").origin.find("o.toml") != std::string::npos);
  CHECK(t.at("analog.pulse_pj").source == "s");
}

TEST_CASE("an unknown energy constant is refused by name", "[energy]") {
  EnergyTables t = EnergyTables::load(kTablesDir);
  CHECK_THROWS_WITH(t.override_setting("cmos45.fp32_ad_pj=1"), Catch::Matchers::Contains("cmos45.fp32_ad_pj"));
  CHECK_THROWS_WITH(t.override_setting("gpu.pj_per_flop=1"), Catch::Matchers::Contains("gpu.pj_per_flop"));
  test::TempDir dir;
  const std::string file = dir.file("o.toml");
  write_text(file, "[cmos45]\nfp32_add_pj = 2.0\n[analog]\nno_such_pj = 1.0\n");
  const EnergyTables before = t;
  CHECK_THROWS_WITH(t.override_file(file), Catch::Matchers::Contains("analog.no_such_pj"));
  // A refused file changes nothing, not even the constants it names before the unknown one.
  CHECK(t.value("cmos45.fp32_add_pj") == before.value("cmos45.fp32_add_pj"));
  CHECK_THROWS_WITH(t.value("adc.no_such"), Catch::Matchers::Contains("adc.no_such"));
}

TEST_CASE("a negative energy is refused by name, from a setting, an override file or a table", "[energy]") {
  EnergyTables t = EnergyTables::load(kTablesDir);
  CHECK_THROWS_WITH(t.override_setting("analog.pulse_pj=-1"),
                    Catch::Matchers::Contains("analog.pulse_pj") && Catch::Matchers::Contains("negative"));
  CHECK(t.value("analog.pulse_pj") == 1.0);
  test::TempDir dir;
  write_text(dir.file("o.toml"), "[cmos45]\nsram_8kb_64bit_pj = -10\n");
  CHECK_THROWS_WITH(t.override_file(dir.file("o.toml")),
                    Catch::Matchers::Contains("cmos45.sram_8kb_64bit_pj") && Catch::Matchers::Contains("negative"));
  write_text(dir.file("t.toml"), "[x]\ne_pj = { value = -0.5, unit = \"pJ\", source = \"s\" }\n");
  EnergyTables u;
  CHECK_THROWS_WITH(u.define_file(dir.file("t.toml")),
                    Catch::Matchers::Contains("x.e_pj") && Catch::Matchers::Contains("negative"));
  CHECK_THROWS_WITH(t.override_setting("h100.utilization=1.5"), Catch::Matchers::Contains("h100.utilization"));
  CHECK_THROWS_WITH(t.override_setting("analog.pulse_pj=abc"), Catch::Matchers::Contains("not a number"));
}

TEST_CASE("a table constant without a source or with an unknown unit is refused", "[energy]") {
  test::TempDir dir;
  write_text(dir.file("a.toml"), "[x]\ne_pj = { value = 1, unit = \"pJ\", source = \"\" }\n");
  EnergyTables t;
  CHECK_THROWS_WITH(t.define_file(dir.file("a.toml")), Catch::Matchers::Contains("x.e_pj"));
  write_text(dir.file("b.toml"), "[x]\ne_pj = { value = 1, unit = \"furlongs\", source = \"s\" }\n");
  CHECK_THROWS_WITH(t.define_file(dir.file("b.toml")), Catch::Matchers::Contains("furlongs"));
}
