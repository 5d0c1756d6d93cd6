// Test fakes: a configurable stage for runner tests.
#pragma once

#include <ATen/ATen.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "atelier/stage.h"

namespace atelier::test {

// Adds `offset` to tensor "x" after sleeping `delay_ms` (checking cancellation every ms); fails when the
// input's index equals `fail_index`. Records every processed index and the offset in force for it.
class FakeStage : public Stage {
 public:
  std::string_view id() const override { return "test.fake"; }
  std::vector<ParamSpec> params() const override {
    return {ParamSpec::Float("offset", "Offset", 0.0, -1e6, 1e6), ParamSpec::Int("delay_ms", "Delay", 0, 0, 100000),
            ParamSpec::Int("fail_index", "Fail index", -2, -2, 1 << 30)};
  }
  Status configure(const ParamSet& v) override {
    offset_ = getFloat(v, "offset", 0);
    delay_ms_ = getInt(v, "delay_ms", 0);
    fail_index_ = getInt(v, "fail_index", -2);
    configures.fetch_add(1);
    return Status::Ok();
  }
  Result<Packet> process(const Packet& in, RunContext& ctx) override {
    started.fetch_add(1);
    for (int64_t i = 0; i < delay_ms_; ++i) {
      if (ctx.cancelRequested()) { return Status::Cancelled(); }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ctx.reportProgress(i + 1, delay_ms_, "sleep");
    }
    if (in.index == fail_index_) { return Status::Internal("fake failure at " + std::to_string(in.index)); }
    Packet out = in;
    if (in.tensors.count("x")) { out.tensors["x"] = in.tensors.at("x") + offset_; }
    out.scalars["offset"] = offset_;
    {
      std::lock_guard<std::mutex> l(mu);
      seen.push_back(in.index);
      offsets.push_back(offset_);
    }
    return out;
  }
  std::mutex mu;
  std::vector<int64_t> seen;
  std::vector<double> offsets;
  std::atomic<int> configures{0}, started{0};

 private:
  double offset_ = 0;
  int64_t delay_ms_ = 0, fail_index_ = -2;
};

}  // namespace atelier::test
