#include "sim/hw_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/error.h"

namespace mortal::hw {

NLOHMANN_JSON_SERIALIZE_ENUM(ReadNoiseMode, {{ReadNoiseMode::column_sum, "column_sum"},
                                             {ReadNoiseMode::per_device, "per_device"}})
NLOHMANN_JSON_SERIALIZE_ENUM(UpdateMode, {{UpdateMode::sampled_counts, "sampled_counts"},
                                          {UpdateMode::pulse_by_pulse, "pulse_by_pulse"}})
NLOHMANN_JSON_SERIALIZE_ENUM(UpdateKind, {{UpdateKind::pulsed, "pulsed"}, {UpdateKind::exact, "exact"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProgNoisePoly, c0_us, c1_us, c2_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AnalogParams, gain_dtod, offset_dtod, noise, t_op_ns)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ConverterParams, quantize, bits, range, analog)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(UpdateParams, kind, mode, bl, update_management)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProgramParams, max_iterations, tolerance)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TimingParams, t_dac_ns, t_read_ns, t_adc_ns, columns_per_adc, t_pulse_ns,
                                   t_program_ns)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EnergyParams, adc_conversion_pj, dac_conversion_pj, pulse_pj, periphery_op_pj,
                                   fp32_mac_pj, sram_read_64bit_pj, dram_access_64bit_pj)

// The pulsed response is a variant: {"kind": the struct's kind, then every kind's parameters}. Each kind
// writes its own and the others' at their defaults (the gammas are 0 unless linear_step), so that a path
// such as device.response.gamma_up exists whatever the kind (--hw can switch the kind and set its parameters
// together); a kind reads its own.
void to_json(nlohmann::json& j, const ConstantStep&) { j = nlohmann::json::object(); }
void from_json(const nlohmann::json&, ConstantStep&) {}
void to_json(nlohmann::json& j, const SoftBounds&) { j = nlohmann::json::object(); }
void from_json(const nlohmann::json&, SoftBounds&) {}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LinearStep, gamma_up, gamma_down)

namespace {
// The kinds' names, for the message refusing another one.
template <std::size_t... I>
std::string response_kinds(std::index_sequence<I...>) {
  const std::vector<std::string> kinds = {std::variant_alternative_t<I, UpdateResponse>::kind...};
  std::string all;
  for (std::size_t k = 0; k < kinds.size(); ++k)
    all += (k == 0 ? "" : k + 1 == kinds.size() ? " or " : ", ") + kinds[k];
  return all;
}
// The alternative of r named `kind`, read from j, from the I-th on.
template <std::size_t I = 0>
void response_of_kind(const nlohmann::json& j, const std::string& kind, UpdateResponse& r) {
  if constexpr (I < std::variant_size_v<UpdateResponse>) {
    using Kind = std::variant_alternative_t<I, UpdateResponse>;
    if (kind == Kind::kind)
      r = j.get<Kind>();
    else
      response_of_kind<I + 1>(j, kind, r);
  } else {
    fail("device.response.kind must be {}, got '{}'",
         response_kinds(std::make_index_sequence<std::variant_size_v<UpdateResponse>>{}), kind);
  }
}
// Every kind's parameters at their defaults, in one record.
template <std::size_t... I>
nlohmann::json every_kind_default(std::index_sequence<I...>) {
  nlohmann::json all = nlohmann::json::object();
  (all.update(nlohmann::json(std::variant_alternative_t<I, UpdateResponse>{})), ...);
  return all;
}
}  // namespace

void to_json(nlohmann::json& j, const UpdateResponse& r) {
  j = every_kind_default(std::make_index_sequence<std::variant_size_v<UpdateResponse>>{});
  std::visit(
      [&j](const auto& response) {
        j.update(nlohmann::json(response));
        j["kind"] = response.kind;
      },
      r);
}
void from_json(const nlohmann::json& j, UpdateResponse& r) {
  response_of_kind(j, j.at("kind").get<std::string>(), r);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeviceParams, name, g_min_us, g_max_us, w_min, w_max, w_bounds_dtod, n_states,
                                   response, dw_min, dw_min_dtod, dw_min_c2c, up_down, up_down_dtod,
                                   prog_noise_scale, prog_noise, read_noise_rel, read_noise_1f, t_read_1f_ns, drift,
                                   drift_t0_s, drift_pcm_nu, drift_nu, drift_nu_dtod, charge_sharing, share_noise,
                                   stuck_gmin_rate, stuck_gmax_rate, stuck_per_day)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LayerScale, w_scale, input_range, output_range)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CrossbarParams, device, max_rows, max_cols, w_scale, v_read_v, dac, adc,
                                   adc_per_tile, out_noise, read_noise_mode, ir_drop_ohm, pulse_gen, update, program,
                                   timing)

}  // namespace mortal::hw

