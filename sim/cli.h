#pragma once
// The options every scenario binary shares: --seed, --out, --config FILE (the same options as
// `name = value` lines, TOML or INI; the command line wins), --help.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace mortal {

struct RunOptions {
  std::uint64_t seed = 1;
  std::string out;  // results JSON path
};

// Adds the shared options to `app`; `default_out` is the results path when --out is not given.
void add_run_options(CLI::App& app, RunOptions& run, const std::string& default_out);

// The MNIST folder scripts/setup.sh fills, in the source tree this binary was built from.
std::string default_data_dir();

// Parses argv. On --help prints it and returns 0 through `exit_code`; on an error prints the message
// naming the option and returns false with a non-zero `exit_code`.
bool parse_command_line(CLI::App& app, int argc, char** argv, int& exit_code);

// Every option of `app` with its value (given or default), numbers and booleans as JSON numbers and
// booleans: the full configuration of a run, for its results file.
nlohmann::json options_to_json(const CLI::App& app);
// The same keys with every option at its default (flags false): what options_to_json gives for a command
// line that sets nothing.
nlohmann::json option_defaults(const CLI::App& app);

}  // namespace mortal
