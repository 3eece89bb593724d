#include "sim/recurrent_insitu.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/checkpoint.h"
#include "core/error.h"
#include "hw/chip.h"
#include "model/ff_math.h"
#include "sim/chip_periphery.h"
#include "sim/hw_config.h"
#include "sim/results.h"
#include "sim/recurrent_experiment.h"
#include "sim/rules/update_rule.h"

namespace mortal {

namespace {

// One array of the recurrent net on a chip layer: its products leave analog (no ADC), the first layer of a
// chip takes its input through the DACs; its updates go through the chip's rule. Time and its noise as the
// host gives them.
class ChipArray final : public SynapticArray {
 public:
  ChipArray(hw::Chip& chip, int k, UpdateRule& rule, hw::Chip& clock, const float& lr_next)
      : chip_(chip), k_(k), rule_(rule), clock_(clock), lr_next_(lr_next) {}
  int inputs() const override { return chip_.layer(k_).inputs(); }
  int outputs() const override { return chip_.layer(k_).outputs(); }
  void forward(MatRef z, ConstMatRef x) override {
    const double t_s = clock_.now_s();
    const double ns = chip_.forward_at(k_, z, x, t_s, chip_.rng(), hw::ForwardIO{k_ == 0, false}).ns;
    clock_.advance_ns(std::max(ns, rule_.forward_extra(k_, z, x, t_s, chip_.rng())));
  }
  void update(ConstMatRef x, ConstMatRef d, float lr) override {
    clock_.advance_ns(rule_.step(RuleStep{k_, x, d, lr, lr_next_, clock_.now_s(), 0.0, chip_.rng()}));
  }
  void read_weights(MatRef w) override { chip_.layer(k_).read_weights(w); }

 private:
  hw::Chip& chip_;
  int k_;
  UpdateRule& rule_;
  hw::Chip& clock_;
  const float& lr_next_;
};

class ChipRecurrent final : public RecurrentHost {
 public:
  ChipRecurrent(const FFParams& p, const InSituParams& ip, const UpdateRuleParams& rule, const Dataset& train,
                std::uint64_t seed)
      : up_params_(insitu_chip(p, ip, rule, train, energy_)),
        down_params_(recurrent_down_chip(up_params_, p, ip, train.num_classes)),
        ledger_(energy_),
        up_("ff", up_params_, ledger_, seed),
        down_("ff_down", down_params_, ledger_, seed),
        up_rule_(make_update_rule(rule, up_)),
        down_rule_(make_update_rule(rule, down_)),
        readout_(ledger_.counter("ff.label_readout", "adc_conversion", ledger_.params().adc_conversion_pj)),
        epochs_(p.epochs),
        evaluation_(energy_),
        before_(energy_) {
    const FFLayerParams lp = p.layer_params();
    const int L = up_.layers();
    std::vector<std::unique_ptr<SynapticArray>> up, down;
    std::vector<std::unique_ptr<FFPeriphery>> io;
    for (int l = 0; l < L; ++l) {
      up.push_back(std::make_unique<ChipArray>(up_, l, *up_rule_, up_, lr_next_));
      down.push_back(std::make_unique<ChipArray>(down_, L - 1 - l, *down_rule_, up_, lr_next_));
      const int units = up_.layer(l).outputs();
      auto c = std::make_unique<ChipPeriphery>(up_, l, lp.objective, lp.objective.threshold(units), up_.rng());
      circuits_.push_back(c.get());
      io.push_back(std::move(c));
    }
    net_ = std::make_unique<FFRecurrentNet>(std::move(up), std::move(down), lp, parse_norm(p.input_norm),
                                            p.recurrent_params(), std::move(io));
  }

  // The initial weights of the digital run of this seed, by program-and-verify.
  void program_initial(const FFParams& p, int features, std::uint64_t seed) {
    const auto up = make_ff_arrays(p, features, seed);
    const std::vector<Mat> down = recurrent_down_weights(p, down_.layer(0).inputs(), seed);
    const int L = up_.layers();
    for (int l = 0; l < L; ++l) {
      Mat w(up[std::size_t(l)]->outputs(), up[std::size_t(l)]->inputs());
      up[std::size_t(l)]->read_weights(w);
      up_.program(l, w);
      down_.program(L - 1 - l, down[std::size_t(l)]);
    }
  }

