#include "sim/distill.h"

#include <CLI/CLI.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "core/rng.h"
#include "model/ff_labels.h"
#include "model/softmax.h"
#include "sim/cli.h"
#include "sim/hw_config.h"
#include "sim/epoch_runner.h"
#include "sim/plot.h"
#include "sim/results.h"
#include "sim/version.h"

namespace mortal {

const std::vector<std::string>& distill_methods() {
  static const std::vector<std::string> m = {"labels", "weight-copy", "conductance-copy", "hard", "soft", "copy+soft"};
  return m;
}

const std::vector<std::string>& known_distill_methods() {
  static const std::vector<std::string> m = [] {
    std::vector<std::string> all = distill_methods();
    all.push_back("soft-layers");
    all.push_back("representations");
    all.push_back("soft-all");
    all.push_back("hard-all");
    all.push_back("soft-expected");
    all.push_back("hard-expected");
    return all;
  }();
  return m;
}

// Every method trains the student but the two copies alone.
bool DistillParams::trains(const std::string& method) {
  const std::vector<std::string>& known = known_distill_methods();
  return std::find(known.begin(), known.end(), method) != known.end() && method != "weight-copy" &&
         method != "conductance-copy";
}
bool DistillParams::copies(const std::string& method) {
  return method == "weight-copy" || method == "conductance-copy" || method == "copy+soft";
}

void DistillParams::add_options(CLI::App& app) {
  const std::size_t before = app.get_options().size();
  app.add_option("--teacher", teacher,
                 "The teacher: the checkpoint of a finished ff_mnist in-situ run (its device and layers must be this "
                 "run's --device and --layers); default: trained in this run from the labels");
  list_option(app.add_option("--methods", methods,
                             "Transfer methods, measured in this order on the same student: " +
                                 fmt::format("{}", fmt::join(known_distill_methods(), ", ")) +
                                 " (default: all but soft-layers, which needs a student of the teacher's depth, and "
                                 "representations, which needs one of its layer widths, and soft-all, hard-all, "
                                 "soft-expected and hard-expected, which train on every label's overlay of every "
                                 "image)"));
  app.add_option("--student-device", student_device, "The student's device preset (default: the teacher's): " +
                                                          hw::device_preset_names());
  list_option(app.add_option("--student-layers", student_layers, "The student's hidden layer sizes (default: the "
                                                                 "teacher's; other sizes leave nothing to copy)"));
  app.add_option("--student-seed", student_seed, "The student individual's seed (0: derived from --seed)");
  app.add_option("--student-epochs", student_epochs, "Epochs of every trained method (0: --epochs)");
  app.add_option("--transfer", transfer, "Unlabelled transfer images, drawn from the training set (0: all)");
  app.add_option("--teacher-temperature", temperature,
                 "Temperature of the teacher's softmax over its label scores (0: set by --confidence)");
  app.add_option("--confidence", confidence,
                 "With --teacher-temperature 0: the temperature at which the teacher's mean largest probability is this");
  perturb.add_options(app);
  app.add_option("--teacher-perturb", teacher_perturb, "The teacher's variability scale (< 0: --perturb's)");
  app.add_option("--teacher-queries", teacher_queries,
                 "Queries of the teacher per transfer image (every label's overlay through its layers), their "
                 "scores averaged: each is one noisy analog evaluation");
  app.add_option("--readout-repeats", readout_repeats,
                 "Weight copy: reads of every row through the teacher's ADCs, averaged (a single read of one "
                 "weight carries the whole output noise of a column)");
  list_option(app.add_option("--ages", ages,
                             "A chip's life: after the methods the teacher idles (drift, and stuck devices appearing at "
                             "--teacher-stuck-per-day) and at each of these ages, in days after its training, teaches a "
                             "fresh student by --life-method"));
  app.add_option("--life-method", life_method, "With --ages: how the teacher teaches at each age: soft or hard")
      ->check(CLI::IsMember({"soft", "hard"}));
  app.add_option("--teacher-stuck-per-day", teacher_stuck_per_day,
                 "With --ages: the rate at which each of the teacher's devices becomes stuck, per day of idling "
                 "(device.stuck_per_day of all its arrays; < 0: its preset's and --hw's)");
  app.add_option("--representation-weight", representation_weight,
                 "Method representations: the weight of the term that turns each student layer's activity towards "
                 "its teacher layer's, beside the FF term of soft targets (1: the two of like size)");
  app.add_option("--keep-student", keep_student,
                 "Keep the student as one of these methods leaves it, as a teacher checkpoint beside the results "
                 "(<out>.student.ckpt): the next generation's --teacher");
  group_options_since(app, before, "Distillation");
}

void DistillParams::validate() const {
  require(!methods.empty(), "methods: at least one transfer method");
  for (const std::string& m : methods)
    require(std::find(known_distill_methods().begin(), known_distill_methods().end(), m) !=
                known_distill_methods().end(),
            "methods: unknown method '{}' (known: {})", m, fmt::join(known_distill_methods(), ", "));
  for (std::size_t i = 0; i < methods.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) require(methods[i] != methods[j], "methods: '{}' given twice", methods[i]);
  if (!student_device.empty()) (void)hw::device_preset(student_device);
  for (int u : student_layers) require(u >= 1, "student-layers: a layer of {} units", u);
  require(keep_student.empty() || std::find(methods.begin(), methods.end(), keep_student) != methods.end(),
          "keep-student '{}' is not one of this run's methods ({})", keep_student, fmt::join(methods, ", "));
  require(std::isfinite(representation_weight) && representation_weight >= 0,
          "representation-weight must be finite and at least 0, got {}", representation_weight);
  require(teacher_queries >= 1, "teacher-queries must be at least 1, got {}", teacher_queries);
  require(readout_repeats >= 1, "readout-repeats must be at least 1, got {}", readout_repeats);
  require(student_epochs >= 0, "student-epochs must be at least 0, got {}", student_epochs);
  require(transfer >= 0, "transfer must be at least 0, got {}", transfer);
  check_nonnegative("teacher-temperature", temperature);
  require(std::isfinite(temperature), "teacher-temperature must be finite, got {}", temperature);
  require(confidence > 0 && confidence < 1, "confidence must be in (0, 1), got {}", confidence);
  for (std::size_t i = 0; i < ages.size(); ++i) {
    require(std::isfinite(ages[i]) && ages[i] >= 0, "ages: {} days is not an age", ages[i]);
    // (a require's message arguments are evaluated even when it holds: ages[i - 1] only past the first)
    if (i > 0) require(ages[i] > ages[i - 1], "ages must increase, got {} after {}", ages[i], ages[i - 1]);
  }
  require(life_method == "soft" || life_method == "hard", "life-method must be soft or hard, got '{}'", life_method);
  require(std::isfinite(teacher_stuck_per_day), "teacher-stuck-per-day must be finite, got {}", teacher_stuck_per_day);
  require(teacher_stuck_per_day < 0 || !ages.empty(), "teacher-stuck-per-day {} needs --ages (a life to age in)",
          teacher_stuck_per_day);
  perturb.validate();
  if (teacher_perturb >= 0) {
    Perturbation t = perturb;
    t.scale = teacher_perturb;
    t.validate();
  }
}

UpdateRuleParams distill_rule(const FFParams& p, const InSituParams& ip) {
  require(!p.unsupervised(), "negatives hybrid: a distillation's chips learn from label overlays (the teacher's "
          "scores of them are the targets), and unsupervised FF writes none");
  require(p.receptive_fields.empty(),
          "receptive-fields {}: a distillation's chips are dense so far (local fields train in situ with ff_mnist)",
          fmt::join(p.receptive_fields, ","));
  return insitu_rule(p, ip);
}

std::string teacher_checkpoint_path(const std::string& out) { return results_stem(out) + ".teacher.ckpt"; }
std::string student_checkpoint_path(const std::string& out) { return results_stem(out) + ".student.ckpt"; }

int distill_total_epochs(const FFParams& p, const DistillParams& dp) {
  const int student = dp.student_epochs > 0 ? dp.student_epochs : p.epochs;
  int total = dp.teacher.empty() ? p.epochs : 0;
  for (const std::string& m : dp.methods)
    if (DistillParams::trains(m)) total += student;
  return total + int(dp.ages.size()) * student;
}

void TeacherSupervision::overlays(int i, Rng& rng, std::vector<Overlay>& out) const {
  if (!every_label()) {
    FFSupervision::overlays(i, rng, out);
    return;
  }
  const int C = classes();
  const auto row = probabilities_.row(i);
  Eigen::Index top = 0;
  const bool soft = targets_ == Targets::soft_all || targets_ == Targets::soft_expected;
  if (!soft) row.maxCoeff(&top);
  out.resize(std::size_t(C));
  for (int c = 0; c < C; ++c) {
    // The probability that a drawn pair puts label c in its positive slot, p, and in its negative one,
    // (1 - p) / (C - 1); they sum to 2 over the labels. Scaled by C / 2 so that the weights average 1 over
    // the image's C rows: a step over these rows is then the drawn pairs' step in expectation.
    const float p = soft ? row(c) : c == int(top) ? 1.0f : 0.0f;
    const float weight = weighted() ? 0.5f * float(C) * (p + (1 - p) / float(C - 1)) : 1.0f;
    out[std::size_t(c)] = {c, p, {}, weight};
  }
}

void TeacherSupervision::overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const {
  require(!every_label(), "a supervision of every label's overlay gives {} per image, not two", classes());
  const int C = classes();
  const auto row = probabilities_.row(i);
  if (targets_ == Targets::hard) {
    Eigen::Index top = 0;
    row.maxCoeff(&top);
    positive = {int(top), 1.0f, {}};
    negative = {random_wrong_label(int(top), C, rng), 0.0f, {}};
    return;
  }
  boost::random::uniform_real_distribution<double> u(0, 1);
  const double r = u(rng);
  double cum = 0;
  int k = C - 1;
  for (int c = 0; c < C; ++c) {
    cum += double(row(c));
    if (r < cum) {
      k = c;
      break;
    }
  }
  const int other = random_wrong_label(k, C, rng);
  if (targets_ == Targets::soft) {
    positive = {k, row(k), {}};
    negative = {other, row(other), {}};
    return;
  }
  // Each layer's target is the teacher's same layer's probability of positive data for this image and label.
  positive.label = k;
  positive.target = row(k);
  negative.label = other;
  negative.target = row(other);
  positive.layers.resize(std::size_t(layers_));
  negative.layers.resize(std::size_t(layers_));
  for (int l = 0; l < layers_; ++l) {
    const Mat& pl = (*layer_probabilities_)[std::size_t(l)];
    positive.layers[std::size_t(l)] = pl(i, k);
    negative.layers[std::size_t(l)] = pl(i, other);
  }
}

Mat softmax_rows(const Mat& scores, double temperature) {
  require(temperature > 0, "softmax temperature must be positive, got {}", temperature);
  Mat p = scores * float(1.0 / temperature);
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    p.row(i).array() -= p.row(i).maxCoeff();
    p.row(i) = p.row(i).array().exp().matrix();
    p.row(i) /= p.row(i).sum();
  }
  return p;
}

