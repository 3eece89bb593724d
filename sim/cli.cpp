#include "sim/cli.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace mortal {
namespace {

// A seed is a plain decimal integer in [0, 2^64): "-1" or "1e23" would otherwise wrap or saturate to
// 2^64 - 1, and two runs would share a seed while their records said otherwise.
std::string check_seed(const std::string& text) {
  if (text.empty() || text.size() > 20) return "a seed is a whole number from 0 to 18446744073709551615, got '" + text + "'";
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return "a seed is a whole number from 0 to 18446744073709551615, got '" + text + "'";
  if (text.size() == 20 && text > "18446744073709551615") return "seed " + text + " is larger than 2^64 - 1";
  return {};
}

// Whether `text` is the text of an empty list: nothing, or "[]".
bool empty_list(const std::string& text) { return text.empty() || text == "[]"; }

// A comma-separated value's elements, each non-empty: "100,,100" is a typing slip, not the list 100,100
// (which CLI11 would make of it, dropping empty pieces).
std::string empty_element(const CLI::Option* opt, const std::string& value) {
  if (opt == nullptr || opt->get_delimiter() != ',' || empty_list(value)) return {};
  if (value.front() == ',' || value.back() == ',' || value.find(",,") != std::string::npos)
    return "'" + value + "' has an empty element in its comma-separated list";
  return {};
}

// Whether a list option's default is the empty list.
bool empty_by_default(const CLI::Option* opt) {
  return empty_list(opt->get_default_str());
}

// A JSON value as the text one command-line argument would carry.
std::string as_argument(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The config file named on the command line, if any.
std::string config_path(const CLI::App& app) {
  const CLI::Option* opt = app.get_config_ptr();
  if (opt == nullptr || opt->count() == 0 || opt->results().empty()) return {};
  return opt->results().back();
}

// The first line of `path` (1-based) that `matches`, or 0.
template <typename Match>
int first_line(const std::string& path, const Match& matches) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (matches(line)) return n;
  }
  return 0;
}

// The line of `path` that sets option `name` (1-based), or 0.
int line_of(const std::string& path, const std::string& name) {
  const int line = first_line(path, [&name](const std::string& text) {
    const std::size_t a = text.find_first_not_of(" \t");
    if (a == std::string::npos || text.compare(a, name.size(), name) != 0) return false;
    const std::size_t b = text.find_first_not_of(" \t", a + name.size());
    return (b != std::string::npos && (text[b] == '=' || text[b] == ':')) || text[b == std::string::npos ? a : b] == '"';
  });
  if (line > 0) return line;
  // A JSON file: the key in quotes.
  return first_line(path, [&name](const std::string& text) { return text.find("\"" + name + "\"") != std::string::npos; });
}

// The line of `path` that opens TOML section `name` (1-based), or 0.
int line_of_section(const std::string& path, const std::string& name) {
  return first_line(path, [&name](const std::string& text) {
    const std::size_t a = text.find_first_not_of(" \t");
    return a != std::string::npos && text.compare(a, name.size() + 2, "[" + name + "]") == 0;
  });
}

// The number of single-character insertions, deletions and substitutions that turn `a` into `b`.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The option of `app` a config file's key names, as CLI11 looks it up, or null.
const CLI::Option* option_named(const CLI::App& app, const std::string& name) {
  const CLI::Option* opt = app.get_option_no_throw("--" + name);
  if (opt == nullptr && name.size() == 1) opt = app.get_option_no_throw("-" + name);
  return opt != nullptr ? opt : app.get_option_no_throw(name);
}

// The option name of `app` nearest to `name`, if one is near enough to be a slip ("epoch" for "epochs",
// "weight_cost" for "weight-cost"): at most two letters differ, or a third of a longer name's.
std::string nearest_option(const CLI::App& app, const std::string& name) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& candidate : opt->get_lnames()) {
      if (candidate == "help") continue;
      const std::size_t d = edit_distance(name, candidate);
      if (d < best_d) {
        best = candidate;
        best_d = d;
      }
    }
  return best;
}

// Config files in TOML/INI (CLI11's reader), or JSON: a flat object of options, or a results file, whose
// "config" record replays the run. Of a results file, the options that only say how that run was invoked
// (resume, stop after an epoch) are left out: replaying it starts the experiment anew.
class TomlOrJsonConfig : public CLI::ConfigTOML {
 public:
  explicit TomlOrJsonConfig(const CLI::App& app) : app_(app) {}

