#pragma once
// Energy tables: constants with a unit and a source, read from TOML data files (energy/*.toml). A file
// holds tables of constants, NAME = { value = ..., unit = "...", source = "..." }; a constant's path is
// TABLE.NAME ("cmos45.fp32_add_pj"). Overrides (a file given to --energy, or --energy-set PATH=VALUE)
// change constants that exist and nothing else; an unknown path, or a negative value, is refused by name.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace mortal {

struct EnergyConstant {
  double value = 0;
  std::string unit;    // pJ, fJ/step, W, FLOP/s, B/s, B, V, uS, ns, bits, count, fraction (0..1], factor
  std::string source;  // where the number comes from, or how it is derived
  std::string origin;  // the file (or setting) that gave the value
};

// A TOML file as JSON (tables as objects); errors name the file and line. parse_toml_text: the same for text
// already read, `name` naming it in errors.
nlohmann::json read_toml_file(const std::string& path);
nlohmann::json parse_toml_text(const std::string& text, const std::string& name);

// {value, unit, source} from a file's entry; `where` names it in errors. Refuses a negative or non-finite
// value, an unknown unit, a fraction outside (0, 1] and a factor that is not positive.
EnergyConstant constant_from_json(const nlohmann::json& j, const std::string& where);

class EnergyTables {
 public:
  // Every *.toml file directly inside `dir`, in name order; a path defined by two files is refused.
  static EnergyTables load(const std::string& dir);

  // Defines the constants of one file.
  void define_file(const std::string& path);
  // Overrides from a file of the same form; an entry may be a bare number (unit and source kept) or a
  // table with a value and optionally its unit (which must match) and source. override_json: the same
  // for a file already read (`where` names it).
  void override_file(const std::string& path);
  void override_json(const nlohmann::json& j, const std::string& where);
  // "PATH=VALUE", as --energy-set gives it.
  void override_setting(const std::string& setting);
  void set(const std::string& path, double value, const std::string& origin);

  bool has(const std::string& path) const { return c_.count(path) > 0; }
  const EnergyConstant& at(const std::string& path) const;
  double value(const std::string& path) const { return at(path).value; }
  const std::map<std::string, EnergyConstant>& constants() const { return c_; }

  // {path: {value, unit, source, origin}}
  nlohmann::json to_json() const;

 private:
  std::map<std::string, EnergyConstant> c_;
};

// The energy tables an installed binary finds beside it (<prefix>/share/mortal/energy), else the energy/
// folder of the source tree this binary was built from.
std::string default_energy_dir();
// The two places, as the build recorded them (a generated source): the source tree's energy/, and the
// installed tables' folder relative to the installed binaries' (../share/mortal/energy).
std::string source_energy_dir();
std::string installed_energy_dir_from_bin();

}  // namespace mortal
