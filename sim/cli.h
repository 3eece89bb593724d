#pragma once
// The options every scenario binary shares: --seed, --out, --force, --config FILE (the same options as
// `name = value` lines, TOML or INI, or JSON, or a results file to replay; the command line wins), --help.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <type_traits>

namespace mortal {

struct RunOptions {
  std::uint64_t seed = 1;
  std::string out;     // results JSON path
  bool force = false;  // replace a finished results file at `out`
  bool dry_run = false;  // print the resolved configuration and exit (add_dry_run_option)
};

// Adds the shared options to `app`; `default_out` is the results path when --out is not given.
void add_run_options(CLI::App& app, RunOptions& run, const std::string& default_out);

// Adds --validation-seed to `group`: the held-out images a validation split draws depend on this seed alone,
// not on --seed, so runs of other settings or seeds (a sweep's points and replicas) are measured on the same
// images.
void add_validation_seed_option(CLI::App& app, std::uint64_t& validation_seed, const std::string& group);

// Declares --name and --other two names of one setting, as separate options (an option renamed whose old
// name still means something else in another kind of run: ff_mnist's --momentum is analog momentum in situ,
// SGD momentum in a digital run): a value given on the command line under either wins over the config
// file's value under the other, as it wins over the config file's under its own (a replayed run records
// both). With `prefix`, the setting is the elements of list option --other that begin with it
// (--weight-copies N and --hw weight_copies=N). Two names of one option ("--optimiser,--optimizer") need
// nothing of this: the command line's value wins under either. Of an app without add_run_options (no config
// file read), nothing.
void alias_options(CLI::App& app, const std::string& name, const std::string& other, const std::string& prefix = "");

// Adds --dry-run: the scenario prints its resolved configuration (print_resolved_config) and exits 0,
// without reading data or training. Only a scenario that honours it adds it.
void add_dry_run_option(CLI::App& app, RunOptions& run);
// Prints `config`, every option with the value the run would use (defaults of the run's kind applied), as
// one JSON object: what `--config` reads back.
void print_resolved_config(const nlohmann::json& config);

// Puts the options `app` gained since it had `from` options, those still in CLI11's default group, in
// `group` (a heading of --help).
void group_options_since(CLI::App& app, std::size_t from, const std::string& group);

// Makes `opt` a list, comma-separated (or, without `comma_separated`, one element per use), whose elements
// may not be empty: "100,,100" is refused. In a config file `[]` leaves a list whose default is empty as
// it is.
void list_option(CLI::Option* opt, bool comma_separated = true);

// Refuses a limit (--train-limit, --test-limit, ...) above what the data holds: clamping it silently
// would record a run on more data than it had.
void require_limit(const char* option, int limit, int available, const char* what);

// The default --data: the folder the environment variable MORTAL_DATA names, else source_data_dir().
std::string default_data_dir();
// The MNIST folder scripts/setup.sh fills, in the source tree this binary was built from.
std::string source_data_dir();

// Parses argv. On --help prints it and returns 0 through `exit_code`; on an error prints the message
// naming the option (and, for a value from the config file, the file and line) and returns false with a
// non-zero `exit_code`.
bool parse_command_line(CLI::App& app, int argc, char** argv, int& exit_code);

// Every option of `app` with the value the run used (given or default): numbers and booleans as JSON
// numbers and booleans (a flag given as `--flag=false` is false), lists as arrays: the full configuration
// of a run, for its results file, which `--config` reads back.
nlohmann::json options_to_json(const CLI::App& app);
// The same keys with every option at its default (flags false): what options_to_json gives for a command
// line that sets nothing.
nlohmann::json option_defaults(const CLI::App& app);

// Gives `field` the value `value` unless the run was given --option (on the command line or in its config
// file), and records the value in `config` as the run uses it (a number as it is written: 0.004, not
// float's 0.0040000002).
template <typename T>
void default_unless_given(const CLI::App& app, nlohmann::json& config, const std::string& option, T& field,
                          const T& value) {
  if (app.count("--" + option) > 0) return;
  field = value;
  if constexpr (std::is_arithmetic_v<T>)
    config[option] = nlohmann::json::parse(fmt::format("{}", value));
  else
    config[option] = value;
}

// Sets the options of `app` that `recorded` (an options_to_json record, e.g. a checkpoint's fingerprint)
// names, as the command line would; keys `app` has no option for are left out. An impossible value is an
// Error naming `source`, the option and the value.
void parse_recorded_options(CLI::App& app, const nlohmann::json& recorded, const std::string& source);

}  // namespace mortal
