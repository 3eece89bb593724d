#include "sim/run_eta.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sim/progress.h"

namespace mortal {

void RunEta::add(const std::string& name, int units, const std::string& like, double weight) {
  require(index(name) < 0, "run ETA: phase '{}' added twice", name);
  require(units >= 0 && weight >= 0, "run ETA: phase '{}' needs units and a weight >= 0", name);
  Phase ph;
  ph.name = name;
  ph.units = units;
  ph.weight = weight;
  if (!like.empty()) {
    ph.like = index(like);
    require(ph.like >= 0, "run ETA: phase '{}' is estimated from '{}', which is not added before it", name, like);
  }
  phases_.push_back(ph);
}

int RunEta::index(const std::string& name) const {
  for (std::size_t i = 0; i < phases_.size(); ++i)
    if (phases_[i].name == name) return int(i);
  return -1;
}

void RunEta::finished(const std::string& name, double seconds, int units) {
  const int i = index(name);
  require(i >= 0, "run ETA: no phase '{}'", name);
  Phase& ph = phases_[std::size_t(i)];
  ph.done += units;
  ph.timed += units;
  ph.seconds += seconds;
}

void RunEta::skipped(const std::string& name, int units) {
  const int i = index(name);
  require(i >= 0, "run ETA: no phase '{}'", name);
  phases_[std::size_t(i)].done += units;
}

double RunEta::unit_seconds(const Phase& ph) const {
  if (ph.timed > 0) return ph.seconds / ph.timed;
  if (ph.like >= 0) return ph.weight * unit_seconds(phases_[std::size_t(ph.like)]);
  return NAN;
}

const RunEta::Phase& RunEta::root(const Phase& ph) const {
  return ph.timed > 0 || ph.like < 0 ? ph : root(phases_[std::size_t(ph.like)]);
}

double RunEta::seconds_left() const {
  double s = 0;
  for (const Phase& ph : phases_) {
    const int left = std::max(0, ph.units - ph.done);
    const double unit = unit_seconds(ph);
    if (left > 0 && std::isfinite(unit)) s += left * unit;
  }
  return s;
}

std::vector<std::string> RunEta::untimed() const {
  std::vector<std::string> names;
  for (const Phase& ph : phases_) {
    if (ph.units - ph.done <= 0 || std::isfinite(unit_seconds(ph))) continue;
    const std::string& name = root(ph).name;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

std::string RunEta::text() const {
  const std::vector<std::string> unknown = untimed();
  const double s = seconds_left();
  if (unknown.empty()) return Progress::format_duration(s);
  // Nothing left is timed yet: a number would be the untimed phases' zero.
  if (s == 0) return fmt::format("? (not yet timed: {})", fmt::join(unknown, ", "));
  return fmt::format("{} + (not yet timed: {})", Progress::format_duration(s), fmt::join(unknown, ", "));
}

}  // namespace mortal
