#pragma once
// The chip as a pipeline in simulated time: layers are concurrent processes joined by sc_fifo channels;
// a packet is one batch (rows = consecutive time steps) and each stage holds it for the time its work
// takes. Stages are SC_METHODs driven by fifo events and timed next_trigger (no coroutine stacks).
#include <systemc>

#include <functional>
#include <iosfwd>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace mortal::hw {

class Chip;
class Ledger;

// A batch in flight. What it means to a learning rule (its rate, which rows are positive) is the rule's
// business: the id lets the stages look it up.
struct Packet {
  int id = -1;
  std::shared_ptr<Mat> x;  // (batch, features); shared so the fifo copies a pointer, not the batch
  double entered_s = -1;   // simulated time the first stage took the packet in (set by that stage)
};
std::ostream& operator<<(std::ostream& os, const Packet& p);

// A stage: reads a packet, transforms it (work returns its duration in ns), holds it that long, writes it.
class PipelineStage : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PipelineStage);
  using Work = std::function<double(Packet&, double t_s)>;
  sc_core::sc_fifo_in<Packet> in;
  sc_core::sc_fifo_out<Packet> out;

  PipelineStage(sc_core::sc_module_name name, Work work);
  int processed() const { return processed_; }
  bool busy() const { return busy_; }
  int packet() const { return busy_ ? current_.id : -1; }  // the packet held, -1 when idle
  // Called after every step of the stage (the trace's sampling point); empty: nothing.
  void observe(std::function<void()> f) { observer_ = std::move(f); }

 private:
  void step();
  void advance();
  Work work_;
  std::function<void()> observer_;
  bool busy_ = false;
  Packet current_;
  int processed_ = 0;
};

// Feeds packets into its fifo as space frees up: queued ones first, then those a generator makes on
// demand (a training epoch streams through without every batch in memory at once).
class PacketSource : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PacketSource);
  using Generator = std::function<bool(Packet&)>;  // fills the next packet; false when there is none
  sc_core::sc_fifo_out<Packet> out;
  explicit PacketSource(sc_core::sc_module_name name);
  // Queue a packet; it enters the pipeline at the current simulated time (before or between sc_start).
  void push(Packet p);
  // Draw packets from `next` whenever the first fifo has room, until it returns false.
  void feed(Generator next);
  long long written() const { return written_; }  // packets put into the first fifo
  void observe(std::function<void()> f) { observer_ = std::move(f); }

 private:
  void step();
  bool take(Packet& p);
  long long written_ = 0;
  std::function<void()> observer_;
  sc_core::sc_event pushed_;
  std::vector<Packet> queue_;
  std::size_t next_ = 0;
  Generator generator_;
};

// Collects packets with their arrival times (or, with keep(false), only counts them and their latency).
class PacketSink : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PacketSink);
  sc_core::sc_fifo_in<Packet> in;
  explicit PacketSink(sc_core::sc_module_name name);
  void keep(bool on) { keep_ = on; }
  const std::vector<Packet>& received() const { return received_; }
  const std::vector<double>& arrival_s() const { return arrival_s_; }
  // Every packet that arrived, kept or not: count, summed latency (arrival - first stage's intake).
  long long count() const { return count_; }
  double latency_sum_s() const { return latency_sum_s_; }
  // Starts the latency sum again (per epoch: a difference of two long sums would depend on what came
  // before, and a resumed run has no before).
  void reset_latency_sum() { latency_sum_s_ = 0; }
  void observe(std::function<void()> f) { observer_ = std::move(f); }

 private:
  void step();
  std::function<void()> observer_;
  bool keep_ = true;
  std::vector<Packet> received_;
  std::vector<double> arrival_s_;
  long long count_ = 0;
  double latency_sum_s_ = 0;
};

// Stages joined by fifos of the given depth, between a source and a sink.
class Pipeline : public sc_core::sc_module {
 public:
  Pipeline(sc_core::sc_module_name name, std::vector<PipelineStage::Work> stages, int fifo_depth = 2);
  ~Pipeline() override;
  PacketSource source;
  PacketSink sink;
  PipelineStage& stage(int k) { return *stages_.at(std::size_t(k)); }
  int stages() const { return int(stages_.size()); }
  // Packets in fifo k (0: the source's; k: after stage k - 1), written and not yet read.
  long long fifo_level(int k) const;

  // Records the pipeline in `tf` as signals, from now until `packets` more packets have left it: every
  // stage's busy flag, the packet it holds and its count of packets done, every fifo's level, the packets
  // in and out, and the count of every event `ledger` has registered so far. The signals are copies the
  // modules' steps update (no process of its own, nothing the simulation reads): the run is the same with or
  // without a trace, and once the packets are through the copies stop changing and the file stops growing.
  void trace_signals(sc_core::sc_trace_file* tf, long long packets, const Ledger& ledger);

 private:
  struct Probe;
  void sample();
  std::vector<std::unique_ptr<PipelineStage>> stages_;
  std::vector<std::unique_ptr<sc_core::sc_fifo<Packet>>> fifos_;
  std::unique_ptr<Probe> probe_;
};

// The stage work of chip layer k in inference: crossbar forward, analog ReLU, length normalisation.
PipelineStage::Work chip_layer_stage(Chip& chip, int k);

}  // namespace mortal::hw
