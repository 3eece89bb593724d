#pragma once
// The time left of a run made of phases one after another (in situ: the BP rival's epochs, the FF epochs
// and the test evaluations of their learning curve, the evaluation after training, the rival on its chip,
// one evaluation per drift time), so that every progress line's ETA is to the end of the run, not to the
// end of the loop that prints it.
//
// A phase's unit costs what its units finished in this process took on average. Before one has finished,
// a phase estimated from another costs `weight` of that one's units (a drift time: the test set evaluated
// plain and compensated, two test evaluations). A phase with neither is not yet timed, and the ETA names
// it instead of guessing: the digital rival's epochs say nothing about the chip's.
#include <string>
#include <vector>

#include "sim/results.h"

namespace mortal {

class RunEta {
 public:
  // Adds a phase of `units` units after those added before; `name` is how the ETA names it while it is
  // not yet timed ("FF epoch"). With `like`, the name of a phase added before, a unit costs `weight`
  // units of that phase until one of its own is timed.
  void add(const std::string& name, int units, const std::string& like = {}, double weight = 1);
  // `units` of phase `name` finished in `seconds`.
  void finished(const std::string& name, double seconds, int units = 1);
  // `units` of phase `name` were finished by an earlier process (a resumed run): left, but not timed.
  void skipped(const std::string& name, int units);

  // The estimated seconds of the units left whose cost is known.
  double seconds_left() const;
  // The phases with units left whose cost is not known, each named once, in run order: those not timed
  // and not estimated from a timed one.
  std::vector<std::string> untimed() const;
  // "12m05s", or "1m20s + (not yet timed: FF epoch, test evaluation)", or "? (not yet timed: FF epoch)".
  std::string text() const;
  // Wall time since the run began (this object was made).
  double elapsed_s() const { return clock_.seconds(); }

 private:
  struct Phase {
    std::string name;
    int units = 0;
    int done = 0;
    int timed = 0;  // of the units done, those this process timed
    double seconds = 0;
    int like = -1;  // the phase a unit is estimated from before one is timed
    double weight = 1;
  };
  std::vector<Phase> phases_;
  Stopwatch clock_;

  int index(const std::string& name) const;
  double unit_seconds(const Phase& ph) const;  // NaN while unknown
  const Phase& root(const Phase& ph) const;    // the phase whose timing `ph` waits for
};

}  // namespace mortal
