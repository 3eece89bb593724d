#include "hw/pipeline.h"

#include <fmt/format.h>

#include <ostream>

#include "core/error.h"
#include "hw/chip.h"

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
  while (out->num_free() > 0) {
    Packet p;
    if (!take(p)) return;  // nothing left: back to waiting for a push (static sensitivity)
    out->nb_write(p);
  }
  next_trigger(out->data_read_event());
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
