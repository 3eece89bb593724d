#include "hw/pipeline.h"

#include <fmt/format.h>

#include <deque>
#include <ostream>
#include <string>

#include "core/error.h"
#include "hw/chip.h"
#include "hw/energy.h"

namespace mortal::hw {

std::ostream& operator<<(std::ostream& os, const Packet& p) {
  os << "packet " << p.id;
  if (p.x) os << " (" << p.x->rows() << "x" << p.x->cols() << ")";
  return os;
}

PipelineStage::PipelineStage(sc_core::sc_module_name name, Work work)
    : sc_core::sc_module(name), in("in"), out("out"), work_(std::move(work)) {
  SC_METHOD(step);
}

void PipelineStage::step() {
  advance();
  if (observer_) observer_();
}

void PipelineStage::advance() {
  if (busy_) {
    // The held packet is done: pass it on, or wait for room downstream.
    if (!out->nb_write(current_)) {
      next_trigger(out->data_read_event());
      return;
    }
    busy_ = false;
    current_ = Packet{};
    ++processed_;
  }
  Packet p;
  if (!in->nb_read(p)) {
    next_trigger(in->data_written_event());
    return;
  }
  const double now = sim_now_s();
  if (p.entered_s < 0) p.entered_s = now;
  const double ns = work_(p, now);
  current_ = std::move(p);
  busy_ = true;
  next_trigger(sc_core::sc_time(ns, sc_core::SC_NS));
}

PacketSource::PacketSource(sc_core::sc_module_name name) : sc_core::sc_module(name), out("out") {
  SC_METHOD(step);
  sensitive << pushed_;
}

void PacketSource::push(Packet p) {
  queue_.push_back(std::move(p));
  pushed_.notify(sc_core::SC_ZERO_TIME);
}

void PacketSource::feed(Generator next) {
  generator_ = std::move(next);
  pushed_.notify(sc_core::SC_ZERO_TIME);
}

bool PacketSource::take(Packet& p) {
  if (next_ < queue_.size()) {
    p = std::move(queue_[next_++]);
    return true;
  }
  if (generator_ && generator_(p)) return true;
  generator_ = nullptr;
  return false;
}

void PacketSource::step() {
  // A packet is made only when the fifo has room for it.
  bool exhausted = false;
  while (out->num_free() > 0) {
    Packet p;
    if (!take(p)) {
      exhausted = true;
      break;
    }
    out->nb_write(p);
    ++written_;
  }
  // Nothing left: back to waiting for a push (static sensitivity); else wait for room.
  if (!exhausted) next_trigger(out->data_read_event());
  if (observer_) observer_();
}

PacketSink::PacketSink(sc_core::sc_module_name name) : sc_core::sc_module(name), in("in") {
  SC_METHOD(step);
}

void PacketSink::step() {
  Packet p;
  while (in->nb_read(p)) {
    const double now = sim_now_s();
    ++count_;
    if (p.entered_s >= 0) latency_sum_s_ += now - p.entered_s;
    if (!keep_) continue;
    received_.push_back(p);
    arrival_s_.push_back(now);
  }
  next_trigger(in->data_written_event());
  if (observer_) observer_();
}

Pipeline::Pipeline(sc_core::sc_module_name name, std::vector<PipelineStage::Work> stages, int fifo_depth)
    : sc_core::sc_module(name), source("source"), sink("sink") {
  require(!stages.empty(), "{}: a pipeline needs at least one stage", this->name());
  require(fifo_depth >= 1, "fifo_depth must be >= 1, got {}", fifo_depth);
  for (std::size_t k = 0; k <= stages.size(); ++k)
    fifos_.push_back(std::make_unique<sc_core::sc_fifo<Packet>>(fmt::format("fifo{}", k).c_str(), fifo_depth));
  source.out(*fifos_.front());
  for (std::size_t k = 0; k < stages.size(); ++k) {
    stages_.push_back(std::make_unique<PipelineStage>(fmt::format("stage{}", k).c_str(), std::move(stages[k])));
    stages_.back()->in(*fifos_[k]);
    stages_.back()->out(*fifos_[k + 1]);
  }
  sink.in(*fifos_.back());
}

Pipeline::~Pipeline() = default;

long long Pipeline::fifo_level(int k) const {
  require(k >= 0 && k <= stages(), "{}: no fifo {}", name(), k);
  const long long in = k == 0 ? source.written() : stages_[std::size_t(k - 1)]->processed();
  if (k == stages()) return in - sink.count();
  const PipelineStage& next = *stages_[std::size_t(k)];
  const long long out = next.processed() + (next.busy() ? 1 : 0);  // taken by the stage it feeds
  return in - out;
}

// Copies of what the trace shows, updated after every step of the pipeline's modules until the last
// packet traced has left.
struct Pipeline::Probe {
  const Ledger* ledger = nullptr;
  long long until = 0;  // sink count at which the trace ends
  bool done = false;    // the last traced packet has left: the signals stay as they are
  std::deque<bool> busy;  // a deque: the trace refers to each flag
  std::vector<int> packet, processed, fifo;
  int packets_in = 0, packets_out = 0;
  std::vector<double> events;  // ledger counts, one per counter registered when the trace began
};

void Pipeline::trace_signals(sc_core::sc_trace_file* tf, long long packets, const Ledger& ledger) {
  require(packets >= 1, "{}: trace at least one packet, got {}", name(), packets);
  probe_ = std::make_unique<Probe>();
  Probe& pr = *probe_;
  pr.ledger = &ledger;
  pr.until = sink.count() + packets;
  const std::size_t n = stages_.size();
  pr.busy.assign(n, false);
  pr.packet.assign(n, -1);
  pr.processed.assign(n, 0);
  pr.fifo.assign(n + 1, 0);
  pr.events.assign(ledger.counters().size(), 0.0);
  for (std::size_t k = 0; k < n; ++k) {
    const std::string s = stages_[k]->name();
    sc_core::sc_trace(tf, pr.busy[k], s + ".busy");
    sc_core::sc_trace(tf, pr.packet[k], s + ".packet");
    sc_core::sc_trace(tf, pr.processed[k], s + ".processed");
  }
  for (std::size_t k = 0; k <= n; ++k) sc_core::sc_trace(tf, pr.fifo[k], fifos_[k]->name() + std::string(".level"));
  sc_core::sc_trace(tf, pr.packets_in, std::string(source.name()) + ".packets_in");
  sc_core::sc_trace(tf, pr.packets_out, std::string(sink.name()) + ".packets_out");
  for (std::size_t i = 0; i < pr.events.size(); ++i) {
    const Ledger::Counter& c = ledger.counters()[i];
    sc_core::sc_trace(tf, pr.events[i], "ledger." + c.module + "." + c.event);
  }
  const auto observer = [this] { sample(); };
  source.observe(observer);
  sink.observe(observer);
  for (auto& s : stages_) s->observe(observer);
  sample();
}

void Pipeline::sample() {
  Probe& pr = *probe_;
  if (pr.done) return;
  for (std::size_t k = 0; k < stages_.size(); ++k) {
    pr.busy[k] = stages_[k]->busy();
    pr.packet[k] = stages_[k]->packet();
    pr.processed[k] = stages_[k]->processed();
  }
  for (int k = 0; k <= stages(); ++k) pr.fifo[std::size_t(k)] = int(fifo_level(k));
  pr.packets_in = int(source.written());
  pr.packets_out = int(sink.count());
  for (std::size_t i = 0; i < pr.events.size(); ++i) pr.events[i] = pr.ledger->at(i).count;
  pr.done = sink.count() >= pr.until;
}

PipelineStage::Work chip_layer_stage(Chip& chip, int k) {
  return [&chip, k](Packet& p, double t_s) {
    TileModule& tile = chip.tile(k);
    const int batch = int(p.x->rows());
    auto z = std::make_shared<Mat>(batch, tile.core().outputs());
    double ns = chip.forward_at(k, *z, *p.x, t_s, chip.rng()).ns;
    chip.relu(k).apply(*z, *z, chip.rng());
    ns += chip.relu(k).time_ns(batch);
    chip.normaliser(k).apply(*z, *z, chip.rng());
    ns += chip.normaliser(k).time_ns(batch);
    p.x = std::move(z);
    return ns;
  };
}

}  // namespace mortal::hw