  // Lists the command line empties ("" or "[]"): the config file's value of them is left out too.
  void emptied(std::set<const CLI::Option*> options) { emptied_ = std::move(options); }

  // Option `name` and option `other` (with `prefix`, only the elements of list option `other` that begin
  // with it) are one setting: see alias_options.
  void alias(const CLI::Option* name, const CLI::Option* other, const std::string& prefix) {
    aliases_.push_back({name, other, prefix});
  }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items = read(input);
    std::vector<CLI::ConfigItem> kept;
    for (CLI::ConfigItem& item : items) {
      // CLI11's own word for an unknown key is "INI was not able to parse KEY": say where and what instead.
      if (!item.parents.empty() || option_named(app_, item.name) == nullptr) throw CLI::ConfigError(unknown(item));
      if (!keep_under_aliases(item) || emptied_.count(option_named(app_, item.name)) > 0) continue;
      const CLI::Option* opt = app_.get_option_no_throw("--" + item.name);
      const bool list = opt != nullptr && opt->get_expected_max() > 1;
      bool empty = true;
      for (const std::string& in : item.inputs) empty = empty && empty_list(in);
      if (list && empty) {
        // An empty list: the value of an option whose default is the empty list (no overrides, no chosen
        // layers), which the option keeps; any other list option needs its elements.
        if (empty_by_default(opt)) continue;
        throw CLI::ConfigError(fmt::format("--{}: an empty list is not a value this option takes", item.name));
      }
      if (list)
        for (const std::string& in : item.inputs)
          if (const std::string why = empty_element(opt, in); !why.empty()) throw CLI::ValidationError("--" + item.name, why);
      kept.push_back(std::move(item));
    }
    return kept;
  }

 private:
  struct Alias {
    const CLI::Option* name;
    const CLI::Option* other;
    std::string prefix;  // of the elements of `other` that are the setting; empty: all of `other`
  };
  const CLI::App& app_;
  std::vector<Alias> aliases_;
  std::set<const CLI::Option*> emptied_;

  static bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

  // Whether the command line gives `other`'s side of `a`. The config file is read after the command line
  // and before anything else sets an option, so what an option holds now came from the command line.
  static bool given_other(const Alias& a) {
    if (a.other->count() == 0) return false;
    if (a.prefix.empty()) return true;
    for (const std::string& r : a.other->results())
      if (starts_with(r, a.prefix)) return true;
    return false;
  }

  // Leaves out of config `item` what the command line gives under another name (a replayed run records both
  // names of an aliased setting; the command line's one must win over either); false if nothing is left.
  bool keep_under_aliases(CLI::ConfigItem& item) const {
    const CLI::Option* opt = option_named(app_, item.name);
    for (const Alias& a : aliases_) {
      if (opt == a.name && given_other(a)) return false;
      if (opt == a.other && a.name->count() > 0) {
        if (a.prefix.empty()) return false;
        auto& in = item.inputs;
        in.erase(std::remove_if(in.begin(), in.end(), [&](const std::string& v) { return starts_with(v, a.prefix); }),
                 in.end());
        if (in.empty()) return false;
      }
    }
    return true;
  }

  // "FILE:LINE: unknown option 'epoch' (did you mean 'epochs'?)": the file and line as far as they are known.
  std::string unknown(const CLI::ConfigItem& item) const {
    const std::string path = config_path(app_);
    // A TOML section: CLI11 opens one with an item "++" and closes it with "--". A dotted key is a name in
    // a section too.
    const bool section = item.name == "++" || item.name == "--";
    const std::string name = section ? fmt::format("{}", fmt::join(item.parents, ".")) : item.fullname();
    const int line = path.empty() ? 0 : section ? line_of_section(path, name) : line_of(path, name);
    const std::string place = path.empty() ? "" : line > 0 ? fmt::format("{}:{}: ", path, line) : path + ": ";
    if (section)
      return fmt::format("{}section [{}]: options are `name = value` lines outside any section", place, name);
    const std::string near = nearest_option(app_, name);
    return fmt::format("{}unknown option '{}'{}", place, name,
                       near.empty() ? std::string(" (--help lists the options)")
                                    : fmt::format(" (did you mean '{}'?)", near));
  }

  std::vector<CLI::ConfigItem> read(std::istream& input) const {
    std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
    if (input.bad()) throw CLI::ConfigError("cannot read it (is it a directory?)");
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '{') {
      std::istringstream toml(text);
      return CLI::ConfigTOML::from_config(toml);
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw CLI::ConfigError(fmt::format("not valid JSON (byte {}): {}", e.byte, e.what()));
    }
    const bool record = j.contains("scenario") && j.contains("config");
    const nlohmann::json& options = record ? j.at("config") : j;
    if (!options.is_object()) throw CLI::ConfigError("a JSON config is an object of options");
    std::vector<CLI::ConfigItem> items;
    for (const auto& [key, value] : options.items()) {
      if (record && (key == "resume" || key == "stop-after-epoch")) continue;
      CLI::ConfigItem item;
      item.name = key;
      if (value.is_array()) {
        for (const auto& e : value) {
          if (e.is_object() || e.is_array() || e.is_null())
            throw CLI::ConfigError(fmt::format("option '{}': a list of plain values expected, got {}", key, value.dump()));
          item.inputs.push_back(as_argument(e));
        }
      } else if (value.is_object() || value.is_null()) {
        throw CLI::ConfigError(fmt::format("option '{}': a plain value expected, got {}", key, value.dump()));
      } else {
        item.inputs.push_back(as_argument(value));
      }
      items.push_back(std::move(item));
    }
    return items;
  }
};

