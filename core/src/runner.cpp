// Runner: the single LibTorch worker thread, per-source queues, deferred parameter application.
#include "atelier/runner.h"

#include <chrono>

namespace atelier {

// Forwards stage progress to the runner's atomics and previews to the UI.
class Runner::Sink : public ProgressSink {
 public:
  explicit Sink(Runner* r) : r_(r) {}
  void report(int64_t done, int64_t total, std::string_view) override {
    r_->step_done_.store(done);
    r_->step_total_.store(total);
  }
  void preview(const at::Tensor& image) override {
    if (!r_->on_preview_) { return; }
    at::Tensor copy = image.detach();
    r_->post([fn = r_->on_preview_, copy] { fn(copy); });
  }
 private:
  Runner* r_;
};

Runner::Runner(PostToUi post, RunContext base) : post_(std::move(post)), base_(base) {
  sink_ = std::make_unique<Sink>(this);
  worker_ = std::thread([this] { loop(); });
}

Runner::~Runner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_.store(CancelMode::kNow);
    for (auto& [name, src] : sources_) { src.items.clear(); }
  }
  cv_.notify_all();
  if (worker_.joinable()) { worker_.join(); }
}

void Runner::setPipeline(std::vector<std::shared_ptr<Stage>> stages) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_stages_ = std::move(stages);
    has_pending_stages_ = true;
  }
  cv_.notify_all();
}

void Runner::onResult(ResultFn f) { std::lock_guard<std::mutex> l(mu_); on_result_ = std::move(f); }
void Runner::onError(ErrorFn f) { std::lock_guard<std::mutex> l(mu_); on_error_ = std::move(f); }
void Runner::onPreview(PreviewFn f) { std::lock_guard<std::mutex> l(mu_); on_preview_ = std::move(f); }

void Runner::submit(Packet p, const QueuePolicy& q) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sources_.find(q.source);
    if (it == sources_.end()) {
      it = sources_.emplace(q.source, Source{q, {}}).first;
      order_.push_back(q.source);
    }
    Source& src = it->second;
    src.items.push_back(std::move(p));
    if (src.policy.kind == QueuePolicy::Kind::kLive) {
      const size_t cap = std::max<size_t>(1, src.policy.capacity);
      while (src.items.size() > cap) {
        src.items.pop_front();
        dropped_.fetch_add(1);
      }
    }
  }
  cv_.notify_all();
}

void Runner::setParams(const std::string& stage_id, ParamSet v) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, val] : v) { pending_params_[stage_id][k] = std::move(val); }
  }
  cv_.notify_all();
}

void Runner::cancel(CancelMode m) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, src] : sources_) {
    cancelled_.fetch_add(static_cast<int64_t>(src.items.size()));
    src.items.clear();
  }
  if (m == CancelMode::kNow && running_item_) { cancel_.store(CancelMode::kNow); }
  idle_cv_.notify_all();
}

bool Runner::waitIdle(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  auto idle = [&] {
    if (running_item_ || has_pending_stages_ || !pending_params_.empty()) { return false; }
    for (const auto& [n, s] : sources_) { if (!s.items.empty()) return false; }
    return true;
  };
  if (timeout_ms < 0) {
    idle_cv_.wait(lock, idle);
    return true;
  }
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), idle);
}

ProgressView Runner::progress() const {
  ProgressView v;
  v.items_done = done_.load();
  v.items_failed = failed_.load();
  v.items_dropped = dropped_.load();
  v.items_cancelled = cancelled_.load();
  v.step_done = step_done_.load();
  v.step_total = step_total_.load();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [n, s] : sources_) { v.queued += static_cast<int64_t>(s.items.size()); }
  v.busy = running_item_;
  return v;
}

Status Runner::stickyError() const { std::lock_guard<std::mutex> l(mu_); return sticky_; }
void Runner::clearError() { std::lock_guard<std::mutex> l(mu_); sticky_ = Status::Ok(); }

void Runner::post(std::function<void()> fn) {
  if (post_) { post_(std::move(fn)); } else { fn(); }
}

void Runner::fail(const Status& s, int64_t index) {
  ErrorFn cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sticky_.ok()) { sticky_ = s; }
    cb = on_error_;
  }
  failed_.fetch_add(1);
  if (cb) { post([cb, s, index] { cb(s, index); }); }
}

bool Runner::popLocked(Packet* out) {
  for (size_t n = 0; n < order_.size(); ++n) {   // round-robin so a busy live source can't starve jobs
    Source& src = sources_[order_[(rr_ + n) % order_.size()]];
    if (!src.items.empty()) {
      *out = std::move(src.items.front());
      src.items.pop_front();
      rr_ = (rr_ + n + 1) % order_.size();
      return true;
    }
  }
  return false;
}

void Runner::loop() {
  ProfilerScope scope(&profiler_);
  std::vector<std::shared_ptr<Stage>> stages;
  std::map<std::string, ParamSet> params;   // current values per stage id
  for (;;) {
    Packet item;
    bool have_item = false;
    bool pipeline_changed = false;
    std::vector<std::shared_ptr<Stage>> new_stages;
    std::map<std::string, ParamSet> new_params;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        if (stop_ || has_pending_stages_ || !pending_params_.empty()) { return true; }
        for (const auto& [n, s] : sources_) { if (!s.items.empty()) return true; }
        return false;
      });
      if (stop_) { break; }
      if (has_pending_stages_) {
        new_stages = std::move(pending_stages_);
        has_pending_stages_ = false;
        pipeline_changed = true;
      }
      new_params.swap(pending_params_);
      running_item_ = true;   // configuring counts as busy for waitIdle
    }
    // Item boundary: apply pipeline and parameter changes before taking the next item.
    if (pipeline_changed) { stages = std::move(new_stages); }
    const bool reconfigure_all = pipeline_changed;
    for (auto& [id, vals] : new_params) { for (auto& [k, v] : vals) params[id][k] = v; }
    for (auto& st : stages) {
      std::string id(st->id());
      if (reconfigure_all || new_params.count(id)) {
        Status s = configureGuarded(*st, params[id]);
        if (!s.ok()) { fail(s, -1); }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      have_item = popLocked(&item);
      if (!have_item) {
        running_item_ = false;
        cancel_.store(CancelMode::kNone);
        idle_cv_.notify_all();
        continue;
      }
    }
    RunContext ctx = base_;
    ctx.cache = &cache_;
    ctx.profiler = &profiler_;
    ctx.cancel = &cancel_;
    ctx.progress = sink_.get();
    step_done_.store(0);
    step_total_.store(0);
    Packet cur = std::move(item);
    Status status;
    {
      ScopedZone item_zone("runner.item", &profiler_);
      for (auto& st : stages) {
        if (cancel_.load() == CancelMode::kNow) { status = Status::Cancelled(); break; }
        auto t0 = std::chrono::steady_clock::now();
        auto r = processGuarded(*st, cur, ctx);
        profiler_.record("stage." + std::string(st->id()),
                         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (!r.ok()) { status = r.status(); break; }
        cur = std::move(r).value();
      }
    }
    if (status.code() == StatusCode::kCancelled) {
      cancelled_.fetch_add(1);
    } else if (!status.ok()) {
      fail(status, cur.index);
    } else {
      done_.fetch_add(1);
      ResultFn cb;
      { std::lock_guard<std::mutex> lock(mu_); cb = on_result_; }
      if (cb) { post([cb, out = std::move(cur)] { cb(out); }); }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_item_ = false;
      cancel_.store(CancelMode::kNone);
    }
    idle_cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_item_ = false;
  idle_cv_.notify_all();
}

}  // namespace atelier
