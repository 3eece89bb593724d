#include "sim/energy_report.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "sim/process.h"
#include "test_util.h"

using namespace mortal;

namespace {

const std::string kReportTables = std::string(MORTAL_SOURCE_DIR) + "/energy";
const std::string kBinary = std::string(MORTAL_BIN_DIR) + "/mortal_energy";

// A finished in-situ record of a 16-8 network trained on 20 images: the fields mortal_energy reads.
nlohmann::json small_run() {
  const auto counter = [](const char* module, const char* event, double count, double integrated) {
    return nlohmann::json{{"module", module}, {"event", event}, {"count", count}, {"integrated_pj", integrated},
                          {"energy_per_event_pj", 0.0}, {"energy_pj", 0.0}};
  };
  nlohmann::json ledger = {{"counters",
                            {counter("ff.layer0.dac", "dac_conversion", 680, 0),
                             counter("ff.layer0", "crossbar_read", 5440, 0.5), counter("ff.layer0", "pulse", 100, 0),
                             counter("ff.layer0.relu", "relu_op", 320, 0)}}};
  return {{"scenario", "ff_mnist"},
          {"status", "finished"},
          {"config", {{"layers", {8}}, {"batch", 10}, {"epochs", 1}, {"readout-layers", nlohmann::json::array()}}},
          {"metrics",
           {{"device", "ecram"}, {"train_examples", 20}, {"test_error", 0.3}, {"energy_training", ledger}}}};
}

}  // namespace

TEST_CASE("mortal_energy costs a small in-situ run's ledger beside BP and writes its record", "[energy]") {
  test::TempDir dir;
  {
    std::ofstream f(dir.file("run.json"));
    f << small_run().dump();
  }
  const std::string out = dir.file("energy.json");
  const std::vector<std::string> args = {kBinary,       "--insitu", dir.file("run.json"), "--features", "16",
                                         "--tables",    kReportTables,    "--out",              out,          "--plot",
                                         dir.file("p"), "--energy-set", "analog.pulse_pj=3"};
  const ProcessResult r = run_process(args);
  INFO(r.describe() << "\n" << r.out << r.err);
  REQUIRE(r.ok());
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  const nlohmann::json& m = j["metrics"];
  // The run's ledger per image at the tables' energies, the pulse at its override.
  const double ff = (680 * 0.55 + 5440 * 0.0 + 0.5 + 100 * 3.0 + 320 * 0.2) / 20;
  CHECK(m["rows"]["ff_analog"]["training_pj_per_image"].get<double>() == Approx(ff));
  CHECK(m["rows"]["ff_analog"]["test_error"].get<double>() == 0.3);
  for (const char* row : {"ff_analog_adc", "bp_analog", "ff_digital_45nm", "ff_digital_h100", "bp_digital_45nm",
                          "bp_digital_h100"})
    CHECK(m["rows"][row]["training_pj_per_image"].get<double>() > 0);
  CHECK(m["ratios"]["training_ff_analog_over_bp_digital_h100"].get<double>() ==
        Approx(ff / m["rows"]["bp_digital_h100"]["training_pj_per_image"].get<double>()));
  CHECK(m["sensitivity"].size() == 3);
  CHECK(m["tables"]["analog.pulse_pj"]["value"].get<double>() == 3.0);
  CHECK(r.out.find("Breakdown per training image") != std::string::npos);
  if (m["plot_error"].get<std::string>().empty()) {
    CHECK(std::filesystem::exists(dir.file("p_bars.png")));
    CHECK(std::filesystem::exists(dir.file("p_pareto.png")));
  }

  // A finished record is not replaced unasked.
  const ProcessResult again = run_process(args);
  CHECK(!again.ok());
}

TEST_CASE("mortal_energy refuses an unknown constant or a negative energy by name, and writes nothing", "[energy]") {
  test::TempDir dir;
  {
    std::ofstream f(dir.file("run.json"));
    f << small_run().dump();
  }
  for (const std::string& set : {std::string("analog.pulse_pk=3"), std::string("cmos45.dram_64bit_pj=-1")}) {
    const ProcessResult r = run_process({kBinary, "--insitu", dir.file("run.json"), "--features", "16", "--tables",
                                         kReportTables, "--out", dir.file("e.json"), "--energy-set", set});
    CHECK(!r.ok());
    CHECK(r.err.find(set.substr(0, set.find('='))) != std::string::npos);
    CHECK(!std::filesystem::exists(dir.file("e.json")));
  }
}

