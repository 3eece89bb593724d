#include "sim/cli.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

using namespace mortal;

namespace {
struct Fixture {
  CLI::App app{"test"};
  RunOptions run;
  int epochs = 3;
  float lr = 0.1f;
  bool fast = false;
  Fixture() {
    add_run_options(app, run, "results/x.json");
    app.add_option("--epochs", epochs)->check(CLI::PositiveNumber);
    app.add_option("--lr", lr);
    app.add_flag("--fast", fast);
  }
  int parse(std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("prog")};
    for (auto& a : args) argv.push_back(a.data());
    int code = -1;
    parse_command_line(app, static_cast<int>(argv.size()), argv.data(), code);
    return code;
  }
};
}  // namespace

TEST_CASE("options come from a config file and the command line wins", "[cli]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.toml")) << "epochs = 7\nlr = 0.25\nseed = 11\n";
  Fixture f;
  REQUIRE(f.parse({"--config", dir.file("run.toml"), "--epochs", "9"}) == 0);
  CHECK(f.epochs == 9);
  CHECK(f.lr == 0.25f);
  CHECK(f.run.seed == 11);
  CHECK(f.run.out == "results/x.json");
}

TEST_CASE("an unknown option, on the command line or in a config file, is an error", "[cli]") {
  Fixture f;
  CHECK(f.parse({"--epoch", "9"}) != 0);
  test::TempDir dir;
  std::ofstream(dir.file("run.toml")) << "epoch = 7\n";
  Fixture g;
  CHECK(g.parse({"--config", dir.file("run.toml")}) != 0);
}

TEST_CASE("an impossible value is an error", "[cli]") {
  Fixture f;
  CHECK(f.parse({"--epochs", "-2"}) != 0);
  Fixture g;
  CHECK(g.parse({"--lr", "fast"}) != 0);
}

TEST_CASE("the run configuration lists every option with typed values", "[cli]") {
  Fixture f;
  REQUIRE(f.parse({"--lr", "0.5", "--fast"}) == 0);
  nlohmann::json j = options_to_json(f.app);
  CHECK(j["lr"] == 0.5);
  CHECK(j["epochs"] == 3);
  CHECK(j["fast"] == true);
  CHECK(j["seed"] == 1);
  CHECK(j["out"] == "results/x.json");
  CHECK_FALSE(j.contains("help"));
}

TEST_CASE("option defaults are the configuration of a command line that sets nothing", "[cli]") {
  Fixture given, none;
  REQUIRE(given.parse({"--epochs", "9", "--fast"}) == 0);
  REQUIRE(none.parse({}) == 0);
  const nlohmann::json defaults = option_defaults(given.app);
  CHECK(defaults == options_to_json(none.app));
  CHECK(defaults.at("epochs") == 3);
  CHECK(defaults.at("fast") == false);
  CHECK(options_to_json(given.app).at("epochs") == 9);
}

TEST_CASE("a flag set false, on the command line or in a config file, is recorded false", "[cli]") {
  test::TempDir dir;
  for (const std::string value : {"true", "false"}) {
    Fixture cmd;
    REQUIRE(cmd.parse({"--fast=" + value}) == 0);
    CHECK(cmd.fast == (value == "true"));
    CHECK(options_to_json(cmd.app).at("fast") == (value == "true"));
    std::ofstream(dir.file(value + ".toml")) << "fast = " << value << "\n";
    Fixture cfg;
    REQUIRE(cfg.parse({"--config", dir.file(value + ".toml")}) == 0);
    CHECK(cfg.fast == (value == "true"));
    CHECK(options_to_json(cfg.app).at("fast") == (value == "true"));
  }
  Fixture bare;
  REQUIRE(bare.parse({"--fast"}) == 0);
  CHECK(options_to_json(bare.app).at("fast") == true);
}

TEST_CASE("a seed is a whole number from 0 to 2^64 - 1: a negative, a float or a larger one is refused", "[cli]") {
  for (const char* bad : {"-1", "1e23", "18446744073709551616", "1.5", "0x10", ""}) {
    Fixture f;
    CHECK(f.parse({"--seed", bad}) != 0);
  }
  Fixture top;
  REQUIRE(top.parse({"--seed", "18446744073709551615"}) == 0);
  CHECK(top.run.seed == 18446744073709551615ull);
  CHECK(options_to_json(top.app).at("seed") == 18446744073709551615ull);
}

