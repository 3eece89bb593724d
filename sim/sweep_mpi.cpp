#include "sim/sweep_mpi.h"

// The C interface only: MPI's deprecated C++ bindings are not used (and warn under -Wextra).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/error.h"
#include "sim/sweep_collect.h"
#include "sim/sweep_run.h"

namespace mortal {
namespace {

// Messages: a worker sends kReady once, kAlive every second while a run goes on, and kRow after each run;
// rank 0 answers kReady and kRow with kWork (a point and replica) or, at the end, kStop.
constexpr int kReady = 1, kRow = 2, kWork = 3, kStop = 4, kAlive = 5;
constexpr auto kAlivePeriod = std::chrono::seconds(1);
using Clock = std::chrono::steady_clock;

// False when the message could not be sent (the rank is gone, and MPI said so).
bool send_text(const std::string& text, int to, int tag) {
  return MPI_Send(text.data(), int(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD) == MPI_SUCCESS;
}

std::string receive_text(const MPI_Status& probed) {
  int n = 0;
  MPI_Get_count(&probed, MPI_CHAR, &n);
  std::string text(std::size_t(n), '\0');
  MPI_Recv(text.data(), n, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return text;
}

// A message, or none after `patience`. Polls instead of blocking: OpenMPI's blocking receive polls at full
// speed, and the core it would take is one a run could use.
bool poll_message(int from, MPI_Status& st, std::chrono::milliseconds patience) {
  const Clock::time_point until = Clock::now() + patience;
  for (;;) {
    int flag = 0;
    MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// What rank 0 knows of a worker rank.
struct WorkerRank {
  std::optional<std::pair<int, int>> run;  // the run it holds
  bool waiting = false;                    // asked for work when none was left; answered when a run comes back
  bool dead = false;                       // silent too long (a message from it takes it back)
  Clock::time_point heard;                 // when it last spoke, or was handed its run
};

int coordinate(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
               const std::vector<int>& points, const std::vector<std::string>& plot_metrics, int ranks,
               double rank_timeout_s, bool& lost_rank) {
  const std::string program = resolve_scenario(spec.scenario);
  check_sweep(spec, program);
  SweepDir sweep(spec, dir, command);
  const auto todo = sweep.pending(points);
  std::deque<std::pair<int, int>> queue(todo.begin(), todo.end());
  fmt::print("sweep: {} runs to do on {} MPI ranks (rank 0 hands them out); table {}/results.csv\n", todo.size(),
             ranks - 1, dir);
  sweep.start_progress(points);
  std::vector<WorkerRank> workers(static_cast<std::size_t>(ranks));
  const auto timeout = std::chrono::duration<double>(rank_timeout_s);
  auto hand_out = [&](int k) {
    WorkerRank& w = workers[std::size_t(k)];
    w.waiting = queue.empty();
    if (w.waiting) return;
    w.run = queue.front();
    queue.pop_front();
    w.heard = Clock::now();
    if (!send_text(fmt::format("{} {}", w.run->first, w.run->second), k, kWork)) {
      fmt::print(stderr, "sweep: rank {} cannot be reached: taken as dead; run {} handed out again\n", k,
                 run_id(w.run->first, w.run->second));
      w.dead = true;
      lost_rank = true;
      queue.push_front(*w.run);
      w.run.reset();
    }
  };
  auto running = [&] {
    for (const WorkerRank& w : workers)
      if (!w.dead && w.run) return true;
    return false;
  };
  // A rank silent too long while it holds a run is taken as dead: its run goes to the next that asks.
  auto find_silent = [&] {
    for (int k = 1; k < ranks; ++k) {
      WorkerRank& w = workers[std::size_t(k)];
      if (w.dead || !w.run || Clock::now() - w.heard < timeout) continue;
      fmt::print(stderr, "sweep: rank {} silent for {:.0f} s: taken as dead; run {} handed out again\n", k,
                 rank_timeout_s, run_id(w.run->first, w.run->second));
      w.dead = true;
      lost_rank = true;
      queue.push_front(*w.run);
      w.run.reset();
      for (int j = 1; j < ranks && !queue.empty(); ++j)
        if (workers[std::size_t(j)].waiting && !workers[std::size_t(j)].dead) hand_out(j);
    }
    const bool all_dead = std::all_of(workers.begin() + 1, workers.end(), [](const WorkerRank& r) { return r.dead; });
    require(!all_dead, "every worker rank is lost; {} runs have no row: the same command run again does them",
            queue.size());
  };
  // Until nothing is left to hand out and no live rank holds a run.
  while (!queue.empty() || running()) {
    find_silent();
    MPI_Status st;
    if (!poll_message(MPI_ANY_SOURCE, st, std::chrono::milliseconds(200))) continue;
    const std::string text = receive_text(st);
    const int k = st.MPI_SOURCE;
    WorkerRank& w = workers[std::size_t(k)];
    w.heard = Clock::now();
    if (w.dead) {
      fmt::print(stderr, "sweep: rank {} speaks again: taken back\n", k);
      w.dead = false;
    }
    if (st.MPI_TAG == kAlive) continue;
    if (st.MPI_TAG == kRow) {
      const nlohmann::json j = nlohmann::json::parse(text);
      RunOutcome outcome;
      outcome.row = j.at("row").get<CsvRow>();
      outcome.json_text = j.at("json").get<std::string>();
      sweep.record(outcome);
      // The run came back from a rank taken for dead: no one need run it again.
      const std::pair<int, int> run = {std::stoi(outcome.row.at("point")), std::stoi(outcome.row.at("replica"))};
      queue.erase(std::remove(queue.begin(), queue.end(), run), queue.end());
      w.run.reset();
    }
    hand_out(k);
  }
  // Every rank, the dead ones too (a send to a dead rank fails or goes nowhere): a rank taken for dead
  // that was only slow must not wait for ever.
  for (int k = 1; k < ranks; ++k) send_text("", k, kStop);
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
    MPI_Status st;
    while (!poll_message(0, st, std::chrono::milliseconds(1000))) {
    }
    const std::string text = receive_text(st);
    if (st.MPI_TAG == kStop) return;
    if (st.MPI_TAG != kWork) continue;
    int point = 0, replica = 0;
    require(std::sscanf(text.c_str(), "%d %d", &point, &replica) == 2, "MPI: a work message that names no run: {}", text);
    // The run waits on its child in a thread; this one tells rank 0 every second that the rank lives.
    RunOutcome outcome;
    std::exception_ptr error;
    std::atomic<bool> finished{false};
    std::thread run([&] {
      try {
        outcome = run_one(spec, program, runs_dir, point, replica);
      } catch (...) {
        error = std::current_exception();
      }
      finished = true;
    });
    Clock::time_point said = Clock::now();
    send_text("", 0, kAlive);
    while (!finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (Clock::now() - said >= kAlivePeriod) {
        send_text("", 0, kAlive);
        said = Clock::now();
      }
    }
    run.join();
    if (error) std::rethrow_exception(error);
    const nlohmann::json j = {{"row", outcome.row}, {"json", outcome.json_text}};
    send_text(j.dump(), 0, kRow);
  }
}

}  // namespace

bool mpi_built() { return true; }

int run_mpi_sweep(const SweepSpec& spec, const std::string& dir, const std::vector<std::string>& command,
                  const std::vector<int>& points, const std::vector<std::string>& plot_metrics, double rank_timeout_s) {
  MPI_Init(nullptr, nullptr);
  // A send to a rank that died returns an error instead of ending this one.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int code = 0;
  bool lost_rank = false;
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
      code = coordinate(spec, dir, command, points, plot_metrics, ranks, rank_timeout_s, lost_rank);
    } else {
      work(spec, dir);
    }
  } catch (const std::exception& e) {
    // The other ranks wait on messages that will not come: end them all.
    fmt::print(stderr, "mortal_sweep: error (rank {}): {}\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (lost_rank) {
    // OpenMPI 4.1's MPI_Finalize waits for every rank, the lost one too (measured: for ever once the lost
    // rank's scenario outlived it). Everything is written: end the job, with the sweep's exit code.
    fmt::print("sweep: a rank was lost: the job ends by MPI_Abort (exit code {}), its files complete\n", code);
    std::fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  MPI_Finalize();
  return code;
}

}  // namespace mortal
