#include "sim/sweep_grid.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/rng.h"

#include <toml++/toml.h>

namespace mortal {
namespace {

std::string value_text(const nlohmann::json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  fail("{}: a grid value must be a string, number or boolean, got {}", where, v.dump());
}

nlohmann::json toml_to_json(const toml::node& n) {
  if (auto t = n.as_table()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = toml_to_json(v);
    return j;
  }
  if (auto a = n.as_array()) {
    nlohmann::json j = nlohmann::json::array();
    for (auto&& v : *a) j.push_back(toml_to_json(v));
    return j;
  }
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return i->get();
  if (auto f = n.as_floating_point()) return f->get();
  if (auto b = n.as_boolean()) return b->get();
  fail("a TOML value of a kind a grid cannot hold (a date or time)");
}

}  // namespace

GridAxis parse_grid(const std::string& text) {
  const std::size_t eq = text.find('=');
  require(eq != std::string::npos && eq > 0, "--grid {}: expected PATH=v1,v2,...", text);
  GridAxis axis;
  axis.path = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  std::size_t at = 0;
  for (;;) {
    const std::size_t comma = rest.find(',', at);
    axis.values.push_back(rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    require(!axis.values.back().empty(), "--grid {}: an empty value", text);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return axis;
}

std::vector<GridAxis> read_grid_file(const std::string& path, bool& zip) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "--grid-file {}: cannot read it", path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  nlohmann::json j;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      fail("--grid-file {}: not valid JSON: {}", path, e.what());
    }
  } else {
    try {
      j = toml_to_json(toml::parse(text, path));
    } catch (const toml::parse_error& e) {
      fail("--grid-file {}: not valid TOML (line {}): {}", path, e.source().begin.line, e.description());
    }
  }
  require(j.is_object() && j.contains("grid") && j["grid"].is_object() && !j["grid"].empty(),
          "--grid-file {}: expected a \"grid\" table of PATH = [values]", path);
  for (const auto& [k, v] : j.items())
    require(k == "grid" || k == "zip", "--grid-file {}: unknown field \"{}\" (known: grid, zip)", path, k);
  if (j.contains("zip")) {
    require(j["zip"].is_boolean(), "--grid-file {}: zip must be true or false", path);
    zip = j["zip"].get<bool>();
  }
  std::vector<GridAxis> axes;
  for (const auto& [k, v] : j["grid"].items()) {
    const std::string where = fmt::format("--grid-file {}: grid.\"{}\"", path, k);
    require(v.is_array() && !v.empty(), "{}: expected a non-empty list of values", where);
    GridAxis axis{k, {}};
    for (const auto& x : v) axis.values.push_back(value_text(x, where));
    axes.push_back(axis);
  }
  return axes;
}

std::uint64_t sweep_seed(std::uint64_t base, std::uint64_t point, std::uint64_t replica) {
  return splitmix64(splitmix64(splitmix64(base) ^ point) ^ replica);
}

std::vector<std::string> parse_metric_list(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    require(!name.empty() && name != "metrics" && name != "metrics.", "--metrics {}: an empty metric name", text);
    names.push_back(name.rfind("metrics.", 0) == 0 ? name : "metrics." + name);
  }
  require(!names.empty(), "--metrics: no metric named");
  return names;
}

void SweepSpec::validate() const {
  require(!axes.empty(), "no grid: give --grid PATH=v1,v2,... or --grid-file");
  std::set<std::string> seen;
  for (const GridAxis& a : axes) {
    require(!a.path.empty() && a.path != "--", "a grid needs a path");
    require(!a.values.empty(), "grid {}: no values", a.path);
    require(seen.insert(a.path).second, "grid {} is given twice", a.path);
    for (const char* own : {"--seed", "--out", "--force"})
      require(a.path != own, "grid {}: the sweep sets {} of every run itself", a.path, own);
    for (const std::string& arg : scenario_args)
      require(!a.is_option() || (arg != a.path && arg.rfind(a.path + "=", 0) != 0),
              "{} is both swept (--grid) and given to the scenario: give it one way", a.path);
    if (zip)
      require(a.values.size() == axes[0].values.size(), "--zip: grid {} has {} values, grid {} has {}", a.path,
              a.values.size(), axes[0].path, axes[0].values.size());
  }
  require(seeds >= 1, "--seeds must be >= 1, got {}", seeds);
  require(!scenario.empty(), "no scenario: give it after --, e.g. -- chip_drift --inputs 64");
  for (const std::string& arg : scenario_args)
    for (const char* own : {"--seed", "--out", "--force"})
      require(arg != own && arg.rfind(std::string(own) + "=", 0) != 0,
              "scenario option {}: the sweep sets it for every run itself (--seed BASE sets the base seed)", arg);
}