TEST_CASE("mortal_energy --calibrate hermes prints the modelled efficiency beside the published one", "[energy]") {
  test::TempDir dir;
  const ProcessResult r =
      run_process({kBinary, "--calibrate", "hermes", "--tables", kReportTables, "--out", dir.file("c.json")});
  INFO(r.out << r.err);
  REQUIRE(r.ok());
  CHECK(r.out.find("published") != std::string::npos);
  std::ifstream in(dir.file("c.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  CHECK(j["metrics"]["calibration"]["results"].size() == 2);
}

TEST_CASE("a run's evaluations give its inference energy per image predicted, the rival chip's left out",
          "[energy]") {
  test::TempDir dir;
  nlohmann::json run = small_run();
  // Training's counters plus 4 images predicted: 10 labels x 17 inputs through the DAC each, one read-out
  // conversion each; and a rival chip's reads, which are not FF's.
  nlohmann::json total = run["metrics"]["energy_training"];
  total["counters"][0]["count"] = 680 + 4 * 170;
  const auto counter = [](const char* module, const char* event, double count) {
    return nlohmann::json{{"module", module}, {"event", event}, {"count", count}, {"integrated_pj", 0.0},
                          {"energy_per_event_pj", 0.0}};
  };
  total["counters"].push_back(counter("ff.label_readout", "adc_conversion", 4));
  total["counters"].push_back(counter("rival.layer0.adc", "adc_conversion", 1000));
  run["metrics"]["energy_total"] = total;
  {
    std::ofstream f(dir.file("run.json"));
    f << run.dump();
  }
  const EnergyTables t = EnergyTables::load(kReportTables);
  double images = 0;
  const hw::Ledger l = measured_inference(read_insitu_run(dir.file("run.json"), 16, 10), t, &images);
  CHECK(images == 4);
  CHECK(l.total_energy_pj() == Approx(170 * 0.55 + adc_conversion_pj(t)));
  // Without an energy_total, or without a prediction, there is nothing to measure.
  run["metrics"].erase("energy_total");
  {
    std::ofstream f(dir.file("run2.json"));
    f << run.dump();
  }
  CHECK(measured_inference(read_insitu_run(dir.file("run2.json"), 16, 10), t).counters().empty());
}

TEST_CASE("mortal_energy --run-insitu makes a short in-situ run and costs its ledger", "[energy][mnist]") {
  if (!test::have_mnist()) {
    WARN("MNIST not found; run scripts/setup.sh");
    return;
  }
  test::TempDir dir;
  const std::string out = dir.file("e.json");
  const ProcessResult r = run_process(
      {kBinary, "--tables", kReportTables, "--out", out,
       "--run-insitu=--device ecram --layers 20 --epochs 1 --batch 50 --train-limit 200 --test-limit 100 "
       "--train-eval-limit 100 --rival none --drift-times 1 --data " +
           test::mnist_dir()});
  INFO(r.describe() << "\n" << r.out << r.err);
  REQUIRE(r.ok());
  std::ifstream in(out);
  const nlohmann::json m = nlohmann::json::parse(in)["metrics"];
  CHECK(m["insitu"] == dir.file("e_insitu.json"));
  CHECK(m["network"] == nlohmann::json({784, 20}));
  CHECK(m["rows"]["ff_analog"]["basis"].get<std::string>().find("the run's ledger") != std::string::npos);
  CHECK(m["rows"]["ff_analog"]["training_pj_per_image"].get<double>() > 0);
  // The counted model books what the run's ledger booked, event by event, but the initial programming.
  int compared = 0;
  for (const auto& [event, v] : m["counted_against_ledger"]["training"].items())
    if (event != "program_pulse") {
      INFO(event);
      CHECK(v["counted_pj"].get<double>() == Approx(v["ledger_pj"].get<double>()).epsilon(1e-9));
      ++compared;
    }
  CHECK(compared >= 3);  // reads, update pulses and the periphery's events at least
  // mortal_energy sets the run's --out itself.
  const ProcessResult bad = run_process({kBinary, "--out", dir.file("f.json"), "--run-insitu=--device ecram --out x.json"});
  CHECK(!bad.ok());
  CHECK(bad.err.find("--out") != std::string::npos);
}

TEST_CASE("a broken results or override file gives an error naming it, never a crash", "[energy]") {
  test::TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream f(dir.file(name), std::ios::binary);
    f << text;
    return dir.file(name);
  };
  const std::string good = write("good.json", small_run().dump());
  const std::string cut = small_run().dump();
  nlohmann::json typed = small_run();
  typed["config"]["layers"] = "8";
  nlohmann::json counted = small_run();
  counted["metrics"]["energy_training"]["counters"][0]["count"] = "many";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--insitu", write("cut.json", cut.substr(0, cut.size() / 2))}, "cut.json"},
      {{"--insitu", write("typed.json", typed.dump())}, "layers"},
      {{"--insitu", write("counted.json", counted.dump())}, "energy_training"},
      {{"--insitu", dir.file("missing.json")}, "missing.json"},
      {{"--insitu", good, "--energy", write("bad.toml", "[analog\npulse_pj = 1\n")}, "bad.toml"},
      {{"--insitu", good, "--energy", write("text.toml", "[analog]\npulse_pj = \"one\"\n")}, "analog.pulse_pj"},
      {{"--insitu", good, "--bp", good}, "cost_per_sample"},
      {{"--calibrate", "nosuchchip"}, "nosuchchip"}};
  for (const auto& [args, named] : cases) {
    std::vector<std::string> argv = {kBinary, "--tables", kReportTables, "--features", "16", "--out", dir.file("o.json")};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv);
    INFO(named << ": " << r.describe() << "\n" << r.err);
    CHECK(r.started);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(named) != std::string::npos);
    CHECK(!std::filesystem::exists(dir.file("o.json")));
  }
}

TEST_CASE("an in-situ record without a ledger or unfinished is refused by name", "[energy]") {
  test::TempDir dir;
  nlohmann::json run = small_run();
  run["metrics"].erase("energy_training");
  {
    std::ofstream f(dir.file("digital.json"));
    f << run.dump();
  }
  CHECK_THROWS_WITH(read_insitu_run(dir.file("digital.json"), 16, 10), Catch::Matchers::Contains("energy_training"));
  run = small_run();
  run["status"] = "running";
  {
    std::ofstream f(dir.file("running.json"));
    f << run.dump();
  }
  CHECK_THROWS_WITH(read_insitu_run(dir.file("running.json"), 16, 10), Catch::Matchers::Contains("not finished"));
}
