// Feeds arbitrary text as a scenario's config file (the --config reader: CLI11's TOML/INI parser bound to
// the options of ff_mnist, the headline scenario), then validates the parameters. Allowed outcomes:
// accepted, a CLI11 parse error, or a mortal::Error naming the field.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "sim/cli.h"
#include "sim/ff_experiment.h"
#include "sim/insitu_ff.h"
#include "sim/resume.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CLI::App app{"fuzz"};
  mortal::RunOptions run;
  mortal::FFParams params;
  mortal::InSituParams insitu;
  mortal::ResumeOptions resume;
  mortal::add_run_options(app, run, "out.json");
  params.add_options(app);
  insitu.add_options(app);
  resume.add_options(app);
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    app.parse_from_stream(in);
    params.validate();
    insitu.validate();
    resume.validate();
    (void)mortal::options_to_json(app);
  } catch (const CLI::Error&) {
  } catch (const mortal::Error&) {
  }
  return 0;
}
