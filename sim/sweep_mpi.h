#pragma once
// A sweep across MPI ranks (mpirun -np N mortal_sweep ...): rank 0 checks the sweep, hands out runs one
// at a time and writes every file (sweep.json, results.csv, runs/); ranks 1..N-1 run them as child
// processes and send back each run's row and JSON, so no shared file system is needed. Every rank parses
// the same command line. A rank that dies takes the job down under OpenMPI's default error handler; the
// runs it had not sent back have no row, so the same command run again does exactly those.
#include <string>
#include <vector>

#include "sim/sweep_grid.h"

namespace mortal {

// Whether this build has MPI (found by CMake when it was configured).
bool mpi_built();

// Starts and ends MPI; returns the process's exit code. With one rank, rank 0 runs everything itself.
int run_mpi_sweep(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
                  const std::vector<int>& points, const std::vector<std::string>& plot_metrics);

}  // namespace mortal