  FFRecurrentNet& net() override { return *net_; }
  void rates(float, float lr_next) override {
    lr_next_ = lr_next;
    take_time();
  }
  void evaluating(bool on) override {
    take_time();
    if (on) {
      before_ = ledger_;
      before_s_ = up_.now_s();
    } else {
      evaluation_.add_all(ledger_.minus(before_));
      evaluation_s_ += up_.now_s() - before_s_;
    }
  }
  void predicted(long long images) override { ledger_.add(readout_, double(images)); }
  void save(Checkpoint& c) override {
    take_time();
    up_.sync();
    up_.save(c, "chip");
    down_.save(c, "chip_down");
    c.put_json("ledger", ledger_.to_json());
    c.put_json("ledger_curve_evaluation", evaluation_.to_json());
    c.put_json("trainer.simulated_evaluation_s", evaluation_s_);
    up_rule_->save(c);
    // The top-down chip's rule keeps the same keys as the bottom-up chip's, under "down.".
    Checkpoint down_rule;
    down_rule_->save(down_rule);
    c.merge(down_rule, "down.");
  }
  void restore(const Checkpoint& c) override {
    up_.restore(c, "chip");
    down_.restore(c, "chip_down");
    ledger_.restore(c.get_json("ledger"));
    evaluation_.restore(c.get_json("ledger_curve_evaluation"));
    evaluation_s_ = c.get_json("trainer.simulated_evaluation_s").get<double>();
    require(std::isfinite(evaluation_s_) && evaluation_s_ >= 0,
            "checkpoint entry 'trainer.simulated_evaluation_s' is {}, not a time", evaluation_s_);
    up_rule_->restore(c);
    down_rule_->restore(c.under("down."));
  }
  void finish_training() override {
    std::vector<hw::FastRng> up_rng, down_rng;
    for (int l = 0; l < up_.layers(); ++l) {
      up_rng.emplace_back(up_.seed(), "insitu.finish", std::uint64_t(l));
      down_rng.emplace_back(down_.seed(), "insitu.finish_down", std::uint64_t(l));
    }
    up_rule_->finish(up_rng);
    down_rule_->finish(down_rng);
    take_time();
  }
  void describe(nlohmann::json& m) override {
    take_time();
    up_.sync();
    m["hardware"] = hw_to_json(up_params_, energy_);
    m["hardware_top_down"] = hw_to_json(down_params_, energy_);
    // Training's share: everything but the evaluations (the learning curve's and the final one).
    const hw::Ledger training = ledger_.minus(evaluation_);
    const double images = double(m.at("train_examples").get<int>()) * epochs_;
    const double sim_train_s = up_.now_s() - evaluation_s_;
    m["simulated_training_s"] = sim_train_s;
    m["images_per_simulated_s"] = images / sim_train_s;
    m["energy_training"] = training.to_json();
    m["energy_training_pj_per_image"] = training.total_energy_pj() / images;
    m["energy_total"] = ledger_.to_json();
    m["drift_plot"] = "";
    m["not_evaluated"] = {"the BP rival", "the test error after idling (drift)"};
  }

 private:
  // The circuits' time since the last call, on the clock.
  void take_time() {
    double ns = 0;
    for (ChipPeriphery* c : circuits_) ns += c->take_ns();
    up_.advance_ns(ns);
  }

  hw::EnergyParams energy_;
  hw::ChipParams up_params_, down_params_;
  hw::Ledger ledger_;
  hw::Chip up_, down_;
  std::unique_ptr<UpdateRule> up_rule_, down_rule_;
  hw::Ledger::Handle readout_;
  int epochs_;
  hw::Ledger evaluation_, before_;  // the evaluations' energy; the ledger as an evaluation began
  double evaluation_s_ = 0, before_s_ = 0;
  float lr_next_ = 0;
  std::vector<ChipPeriphery*> circuits_;  // owned by the net
  std::unique_ptr<FFRecurrentNet> net_;
};

}  // namespace

hw::ChipParams recurrent_down_chip(const hw::ChipParams& up, const FFParams& p, const InSituParams& ip, int classes) {
  hw::ChipParams d = up;
  d.sizes = {classes};
  for (std::size_t l = up.sizes.size() - 1; l >= 1; --l) d.sizes.push_back(up.sizes[l]);
  d.bias_row = false;
  d.damping_stage = false;
  d.connectivity.clear();
  // The clamped label as the input normalisation gives it: one unit of a one-hot row.
  Mat label = Mat::Zero(1, classes);
  label(0, 0) = 1;
  normalise_rows(label, label, parse_norm(p.input_norm), p.layer_params().norm_eps);
  d.scales.clear();
  for (std::size_t j = 0; j + 1 < d.sizes.size(); ++j)
    d.scales.push_back({ip.w_scale, j == 0 ? double(label.maxCoeff()) : ip.hidden_range, ip.output_range});
  d.validate();
  return d;
}

std::unique_ptr<RecurrentHost> recurrent_chips(const FFParams& p, const InSituParams& ip, const Dataset& train,
                                               std::uint64_t seed, bool program) {
  auto host = std::make_unique<ChipRecurrent>(p, ip, insitu_rule(p, ip), train, seed);
  if (program) host->program_initial(p, train.features(), seed);
  return host;
}

nlohmann::json run_recurrent_insitu(const FFParams& p, const InSituParams& ip, const Checkpointing& ck,
                                    std::uint64_t seed, const FFCurveCallback& on_epoch) {
  const UpdateRuleParams rule = insitu_rule(p, ip);
  require_resumable(ck);
  const RunData data = load_ff_data(p, seed);
  if (ip.rival != "none")
    fmt::print(stderr, "recurrent in situ: no BP rival is trained (--rival {} is not done for the recurrent net)\n",
               ip.rival);
  if (!ip.drift_times.empty())
    fmt::print(stderr, "recurrent in situ: the test error after idling is not evaluated (--drift-times)\n");
  Stopwatch total;
  const std::unique_ptr<RecurrentHost> host = recurrent_chips(p, ip, data.train, seed, !ck.resume);
  nlohmann::json m = run_recurrent(*host, p, data.train, data.test, seed, true, on_epoch, ck, &data.validation);
  if (m.value("status", "") == "finished") {
    m["mode"] = "recurrent in situ";
    m["device"] = ip.device;
    set_wall_time(m["timing_s"], total.seconds());
  }
  return m;
}

}  // namespace mortal
