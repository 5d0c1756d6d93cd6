// Profiler: scoped zones and counters kept in per-name ring buffers; percentile reports and JSON export.
// Data/view split (Tracy): the profiler only stores; UIs and bench/ read ProfileReport copies.
// Thread-safety: record()/report() are safe from any thread (one mutex; zones are coarse: stages, UNet calls).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <string>
#include <memory>
#include <vector>

#include <c10/core/Device.h>

namespace atelier {

struct ZoneStats {
  std::string name;
  int64_t count = 0;            // samples ever recorded (ring keeps the last `capacity`)
  double last_ms = 0, mean_ms = 0, min_ms = 0, max_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, total_ms = 0;
};

struct ProfileReport {
  std::vector<ZoneStats> zones;                  // sorted by name
  std::map<std::string, double> counters;        // last value of each counter (it/s, VRAM bytes, hit rate…)
  std::string toJson() const;                    // {"zones":{name:{count,p50_ms,…}},"counters":{…}}
  std::string toCsv() const;                     // header + one row per zone
  const ZoneStats* find(const std::string& name) const;
};

// Nearest-rank percentile (q in [0,100]) of unsorted samples; 0 for an empty input.
double percentile(std::vector<double> samples, double q);

class Profiler {
 public:
  explicit Profiler(size_t capacity_per_zone = 1024);
  void record(const std::string& zone, double ms);          // add one duration sample
  void setCounter(const std::string& name, double value);  // overwrite a counter
  // Adds a device-timed sample resolved later: `poll` returns the duration once the GPU has passed both events
  // (non-blocking), nullopt before. Resolved in record()/report() — never a device-wide synchronisation.
  void recordPending(const std::string& zone, std::function<std::optional<double>()> poll);
  ProfileReport report() const;                             // snapshot (resolves finished device samples)
  void clear();
  static Profiler& global();                                // process-wide default sink
  static Profiler*& threadCurrent();                        // zones on this thread record here (default: global)

 private:
  struct Ring { std::deque<double> samples; int64_t count = 0; double total = 0, mn = 0, mx = 0; };
  struct Pending { std::string zone; std::function<std::optional<double>()> poll; };
  void recordLocked(const std::string& zone, double ms) const;
  void resolvePendingLocked() const;
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Ring> zones_;   // GUARDED_BY(mu_); mutable: report() folds in device samples
  mutable std::deque<Pending> pending_;         // GUARDED_BY(mu_)
  std::map<std::string, double> counters_;   // GUARDED_BY(mu_)
};

// RAII timer: records wall-clock ms into `p` (or the thread's current profiler) on destruction.
class ScopedZone {
 public:
  explicit ScopedZone(const char* name, Profiler* p = nullptr)
      : name_(name), p_(p ? p : Profiler::threadCurrent()), t0_(std::chrono::steady_clock::now()) {}
  ~ScopedZone() {
    auto dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
    if (p_) { p_->record(name_, dt); }
  }
  ScopedZone(const ScopedZone&) = delete;
  ScopedZone& operator=(const ScopedZone&) = delete;

 private:
  const char* name_;
  Profiler* p_;
  std::chrono::steady_clock::time_point t0_;
};

// Times a scope on `device`: CUDA events on the current stream for CUDA devices (resolved later, no sync),
// wall clock otherwise. Records into `p` or the thread's current profiler.
class DeviceZone {
 public:
  DeviceZone(const char* name, c10::Device device, Profiler* p = nullptr);
  ~DeviceZone();
  DeviceZone(const DeviceZone&) = delete;
  DeviceZone& operator=(const DeviceZone&) = delete;
 private:
  const char* name_;
  Profiler* p_;
  std::optional<ScopedZone> cpu_;
  std::shared_ptr<void> events_;   // CUDA start/end events (CUDA builds only)
};

// Makes `p` the current profiler of this thread for the scope (the runner installs its own).
class ProfilerScope {
 public:
  explicit ProfilerScope(Profiler* p) : prev_(Profiler::threadCurrent()) { Profiler::threadCurrent() = p; }
  ~ProfilerScope() { Profiler::threadCurrent() = prev_; }
  ProfilerScope(const ProfilerScope&) = delete;
  ProfilerScope& operator=(const ProfilerScope&) = delete;
 private:
  Profiler* prev_;
};

}  // namespace atelier

#define ATELIER_ZONE_CAT2_(a, b) a##b
#define ATELIER_ZONE_CAT_(a, b) ATELIER_ZONE_CAT2_(a, b)
#if defined(ATELIER_PROFILE_ENABLED)
// Times the enclosing scope under `name` (a string literal).
#define ATELIER_ZONE(name) ::atelier::ScopedZone ATELIER_ZONE_CAT_(_at_zone_, __LINE__)(name)
// Times the enclosing scope on a device (CUDA events on GPU).
#define ATELIER_DEVICE_ZONE(name, device) ::atelier::DeviceZone ATELIER_ZONE_CAT_(_at_dzone_, __LINE__)(name, device)
#else
#define ATELIER_ZONE(name) ((void)0)
#define ATELIER_DEVICE_ZONE(name, device) ((void)0)
#endif
