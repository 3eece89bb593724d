#pragma once
// Mortal computation (Hinton 2022, section 8): a chip that learned in situ has absorbed its own quirks (its
// devices, its analog units' gains and offsets, its stuck cells), so its weights mean something only on
// that chip. Knowledge moves to another individual the way it moves between brains: the student learns,
// on its own hardware, to behave like the teacher.
//
// A teacher chip (trained in the same run, or restored from an ff_mnist in-situ checkpoint) and a student
// chip (another individual: its own seed, and its own preset, layer shape and variability if asked). Each
// transfer method starts from the same student individual (the chip redrawn from its seed):
//   weight-copy       the teacher's weights read out through its ADCs, written into the student by
//                     program-and-verify;
//   conductance-copy  the student's devices programmed to the teacher's conductances as they are, with no
//                     read-out in user units (what copying a chip's state naively does);
//   soft              FF in situ on the student from the teacher's probabilities over unlabelled transfer
//                     images (softmax of its label scores at a temperature): each image's positive overlay
//                     carries a label drawn from them, its negative overlay a label drawn uniformly from the
//                     others, and every overlay's target is the teacher's probability of its label;
//   hard              the same from the teacher's most probable label (targets 1 and 0);
//   soft-all          every label's overlay of every image, each with the teacher's probability of that
//                     label as its target (counted positive with weight p, negative with 1 - p): nothing
//                     drawn, all the teacher's probabilities used on every pass. Five times the overlays of
//                     soft per image; only when asked for;
//   hard-all          the same with the targets of hard: 1 for the teacher's most probable label, 0 for
//                     each of the nine others; only when asked for;
//   soft-expected     every label's overlay with the target of soft (the teacher's probability p of the
//                     label), weighted as soft's drawn pair holds that overlay in expectation: p as the
//                     positive plus (1 - p) / (classes - 1) as the negative (times classes / 2, so the
//                     weights average 1 over the rows): the drawn pairs' step in expectation, nothing drawn;
//                     only when asked for;
//   hard-expected     the same for hard: the most probable label at weight 1 and target 1, every other at
//                     weight 1 / (classes - 1) and target 0 (times classes / 2); only when asked for;
//   soft-layers       the overlays of soft, but each layer k of the student learns towards the teacher's layer
//                     k's probability that the overlay is positive data (its sigmoid unit's output): each
//                     layer imitates its counterpart. Only for a student of the teacher's depth, and only
//                     when asked for (it is not among the default methods);
//   representations   the overlays and targets of soft, and besides every student layer learns to turn its
//                     activity vector towards the teacher's same layer's for the same overlay (the teacher
//                     queried as batches are drawn; InSituFF::learn_representations). Only for a student of
//                     the teacher's layer widths, and only when asked for;
//   copy+soft         weight copy, then soft;
//   labels            FF in situ from the true labels: what the student's own hardware can learn.
// A chip's life (--ages): after the methods the teacher idles, drifting and gathering stuck devices at
// DeviceParams::stuck_per_day, and at each age teaches a fresh student (the same individual, redrawn) by
// --life-method: the teacher's error by age beside its student's.
// The student's trainer is given a TeacherSupervision, which is built from UnlabelledImages: a type with
// no labels in it. Labels are read only to measure test errors.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "sim/ff_experiment.h"
#include "sim/insitu_ff.h"
#include "sim/perturbation.h"
#include "sim/resume.h"
#include "sim/supervision.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mortal {

// The transfer methods, in the order a run measures them by default.
const std::vector<std::string>& distill_methods();
// Every transfer method a run may name: the default ones, then those measured only when asked for.
const std::vector<std::string>& known_distill_methods();

struct DistillParams {
  std::string teacher;               // an in-situ checkpoint of a finished ff_mnist run; empty: trained here
  std::vector<std::string> methods = distill_methods();
  std::string student_device;        // empty: the teacher's preset
  std::vector<int> student_layers;   // empty: the teacher's
  std::uint64_t student_seed = 0;    // 0: derived from the run's seed
  int student_epochs = 0;            // 0: --epochs
  int transfer = 0;                  // unlabelled transfer images, drawn from the training set (0: all)
  double temperature = 0;            // of the teacher's softmax, in score units; 0: from `confidence`
  double confidence = 0.9;           // with temperature 0: the teacher's mean largest probability
  Perturbation perturb;              // the student's variability (the teacher's too unless teacher_perturb)
  double teacher_perturb = -1;       // the teacher's scale s; < 0: perturb.scale
  double representation_weight = 1;  // method representations: the weight of its term beside FF's
  std::string keep_student;          // a method: the student it leaves is kept as a teacher checkpoint
  int teacher_queries = 1;           // queries of the teacher per transfer image, their scores averaged
  int readout_repeats = 16;          // weight copy: reads of every row, averaged (its read noise / sqrt)
  std::vector<double> ages;          // days of the teacher's life at which it teaches a fresh student
  std::string life_method = "soft";  // how it teaches then: soft or hard
  double teacher_stuck_per_day = -1; // faults appearing in the teacher per device and day; < 0: its device's