int SweepSpec::points() const {
  if (zip) return int(axes[0].values.size());
  long n = 1;
  for (const GridAxis& a : axes) {
    n *= long(a.values.size());
    require(n <= 10000000, "the grid has more than 10 million points");
  }
  return int(n);
}

std::vector<std::string> SweepSpec::point_values(int point) const {
  require(point >= 0 && point < points(), "point {} is outside the grid (0 to {})", point, points() - 1);
  std::vector<std::string> v(axes.size());
  int rest = point;
  for (std::size_t i = axes.size(); i-- > 0;) {
    const int n = int(axes[i].values.size());
    v[i] = axes[i].values[std::size_t(zip ? point : rest % n)];
    if (!zip) rest /= n;
  }
  return v;
}

std::vector<std::string> SweepSpec::point_args(int point) const {
  const std::vector<std::string> v = point_values(point);
  std::vector<std::string> args;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (axes[i].is_option()) {
      args.push_back(axes[i].path + "=" + v[i]);
    } else {
      args.push_back("--hw");
      args.push_back(axes[i].path + "=" + v[i]);
    }
  }
  return args;
}

nlohmann::json SweepSpec::identity() const {
  nlohmann::json grid = nlohmann::json::array();
  for (const GridAxis& a : axes) grid.push_back({{"path", a.path}, {"values", a.values}});
  nlohmann::json j = {{"grid", grid},         {"zip", zip},           {"seeds", seeds},
                      {"seed", base_seed},    {"scenario", scenario}, {"scenario_args", scenario_args}};
  // Absent when every metric is kept, so a sweep recorded before --metrics existed still matches.
  if (!metrics.empty()) j["metrics"] = metrics;
  return j;
}

std::vector<std::string> identity_differences(const nlohmann::json& recorded, const nlohmann::json& given) {
  std::vector<std::string> diff;
  auto list = [](const nlohmann::json& a) {
    std::vector<std::string> s;
    for (const auto& x : a) s.push_back(x.is_string() ? x.get<std::string>() : x.dump());
    return fmt::format("{}", fmt::join(s, ","));
  };
  auto grid_map = [&](const nlohmann::json& j) {
    std::vector<std::pair<std::string, std::string>> m;
    if (j.contains("grid"))
      for (const auto& a : j["grid"]) m.emplace_back(a.value("path", ""), list(a.value("values", nlohmann::json::array())));
    return m;
  };
  const auto r = grid_map(recorded), g = grid_map(given);
  // Plain loop variables, not structured bindings: C++17 lets no lambda capture a binding.
  for (const auto& entry : r) {
    const std::string& path = entry.first;
    const std::string& values = entry.second;
    auto it = std::find_if(g.begin(), g.end(), [&](const auto& p) { return p.first == path; });
    if (it == g.end())
      diff.push_back(fmt::format("grid {}: recorded ({}), not given", path, values));
    else if (it->second != values)
      diff.push_back(fmt::format("grid {}: {} recorded, {} given", path, values, it->second));
  }
  for (const auto& entry : g)
    if (std::find_if(r.begin(), r.end(), [&](const auto& p) { return p.first == entry.first; }) == r.end())
      diff.push_back(fmt::format("grid {}: given ({}), not recorded", entry.first, entry.second));
  if (diff.empty()) {
    std::vector<std::string> rp, gp;
    for (const auto& p : r) rp.push_back(p.first);
    for (const auto& p : g) gp.push_back(p.first);
    if (rp != gp) diff.push_back(fmt::format("grid order: {} recorded, {} given", fmt::join(rp, " "), fmt::join(gp, " ")));
  }
  for (const char* field : {"zip", "seeds", "seed", "scenario", "scenario_args", "metrics"}) {
    const nlohmann::json a = recorded.value(field, nlohmann::json()), b = given.value(field, nlohmann::json());
    // No "metrics" field: every metric kept.
    auto shown = [](const nlohmann::json& x) { return x.is_null() ? std::string("all") : x.dump(); };
    if (a != b) diff.push_back(fmt::format("{}: {} recorded, {} given", field, shown(a), shown(b)));
  }
  return diff;
}

std::vector<std::string> sweep_fixed_columns(const SweepSpec& spec) {
  std::vector<std::string> c = {"point", "replica", "seed"};
  for (const GridAxis& a : spec.axes) c.push_back(a.path);
  for (const char* s : {"status", "exit_code", "signal", "wall_s", "error"}) c.push_back(s);
  return c;
}

std::string run_id(int point, int replica) { return fmt::format("{}-{}", point, replica); }

}  // namespace mortal
