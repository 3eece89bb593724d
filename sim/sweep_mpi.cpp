#include "sim/sweep_mpi.h"

// The C interface only: MPI's deprecated C++ bindings are not used (and warn under -Wextra).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <thread>

#include "core/error.h"
#include "sim/sweep_collect.h"
#include "sim/sweep_run.h"

namespace mortal {
namespace {

// Messages: a worker sends kReady once, then kRow after each run; rank 0 answers each with kWork (a
// point and replica) or kStop.
constexpr int kReady = 1, kRow = 2, kWork = 3, kStop = 4;

void send_text(const std::string& text, int to, int tag) {
  MPI_Send(text.data(), int(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

std::string receive_text(const MPI_Status& probed) {
  int n = 0;
  MPI_Get_count(&probed, MPI_CHAR, &n);
  std::string text(std::size_t(n), '\0');
  MPI_Recv(text.data(), n, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return text;
}

// Waits for a message without spinning: OpenMPI's blocking receive polls at full speed, and the core it
// would take is one a run could use.
MPI_Status wait_message(int from) {
  MPI_Status st;
  for (;;) {
    int flag = 0;
    MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int coordinate(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
               const std::vector<int>& points, const std::vector<std::string>& plot_metrics, int ranks) {
  const std::string program = resolve_scenario(spec.scenario);
  check_sweep(spec, program);
  SweepDir sweep(spec, dir, command);
  const auto todo = sweep.pending(points);
  std::deque<std::pair<int, int>> queue(todo.begin(), todo.end());
  fmt::print("sweep: {} runs to do on {} MPI ranks (rank 0 hands them out); table {}/results.csv\n", todo.size(),
             ranks - 1, dir);
  sweep.start_progress(points);
  int active = ranks - 1;
  while (active > 0) {
    const MPI_Status st = wait_message(MPI_ANY_SOURCE);
    const std::string text = receive_text(st);
    if (st.MPI_TAG == kRow) {
      const nlohmann::json j = nlohmann::json::parse(text);
      RunOutcome outcome;
      outcome.row = j.at("row").get<CsvRow>();
      outcome.json_text = j.at("json").get<std::string>();
      sweep.record(outcome);
    }
    if (queue.empty()) {
      send_text("", st.MPI_SOURCE, kStop);
      --active;
    } else {
      send_text(fmt::format("{} {}", queue.front().first, queue.front().second), st.MPI_SOURCE, kWork);
      queue.pop_front();
    }
  }
  if (points.empty()) collect_sweep(dir, plot_metrics);
  fmt::print("sweep: done, {} failed run{}\n", sweep.failed(), sweep.failed() == 1 ? "" : "s");
  return 0;
}

void work(const SweepSpec& spec, const std::string& dir) {
  const std::string program = resolve_scenario(spec.scenario);
  // The run's JSON is written on this machine first, then sent to rank 0.
  const std::string runs_dir = dir + "/runs";
  std::filesystem::create_directories(runs_dir);
  send_text("", 0, kReady);
  for (;;) {
    const MPI_Status st = wait_message(0);
    const std::string text = receive_text(st);
    if (st.MPI_TAG == kStop) return;
    int point = 0, replica = 0;
    require(std::sscanf(text.c_str(), "%d %d", &point, &replica) == 2, "MPI: a work message that names no run: {}", text);
    const RunOutcome outcome = run_one(spec, program, runs_dir, point, replica);
    const nlohmann::json j = {{"row", outcome.row}, {"json", outcome.json_text}};
    send_text(j.dump(), 0, kRow);
  }
}

}  // namespace

bool mpi_built() { return true; }

int run_mpi_sweep(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
                  const std::vector<int>& points, const std::vector<std::string>& plot_metrics) {
  MPI_Init(nullptr, nullptr);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int code = 0;
  try {
    if (ranks == 1) {
      const std::string program = resolve_scenario(spec.scenario);
      check_sweep(spec, program);
      SweepDir sweep(spec, dir, command);
      const auto runs = sweep.pending(points);
      sweep.start_progress(points);
      run_local(sweep, program, runs, 1);
      if (points.empty()) collect_sweep(dir, plot_metrics);
    } else if (rank == 0) {
      code = coordinate(spec, dir, command, points, plot_metrics, ranks);
    } else {
      work(spec, dir);
    }
  } catch (const std::exception& e) {
    // The other ranks wait on messages that will not come: end them all.
    fmt::print(stderr, "mortal_sweep: error (rank {}): {}\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return code;
}

}  // namespace mortal
