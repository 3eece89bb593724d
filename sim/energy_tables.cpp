#include "sim/energy_tables.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

#include <toml++/toml.h>

namespace mortal {

namespace {

nlohmann::json toml_to_json(const toml::node& n, const std::string& path) {
  if (auto t = n.as_table()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = toml_to_json(v, path);
    return j;
  }
  if (auto a = n.as_array()) {
    nlohmann::json j = nlohmann::json::array();
    for (auto&& v : *a) j.push_back(toml_to_json(v, path));
    return j;
  }
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return i->get();
  if (auto f = n.as_floating_point()) return f->get();
  if (auto b = n.as_boolean()) return b->get();
  fail("{} (line {}): a date or time where a number, text or table belongs", path, n.source().begin.line);
}

const std::set<std::string>& known_units() {
  static const std::set<std::string> units = {"pJ",   "fJ/step", "W",     "FLOP/s",   "B/s",    "B",     "V",
                                              "uS",   "ns",      "bits",  "count",    "fraction", "factor",
                                              "TOPS/W"};
  return units;
}

void check_value(const std::string& where, double v, const std::string& unit) {
  require(std::isfinite(v), "{}: {} is not a finite number", where, v);
  require(v >= 0, "{}: {} {} is negative; no energy (nor any other constant of these tables) can be", where, v,
          unit);
  if (unit == "fraction") require(v > 0 && v <= 1, "{}: a fraction must lie in (0, 1], got {}", where, v);
  if (unit == "factor") require(v > 0, "{}: a factor must be positive, got {}", where, v);
}

double number(const nlohmann::json& j, const std::string& where) {
  require(j.is_number(), "{}: expected a number, got {}", where, j.dump());
  return j.get<double>();
}

std::string known_list(const std::map<std::string, EnergyConstant>& c, const std::string& path) {
  // The constants of the same table, or every table's name: enough to see the misspelling.
  const std::string table = path.substr(0, path.find('.'));
  std::vector<std::string> near;
  std::set<std::string> tables;
  for (const auto& [p, k] : c) {
    tables.insert(p.substr(0, p.find('.')));
    if (p.compare(0, table.size() + 1, table + ".") == 0) near.push_back(p);
  }
  if (!near.empty()) return fmt::format("known in table {}: {}", table, fmt::join(near, ", "));
  return fmt::format("known tables: {}", fmt::join(tables, ", "));
}

}  // namespace

nlohmann::json read_toml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "energy table {}: cannot read it", path);
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_toml_text(buf.str(), path);
}

nlohmann::json parse_toml_text(const std::string& text, const std::string& name) {
  try {
    return toml_to_json(toml::parse(text, name), name);
  } catch (const toml::parse_error& e) {
    fail("energy table {}: not valid TOML (line {}): {}", name, e.source().begin.line, e.description());
  }
}

EnergyConstant constant_from_json(const nlohmann::json& j, const std::string& where) {
  require(j.is_object(), "{}: expected {{ value = ..., unit = \"...\", source = \"...\" }}, got {}", where, j.dump());
  for (const auto& [k, v] : j.items())
    require(k == "value" || k == "unit" || k == "source", "{}: unknown field \"{}\" (known: value, unit, source)",
            where, k);
  require(j.contains("value") && j.contains("unit") && j.contains("source"), "{}: needs a value, a unit and a source",
          where);
  require(j["unit"].is_string() && j["source"].is_string(), "{}: unit and source must be text", where);
  EnergyConstant c;
  c.value = number(j["value"], where + ".value");
  c.unit = j["unit"].get<std::string>();
  c.source = j["source"].get<std::string>();
  require(known_units().count(c.unit) > 0, "{}: unknown unit \"{}\" (known: {})", where, c.unit,
          fmt::join(known_units(), ", "));
  require(!c.source.empty(), "{}: the source is empty; every constant names where it comes from", where);
  check_value(where, c.value, c.unit);
  return c;
}