namespace mortal {

nlohmann::json hw_to_json(const hw::ChipParams& chip, const hw::EnergyParams& energy) {
  nlohmann::json j = {{"crossbar", chip.crossbar},   {"relu", chip.relu},     {"normaliser", chip.normaliser},
                      {"goodness", chip.goodness},   {"sigmoid", chip.sigmoid}, {"scales", chip.scales},
                      {"weight_copies", chip.weight_copies}, {"sync_quantum_ns", chip.sync_quantum_ns},
                      {"energy", energy}};
  // The damping stages only on a chip that has them (the recurrent net's).
  if (chip.damping_stage) j["damping"] = chip.damping;
  // The second arrays' crossbar only when it is another device's.
  if (!chip.second_device.empty()) {
    j["second_device"] = chip.second_device;
    j["second"] = chip.second;
  }
  return j;
}

void hw_from_json(const nlohmann::json& j, hw::ChipParams& chip, hw::EnergyParams& energy) {
  j.at("crossbar").get_to(chip.crossbar);
  j.at("relu").get_to(chip.relu);
  j.at("normaliser").get_to(chip.normaliser);
  j.at("goodness").get_to(chip.goodness);
  j.at("sigmoid").get_to(chip.sigmoid);
  j.at("scales").get_to(chip.scales);
  j.at("sync_quantum_ns").get_to(chip.sync_quantum_ns);
  chip.weight_copies = j.value("weight_copies", 1);  // results written before it existed: one
  j.at("energy").get_to(energy);
  chip.damping_stage = j.contains("damping");
  if (chip.damping_stage) j.at("damping").get_to(chip.damping);
  chip.second_device = j.value("second_device", std::string());
  if (!chip.second_device.empty()) j.at("second").get_to(chip.second);
}

namespace {

const char* kind_of(const nlohmann::json& v) {
  if (v.is_boolean()) return "true or false";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a name";
  if (v.is_array()) return "a list of numbers (comma-separated)";
  return "an object";
}

// The value text as the JSON kind the parameter has now.
nlohmann::json parse_value(const std::string& setting, const std::string& text, const nlohmann::json& now) {
  nlohmann::json v;
  if (now.is_string()) {
    v = text;
  } else if (now.is_array()) {
    v = nlohmann::json::parse("[" + text + "]", nullptr, false);
  } else {
    v = nlohmann::json::parse(text, nullptr, false);
  }
  const bool ok = !v.is_discarded() && ((now.is_boolean() && v.is_boolean()) || (now.is_number() && v.is_number()) ||
                                         now.is_string() || (now.is_array() && v.is_array()));
  require(ok, "hardware setting '{}': the value must be {}, got '{}'", setting, kind_of(now), text);
  if (now.is_number_integer() || now.is_number_unsigned())
    require(v.is_number_integer() || v.is_number_unsigned(), "hardware setting '{}': the value must be a whole number, got '{}'",
            setting, text);
  if (v.is_number()) check_finite(setting.c_str(), v.get<double>());
  return v;
}

}  // namespace

void apply_hw_overrides(hw::ChipParams& chip, hw::EnergyParams& energy, const std::vector<std::string>& settings) {
  nlohmann::json j = hw_to_json(chip, energy);
  std::vector<std::pair<std::string, nlohmann::json::json_pointer>> applied;
  for (const std::string& s : settings) {
    const auto eq = s.find('=');
    require(eq != std::string::npos && eq > 0, "hardware setting '{}' must read path=value, e.g. device.dw_min=0.002", s);
    std::string path = s.substr(0, eq);
    const std::string text = s.substr(eq + 1);
    const bool word_chars = std::all_of(path.begin(), path.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
    require(word_chars && path.front() != '.' && path.back() != '.' && path.find("..") == std::string::npos,
            "hardware setting '{}': a path is names joined by dots, e.g. device.dw_min", s);
    if (path.rfind("device.", 0) == 0) path = "crossbar." + path;
    std::string pointer;
    for (char c : path) pointer += c == '.' ? '/' : c;
    const nlohmann::json::json_pointer ptr("/" + pointer);
    require(j.contains(ptr) && !j.at(ptr).is_object(),
            "hardware setting '{}': no parameter '{}' (see the \"hardware\" section of a results file for every path)",
            s, path);
    j[ptr] = parse_value(s, text, j.at(ptr));
    applied.emplace_back(s, ptr);
  }
  // Built aside and validated whole: a refused setting leaves the parameters as they were.
  hw::ChipParams c = chip;
  hw::EnergyParams e = energy;
  try {
    hw_from_json(j, c, e);
  } catch (const nlohmann::json::exception& ex) {
    fail("hardware settings: {}", ex.what());
  }
  // A name the parameter does not know (an enum) would read back as another value.
  const nlohmann::json back = hw_to_json(c, e);
  for (const auto& [s, ptr] : applied)
    require(back.at(ptr) == j.at(ptr), "hardware setting '{}': not a value this parameter takes (e.g. {})", s,
            back.at(ptr).dump());
  c.validate();
  e.validate();
  chip = c;
  energy = e;
}

}  // namespace mortal
