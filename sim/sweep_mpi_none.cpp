// mortal_sweep built without MPI: it runs on this machine only.
#include "core/error.h"
#include "sim/sweep_mpi.h"

namespace mortal {

bool mpi_built() { return false; }

int run_mpi_sweep(const SweepSpec&, const std::string&, const std::vector<std::string>&, const std::vector<int>&,
                  const std::vector<std::string>&,
                  double) {
  fail("this mortal_sweep was built without MPI (install libopenmpi-dev and configure again)");
}

}  // namespace mortal