// "FILE:LINE: " for an error about option --name that came from the config file, or "FILE: ".
std::string config_place(const CLI::App& app, const std::string& message) {
  const std::string path = config_path(app);
  if (path.empty()) return {};
  std::size_t at = message.find("--");
  while (at != std::string::npos) {
    std::size_t end = at + 2;
    while (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-' ||
                                    message[end] == '_'))
      ++end;
    const std::string name = message.substr(at + 2, end - at - 2);
    const CLI::Option* opt = name.empty() ? nullptr : app.get_option_no_throw("--" + name);
    if (opt != nullptr) {
      const int line = line_of(path, name);
      return line > 0 ? fmt::format("{}:{}: ", path, line) : std::string();
    }
    at = message.find("--", end);
  }
  return path + ": ";
}

// The arguments of the command line CLI11 is to read, after checking what it would take without a word:
// empty elements of comma-separated values ("100,,100"); a comma-separated list given twice, whose two
// uses it would join into one list; and "" or "[]", which it would read as the list [0] or [""]. "" or
// "[]" empties a list whose default is empty (and overrides the config file's value of it); it is refused
// for any other list. The lists emptied are put into `emptied`.
std::vector<char*> checked_arguments(const CLI::App& app, int argc, char** argv,
                                     std::set<const CLI::Option*>& emptied) {
  std::vector<char*> kept{argv[0]};
  std::map<const CLI::Option*, std::vector<std::string>> given;  // each list's values, use by use
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    kept.push_back(argv[i]);
    if (arg.rfind("--", 0) != 0) continue;
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr || opt->get_expected_max() <= 1) continue;
    std::vector<std::string> values;
    int last = i;
    if (eq != std::string::npos) {
      values.push_back(arg.substr(eq + 1));
    } else {
      for (int j = i + 1; j < argc && std::string(argv[j]).rfind("-", 0) != 0; ++j) {
        values.emplace_back(argv[j]);
        last = j;
      }
    }
    for (const std::string& value : values)
      if (const std::string why = empty_element(opt, value); !why.empty()) throw CLI::ValidationError(name, why);
    std::vector<std::string>& uses = given[opt];
    if (opt->get_delimiter() == ',' && !uses.empty())
      throw CLI::ValidationError(name, fmt::format("given twice on the command line ({} and {}): give the list once, "
                                                   "its elements comma-separated",
                                                   uses.front(), fmt::join(values, " ")));
    uses.push_back(fmt::format("{}", fmt::join(values, " ")));
    const bool empty = values.size() == 1 && empty_list(values[0]);
    if (!empty) continue;
    if (!empty_by_default(opt))
      throw CLI::ValidationError(name, fmt::format("an empty list ('{}') is not a value this option takes", values[0]));
    emptied.insert(opt);
    kept.pop_back();  // the option and its value are left out: the list keeps its empty default
    i = last;
  }
  for (const CLI::Option* opt : emptied)
    if (given[opt].size() > 1)
      throw CLI::ValidationError(opt->get_name(), "an empty list is given beside other values of it");
  return kept;
}

}  // namespace

