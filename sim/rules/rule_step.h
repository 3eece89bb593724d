#pragma once
// The base of the in-situ update rules (sim/rules/update_rule.h) and the pieces several of them share.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/checkpoint.h"
#include "core/tensor.h"
#include "hw/crossbar.h"
#include "hw/fast_rng.h"

namespace mortal {

// One step of one layer as a rule sees it: the stage's inputs and learning signal, the rates of this step
// and the next (a decay at the end of a step may take the next one's), and the stage's clock: it started at
// t_s and has taken ns so far (the rule books its own time on top).
struct RuleStep {
  int layer = 0;
  ConstMatRef x;  // (rows, inputs with the bias row)
  ConstMatRef d;  // (rows, units): the column pulse trains' signal
  float lr = 0, lr_next = 0;
  double t_s = 0, ns = 0;
  hw::FastRng& rng;
};

class UpdateRule {
 public:
  virtual ~UpdateRule() = default;
  // Applies the step's update to its layer; returns the stage's time (ns) with the update's added.
  virtual double step(const RuleStep& s) = 0;
  // Arrays a forward pass reads beside the weights (a carry's fine array): their column outputs added to z
  // (rows, units) for inputs x; returns their duration (they run beside the weights', 0 if none).
  virtual double forward_extra(int /*k*/, MatRef /*z*/, ConstMatRef /*x*/, double /*t_s*/, hw::FastRng& /*rng*/) {
    return 0;
  }
  // The end of training (a carry empties its fine arrays into the weights), each layer with its own stream.
  virtual void finish(std::vector<hw::FastRng>& /*layer_rng*/) {}
  // What an epoch's curve entry reports of layer k's extra arrays.
  virtual void report(int /*k*/, nlohmann::json& /*layer*/) const {}
  // The rule's part of a checkpoint (its row cursors); the arrays are the chip's.
  virtual void save(Checkpoint& /*c*/) const {}
  virtual void restore(const Checkpoint& /*c*/) {}
};

// The share of an extra array's rows taken per step (every `every` steps each row) and, for a momentum
// array, the fraction f each row loses at its turn (decay_share gives the derivation).
struct DecayShare {
  int rows = 0;    // rows per step
  int period = 0;  // steps between two turns of a row
  float fraction = 0;
};
DecayShare row_share(int rows, int every);  // fraction 1: a carry takes all of a row
DecayShare decay_share(int rows, int every, float mu);
// This step's share of rows (first row, count), cycling through `rows` from `row` (which advances).
std::pair<int, int> next_rows(const DecayShare& share, int& row, int rows);

// A rule's row cursor from a checkpoint entry, refused unless it is a row of 0 .. rows - 1.
int checkpoint_row(const Checkpoint& c, const std::string& key, int rows);

// How much of its range an extra array uses: `kind`_rms and `kind`_at_bound in `layer`.
void report_range(nlohmann::json& layer, const std::string& kind, const hw::Crossbar& a);

}  // namespace mortal
