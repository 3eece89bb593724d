// mortal_distill: knowledge moved from a teacher chip to another individual (mortal computation): weight
// copy, conductance copy, FF distillation from the teacher's soft or hard targets on unlabelled images (or,
// asked for, soft-layers: every layer's target its counterpart's), copy then distillation, and the student's
// own learning from the labels, each on the same student.
//   build/bin/mortal_distill --device ecram --epochs 5 --perturb 1
//   build/bin/mortal_distill --teacher results/ff_mnist.ckpt --transfer 3000 --methods hard,soft
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "core/blas_kernels.h"
#include "core/checkpoint.h"
#include "core/error.h"
#include "model/dataset.h"
#include "sim/cli.h"
#include "sim/distill.h"
#include "sim/ff_experiment.h"
#include "sim/insitu_ff.h"
#include "sim/outputs.h"
#include "sim/resume.h"
#include "sim/results.h"

int main(int argc, char** argv) {
  mortal::restart_with_blas_kernels(argv);
  using namespace mortal;
  CLI::App app{"Mortal computation on MNIST: a teacher chip's knowledge moved into another individual, by copying "
               "and by FF distillation on unlabelled images",
               "mortal_distill"};
  RunOptions run;
  FFParams params;
  InSituParams insitu;
  DistillParams distill;
  ResumeOptions resume;
  add_run_options(app, run, "results/mortal_distill.json");
  add_dry_run_option(app, run);
  params.add_options(app);
  insitu.add_options(app);
  distill.add_options(app);
  resume.add_options(app);
  int code = 0;
  if (!parse_command_line(app, argc, argv, code)) return code;
  try {
    nlohmann::json config = options_to_json(app);
    // The teacher's preset and shape: a restored teacher's own unless the command line names them (and
    // then they must agree with it); else ECRAM.
    if (!distill.teacher.empty()) {
      const Checkpoint c = Checkpoint::load(distill.teacher);
      const nlohmann::json& run_record = c.get_json("run");
      require(run_record.is_object() && run_record.contains("fingerprint") &&
                  run_record["fingerprint"].contains("device") && run_record["fingerprint"].contains("layers"),
              "teacher checkpoint {}: no recorded device and layers: not an in-situ run's checkpoint", distill.teacher);
      const nlohmann::json& f = run_record["fingerprint"];
      default_unless_given(app, config, "device", insitu.device, f["device"].get<std::string>());
      default_unless_given(app, config, "layers", params.layers, f["layers"].get<std::vector<int>>());
    }
    else
      default_unless_given(app, config, "device", insitu.device, std::string("ecram"));
    require(insitu.in_situ(), "a distillation moves knowledge between chips: --device must be a preset, not digital");
    apply_insitu_defaults(app, params, insitu, config);
    distill_rule(params, insitu);  // the settings, and a run the chips cannot do, refused here
    distill.validate();
    resume.validate(distill_total_epochs(params, distill));
    if (run.dry_run) {
      print_resolved_config(config);
      return 0;
    }
    nlohmann::json result = run_record("mortal_distill", run.seed, config);
    fmt::print("mortal_distill: seed {}, teacher {} ({} chip, layers {}), student {} chip{}, layers {}, perturbation "
               "{}, methods {}, {} transfer images\n",
               run.seed, distill.teacher.empty() ? fmt::format("trained here for {} epochs", params.epochs)
                                                 : "from " + distill.teacher,
               insitu.device, params.layers,
               distill.student_device.empty() ? insitu.device : distill.student_device,
               distill.student_seed ? fmt::format(" (seed {})", distill.student_seed) : std::string(),
               distill.student_layers.empty() ? params.layers : distill.student_layers, distill.perturb.scale,
               fmt::join(distill.methods, ","), distill.transfer > 0 ? fmt::format("{}", distill.transfer) : "all");
    std::fflush(stdout);
    result["data"] = data_digest(mnist_files(params.data_dir));
    Checkpointing ck = resume.for_run(run.out, result["config"], option_defaults(app), result["data"]);
    std::vector<OutputFile> files = {{"--checkpoint", ck.path}};
    if (distill.teacher.empty()) files.push_back({"--out (the trained teacher)", teacher_checkpoint_path(run.out)});
    if (!distill.keep_student.empty()) files.push_back({"--keep-student", student_checkpoint_path(run.out)});
    const std::vector<OutputFile> plot = plot_files("--out", results_stem(run.out) + "_methods");
    files.insert(files.end(), plot.begin(), plot.end());
    if (!distill.ages.empty()) {
      const std::vector<OutputFile> life = plot_files("--out", results_stem(run.out) + "_life");
      files.insert(files.end(), life.begin(), life.end());
    }
    require_resumable(ck);
    const RunOutputs outputs = prepare_outputs(run.out, run.force, files);
    result["metrics"] = run_distill(params, insitu, distill, ck, run.seed, run.out);
    result["status"] = result["metrics"]["status"];
    result["metrics"].erase("status");
    write_json_atomic(result["status"] == "stopped" ? outputs.running : run.out, result);
    if (result["status"] == "stopped") {
      fmt::print("stopped after epoch {} of the run; resume with the same options and --resume (checkpoint {})\n",
                 result["metrics"]["stopped_after_epoch"].get<int>(), ck.path);
      return 0;
    }
    outputs.finish();
    const auto& m = result["metrics"];
    std::string line;
    for (const auto& r : m["methods"])
      if (!r.contains("skipped"))
        line += fmt::format("{}{} {:.2f}%", line.empty() ? "" : ", ", r["method"].get<std::string>(),
                            100 * r["test_error"].get<double>());
    fmt::print("teacher {:.2f}%; student: {}; results in {}\n", 100 * m["teacher_test_error"].get<double>(), line,
               run.out);
  } catch (const std::exception& e) {
    fmt::print(stderr, "mortal_distill: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
