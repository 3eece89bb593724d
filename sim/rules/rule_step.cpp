#include "sim/rules/rule_step.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace mortal {

// A row of V read every step (after its gradient) and decayed by f every P steps: with a constant
// gradient adding a per step, it peaks at V* = P a / f and reads on average (1 - f) P a / f + (P + 1) a / 2;
// setting that to a / (1 - mu), the exact momentum's steady velocity, gives f. P = 1 gives f = 1 - mu.
DecayShare row_share(int rows, int every) {
  require(every >= 1 && rows >= 1, "row_share: every {} and rows {} must be >= 1", every, rows);
  DecayShare s;
  s.rows = (rows + every - 1) / every;
  s.period = (rows + s.rows - 1) / s.rows;
  s.fraction = 1.0f;
  return s;
}

DecayShare decay_share(int rows, int every, float mu) {
  DecayShare s = row_share(rows, every);
  const double m = 1.0 / (1.0 - double(mu)) - 0.5 * (s.period + 1);
  require(m > 0, "momentum-every {} is too long for momentum {}: a row decayed every {} steps needs {} < 2 / (1 - mu) - 1",
          every, mu, s.period, s.period);
  s.fraction = float(1.0 / (1.0 + m / s.period));
  return s;
}

std::pair<int, int> next_rows(const DecayShare& share, int& row, int rows) {
  const int row0 = row, n = std::min(share.rows, rows - row0);
  row = row0 + n >= rows ? 0 : row0 + n;
  return {row0, n};
}

int checkpoint_row(const Checkpoint& c, const std::string& key, int rows) {
  const nlohmann::json& v = c.get_json(key);
  require(v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() < rows,
          "checkpoint entry '{}' is {}, not a row of the arrays (0..{})", key, v.dump(), rows - 1);
  return v.get<int>();
}

void report_range(nlohmann::json& layer, const std::string& kind, const hw::Crossbar& a) {
  const Mat& vn = a.weights_normalised();
  const hw::DeviceState& dv = a.devices();
  const double at_bound =
      ((vn.array() >= 0.98f * dv.w_max.array()) || (vn.array() <= 0.98f * dv.w_min.array())).cast<double>().mean();
  layer[kind + "_rms"] = std::sqrt(double(vn.squaredNorm()) / double(vn.size()));
  layer[kind + "_at_bound"] = at_bound;
}

}  // namespace mortal