double mean_top_probability(const Mat& scores, double temperature) {
  const Mat p = softmax_rows(scores, temperature);
  return p.rows() == 0 ? 0.0 : double(p.rowwise().maxCoeff().mean());
}

double temperature_for(const Mat& scores, double confidence) {
  require(scores.rows() > 0 && scores.cols() > 1, "temperature_for needs scores of at least one image and two labels");
  require(confidence > 1.0 / double(scores.cols()) && confidence < 1,
          "confidence must lie between 1 / labels ({:.3g}) and 1, got {}", 1.0 / double(scores.cols()), confidence);
  // The spread of the scores sets the scale: from far below it (one-hot) to far above (uniform).
  const double spread = std::max(1e-12, double((scores.rowwise().maxCoeff() - scores.rowwise().minCoeff()).mean()));
  double lo = std::log(spread * 1e-6), hi = std::log(spread * 1e6);
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    (mean_top_probability(scores, std::exp(mid)) > confidence ? lo : hi) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

void copy_weights(hw::Chip& from, hw::Chip& to, hw::FastRng& rng, int readout_repeats) {
  for (int k = 0; k < from.layers(); ++k) {
    const hw::Crossbar& a = from.weights(k);
    Mat w(a.outputs(), a.inputs());
    from.read_out(k, w, rng, readout_repeats);
    to.program(k, w);
  }
}

void copy_conductances(hw::Chip& from, hw::Chip& to) {
  for (int k = 0; k < from.layers(); ++k) {
    hw::Crossbar& a = from.weights(k);
    Mat gp(a.outputs(), a.inputs()), gm(a.outputs(), a.inputs());
    a.conductances(gp, gm, from.now_s());
    const hw::CrossbarParams& b = to.weights(k).params();
    // The conductance difference in the student's own units: its normalised weight, times its scale.
    to.program(k, (gp - gm) * float(b.w_scale / b.device.g_unit_us()));
  }
}

namespace {

// The teacher of a run: its settings, its variability and its seed.
struct TeacherSpec {
  FFParams p;
  InSituParams ip;
  Perturbation perturb;
  bool perturbed = true;  // false: a checkpoint of a run without a variability scale (ff_mnist's)
  std::uint64_t seed = 0;
};

// A teacher restored from a finished in-situ run's checkpoint: its settings from the checkpoint's
// fingerprint, checked against what this run expects of its teacher.
TeacherSpec teacher_from(const std::string& path, const Checkpoint& c, const FFParams& p, const InSituParams& ip) {
  const nlohmann::json& run = c.get_json("run");
  require(run.is_object() && run.contains("fingerprint") && run.contains("epoch"),
          "teacher checkpoint {}: no run record with a fingerprint and an epoch: not an in-situ run's checkpoint", path);
  const nlohmann::json& f = run["fingerprint"];
  TeacherSpec t;
  CLI::App app;
  RunOptions r;
  add_run_options(app, r, "");
  t.p.add_options(app);
  t.ip.add_options(app);
  t.perturb.add_options(app);
  parse_recorded_options(app, f, "teacher checkpoint " + path);
  t.perturbed = f.contains("perturb");
  t.seed = r.seed;
  require(t.ip.in_situ(), "teacher checkpoint {}: a digital run's (device 'digital'): a teacher must be a chip", path);
  require(t.ip.device == ip.device, "teacher checkpoint {}: device '{}', but this run's teacher is '{}' (--device)",
          path, t.ip.device, ip.device);
  require(t.p.layers == p.layers, "teacher checkpoint {}: layers {}, but this run's teacher has {} (--layers)", path,
          fmt::join(t.p.layers, ","), fmt::join(p.layers, ","));
  require(run["epoch"].is_number_integer() && run["epoch"].get<int>() == t.p.epochs,
          "teacher checkpoint {}: a run stopped after epoch {} of {}: a teacher must have finished", path,
          run["epoch"].dump(), t.p.epochs);
  return t;
}

nlohmann::json state_json(const EpochState& s) {
  return {{"epoch", s.epoch}, {"step", s.step}, {"curve", s.curve}, {"epoch_seconds", s.epoch_seconds}};
}

EpochState state_from(const nlohmann::json& j, const std::string& path) {
  EpochState s;
  require(j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer() && j["epoch"].get<int>() >= 0,
          "{}: checkpoint field 'run.epoch_state.epoch' is {}, not an epoch", path, j.value("epoch", nlohmann::json()).dump());
  s.epoch = j["epoch"].get<int>();
  require(j.contains("step") && j["step"].is_number_integer() && j["step"].get<long long>() >= 0,
          "{}: checkpoint field 'run.epoch_state.step' is not a step count", path);
  s.step = j["step"].get<long long>();
  require(j.contains("curve") && j["curve"].is_array() && int(j["curve"].size()) == s.epoch,
          "{}: checkpoint field 'run.epoch_state.curve' does not hold one entry per finished epoch", path);
  s.curve = j["curve"];
  require(j.contains("epoch_seconds") && j["epoch_seconds"].is_array() && int(j["epoch_seconds"].size()) == s.epoch,
          "{}: checkpoint field 'run.epoch_state.epoch_seconds' does not hold one time per finished epoch", path);
  s.epoch_seconds = j["epoch_seconds"].get<std::vector<double>>();
  return s;
}

double percent(const nlohmann::json& v) { return 100 * v.get<double>(); }

// Draws <stem>.png into metrics[key] (its path), or, when it cannot be drawn, says so and records why in
// metrics[key + "_error"]: the results stand without it.
void plot_into(nlohmann::json& metrics, const std::string& key, const std::string& what, const std::string& stem,
               const PlotSpec& spec, const std::vector<Series>& series) {
  try {
    plot_png(stem, spec, series);
    metrics[key] = stem + ".png";
  } catch (const Error& e) {
    fmt::print(stderr, "warning: no {}: {}\n", what, e.what());
    metrics[key + "_error"] = e.what();
  }
}

}  // namespace

nlohmann::json run_distill(const FFParams& p, const InSituParams& ip, const DistillParams& dp, const Checkpointing& ck,
                           std::uint64_t seed, const std::string& out) {
  dp.validate();
  const UpdateRuleParams rule = distill_rule(p, ip);
  require_resumable(ck);
  require(!ck.path.empty(), "a distillation run needs a checkpoint path");
  Stopwatch total;

  // The teacher: trained here with this run's settings, or restored from a finished run.
  std::unique_ptr<Checkpoint> teacher_ck;
  TeacherSpec ts{p, ip, dp.perturb, true, seed};
  if (dp.teacher_perturb >= 0) ts.perturb.scale = dp.teacher_perturb;
  if (!dp.teacher.empty()) {
    teacher_ck = std::make_unique<Checkpoint>(Checkpoint::load(dp.teacher));
    ts = teacher_from(dp.teacher, *teacher_ck, p, ip);
  }
  const UpdateRuleParams teacher_rule = dp.teacher.empty() ? rule : distill_rule(ts.p, ts.ip);

  // The student: another individual, of its own preset and shape if asked.
  FFParams sp = p;
  if (!dp.student_layers.empty()) sp.layers = dp.student_layers;
  if (dp.student_epochs > 0) sp.epochs = dp.student_epochs;
  InSituParams sip = ip;
  if (!dp.student_device.empty()) sip.device = dp.student_device;
  const std::uint64_t student_seed = dp.student_seed != 0 ? dp.student_seed : stream_seed(seed, "distill.student");
  require(student_seed != ts.seed, "the student's seed {} is the teacher's: the student must be another individual",
          student_seed);
  const bool same_shape = sp.layers == ts.p.layers;
  const bool per_layer = std::find(dp.methods.begin(), dp.methods.end(), "soft-layers") != dp.methods.end();
  require(!per_layer || sp.layers.size() == ts.p.layers.size(),
          "method soft-layers: the student has {} layers ({}), the teacher {} ({}): each student layer learns from the "
          "teacher's layer of its depth, so their depths must be the same", sp.layers.size(), fmt::join(sp.layers, ","),
          ts.p.layers.size(), fmt::join(ts.p.layers, ","));

  const RunData data = load_ff_data(p, seed);
  const Dataset& test = data.test;  // cut to --test-limit as it loaded
  require_limit("--transfer", dp.transfer, data.train.size(), "training images");
  std::vector<int> transfer_idx;
  if (dp.transfer > 0) {
    transfer_idx = shuffled_indices(data.train.size(), stream_seed(seed, "distill.transfer"));
    transfer_idx.resize(std::size_t(dp.transfer));
  }
  // What the student learns from: images only. (The labels stay in `data`, read for test errors.)
  const UnlabelledImages transfer = UnlabelledImages::of(data.train, transfer_idx);
  Mat probabilities;  // the teacher's, over the transfer images: filled once the teacher has learned
  const TeacherSupervision soft(transfer, probabilities, TeacherSupervision::Targets::soft);
  const TeacherSupervision hard(transfer, probabilities, TeacherSupervision::Targets::hard);
  const TeacherSupervision soft_all(transfer, probabilities, TeacherSupervision::Targets::soft_all);
  const TeacherSupervision hard_all(transfer, probabilities, TeacherSupervision::Targets::hard_all);
  const TeacherSupervision soft_expected(transfer, probabilities, TeacherSupervision::Targets::soft_expected);
  const TeacherSupervision hard_expected(transfer, probabilities, TeacherSupervision::Targets::hard_expected);
  // The teacher's layers' probabilities of positive data, one (images, classes) per layer: for soft-layers.
  std::vector<Mat> layer_probabilities(per_layer ? ts.p.layers.size() : 0);
  const TeacherSupervision layered(transfer, probabilities, layer_probabilities);
  const LabelSupervision labelled(data.train);
  const bool representations =
      std::find(dp.methods.begin(), dp.methods.end(), "representations") != dp.methods.end();
  require(!representations || sp.layers == ts.p.layers,
          "method representations: the student's layers ({}) are not the teacher's ({}): each student unit follows "
          "the teacher's unit of its place, so their widths must be the same", fmt::join(sp.layers, ","),
          fmt::join(ts.p.layers, ","));

  // Both chips, on one ledger, before the kernel starts.
  hw::EnergyParams energy;
  hw::ChipParams tcp = insitu_chip(ts.p, ts.ip, teacher_rule, data.train, energy, ts.perturbed ? &ts.perturb : nullptr);
  if (dp.teacher_stuck_per_day >= 0) {
    tcp.crossbar.device.stuck_per_day = dp.teacher_stuck_per_day;
    tcp.second.device.stuck_per_day = dp.teacher_stuck_per_day;
  }
  const hw::ChipParams scp = insitu_chip(sp, sip, rule, data.train, energy, &dp.perturb);
  hw::Ledger ledger(energy);
  hw::Chip teacher("teacher", tcp, ledger, ts.seed);
  hw::Chip student("student", scp, ledger, student_seed);
  InSituFF teacher_t(teacher, ts.p, labelled, ts.seed, ts.ip.fifo_depth, teacher_rule);
  std::vector<std::unique_ptr<InSituFF>> trainers;
  for (const std::string& m : dp.methods) {
    const FFSupervision& from = m == "labels"        ? static_cast<const FFSupervision&>(labelled)
                                : m == "hard"        ? static_cast<const FFSupervision&>(hard)
                                : m == "soft-layers" ? static_cast<const FFSupervision&>(layered)
                                : m == "soft-all"    ? static_cast<const FFSupervision&>(soft_all)
                                : m == "hard-all"    ? static_cast<const FFSupervision&>(hard_all)
                                : m == "soft-expected" ? static_cast<const FFSupervision&>(soft_expected)
                                : m == "hard-expected" ? static_cast<const FFSupervision&>(hard_expected)
                                                     : static_cast<const FFSupervision&>(soft);
    trainers.push_back(std::make_unique<InSituFF>(student, sp, from, student_seed, sip.fifo_depth, rule));
    if (m == "representations") trainers.back()->learn_representations(teacher_t, float(dp.representation_weight));
  }
  // The student of each age of the teacher's life, taught by --life-method (a trainer per age, as per method:
  // each trains once).
  for (std::size_t j = 0; j < dp.ages.size(); ++j)
    trainers.push_back(std::make_unique<InSituFF>(student, sp, dp.life_method == "hard" ? hard : soft, student_seed,
                                                  sip.fifo_depth, rule));
  const int n_methods = int(dp.methods.size()), n_ages = int(dp.ages.size());
  const auto trainer_at = [&](int q) -> InSituFF& { return *trainers[std::size_t(q - 2)]; };

  // Where the run stands: part 0 trains the teacher; part 1 queries it; part 2 + i is method i; part 2 +
  // methods + j is age j of the teacher's life.
  int part = 0, epochs_done = 0;
  EpochState state;
  hw::Ledger curve_energy(energy);
  nlohmann::json results = {{"methods", nlohmann::json::array()}};
  nlohmann::json method_start;  // the ledgers, clocks and times when the running method began
  double prior_wall = 0;
  Stopwatch clock;
  const auto checkpoint = [&](bool with_student) {
    Checkpoint c;
    nlohmann::json record = checkpoint_run_record(ck);
    record.update({{"part", part},
                   {"epochs_done", epochs_done},
                   {"epoch_state", state_json(state)},
                   {"results", results},
                   {"method_start", method_start},
                   {"wall_s", prior_wall + clock.seconds()}});
    c.put_json("run", record);
    teacher.save(c, "teacher");
    c.put_json("ledger", ledger.to_json());
    c.put_json("ledger_curve_evaluation", curve_energy.to_json());
    if (part == 0) teacher_t.save(c);
    if (part >= 1) c.put("distill.probabilities", probabilities);
    if (part >= 2)
      for (std::size_t l = 0; l < layer_probabilities.size(); ++l)
        c.put(fmt::format("distill.layer{}.probabilities", l), layer_probabilities[l]);
    if (with_student) {
      student.save(c, "student");
      trainer_at(part).save(c);
    }
    // A student learning representations queries the teacher batch by batch, from where its evaluation noise
    // stands.
    if (part >= 1) c.put_json("distill.teacher_eval_rng", teacher_t.eval_rng().state());
    c.save(ck.path);
  };
  const auto stop_here = [&] { return ck.stop_after > 0 && epochs_done == ck.stop_after; };

  if (ck.resume) {
    const Checkpoint& c = ck.checkpoint();
    restoring(ck, [&] {
      const nlohmann::json& r = c.get_json("run");
      part = r.at("part").get<int>();
      require(part >= 0 && part <= n_methods + n_ages + 2, "{}: checkpoint field 'run.part' is {}, not a part of "
              "this run", ck.path, part);
      epochs_done = r.at("epochs_done").get<int>();
      require(epochs_done >= 0 && epochs_done <= distill_total_epochs(p, dp),
              "{}: checkpoint field 'run.epochs_done' is {}, not an epoch count of this run", ck.path, epochs_done);
      state = state_from(r.at("epoch_state"), ck.path);
      results = r.at("results");
      method_start = r.at("method_start");
      prior_wall = r.at("wall_s").get<double>();
      teacher.restore(c, "teacher");
      ledger.restore(c.get_json("ledger"));
      curve_energy.restore(c.get_json("ledger_curve_evaluation"));
      if (part == 0) teacher_t.restore(c);
      if (part >= 1)
        c.get("distill.probabilities", probabilities, transfer.size(), data.train.num_classes);
      if (part >= 2)
        for (std::size_t l = 0; l < layer_probabilities.size(); ++l)
          c.get(fmt::format("distill.layer{}.probabilities", l), layer_probabilities[l], transfer.size(),
                data.train.num_classes);
      if (part >= 2 && part - 2 < n_methods + n_ages && state.epoch > 0) {
        student.restore(c, "student");
        trainer_at(part).restore(c);
      }
      if (part >= 1 && c.has("distill.teacher_eval_rng"))  // (checkpoints of earlier builds have none)
        teacher_t.eval_rng().set_state(c.get_json("distill.teacher_eval_rng").get<std::array<std::uint64_t, 4>>());
    });
    ck.release();
    fmt::print(stderr, "resumed from {} at part {} ({} epochs done)\n", ck.path, part, epochs_done);
  } else if (teacher_ck) {
    // The teacher as its run left it at its last epoch end; its update rule then leaves the weights as
    // inference reads them, as that run did after its last epoch.
    Checkpointing from;
    from.path = dp.teacher;
    restoring(from, [&] {
      teacher.restore(*teacher_ck, "chip");
      teacher_t.restore(*teacher_ck);
    });
    teacher_t.finish_training();
    teacher_ck.reset();
    part = 1;
    results["teacher"] = {{"from", dp.teacher}};
  }

  // A chip and its trainer written as a finished ff_mnist in-situ run's checkpoint, for --teacher.
  const auto keep_as_teacher = [&](const std::string& path, hw::Chip& chip, const InSituFF& trainer,
                                   const std::string& device, const std::vector<int>& layers, double perturbation,
                                   std::uint64_t chip_seed, const EpochState& at) {
    Checkpoint c;
    nlohmann::json f = ck.fingerprint;
    f.update({{"device", device}, {"layers", layers}, {"perturb", perturbation}, {"seed", chip_seed},
              {"epochs", at.epoch}});
    c.put_json("run", {{"fingerprint", f}, {"version", version()}, {"epoch", at.epoch}, {"curve", at.curve}});
    chip.save(c, "chip");
    trainer.save(c);
    c.put_json("ledger", ledger.to_json());
    c.save(path);
  };

  // Part 0: the teacher learns from the labels.
  if (part == 0) {
    if (state.epoch == 0) teacher_t.program_initial();
    const EpochPlan plan{ts.p.epochs, (data.train.size() + ts.p.batch - 1) / ts.p.batch, ts.p.eval_every,
                         "teacher epoch"};
    bool stop = false;
    run_epochs(teacher_t, ledger, curve_energy, test, nullptr, plan, state, [&](const EpochState& at) {
      ++epochs_done;
      checkpoint(false);
      // The finished teacher as ff_mnist checkpoints a finished in-situ run: --teacher takes it, so one
      // teacher can teach many students (a sweep of the student's variability, other presets, shapes).
      if (at.epoch == plan.epochs)
        keep_as_teacher(teacher_checkpoint_path(out), teacher, teacher_t, ts.ip.device, ts.p.layers, ts.perturb.scale,
                        ts.seed, at);
      return !(stop = stop_here());
    });
    if (stop) return stopped_metrics(epochs_done, ck.path, state.curve);
    teacher_t.finish_training();
    results["teacher"] = {{"from", "trained in this run"},
                          {"checkpoint", teacher_checkpoint_path(out)},
                          {"curve", state.curve},
                          {"energy_training_pj", ledger.minus(curve_energy).total_energy_pj()}};
    state = {};
    part = 1;
  }

  // The teacher's probabilities over the transfer images, from dp.teacher_queries averaged queries (their
  // cost is the transfer's); returns what the results record of them.
  const auto query_teacher = [&] {
    const hw::Ledger before = ledger;
    const double t0 = teacher.now_s();
    Mat scores, more;
    teacher_t.scores(transfer.images, transfer.num_classes, scores);
    for (int q = 1; q < dp.teacher_queries; ++q) {
      teacher_t.scores(transfer.images, transfer.num_classes, more);
      scores += more;
    }
    if (dp.teacher_queries > 1) scores *= 1.0f / float(dp.teacher_queries);
    const double query_pj = ledger.minus(before).total_energy_pj(), query_s = teacher.now_s() - t0;
    const double temperature = dp.temperature > 0 ? dp.temperature : temperature_for(scores, dp.confidence);
    probabilities = softmax_rows(scores, temperature);
    return nlohmann::json{{"images", transfer.size()},
                          {"temperature", temperature},
                          {"teacher_mean_top_probability", mean_top_probability(scores, temperature)},
                          {"query_energy_pj", query_pj},
                          {"query_simulated_s", query_s}};
  };
  // The teacher's layers' probabilities of positive data over the transfer images (soft-layers), from
  // dp.teacher_queries averaged queries; returns what the results record of them. Asked after the teacher's
  // test predictions, so that the other methods' numbers are those of a run without soft-layers.
  const auto query_teacher_layers = [&] {
    const hw::Ledger before = ledger;
    const double t0 = teacher.now_s();
    std::vector<Mat> more;
    teacher_t.layer_probabilities(transfer.images, transfer.num_classes, layer_probabilities);
    for (int q = 1; q < dp.teacher_queries; ++q) {
      teacher_t.layer_probabilities(transfer.images, transfer.num_classes, more);
      for (std::size_t l = 0; l < layer_probabilities.size(); ++l) layer_probabilities[l] += more[l];
    }
    // The sigmoid units' noise can carry a reading past 0 or 1; a target is a probability.
    for (Mat& pl : layer_probabilities)
      pl = (pl * (1.0f / float(dp.teacher_queries))).cwiseMax(0.0f).cwiseMin(1.0f);
    // How far each layer tells the teacher's most probable label from the others.
    const std::vector<int> top = argmax_rows(probabilities);
    nlohmann::json on_top = nlohmann::json::array(), on_others = nlohmann::json::array();
    for (const Mat& pl : layer_probabilities) {
      double a = 0, b = 0;
      for (Eigen::Index i = 0; i < pl.rows(); ++i) {
        const double t = double(pl(i, top[std::size_t(i)]));
        a += t;
        b += (double(pl.row(i).sum()) - t) / double(std::max<Eigen::Index>(1, pl.cols() - 1));
      }
      on_top.push_back(a / double(std::max<Eigen::Index>(1, pl.rows())));
      on_others.push_back(b / double(std::max<Eigen::Index>(1, pl.rows())));
    }
    return nlohmann::json{{"layer_query_energy_pj", ledger.minus(before).total_energy_pj()},
                          {"layer_query_simulated_s", teacher.now_s() - t0},
                          {"layer_mean_probability_top_label", on_top},
                          {"layer_mean_probability_other_labels", on_others}};
  };
  // A chip's predictions over the test set, their cost booked as evaluation.
  const auto predict_test = [&](InSituFF& t) {
    const hw::Ledger eval_before = ledger;
    std::vector<int> predictions = t.predict(test);
    curve_energy.add_all(ledger.minus(eval_before));
    return predictions;
  };

  // Part 1: the teacher's test error, and its probabilities over the transfer images.
  if (part == 1) {
    results["transfer"] = query_teacher();
    const std::vector<int> teacher_predictions = predict_test(teacher_t);
    const double teacher_error = error_rate(teacher_predictions, test.labels);
    results["teacher_test_predictions"] = teacher_predictions;
    if (per_layer) results["transfer"].update(query_teacher_layers());
    results["teacher"].update({{"test_error", teacher_error},
                               {"device", ts.ip.device},
                               {"layers", ts.p.layers},
                               {"seed", ts.seed},
                               {"perturb", ts.perturbed ? nlohmann::json(ts.perturb.scale) : nlohmann::json("none")},
                               {"hardware", hw_to_json(tcp, energy)}});
    fmt::print(stderr, "teacher ({} chip, seed {}): test error {:.2f}%; {} transfer images at temperature {:.4g} "
               "(mean top probability {:.3f})\n", ts.ip.device, ts.seed, 100 * teacher_error, transfer.size(),
               results["transfer"]["temperature"].get<double>(),
               results["transfer"]["teacher_mean_top_probability"].get<double>());
    part = 2;
    checkpoint(false);
  }

  // A method's student: the same individual for every method (its variations drawn again from its seed, its
  // arrays rewritten), copied into or set to learn from zero.
  const auto begin_student = [&](const std::string& m, InSituFF& t) {
    student.reseed(student_seed);
    student.clear_extra_arrays();
    method_start = {{"ledger", ledger.to_json()},
                    {"curve_ledger", curve_energy.to_json()},
                    {"simulated_s", student.now_s()},
                    {"wall_s", prior_wall + clock.seconds()}};
    hw::FastRng copy_rng(seed, "distill.copy", std::uint64_t(part));
    if (m == "weight-copy" || m == "copy+soft")
      copy_weights(teacher, student, copy_rng, dp.readout_repeats);
    else if (m == "conductance-copy")
      copy_conductances(teacher, student);
    else
      t.program_initial();
  };
  const auto steps_of = [&](const std::string& m) {
    const int n = m == "labels" ? data.train.size() : transfer.size();
    return (n + sp.batch - 1) / sp.batch;
  };
  // The student's epochs, checkpointed at each end; false when the run stops here.
  const auto train_student = [&](const std::string& m, InSituFF& t) {
    const EpochPlan plan{sp.epochs, steps_of(m), sp.eval_every, m + " epoch"};
    bool stop = false;
    run_epochs(t, ledger, curve_energy, test, nullptr, plan, state, [&](const EpochState&) {
      ++epochs_done;
      checkpoint(true);
      return !(stop = stop_here());
    });
    return !stop;
  };
  // The student as method m leaves it, against a teacher that predicted `teacher_said` with error
  // `teacher_error`: its error, how far it imitates the teacher apart from how right either is, and what
  // the transfer cost since begin_student.
  const auto student_result = [&](const std::string& m, InSituFF& t, const nlohmann::json& teacher_said,
                                   double teacher_error) {
    if (DistillParams::trains(m)) t.finish_training();
    hw::Ledger start(energy), curve_start(energy);
    start.restore(method_start["ledger"]);
    curve_start.restore(method_start["curve_ledger"]);
    const double energy_pj =
        ledger.minus(start).total_energy_pj() - curve_energy.minus(curve_start).total_energy_pj();
    const double simulated_s = student.now_s() - method_start["simulated_s"].get<double>();
    const double wall_s = prior_wall + clock.seconds() - method_start["wall_s"].get<double>();
    const std::vector<int> predictions = predict_test(t);
    const double err = error_rate(predictions, test.labels);
    int same = 0;
    for (std::size_t i = 0; i < predictions.size(); ++i) same += predictions[i] == teacher_said[i].get<int>();
    nlohmann::json r = {{"method", m},
                        {"test_error", err},
                        {"gap_to_teacher", err - teacher_error},
                        {"agreement_with_teacher", double(same) / double(std::max<std::size_t>(1, predictions.size()))},
                        {"energy_pj", energy_pj},
                        {"simulated_s", simulated_s},
                        {"wall_s", wall_s}};
    if (DistillParams::trains(m)) r["curve"] = state.curve;
    fmt::print(stderr, "{:>16}: student test error {:.2f}% (teacher {:.2f}%), agrees with the teacher on {:.2f}%, "
               "{:.3g} uJ, {:.3g} s simulated\n", m, 100 * err, 100 * teacher_error,
               100 * r["agreement_with_teacher"].get<double>(), energy_pj * 1e-6, simulated_s);
    return r;
  };

  // Parts 2 + i: the methods, each on the same student individual.
  while (part - 2 < n_methods) {
    const std::string& m = dp.methods[std::size_t(part - 2)];
    InSituFF& t = trainer_at(part);
    if (DistillParams::copies(m) && !same_shape) {
      results["methods"].push_back(
          {{"method", m},
           {"skipped", fmt::format("the student's layers ({}) are not the teacher's ({}): nothing to copy into",
                                   fmt::join(sp.layers, ","), fmt::join(ts.p.layers, ","))}});
      state = {};
      ++part;
      checkpoint(false);
      continue;
    }
    if (state.epoch == 0) begin_student(m, t);
    if (DistillParams::trains(m) && !train_student(m, t)) return stopped_metrics(epochs_done, ck.path, state.curve);
    if (m == dp.keep_student) {
      // A copied student has no epochs of its own: it is kept as finished after the run's epoch count.
      EpochState kept = state;
      if (!DistillParams::trains(m)) kept.epoch = sp.epochs;
      keep_as_teacher(student_checkpoint_path(out), student, t, sip.device, sp.layers, dp.perturb.scale, student_seed,
                      kept);
    }
    results["methods"].push_back(
        student_result(m, t, results["teacher_test_predictions"], results["teacher"]["test_error"].get<double>()));
    state = {};
    ++part;
    checkpoint(false);
  }

  // Parts 2 + methods + j: the teacher's life. Its drift is calibrated when the methods are done (its age
  // 0); it idles to each age, is measured with its drift compensated, and teaches a fresh student.
  if (n_ages > 0 && !results.contains("life")) results["life"] = nlohmann::json::array();
  while (part - 2 - n_methods < n_ages) {
    const int j = part - 2 - n_methods;
    const double age = dp.ages[std::size_t(j)];
    if (state.epoch == 0) {
      // The teacher's evaluation noise at this age from a stream of its own (a resumed run has not replayed
      // the queries before it).
      hw::FastRng rng(seed, "distill.life", std::uint64_t(j));
      teacher_t.eval_rng() = hw::FastRng(seed, "distill.life.evaluation", std::uint64_t(j));
      if (j == 0) {
        results["life_start_s"] = teacher.now_s();
        const std::string unusable = teacher.calibrate_drift(rng);
        if (!unusable.empty()) results["life_drift_probe"] = unusable;
      }
      teacher.idle(std::max(0.0, results["life_start_s"].get<double>() + age * 86400.0 - teacher.now_s()));
      teacher.compensate_drift(rng);
      long long stuck = 0, devices = 0;
      for (int k = 0; k < teacher.layers(); ++k)
        for (int c = 0; c < teacher.weight_copies(); ++c) {
          stuck += teacher.weights(k, c).stuck_devices();
          devices += 2LL * teacher.weights(k, c).outputs() * teacher.weights(k, c).inputs();
        }
      const nlohmann::json queried = query_teacher();
      const std::vector<int> said = predict_test(teacher_t);
      results["life_teacher"] = {{"age_days", age},
                                 {"test_error", error_rate(said, test.labels)},
                                 {"test_predictions", said},
                                 {"stuck_fraction", double(stuck) / double(std::max(1LL, devices))},
                                 {"transfer", queried}};
      fmt::print(stderr, "teacher at {:g} days: test error {:.2f}%, {:.3f}% of its devices stuck\n", age,
                 percent(results["life_teacher"]["test_error"]),
                 100 * results["life_teacher"]["stuck_fraction"].get<double>());
      begin_student(dp.life_method, trainer_at(part));
    }
    if (!train_student(dp.life_method, trainer_at(part))) return stopped_metrics(epochs_done, ck.path, state.curve);
    const nlohmann::json& at = results["life_teacher"];
    nlohmann::json r = student_result(dp.life_method, trainer_at(part), at["test_predictions"],
                                      at["test_error"].get<double>());
    results["life"].push_back({{"age_days", age},
                               {"teacher_test_error", at["test_error"]},
                               {"teacher_stuck_fraction", at["stuck_fraction"]},
                               {"transfer", at["transfer"]},
                               {"student", r}});
    results.erase("life_teacher");
    state = {};
    ++part;
    checkpoint(false);
  }

  // The table, the plot and the flat metrics a sweep collects.
  nlohmann::json metrics = {{"status", "finished"},
                            {"teacher", results["teacher"]},
                            {"student",
                             {{"device", sip.device},
                              {"layers", sp.layers},
                              {"seed", student_seed},
                              {"perturb", dp.perturb.scale},
                              {"hardware", hw_to_json(scp, energy)}}},
                            {"transfer", results["transfer"]},
                            {"teacher_queries", dp.teacher_queries},
                            {"methods", results["methods"]},
                            {"teacher_test_error", results["teacher"]["test_error"]}};
  fmt::print(stderr, "\n{:>16} | {:>10} | {:>8} | {:>8} | {:>12} | {:>12}\n", "method", "test error", "vs teacher",
             "agrees", "energy (uJ)", "simulated s");
  Series errors{"student", {}, {}}, teacher_line{"teacher", {}, {}};
  std::vector<std::string> tics;
  for (const auto& r : results["methods"]) {
    const std::string m = r["method"];
    if (r.contains("skipped")) {
      fmt::print(stderr, "{:>16} | skipped: {}\n", m, r["skipped"].get<std::string>());
      continue;
    }
    metrics["test_error_" + m] = r["test_error"];
    fmt::print(stderr, "{:>16} | {:>9.2f}% | {:>+9.2f} | {:>7.2f}% | {:>12.4g} | {:>12.4g}\n", m,
               percent(r["test_error"]), percent(r["gap_to_teacher"]), percent(r["agreement_with_teacher"]),
               r["energy_pj"].get<double>() * 1e-6, r["simulated_s"].get<double>());
    errors.x.push_back(double(tics.size()));
    errors.y.push_back(percent(r["test_error"]));
    teacher_line.x.push_back(double(tics.size()));
    teacher_line.y.push_back(percent(results["teacher"]["test_error"]));
    tics.push_back(m);
  }
  metrics["plot"] = "";
  if (!tics.empty())
    plot_into(metrics, "plot", "plot", results_stem(out) + "_methods",
              PlotSpec{fmt::format("Student (seed {}, perturbation {:g}) by transfer method", student_seed,
                                   dp.perturb.scale),
                       "transfer method", "test error (%)", false, false, tics},
              {errors, teacher_line});
  if (n_ages > 0) {
    // The teacher's life: its error by age beside the student it taught then.
    metrics["life"] = results["life"];
    metrics["life_method"] = dp.life_method;
    fmt::print(stderr, "\n{:>12} | {:>10} | {:>12} | {:>14} | {:>8}\n", "age (days)", "teacher", "stuck devices",
               "student (" + dp.life_method + ")", "agrees");
    Series aged{"teacher at that age", {}, {}}, taught{"its student, fresh (" + dp.life_method + ")", {}, {}};
    std::vector<std::string> ages;
    for (const auto& row : results["life"]) {
      const double age = row["age_days"].get<double>();
      const nlohmann::json& r = row["student"];
      metrics[fmt::format("life_teacher_test_error_{:g}d", age)] = row["teacher_test_error"];
      metrics[fmt::format("life_student_test_error_{:g}d", age)] = r["test_error"];
      fmt::print(stderr, "{:>12g} | {:>9.2f}% | {:>11.3f}% | {:>13.2f}% | {:>7.2f}%\n", age,
                 percent(row["teacher_test_error"]), percent(row["teacher_stuck_fraction"]), percent(r["test_error"]),
                 percent(r["agreement_with_teacher"]));
      aged.x.push_back(double(ages.size()));
      aged.y.push_back(percent(row["teacher_test_error"]));
      taught.x.push_back(double(ages.size()));
      taught.y.push_back(percent(r["test_error"]));
      ages.push_back(fmt::format("{:g} d", age));
    }
    metrics["life_plot"] = "";
    plot_into(metrics, "life_plot", "life plot", results_stem(out) + "_life",
              PlotSpec{fmt::format("A teacher's life ({} chip, {:g} faults per device and day) and the students "
                                   "it teaches", ts.ip.device, tcp.crossbar.device.stuck_per_day),
                       "the teacher's age", "test error (%)", false, false, ages},
              {aged, taught});
  }
  metrics["timing_s"] = {{"total", prior_wall + clock.seconds()}, {"this_process", total.seconds()},
                         {"cpu_total", cpu_seconds()}};
  metrics["energy_total"] = ledger.to_json();
  return metrics;
}

}  // namespace mortal
