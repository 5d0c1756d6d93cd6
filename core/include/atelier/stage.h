// Stage and Packet: the unit of processing and what flows between stages.
// Conventions: tensors are NCHW float32 unless the name says otherwise; images in [0,1].
// Thread-safety: a Stage is used by the runner thread only (configure and process never run concurrently).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/param.h"
#include "atelier/status.h"

namespace atelier {

class Profiler;
class LruCache;

struct Packet {                                      // what flows between stages
  std::map<std::string, at::Tensor> tensors;         // "image" [B,3,H,W] in [0,1], "mask" [B,1,H,W], "labels" [B] int64
  std::map<std::string, std::string> text;           // "prompt", "negative_prompt", "source", ...
  std::map<std::string, double> scalars;             // metrics: "error", "entropy", "latency_ms", ...
  int64_t index = -1;                                // position in a stream, -1 for a job
  int64_t pts_ns = 0;                                // presentation time for live sources
};

enum class CancelMode { kInvalid = 0, kNone, kNow, kAfterCurrentItem };

// Progress reported by long stages (diffusion steps, tiles, batches). Implementations must be thread-safe.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void report(int64_t done, int64_t total, std::string_view what) = 0;   // called on the runner thread
  // Optional preview image [1,3,H,W] in [0,1] (CPU); default ignores it.
  virtual void preview(const at::Tensor& image) {}
};

struct RunContext {
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat;               // compute dtype policy for models
  LruCache* cache = nullptr;                         // may be null
  Profiler* profiler = nullptr;                      // may be null
  const std::atomic<CancelMode>* cancel = nullptr;   // may be null
  ProgressSink* progress = nullptr;                  // may be null
  bool cancelRequested() const {                     // true when kNow was requested
    return cancel && cancel->load(std::memory_order_relaxed) == CancelMode::kNow;
  }
  void reportProgress(int64_t done, int64_t total, std::string_view what) const {
    if (progress) { progress->report(done, total, what); }
  }
};

class Stage {                                        // one processing unit; declares params, never draws UI
 public:
  virtual ~Stage() = default;
  virtual std::string_view id() const = 0;           // stable and versioned: "sr.esrgan.v1"
  virtual std::string_view label() const { return id(); }   // human-readable name for UIs
  virtual std::vector<ParamSpec> params() const = 0;
  virtual Status configure(const ParamSet& values) = 0;     // runner thread, between items only
  virtual Result<Packet> process(const Packet& in, RunContext& ctx) = 0;
};

// Runs stage.process and converts any C++/LibTorch exception into Status::Internal naming the stage.
Result<Packet> processGuarded(Stage& stage, const Packet& in, RunContext& ctx);
// Same for configure: resolves defaults, validates, and calls configure.
Status configureGuarded(Stage& stage, const ParamSet& values);

// Registry of stage factories (filled by pipelines' registerBuiltinStages()).
using StageFactory = std::function<std::unique_ptr<Stage>()>;
class StageRegistry {
 public:
  static StageRegistry& global();                    // process-wide instance
  void add(std::string id, std::string label, StageFactory f);
  std::unique_ptr<Stage> create(const std::string& id) const;   // nullptr when unknown
  std::vector<std::pair<std::string, std::string>> list() const; // (id, label) sorted by id
 private:
  std::map<std::string, std::pair<std::string, StageFactory>> factories_;
};

}  // namespace atelier