  void add_options(CLI::App& app);
  void validate() const;
  // Whether a method trains the student (and so has epochs).
  static bool trains(const std::string& method);
  static bool copies(const std::string& method);
};

// The probabilities a teacher gives over the labels of the transfer images, and the supervision a student
// learns from: overlays drawn from them (soft) or the most probable label against a random other (hard);
// or the overlays of soft with every layer's own target, the teacher's layer's probability of positive data
// for that image and label (layers).
class TeacherSupervision final : public FFSupervision {
 public:
  // soft, hard, layers: a positive and a negative overlay per image; soft_all, hard_all: one per label;
  // soft_expected, hard_expected: one per label, each weighted as soft's and hard's drawn pairs hold it in
  // expectation.
  enum class Targets { soft, hard, layers, soft_all, hard_all, soft_expected, hard_expected };
  // probabilities: (images, classes), rows summing to 1; read when batches are drawn, so it may be filled
  // after the supervision is built (the teacher is queried once it has learned).
  TeacherSupervision(const UnlabelledImages& images, const Mat& probabilities, Targets targets)
      : images_(images), probabilities_(probabilities), targets_(targets) {
    require(targets != Targets::layers, "targets per layer need the teacher's layers' probabilities");
  }
  // Targets per layer: layer_probabilities holds one (images, classes) per layer of the teacher, each the
  // probability that the overlay of that label is positive data; its size is fixed here, its matrices are
  // read when batches are drawn.
  TeacherSupervision(const UnlabelledImages& images, const Mat& probabilities,
                     const std::vector<Mat>& layer_probabilities)
      : images_(images), probabilities_(probabilities), layer_probabilities_(&layer_probabilities),
        targets_(Targets::layers), layers_(int(layer_probabilities.size())) {}
  const Mat& images() const override { return images_.images; }
  int classes() const override { return images_.num_classes; }
  void overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const override;
  int overlays_per_image() const override { return every_label() ? classes() : 2; }
  void overlays(int i, Rng& rng, std::vector<Overlay>& out) const override;
  int target_layers() const override { return targets_ == Targets::layers ? layers_ : 0; }
  bool weighted() const override { return targets_ == Targets::soft_expected || targets_ == Targets::hard_expected; }

 private:
  bool every_label() const { return targets_ == Targets::soft_all || targets_ == Targets::hard_all || weighted(); }

  const UnlabelledImages& images_;
  const Mat& probabilities_;
  const std::vector<Mat>* layer_probabilities_ = nullptr;
  Targets targets_;
  int layers_ = 0;
};

// softmax(scores / temperature), row by row.
Mat softmax_rows(const Mat& scores, double temperature);
// The mean over rows of the largest probability of softmax_rows(scores, temperature).
double mean_top_probability(const Mat& scores, double temperature);
// The temperature at which mean_top_probability is `confidence` (in (1 / classes, 1)), by bisection on its
// logarithm.
double temperature_for(const Mat& scores, double confidence);

// Copies between chips of the same layer shapes. copy_weights: every layer read out through the teacher's
// ADCs (hw::Chip::read_out, every row read readout_repeats times and averaged) and programmed into the student; copy_conductances: the student's devices
// programmed to the conductances of the teacher's (its first copy of the weights), in the student's own
// conductance units, without a read-out (the state of one chip set on another, costed as the program).
void copy_weights(hw::Chip& from, hw::Chip& to, hw::FastRng& rng, int readout_repeats = 1);
void copy_conductances(hw::Chip& from, hw::Chip& to);

// The distillation run: p and ip are the teacher's (and, where dp does not say otherwise, the student's)
// settings. Returns the metrics section; "status" is "finished" or "stopped" (ck.stop_after counts epochs
// over the whole run: the teacher's, then every trained method's). Checkpoints at every epoch end and after
// every method to ck.path, so a killed run resumes to the same numbers.
nlohmann::json run_distill(const FFParams& p, const InSituParams& ip, const DistillParams& dp, const Checkpointing& ck,
                           std::uint64_t seed, const std::string& out);

// Where a run with results at `out` that trains its teacher keeps the finished teacher, in the layout of an
// ff_mnist in-situ checkpoint (with its variability scale recorded), for --teacher.
// The update rule of a distillation's chips (insitu_rule), after refusing what a distillation cannot do:
// unsupervised FF, whose overlays carry no label for a teacher to score.
UpdateRuleParams distill_rule(const FFParams& p, const InSituParams& ip);

std::string teacher_checkpoint_path(const std::string& out);
// Where --keep-student keeps the student, in the same layout: the next generation's teacher.
std::string student_checkpoint_path(const std::string& out);

// The epochs a run of these settings trains in all (for --stop-after-epoch).
int distill_total_epochs(const FFParams& p, const DistillParams& dp);

}  // namespace mortal