namespace {
struct ListFixture : Fixture {
  std::vector<int> layers = {1000, 1000};
  std::vector<std::string> extra;
  ListFixture() {
    list_option(app.add_option("--layers", layers));
    list_option(app.add_option("--extra", extra), false);
  }
};
}  // namespace

TEST_CASE("a list with an empty element is refused, an empty list is a value where allowed", "[cli]") {
  ListFixture slip;
  CHECK(slip.parse({"--layers", "100,,100"}) != 0);
  ListFixture trailing;
  CHECK(trailing.parse({"--layers", "100,"}) != 0);
  ListFixture joined;
  CHECK(joined.parse({"--layers=,100"}) != 0);
  test::TempDir slips;
  std::ofstream(slips.file("slip.toml")) << "layers = \"100,,100\"\n";
  ListFixture from_file;
  CHECK(from_file.parse({"--config", slips.file("slip.toml")}) != 0);
  ListFixture ok;
  REQUIRE(ok.parse({"--layers", "100,50", "--extra", "a=1,2", "--extra", "b=3"}) == 0);
  CHECK(ok.layers == std::vector<int>{100, 50});
  CHECK(ok.extra == std::vector<std::string>{"a=1,2", "b=3"});
  const nlohmann::json j = options_to_json(ok.app);
  CHECK(j.at("layers") == nlohmann::json::array({100, 50}));
  CHECK(j.at("extra") == nlohmann::json::array({"a=1,2", "b=3"}));
  const nlohmann::json d = option_defaults(ok.app);
  CHECK(d.at("layers") == nlohmann::json::array({1000, 1000}));
  CHECK(d.at("extra") == nlohmann::json::array());
  test::TempDir dir;
  std::ofstream(dir.file("empty.toml")) << "extra = []\nlayers = [30, 20]\n";
  ListFixture cfg;
  REQUIRE(cfg.parse({"--config", dir.file("empty.toml")}) == 0);
  CHECK(cfg.extra.empty());
  CHECK(cfg.layers == std::vector<int>{30, 20});
}

TEST_CASE("a comma-separated list given twice on the command line is refused, not joined into one", "[cli]") {
  ListFixture twice;
  CHECK(twice.parse({"--layers", "40,30,20", "--layers", "40,30,21"}) != 0);
  ListFixture spelled;
  CHECK(spelled.parse({"--layers=40,30", "--layers", "20"}) != 0);
  // A repeatable list (one element per use) gathers its uses, as its help says.
  ListFixture repeated;
  REQUIRE(repeated.parse({"--extra", "a=1", "--extra", "b=2", "--layers", "40,30"}) == 0);
  CHECK(repeated.extra == std::vector<std::string>{"a=1", "b=2"});
  CHECK(repeated.layers == std::vector<int>{40, 30});
  // The config file's value and one on the command line: the command line's, whole.
  test::TempDir dir;
  std::ofstream(dir.file("run.toml")) << "layers = [40, 30, 20]\n";
  ListFixture over;
  REQUIRE(over.parse({"--config", dir.file("run.toml"), "--layers", "50"}) == 0);
  CHECK(over.layers == std::vector<int>{50});
}

TEST_CASE("an empty value empties a list whose default is empty, over the config file, and is refused for any other", "[cli]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.toml")) << "extra = [\"a=1\", \"b=2\"]\nlayers = [40, 30]\n";
  for (const std::string empty : {"", "[]"}) {
    ListFixture cleared;
    REQUIRE(cleared.parse({"--config", dir.file("run.toml"), "--extra", empty}) == 0);
    CHECK(cleared.extra.empty());
    CHECK(cleared.layers == std::vector<int>{40, 30});
    CHECK(options_to_json(cleared.app).at("extra") == nlohmann::json::array());
    ListFixture spelled;
    REQUIRE(spelled.parse({"--config", dir.file("run.toml"), "--extra=" + empty, "--epochs", "4"}) == 0);
    CHECK(spelled.extra.empty());
    CHECK(spelled.epochs == 4);
    // CLI11 alone would read "" as the list [0]: a net without layers is no value of --layers.
    ListFixture layers;
    CHECK(layers.parse({"--layers", empty}) != 0);
    CHECK(layers.layers == std::vector<int>{1000, 1000});
    ListFixture beside;
    CHECK(beside.parse({"--extra", "a=1", "--extra", empty}) != 0);
  }
}

