#pragma once
// A sweep across MPI ranks (mpirun -np N mortal_sweep ...): rank 0 checks the sweep, hands out runs one
// at a time and writes every file (sweep.json, results.csv, runs/); ranks 1..N-1 run them as child
// processes and send back each run's row and JSON, so no shared file system is needed. Every rank parses
// the same command line.
//
// A rank that dies: under OpenMPI's default, mpirun ends the whole job; the runs not sent back have no
// row, so the same command run again does exactly those. Under `mpirun --enable-recovery` the other ranks
// go on, and rank 0 finds the dead one by its silence: a worker says it is alive every second while it
// runs, and one silent for `rank_timeout_s` is taken as dead, its run handed out again (a rank taken as
// dead that speaks again is taken back, its row kept unless the run was recorded meanwhile). Once every
// run is recorded, a job that lost a rank ends by MPI_Abort with the sweep's exit code: OpenMPI 4.1's
// MPI_Finalize would wait for the lost rank (under --enable-recovery its mpirun exits with 0 whatever the
// code). With every worker rank lost, the sweep stops with an error.
#include <string>
#include <vector>

#include "sim/sweep_grid.h"

namespace mortal {

// Whether this build has MPI (found by CMake when it was configured).
bool mpi_built();

// Starts and ends MPI; returns the process's exit code. With one rank, rank 0 runs everything itself.
int run_mpi_sweep(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
                  const std::vector<int>& points, const std::vector<std::string>& plot_metrics, double rank_timeout_s);

}  // namespace mortal
