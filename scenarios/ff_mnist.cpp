// ff_mnist: Forward-Forward on MNIST (Hinton 2022), over exact digital synaptic arrays or in situ on an
// emulated chip (--device); supervised, or unsupervised with hybrid negatives (digital).
//   build/bin/ff_mnist --layers 1000,1000,1000 --epochs 100 --negatives hard
//   build/bin/ff_mnist --layers 2000,2000,2000,2000 --epochs 100 --negatives hybrid
//   build/bin/ff_mnist --device ecram --hw device.dw_min=0.001
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <new>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "model/dataset.h"
#include "sim/cli.h"
#include "sim/ff_experiment.h"
#include "sim/insitu_ff.h"
#include "sim/learning_curve.h"
#include "sim/outputs.h"
#include "sim/resume.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Forward-Forward on MNIST (the 10,000 test images): supervised, or unsupervised with --negatives hybrid",
               "ff_mnist"};
  RunOptions run;
  FFParams params;
  InSituParams insitu;
  ResumeOptions resume;
  add_run_options(app, run, "results/ff_mnist.json");
  add_dry_run_option(app, run);
  params.add_options(app);
  insitu.add_options(app);
  insitu.trace.add_options(app);
  resume.add_options(app);
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    nlohmann::json config = options_to_json(app);
    if (insitu.in_situ()) apply_insitu_defaults(app, params, insitu, config);
    apply_mode_defaults(app, params, config);
    params.validate();
    insitu.validate();
    // Greedy: the epochs count on through the layers.
    resume.validate(params.schedule == "greedy" ? params.epochs * static_cast<int>(params.layers.size()) : params.epochs);
    require(params.layers_from.empty() || !insitu.in_situ(),
            "layers-from {}: a digital run's layers, taken into a digital net; device {} learns on its chip",
            params.layers_from, insitu.device);
    if (insitu.in_situ()) insitu_rule(params, insitu);  // a run the chip cannot do is refused here
    if (run.dry_run) {
      print_resolved_config(config);
      return 0;
    }
    nlohmann::json result = run_record("ff_mnist", run.seed, config);
    const std::string arrays_on = insitu.second_device.empty() ? "" : " on " + insitu.second_device;
    const char* share = insitu.momentum.share() ? " decayed by charge sharing" : "";
    const std::string whole_carry =
        insitu.carry.on() ? fmt::format(", whole steps into the weights through a{} fine array of 1/{}",
                                        insitu.carry.hidden ? " hidden" : "", insitu.carry.factor)
                          : std::string();
    const std::string mu = params.momentum_final >= 0
                               ? fmt::format("{} rising to {}", params.momentum, params.momentum_final)
                               : fmt::format("{}", params.momentum);
    const std::string decay = params.lr_schedule == "halfdecay" && params.decay_from != 0.5
                                  ? fmt::format(" decaying from {} of the run", params.decay_from)
                                  : std::string();
    const std::string preset =
        insitu.hw_overrides().empty() ? insitu.device
                                      : fmt::format("{} ({})", insitu.device, fmt::join(insitu.hw_overrides(), ", "));
    std::string fields = params.receptive_fields.empty()
                             ? std::string()
                             : fmt::format(" (receptive fields {})", fmt::join(params.receptive_fields, ","));
    if (params.recurrent > 0)
      fields += fmt::format(" recurrent under the label, {} iterations damped {}, goodness of iterations {}-{}",
                            params.recurrent, params.damping, params.score_iterations.front(),
                            params.score_iterations.back());
    if (!params.layers_from.empty()) {
      fmt::print("ff_mnist: seed {}, digital, layers {}{} taken from {}, frozen: a softmax read-out of layers {} fitted "
                 "afresh for {} passes, batch {}, lr {}, weight cost {}\n",
                 run.seed, params.layers, fields, params.layers_from, fmt::join(params.chosen_readout_layers(), ","),
                 params.readout_epochs, params.batch, params.readout_lr, params.readout_weight_cost);
    } else {
      fmt::print("ff_mnist: seed {}, {}, layers {}{}, {} {} epochs, batch {}, {} lr {}{}, {} negatives, predict {}\n",
                 run.seed, insitu.in_situ() ? "in situ on the chip of device preset " + preset : "digital", params.layers,
                 fields, params.schedule, params.epochs, params.batch,
                 insitu.in_situ() ? (params.momentum > 0   ? fmt::format("pulsed, analog momentum {}{}{}{},", mu,
                                                                          arrays_on, share, whole_carry)
                                     : insitu.carry.on() ? fmt::format("pulsed, periodic carry 1/{},", insitu.carry.factor)
                                     : insitu.mixed_precision ? std::string("pulsed, mixed precision,")
                                                              : std::string("pulsed"))
                                  : params.optimiser,
                 params.lr, decay,
                 params.unsupervised() ? fmt::format("hybrid ({} mask passes, no label)", params.mask_passes)
                                       : params.negatives,
                 params.predict);
    }
    std::fflush(stdout);  // the configuration line comes first in a log file, before the progress lines
    // The data by content: recorded with the results, and what a resume compares.
    result["data"] = data_digest(mnist_files(params.data_dir));
    Checkpointing ck = resume.for_run(run.out, result["config"], option_defaults(app), result["data"]);
    std::vector<OutputFile> files;
    if (!ck.path.empty()) files.push_back({"--checkpoint", ck.path});
    const std::vector<OutputFile> curve_plot = plot_files("--out", curve_plot_stem(run.out));
    files.insert(files.end(), curve_plot.begin(), curve_plot.end());
    if (insitu.trace.on()) files.push_back({"--trace", insitu.trace.path});
    if (insitu.in_situ() && !insitu.drift_times.empty() && params.recurrent == 0) {
      const std::vector<OutputFile> plot = plot_files("--plot", insitu.plot_stem(run.out));
      files.insert(files.end(), plot.begin(), plot.end());
    }
    require_resumable(ck);  // a checkpoint of other settings is the first thing to say
    const RunOutputs outputs = prepare_outputs(run.out, run.force, files);
    // The record so far after every epoch: a stopped run still leaves its learning curve.
    const auto save_partial = [&](const nlohmann::json& curve) {
      nlohmann::json partial = result;
      partial["status"] = "running";
      partial["metrics"] = {{"curve", curve}};
      write_json_atomic(outputs.running, partial);
    };
    if (insitu.in_situ())
      result["metrics"] = run_insitu_ff(params, insitu, ck, run.seed, run.out, save_partial);
    else
      result["metrics"] = run_ff(params, run.seed, save_partial, ck);
    result["status"] = result["metrics"]["status"];
    result["metrics"].erase("status");
    add_curve_plot(result, run.out);
    write_json_atomic(result["status"] == "stopped" ? outputs.running : run.out, result);
    if (result["status"] != "stopped") outputs.finish();
    if (result["status"] == "stopped") {
      fmt::print("stopped after epoch {}; resume with the same options and --resume (checkpoint {})\n",
                 result["metrics"]["stopped_after_epoch"].get<int>(), result["metrics"]["checkpoint"].get<std::string>());
      return 0;
    }
    const auto& m = result["metrics"];
    const std::string per_epoch = params.layers_from.empty()
                                      ? fmt::format("{:.1f} s per epoch, ", m["mean_epoch_seconds"].get<double>())
                                      : std::string();
    fmt::print("test error {:.2f}% ({}, {} test images), train error {:.2f}%, {}{:.1f} s total; results in {}\n",
               100 * m["test_error"].get<double>(), m["prediction"].get<std::string>(), m["test_examples"].get<int>(),
               100 * m["train_error"].get<double>(), per_epoch, m["timing_s"]["total"].get<double>(), run.out);
    if (insitu.in_situ())
      fmt::print("on the {} chip: {:.3g} uJ per training image, {:.3g} training images per simulated second, "
                 "{:.3g} s simulated training; drift plot {}\n",
                 insitu.device, m["energy_training_pj_per_image"].get<double>() * 1e-6,
                 m["images_per_simulated_s"].get<double>(), m["simulated_training_s"].get<double>(),
                 m["drift_plot"].get<std::string>().empty() ? std::string("none") : m["drift_plot"].get<std::string>());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "ff_mnist: error: out of memory: layers {} (batch {}) do not fit in this machine's memory; "
               "choose smaller --layers\n", params.layers, params.batch);
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ff_mnist: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