TEST_CASE("a run's recorded configuration, or its whole results file, replays through --config", "[cli]") {
  ListFixture first;
  REQUIRE(first.parse({"--lr", "0.5", "--fast=false", "--layers", "30,20", "--seed", "7"}) == 0);
  const nlohmann::json config = options_to_json(first.app);
  test::TempDir dir;
  std::ofstream(dir.file("config.json")) << config.dump(2);
  std::ofstream(dir.file("results.json"))
      << nlohmann::json{{"scenario", "test"}, {"config", config}, {"metrics", {{"x", 1}}}}.dump(2);
  for (const char* file : {"config.json", "results.json"}) {
    ListFixture again;
    REQUIRE(again.parse({"--config", dir.file(file)}) == 0);
    CHECK(options_to_json(again.app) == config);
  }
}

namespace {
// A config file `name` holding `text`, parsed by a Fixture: its path, the exit code and what went to stderr.
struct ConfigParse {
  std::string path;
  int code;
  std::string err;
};
ConfigParse parse_config(const test::TempDir& dir, const std::string& name, const std::string& text) {
  ConfigParse r{dir.file(name), 0, {}};
  std::ofstream(r.path) << text;
  Fixture f;
  std::stringstream err;
  std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
  r.code = f.parse({"--config", r.path});
  std::cerr.rdbuf(old);
  r.err = err.str();
  return r;
}
}  // namespace

TEST_CASE("a bad value in a config file is reported with the file and line", "[cli]") {
  test::TempDir dir;
  const ConfigParse r = parse_config(dir, "run.toml", "# a comment\nepochs = 3\nlr = fast\n");
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains(r.path + ":3:") && Catch::Contains("lr"));
}

TEST_CASE("a config path that is a folder is named in the error", "[cli]") {
  test::TempDir dir;
  Fixture f;
  std::stringstream err;
  std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
  const int code = f.parse({"--config", dir.path().string()});
  std::cerr.rdbuf(old);
  CHECK(code != 0);
  CHECK_THAT(err.str(), Catch::Contains(dir.path().string()));
}

TEST_CASE("a limit above the data is refused, not clamped", "[cli]") {
  CHECK_NOTHROW(require_limit("train-limit", 500, 60000, "training images"));
  CHECK_NOTHROW(require_limit("train-limit", 60000, 60000, "training images"));
  CHECK_THROWS_WITH(require_limit("train-limit", 70000, 60000, "training images"),
                    Catch::Contains("train-limit 70000") && Catch::Contains("60000 training images"));
}

TEST_CASE("an unknown option in a config file is named with the file, its line and the nearest option", "[cli]") {
  test::TempDir dir;
  const ConfigParse slip = parse_config(dir, "run.cfg", "# a recipe\nlr = 0.5\nepoch = 7\n");
  CHECK(slip.code != 0);
  CHECK_THAT(slip.err, Catch::Contains(slip.path + ":3: unknown option 'epoch' (did you mean 'epochs'?)"));
  CHECK_THAT(slip.err, !Catch::Contains("INI was not able"));
  // Nothing near: the help is where the names are.
  const ConfigParse far = parse_config(dir, "far.cfg", "lr = 0.5\nnegatives = \"hard\"\n");
  CHECK_THAT(far.err, Catch::Contains(far.path + ":2: unknown option 'negatives' (--help lists the options)"));
  // A JSON config: the line of the key.
  const ConfigParse json = parse_config(dir, "run.json", "{\n  \"lr\": 0.5,\n  \"fats\": true\n}\n");
  CHECK_THAT(json.err, Catch::Contains(json.path + ":3: unknown option 'fats' (did you mean 'fast'?)"));
}

TEST_CASE("an unknown option on the command line is named with the nearest option", "[cli]") {
  const auto parse = [](std::vector<std::string> args, std::string& said) {
    Fixture f;
    std::stringstream err;
    std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
    const int code = f.parse(std::move(args));
    std::cerr.rdbuf(old);
    said = err.str();
    return code;
  };
  std::string said;
  CHECK(parse({"--lr", "0.5", "--epoch", "7"}, said) != 0);
  CHECK_THAT(said, Catch::Contains("unknown option '--epoch' (did you mean '--epochs'?)"));
  CHECK(parse({"--fats=1"}, said) != 0);
  CHECK_THAT(said, Catch::Contains("unknown option '--fats' (did you mean '--fast'?)"));
  CHECK(parse({"--negatives", "hard"}, said) != 0);
  CHECK_THAT(said, Catch::Contains("unknown option '--negatives' (--help lists the options)"));
}

