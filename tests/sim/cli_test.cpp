#include "sim/cli.h"

#include <catch2/catch.hpp>

#include <fstream>

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
