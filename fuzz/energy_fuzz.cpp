// Feeds arbitrary text as an energy-table override file (mortal_energy --energy) and as a calibration file
// (energy/calibration/*.toml): the TOML reader, then the checks of every constant. Allowed outcomes:
// accepted, or a mortal::Error naming the file and the field.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "sim/energy_calibration.h"
#include "sim/energy_tables.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mortal::EnergyTables base = mortal::EnergyTables::load(mortal::default_energy_dir());
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mortal::EnergyTables t = base;
    t.override_json(mortal::parse_toml_text(text, "fuzz.toml"), "fuzz.toml");
    (void)t.to_json();
  } catch (const mortal::Error&) {
  }
  try {
    const mortal::CalibrationChip c = mortal::calibration_from_json(mortal::parse_toml_text(text, "fuzz.toml"), "fuzz.toml");
    for (const auto& m : c.modes) (void)mortal::calibration_ledger(c, m, base).total_energy_pj();
  } catch (const mortal::Error&) {
  }
  return 0;
}