TEST_CASE("a section in a config file is refused with its line: options are top-level lines", "[cli]") {
  test::TempDir dir;
  const ConfigParse r = parse_config(dir, "run.toml", "lr = 0.5\n[training]\nepochs = 7\n");
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains(r.path + ":2: section [training]"));
}

namespace {
// Two options that are one setting (as ff_mnist's --analog-momentum and, in situ, --momentum), and a
// count that is also an element of a list of overrides (as --weight-copies N and --hw weight_copies=N).
struct AliasFixture : Fixture {
  float analog = 0, momentum = 0;
  int copies = 1;
  std::vector<std::string> hw;
  AliasFixture() {
    app.add_option("--analog-momentum", analog);
    app.add_option("--momentum", momentum);
    app.add_option("--weight-copies", copies);
    list_option(app.add_option("--hw", hw), false);
    alias_options(app, "analog-momentum", "momentum");
    alias_options(app, "weight-copies", "hw", "weight_copies=");
  }
};
}  // namespace

TEST_CASE("an override under either name of an aliased setting wins over a replayed record of both", "[cli]") {
  test::TempDir dir;
  const std::string path = dir.file("record.json");
  std::ofstream(path) << R"({"analog-momentum": 0.9, "momentum": 0.9, "lr": 0.5})";
  AliasFixture by_new;
  REQUIRE(by_new.parse({"--config", path, "--analog-momentum", "0.5"}) == 0);
  CHECK(by_new.analog == 0.5f);
  CHECK(by_new.app.count("--momentum") == 0);  // the record under the other name is left out
  CHECK(by_new.lr == 0.5f);                    // and nothing else
  AliasFixture by_old;
  REQUIRE(by_old.parse({"--config", path, "--momentum", "0.5"}) == 0);
  CHECK(by_old.momentum == 0.5f);
  CHECK(by_old.app.count("--analog-momentum") == 0);
  AliasFixture neither;
  REQUIRE(neither.parse({"--config", path}) == 0);
  CHECK(neither.analog == 0.9f);
  CHECK(neither.momentum == 0.9f);
}

TEST_CASE("an aliased element of a list and its own option each win over the other from a config file", "[cli]") {
  test::TempDir dir;
  std::ofstream(dir.file("copies.toml")) << "weight-copies = 2\nhw = [\"device.dw_min=0.002\"]\n";
  AliasFixture by_element;
  REQUIRE(by_element.parse({"--config", dir.file("copies.toml"), "--hw", "weight_copies=3"}) == 0);
  CHECK(by_element.copies == 1);  // the recorded --weight-copies 2 is left out
  CHECK(by_element.hw == std::vector<std::string>{"weight_copies=3"});
  std::ofstream(dir.file("element.toml")) << "hw = [\"weight_copies=2\", \"device.dw_min=0.002\"]\n";
  AliasFixture by_option;
  REQUIRE(by_option.parse({"--config", dir.file("element.toml"), "--weight-copies", "3"}) == 0);
  CHECK(by_option.copies == 3);
  CHECK(by_option.hw == std::vector<std::string>{"device.dw_min=0.002"});  // the other overrides stay
  // Another element on the command line leaves the config's weight_copies= alone.
  AliasFixture other;
  REQUIRE(other.parse({"--config", dir.file("copies.toml"), "--hw", "device.dw_min=0.001"}) == 0);
  CHECK(other.copies == 2);
}

TEST_CASE("two names of one option: the command line's value under either wins over the config file's", "[cli]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.toml")) << "optimiser = \"adam\"\n";
  Fixture f;
  std::string optimiser = "sgd";
  f.app.add_option("--optimiser,--optimizer", optimiser);
  REQUIRE(f.parse({"--config", dir.file("run.toml"), "--optimizer", "sgd"}) == 0);
  CHECK(optimiser == "sgd");
  CHECK(options_to_json(f.app).at("optimiser") == "sgd");
  // The config file is read (what the command line then overrode): alone it sets the option.
  Fixture g;
  std::string from_file = "sgd";
  g.app.add_option("--optimiser,--optimizer", from_file);
  REQUIRE(g.parse({"--config", dir.file("run.toml")}) == 0);
  CHECK(from_file == "adam");
}