void add_validation_seed_option(CLI::App& app, std::uint64_t& validation_seed, const std::string& group) {
  app.add_option("--validation-seed", validation_seed,
                 "Seed of the validation split alone (not --seed): every run with the same one holds out the same "
                 "images (with --train-limit, from the run seed's subset)")
      ->check(CLI::Validator(check_seed, "UINT", "seed"))
      ->group(group);
}

void add_run_options(CLI::App& app, RunOptions& run, const std::string& default_out) {
  run.out = default_out;
  app.add_option("--seed", run.seed, "Seed of every random number in the run (0 to 2^64 - 1)")
      ->check(CLI::Validator(check_seed, "UINT", "seed"))
      ->capture_default_str()
      ->group("Run");
  app.add_option("--out", run.out, "Results file (JSON), written atomically")->capture_default_str()->group("Output");
  app.add_flag("--force", run.force, "Replace a finished results file at --out (otherwise refused)")->group("Output");
  app.config_formatter(std::make_shared<TomlOrJsonConfig>(app));
  app.set_config("--config", "",
                 "Read options from a file: `name = value` lines (TOML or INI), a JSON object, or a results "
                 "file, whose recorded configuration replays that run; the command line wins")
      ->group("Run");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.option_defaults()->always_capture_default();
}

void alias_options(CLI::App& app, const std::string& name, const std::string& other, const std::string& prefix) {
  const auto config = std::dynamic_pointer_cast<TomlOrJsonConfig>(app.get_config_formatter());
  if (config == nullptr) return;  // no config file is read: the command line alone sets the options
  const CLI::Option* a = app.get_option_no_throw("--" + name);
  const CLI::Option* b = app.get_option_no_throw("--" + other);
  require(a != nullptr && b != nullptr && a != b, "alias_options: --{} and --{} are not two options", name, other);
  require(prefix.empty() || b->get_expected_max() > 1, "alias_options: --{} is not a list", other);
  config->alias(a, b, prefix);
}

void add_dry_run_option(CLI::App& app, RunOptions& run) {
  app.add_flag("--dry-run", run.dry_run,
               "Print the resolved configuration (every option with the value the run would use) and exit, "
               "without reading data or training")
      ->group("Run");
}

void print_resolved_config(const nlohmann::json& config) { fmt::print("{}\n", config.dump(2)); }

void group_options_since(CLI::App& app, std::size_t from, const std::string& group) {
  const std::vector<CLI::Option*> all = app.get_options();
  for (std::size_t i = from; i < all.size(); ++i)
    if (all[i]->get_group() == "Options") all[i]->group(group);
}

void list_option(CLI::Option* opt, bool comma_separated) {
  if (comma_separated) opt->delimiter(',');
}

std::string default_data_dir() {
  const char* env = std::getenv("MORTAL_DATA");
  return env != nullptr && *env != '\0' ? std::string(env) : source_data_dir();
}

void require_limit(const char* option, int limit, int available, const char* what) {
  require(limit <= available, "{} {} is more than the {} {} there are (0: all)", option, limit, available, what);
}