EnergyTables EnergyTables::load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  require(fs::is_directory(dir, ec), "energy tables: {} is not a folder", dir);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path().string());
  require(!ec, "energy tables: cannot list {}: {}", dir, ec.message());
  require(!files.empty(), "energy tables: no *.toml file in {}", dir);
  std::sort(files.begin(), files.end());
  EnergyTables t;
  for (const std::string& f : files) t.define_file(f);
  return t;
}

void EnergyTables::define_file(const std::string& path) {
  const nlohmann::json j = read_toml_file(path);
  for (const auto& [table, entries] : j.items()) {
    require(entries.is_object(), "energy table {}: top-level \"{}\" must be a table of constants", path, table);
    for (const auto& [name, entry] : entries.items()) {
      const std::string p = table + "." + name;
      require(!c_.count(p), "energy table {}: {} is already defined by {}", path, p, c_.count(p) ? c_[p].origin : "");
      EnergyConstant c = constant_from_json(entry, fmt::format("energy table {}: {}", path, p));
      c.origin = path;
      c_[p] = c;
    }
  }
}

const EnergyConstant& EnergyTables::at(const std::string& path) const {
  const auto it = c_.find(path);
  require(it != c_.end(), "energy constant {} is unknown ({})", path, known_list(c_, path));
  return it->second;
}

void EnergyTables::set(const std::string& path, double value, const std::string& origin) {
  const auto it = c_.find(path);
  require(it != c_.end(), "{}: unknown energy constant {} ({})", origin, path, known_list(c_, path));
  check_value(fmt::format("{}: {}", origin, path), value, it->second.unit);
  it->second.value = value;
  it->second.origin = origin;
}

void EnergyTables::override_file(const std::string& path) { override_json(read_toml_file(path), path); }

void EnergyTables::override_json(const nlohmann::json& j, const std::string& path) {
  // Checked whole before any change: a refused file leaves every constant as it was.
  EnergyTables next = *this;
  require(j.is_object(), "energy override {}: expected tables of constants", path);
  for (const auto& [table, entries] : j.items()) {
    require(entries.is_object(), "energy override {}: top-level \"{}\" must be a table of constants", path, table);
    for (const auto& [name, entry] : entries.items()) {
      const std::string p = table + "." + name, where = fmt::format("energy override {}", path);
      if (entry.is_number()) {
        next.set(p, entry.get<double>(), where);
        continue;
      }
      require(entry.is_object() && entry.contains("value"), "{}: {} must be a number or a table with a value", where, p);
      for (const auto& [k, v] : entry.items())
        require(k == "value" || k == "unit" || k == "source", "{}: {}: unknown field \"{}\" (known: value, unit, source)",
                where, p, k);
      require(next.has(p), "{}: unknown energy constant {} ({})", where, p, known_list(next.c_, p));
      if (entry.contains("unit"))
        require(entry["unit"] == next.c_[p].unit, "{}: {} is in {}, the override says {}", where, p, next.c_[p].unit,
                entry["unit"].dump());
      next.set(p, number(entry["value"], where + ": " + p), where);
      if (entry.contains("source")) {
        require(entry["source"].is_string(), "{}: {}: the source must be text", where, p);
        next.c_[p].source = entry["source"].get<std::string>();
      }
    }
  }
  *this = std::move(next);
}

void EnergyTables::override_setting(const std::string& setting) {
  const std::size_t eq = setting.find('=');
  require(eq != std::string::npos && eq > 0 && eq + 1 < setting.size(), "--energy-set {}: expected PATH=VALUE",
          setting);
  const std::string path = setting.substr(0, eq), text = setting.substr(eq + 1);
  double v = 0;
  std::size_t used = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  require(used == text.size(), "--energy-set {}: \"{}\" is not a number", setting, text);
  set(path, v, "--energy-set " + setting);
}

nlohmann::json EnergyTables::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [p, c] : c_)
    j[p] = {{"value", c.value}, {"unit", c.unit}, {"source", c.source}, {"origin", c.origin}};
  return j;
}

std::string default_energy_dir() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = (self.parent_path() / installed_energy_dir_from_bin()).lexically_normal();
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  return source_energy_dir();
}

}  // namespace mortal
