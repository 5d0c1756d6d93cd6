// Runner: owns the only LibTorch worker thread. Items (Packets) are queued per source and run through a
// Pipeline (an ordered list of stages); results and errors are posted to the UI through PostToUi.
// Queue policy per source: live streams are bounded and drop the oldest item; jobs are never dropped.
// Parameter changes are applied at the next item boundary (OBS defer_update). The first error sticks (LevelDB bg_error_).
// Thread-safety: every public method may be called from any thread; callbacks run wherever PostToUi runs them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "atelier/cache.h"
#include "atelier/profiler.h"
#include "atelier/stage.h"

namespace atelier {

struct QueuePolicy {
  enum class Kind { kInvalid = 0, kJob, kLive };
  Kind kind = Kind::kJob;
  size_t capacity = 0;                  // kLive only: max queued items (oldest dropped beyond)
  std::string source = "jobs";          // queue name; items of one source are processed in order
  static QueuePolicy Job(std::string source = "jobs") { return {Kind::kJob, 0, std::move(source)}; }
  static QueuePolicy Live(std::string source, size_t capacity = 2) { return {Kind::kLive, capacity, std::move(source)}; }
};

struct ProgressView {                    // a copy of the runner's atomics
  int64_t items_done = 0, items_failed = 0, items_dropped = 0, items_cancelled = 0, queued = 0;
  int64_t step_done = 0, step_total = 0; // within the current item (diffusion steps, tiles…)
  bool busy = false;
};

class Runner {
 public:
  using PostToUi = std::function<void(std::function<void()>)>;     // e.g. QMetaObject::invokeMethod(qApp, …)
  using ResultFn = std::function<void(const Packet&)>;
  using ErrorFn = std::function<void(const Status&, int64_t index)>;
  using PreviewFn = std::function<void(const at::Tensor&)>;

  // `post` may be null: callbacks then run on the worker thread.
  explicit Runner(PostToUi post = nullptr, RunContext base = RunContext());
  ~Runner();                                         // cancels now, joins the worker; never deadlocks
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Replaces the pipeline at the next item boundary. Stages are owned by the runner from then on.
  void setPipeline(std::vector<std::shared_ptr<Stage>> stages);
  void onResult(ResultFn f);                         // set before submitting
  void onError(ErrorFn f);
  void onPreview(PreviewFn f);
  void submit(Packet p, const QueuePolicy& q = QueuePolicy::Job());
  void setParams(const std::string& stage_id, ParamSet v);   // merged; applied at the next item boundary
  void cancel(CancelMode m);                         // kNow: abort current item + drop queues; kAfterCurrentItem: drop queues
  bool waitIdle(int64_t timeout_ms = -1);            // true when queues are empty and nothing runs
  ProgressView progress() const;
  Status stickyError() const;                        // first error since construction/clearError()
  void clearError();
  ProfileReport profile() const { return profiler_.report(); }
  Profiler& profiler() { return profiler_; }
  LruCache& cache() { return cache_; }

 private:
  struct Source { QueuePolicy policy; std::deque<Packet> items; };
  class Sink;
  void loop();
  bool popLocked(Packet* out);
  void applyPendingLocked(std::vector<std::shared_ptr<Stage>>* stages,
                          std::map<std::string, ParamSet>* params);
  void post(std::function<void()> fn);
  void fail(const Status& s, int64_t index);

  PostToUi post_;
  RunContext base_;
  Profiler profiler_;
  LruCache cache_{512ull << 20};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::map<std::string, Source> sources_;                          // GUARDED_BY(mu_)
  std::vector<std::string> order_;                                 // round-robin order of sources
  size_t rr_ = 0;
  std::vector<std::shared_ptr<Stage>> pending_stages_;             // GUARDED_BY(mu_)
  bool has_pending_stages_ = false;
  std::map<std::string, ParamSet> pending_params_;                 // GUARDED_BY(mu_)
  ResultFn on_result_;
  ErrorFn on_error_;
  PreviewFn on_preview_;
  Status sticky_;                                                  // GUARDED_BY(mu_)
  bool stop_ = false;
  bool running_item_ = false;
  std::atomic<CancelMode> cancel_{CancelMode::kNone};
  std::atomic<int64_t> done_{0}, failed_{0}, dropped_{0}, cancelled_{0}, step_done_{0}, step_total_{0};
  std::unique_ptr<Sink> sink_;
  std::thread worker_;                                             // last: started after all members exist
};

}  // namespace atelier