bool parse_command_line(CLI::App& app, int argc, char** argv, int& exit_code) {
  try {
    std::set<const CLI::Option*> emptied;
    std::vector<char*> args = checked_arguments(app, argc, argv, emptied);
    if (const auto config = std::dynamic_pointer_cast<TomlOrJsonConfig>(app.get_config_formatter()))
      config->emptied(emptied);
    app.parse(int(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    exit_code = app.exit(e);
    return false;
  } catch (const CLI::CallForAllHelp& e) {
    exit_code = app.exit(e);
    return false;
  } catch (const CLI::ExtrasError& e) {
    // Every unknown option on the command line named, with the nearest known one ("--epoch": "--epochs"?).
    std::string named;
    for (const std::string& arg : app.remaining()) {
      if (arg.rfind("--", 0) != 0 || arg.size() == 2) continue;
      const std::string name = arg.substr(2, arg.find('=') - 2), near = nearest_option(app, name);
      named += fmt::format("{}: error: unknown option '--{}'{}\n", app.get_name(), name,
                          near.empty() ? " (--help lists the options)" : fmt::format(" (did you mean '--{}'?)", near));
    }
    if (named.empty()) {
      exit_code = app.exit(e);
    } else {
      std::cerr << named;
      exit_code = e.get_exit_code() != 0 ? e.get_exit_code() : 1;
    }
    return false;
  } catch (const CLI::ParseError& e) {
    // An error from the config file names the file and, where it can be found, the line (unless the
    // message begins with them already).
    const std::string path = config_path(app), message = e.what();
    const bool placed = !path.empty() && message.rfind(path + ":", 0) == 0;
    const std::string place = placed ? std::string() : config_place(app, message);
    if (!placed && place.empty()) {
      exit_code = app.exit(e);
    } else {
      std::cerr << app.get_name() << ": error: " << place << e.what() << "\n";
      exit_code = e.get_exit_code() != 0 ? e.get_exit_code() : 1;
    }
    return false;
  }
  exit_code = 0;
  return true;
}

namespace {

bool is_flag(const CLI::Option* opt) { return opt->get_expected_max() == 0; }

// An option's value as a typed JSON value: numbers and booleans as such, the rest as text.
nlohmann::json typed(const std::string& text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_number() || value.is_boolean()) return value;
  return text;
}

nlohmann::json options_json(const CLI::App& app, bool as_given) {
  nlohmann::json j = nlohmann::json::object();
  for (const CLI::Option* opt : app.get_options()) {
    const std::string name = opt->get_single_name();
    if (name.empty() || name == "help" || name == "config" || name == "dry-run") continue;
    const bool given = as_given && opt->count() > 0;
    if (is_flag(opt)) {
      // The value the run used: `--flag=false` and `flag = false` set false.
      j[name] = given ? opt->as<bool>() : typed(opt->get_default_str()) == true;
      continue;
    }
    const bool list = opt->get_expected_max() > 1;
    if (given) {
      const auto& r = opt->results();
      if (list) {
        nlohmann::json a = nlohmann::json::array();
        for (const std::string& s : r)
          if (s != "{}") a.push_back(typed(s));
        j[name] = a;
      } else {
        j[name] = typed(r.empty() ? std::string() : r.back());
      }
      continue;
    }
    const std::string text = opt->get_default_str();
    if (list) {
      // CLI11 shows a vector's default as "[a,b]" (or a single "a").
      nlohmann::json a = nlohmann::json::array();
      std::string inner = text;
      if (!inner.empty() && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
      std::size_t start = 0;
      while (!inner.empty() && start <= inner.size()) {
        const std::size_t comma = inner.find(',', start);
        a.push_back(typed(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      j[name] = a;
    } else {
      j[name] = typed(text);
    }
  }
  return j;
}

}  // namespace

nlohmann::json options_to_json(const CLI::App& app) { return options_json(app, true); }

nlohmann::json option_defaults(const CLI::App& app) { return options_json(app, false); }

void parse_recorded_options(CLI::App& app, const nlohmann::json& recorded, const std::string& source) {
  require(recorded.is_object(), "{}: the recorded options are not an object", source);
  const auto text = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  std::vector<std::string> args;
  for (const auto& [key, value] : recorded.items()) {
    const CLI::Option* opt = app.get_option_no_throw("--" + key);
    if (opt == nullptr || key == "config") continue;
    if (value.is_string() && value.get<std::string>().empty()) {
      // "--x=" would take the next argument as its value: an empty text is given as its own argument.
      args.push_back("--" + key);
      args.push_back("");
    } else if (!value.is_array()) {
      args.push_back(fmt::format("--{}={}", key, text(value)));
    } else if (opt->get_delimiter() == ',') {
      std::string joined;
      for (const auto& e : value) joined += (joined.empty() ? "" : ",") + text(e);
      if (!joined.empty()) args.push_back(fmt::format("--{}={}", key, joined));
    } else {
      for (const auto& e : value) args.push_back(fmt::format("--{}={}", key, text(e)));
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw Error(fmt::format("{}: a recorded option does not parse: {}", source, e.what()));
  }
}

}  // namespace mortal
