// linear_mnist: a linear softmax classifier on MNIST, the end-to-end check of data, training and results.
#include <fmt/format.h>

#include <new>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "model/dataset.h"
#include "sim/cli.h"
#include "sim/learning_curve.h"
#include "sim/linear_experiment.h"
#include "sim/outputs.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Linear softmax classifier on MNIST", "linear_mnist"};
  RunOptions run;
  LinearParams params;
  add_run_options(app, run, "results/linear_mnist.json");
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
    nlohmann::json result = run_record("linear_mnist", run.seed, options_to_json(app));
    result["data"] = data_digest(mnist_files(params.data_dir));  // the data by content
    // Before any training: a run that cannot write its results or its learning curve finds out now.
    prepare_outputs(run.out, run.force, plot_files("--out", curve_plot_stem(run.out)));
    fmt::print("linear_mnist: seed {}, {} epochs, batch {}, lr {}\n", run.seed, params.epochs, params.batch,
               params.lr);
    result["metrics"] = run_linear(params, run.seed);
    add_curve_plot(result, run.out);
    write_json_atomic(run.out, result);
    const auto& m = result["metrics"];
    fmt::print("test error {:.2f}% ({} test images), train error {:.2f}%, {:.1f} s; results in {}\n",
               100 * m["test_error"].get<double>(), m["test_examples"].get<int>(),
               100 * m["train_error"].get<double>(), m["timing_s"]["total"].get<double>(), run.out);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "linear_mnist: error: out of memory: the run's arrays do not fit in this machine's memory; choose "
               "smaller sizes\n");
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "linear_mnist: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
