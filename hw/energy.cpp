#include "hw/energy.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace mortal::hw {

void EnergyParams::validate() const {
  check_nonnegative("adc_conversion_pj", adc_conversion_pj);
  check_nonnegative("dac_conversion_pj", dac_conversion_pj);
  check_nonnegative("pulse_pj", pulse_pj);
  check_nonnegative("periphery_op_pj", periphery_op_pj);
  check_nonnegative("fp32_mac_pj", fp32_mac_pj);
  check_nonnegative("sram_read_64bit_pj", sram_read_64bit_pj);
  check_nonnegative("dram_access_64bit_pj", dram_access_64bit_pj);
}

Ledger::Ledger(EnergyParams params) : params_(params) { params_.validate(); }

Ledger::Handle Ledger::counter(const std::string& module, const std::string& event,
                               double energy_per_event_pj) {
  check_nonnegative("energy_per_event_pj", energy_per_event_pj);
  for (Handle h = 0; h < counters_.size(); ++h)
    if (counters_[h].module == module && counters_[h].event == event) {
      counters_[h].energy_per_event_pj = energy_per_event_pj;
      return h;
    }
  counters_.push_back(Counter{module, event, energy_per_event_pj, 0.0, 0.0});
  return counters_.size() - 1;
}

double Ledger::total_energy_pj() const {
  double e = 0;
  for (const auto& c : counters_) e += c.energy_pj();
  return e;
}

double Ledger::energy_pj_of_event(const std::string& event) const {
  double e = 0;
  for (const auto& c : counters_)
    if (c.event == event) e += c.energy_pj();
  return e;
}

double Ledger::energy_pj_of_module(const std::string& module_prefix) const {
  double e = 0;
  for (const auto& c : counters_)
    if (c.module.compare(0, module_prefix.size(), module_prefix) == 0) e += c.energy_pj();
  return e;
}

void Ledger::reset() {
  for (auto& c : counters_) c.count = c.integrated_pj = 0.0;
}

Ledger Ledger::minus(const Ledger& other) const {
  Ledger d = *this;
  for (const auto& c : other.counters_) {
    const Handle h = d.counter(c.module, c.event, c.energy_per_event_pj);
    d.counters_[h].count -= c.count;
    d.counters_[h].integrated_pj -= c.integrated_pj;
  }
  return d;
}

void Ledger::add_all(const Ledger& other) {
  for (const auto& c : other.counters_) {
    const Handle h = counter(c.module, c.event, c.energy_per_event_pj);
    counters_[h].count += c.count;
    counters_[h].integrated_pj += c.integrated_pj;
  }
}

void Ledger::restore(const nlohmann::json& record) {
  reset();
  for (const auto& c : record.at("counters")) {
    const Handle h = counter(c.at("module").get<std::string>(), c.at("event").get<std::string>(),
                             c.at("energy_per_event_pj").get<double>());
    counters_[h].count = c.at("count").get<double>();
    counters_[h].integrated_pj = c.at("integrated_pj").get<double>();
    require(std::isfinite(counters_[h].count) && counters_[h].count >= 0 && std::isfinite(counters_[h].integrated_pj) &&
                counters_[h].integrated_pj >= 0,
            "ledger record: counter {}/{} holds count {} and energy {} pJ; both must be finite and not negative",
            c.at("module").get<std::string>(), c.at("event").get<std::string>(), counters_[h].count,
            counters_[h].integrated_pj);
  }
}

nlohmann::json Ledger::to_json() const {
  nlohmann::json j;
  j["total_energy_pj"] = total_energy_pj();
  auto& list = j["counters"] = nlohmann::json::array();
  std::map<std::string, double> by_event;
  for (const auto& c : counters_) {
    list.push_back({{"module", c.module},
                    {"event", c.event},
                    {"count", c.count},
                    {"energy_per_event_pj", c.energy_per_event_pj},
                    {"integrated_pj", c.integrated_pj},
                    {"energy_pj", c.energy_pj()}});
    by_event[c.event] += c.energy_pj();
  }
  j["by_event"] = by_event;
  return j;
}

std::string Ledger::table() const {
  const double total = total_energy_pj();
  std::string s = fmt::format("{:<32} {:<20} {:>14} {:>12} {:>14} {:>7}\n", "module", "event", "count",
                              "pJ/event", "energy_pj", "share");
  for (const auto& c : counters_) {
    const double e = c.energy_pj();
    s += fmt::format("{:<32} {:<20} {:>14.6g} {:>12.4g} {:>14.6g} {:>6.1f}%\n", c.module, c.event, c.count,
                     c.energy_per_event_pj, e, total > 0 ? 100.0 * e / total : 0.0);
  }
  s += fmt::format("{:<32} {:<20} {:>14} {:>12} {:>14.6g} {:>6.1f}%\n", "total", "", "", "", total,
                   total > 0 ? 100.0 : 0.0);
  return s;
}

}  // namespace mortal::hw
