#include "hw/tile_module.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "hw/chip.h"
#include "test_util.h"

using namespace mortal;
using namespace mortal::hw;

TEST_CASE("a VCD trace shows a tile's input voltages, output currents and pulse counts", "[tile][trace]") {
  test::TempDir dir;
  Ledger ledger;
  ChipParams p = chip_preset("gokmen_vlasov", {16, 8});
  Chip chip("chip", p, ledger, 1);
  sc_core::sc_trace_file* tf = sc_core::sc_create_vcd_trace_file(dir.file("tile").c_str());
  // Window: the first millisecond only; program-and-verify takes tens of microseconds of it.
  chip.tile(0).trace_signals(tf, 3, 2, 0.0, 1e-3);
  chip.program(0, Mat::Random(8, 16) * 0.3f);
  const double t_prog = chip.now_s();
  Mat x = Mat::Random(4, 16), z(4, 8);
  chip.layer(0).forward(z, x);
  chip.layer(0).update(x, z, 0.01f);
  chip.idle(1e-3);
  // After the window: not traced.
  chip.layer(0).forward(z, x);
  chip.sync();
  sc_core::sc_close_vcd_trace_file(tf);
  std::ifstream in(dir.file("tile.vcd"));
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  const std::string vcd = s.str();
  // SystemC 2.3.4 writes dotted names as nested scopes ("$scope module layer0") unless SC_VCD_SCOPES is
  // set to DISABLE; accept either form.
  const bool scoped = vcd.find("$scope module layer0 $end") != std::string::npos;
  const std::string prefix = scoped ? " " : "layer0.";
  CHECK((scoped || vcd.find("layer0.") != std::string::npos));
  CHECK(vcd.find(prefix + "v_in_2 ") != std::string::npos);
  CHECK(vcd.find(prefix + "i_out_ua_1 ") != std::string::npos);
  CHECK(vcd.find(prefix + "row_pulses_0 ") != std::string::npos);
  CHECK(vcd.find(prefix + "device_pulses ") != std::string::npos);
  // One time stamp with values per traced sample: 4 forward samples, 4 update samples and the end of the
  // update; none after the window (1 ms = 1e9 ps, the VCD's unit). Closing the file stamps the time it closed
  // at, with no values.
  std::size_t stamps = 0;
  long long last_with_values = -1, stamp = -1;
  bool values = false;
  std::istringstream lines(vcd);
  const auto close_stamp = [&] {
    if (stamp >= 0 && values) ++stamps, last_with_values = stamp;
  };
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') {
      close_stamp();
      stamp = std::stoll(line.substr(1));
      values = false;
    } else if (line.find_first_not_of(" \t") != std::string::npos) {
      values = true;  // a value change under the current stamp (the header's lines come before any)
    }
  }
  close_stamp();
  INFO("programming ends at " << t_prog << " s; time stamps with values " << stamps << ", the last at "
                              << last_with_values << " ps");
  CHECK(stamps == 9);
  CHECK(last_with_values <= 1000000000LL);
}
