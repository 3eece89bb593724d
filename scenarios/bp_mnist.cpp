// bp_mnist: the backprop baseline, an MLP trained by BP on MNIST, with its FLOP and memory-traffic counts.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <new>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "sim/bp_experiment.h"
#include "model/dataset.h"
#include "sim/cli.h"
#include "sim/learning_curve.h"
#include "sim/outputs.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"MLP trained by backpropagation on MNIST (the 10,000 test images): the digital baseline",
               "bp_mnist"};
  RunOptions run;
  BpParams params;
  add_run_options(app, run, "results/bp_mnist.json");
  add_dry_run_option(app, run);
  params.add_options(app);
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    params.validate();
    if (run.dry_run) {
      print_resolved_config(options_to_json(app));
      return 0;
    }
    nlohmann::json result = run_record("bp_mnist", run.seed, options_to_json(app));
    result["data"] = data_digest(mnist_files(params.data_dir));  // the data by content
    // Before any training: a run that cannot write its results or its learning curve finds out now.
    prepare_outputs(run.out, run.force, plot_files("--out", curve_plot_stem(run.out)));
    fmt::print("bp_mnist: seed {}, hidden {}, {} epochs, batch {}, {} lr {} ({}), momentum {}, weight cost {}, "
               "dropout {}/{}\n",
               run.seed, fmt::join(params.layers, "-"), params.epochs, params.batch, params.optimizer, params.lr,
               params.lr_schedule, params.momentum, params.weight_decay, params.dropout_input,
               params.dropout_hidden);
    std::fflush(stdout);  // before the progress lines on stderr, also when both go to one log file
    result["metrics"] = run_bp(params, run.seed);
    add_curve_plot(result, run.out);
    write_json_atomic(run.out, result);
    const auto& m = result["metrics"];
    const auto& c = m["cost_per_sample"]["training"]["total"];
    fmt::print("test error {:.2f}% ({} test images), train error {:.2f}%, {} epochs, {:.1f} s per epoch, "
               "{:.1f} s total\n",
               100 * m["test_error"].get<double>(), m["test_examples"].get<int>(),
               100 * m["train_error"].get<double>(), m["epochs"].get<int>(),
               m["timing_s"]["train_per_epoch"].get<double>(), m["timing_s"]["total"].get<double>());
    fmt::print("per training sample: {:.4g} MFLOP, {:.4g} MB moved; sustained {:.1f} GFLOP/s; results in {}\n",
               c["flops"].get<double>() / 1e6, c["bytes"].get<double>() / 1e6,
               m["cost_of_run"]["sustained_gflops"].get<double>(), run.out);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "bp_mnist: error: out of memory: the run's arrays do not fit in this machine's memory; choose "
               "smaller sizes\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bp_mnist: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
