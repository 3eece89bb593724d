#include "sim/cli.h"

#include <iostream>

#include "core/error.h"

namespace mortal {

void add_run_options(CLI::App& app, RunOptions& run, const std::string& default_out) {
  run.out = default_out;
  app.add_option("--seed", run.seed, "Seed of every random number in the run")->capture_default_str();
  app.add_option("--out", run.out, "Results file (JSON), written atomically")->capture_default_str();
  app.set_config("--config", "", "Read options from a file of `name = value` lines; the command line wins");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.option_defaults()->always_capture_default();
}

bool parse_command_line(CLI::App& app, int argc, char** argv, int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return false;
  }
  exit_code = 0;
  return true;
}

namespace {

nlohmann::json options_json(const CLI::App& app, bool as_given) {
  nlohmann::json j = nlohmann::json::object();
  for (const CLI::Option* opt : app.get_options()) {
    const std::string name = opt->get_single_name();
    if (name.empty() || name == "help" || name == "config") continue;
    const bool given = as_given && opt->count() > 0;
    if (opt->get_expected_min() == 0) {  // a flag
      j[name] = given;
      continue;
    }
    std::string text;
    if (given) {
      const auto& r = opt->results();
      for (std::size_t i = 0; i < r.size(); ++i) text += (i ? "," : "") + r[i];
    } else {
      text = opt->get_default_str();
    }
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_number() || value.is_boolean())
      j[name] = value;
    else
      j[name] = text;
  }
  return j;
}

}  // namespace

nlohmann::json options_to_json(const CLI::App& app) { return options_json(app, true); }

nlohmann::json option_defaults(const CLI::App& app) { return options_json(app, false); }

}  // namespace mortal
