// Profiler ring buffers, percentiles and report export.
#include "atelier/profiler.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace atelier {

double percentile(std::vector<double> s, double q) {
  if (s.empty()) { return 0.0; }
  std::sort(s.begin(), s.end());
  // Nearest rank: the smallest value with at least q% of samples ≤ it.
  double rank = std::ceil(q / 100.0 * static_cast<double>(s.size()));
  size_t idx = rank <= 1 ? 0 : static_cast<size_t>(rank) - 1;
  return s[std::min(idx, s.size() - 1)];
}

Profiler::Profiler(size_t capacity_per_zone) : capacity_(std::max<size_t>(1, capacity_per_zone)) {}

void Profiler::record(const std::string& zone, double ms) {
  std::lock_guard<std::mutex> lock(mu_);
  resolvePendingLocked();
  recordLocked(zone, ms);
}

void Profiler::recordPending(const std::string& zone, std::function<std::optional<double>()> poll) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back({zone, std::move(poll)});
  resolvePendingLocked();
}

void Profiler::resolvePendingLocked() const {
  // Events complete in stream order: stop at the first unfinished one.
  while (!pending_.empty()) {
    std::optional<double> ms = pending_.front().poll();
    if (!ms) { break; }
    recordLocked(pending_.front().zone, *ms);
    pending_.pop_front();
  }
}

void Profiler::recordLocked(const std::string& zone, double ms) const {
  Ring& r = zones_[zone];
  if (r.count == 0) { r.mn = r.mx = ms; }
  r.mn = std::min(r.mn, ms);
  r.mx = std::max(r.mx, ms);
  r.total += ms;
  ++r.count;
  r.samples.push_back(ms);
  if (r.samples.size() > capacity_) { r.samples.pop_front(); }
}

void Profiler::setCounter(const std::string& name, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_[name] = value;
}

void Profiler::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  zones_.clear();
  counters_.clear();
  pending_.clear();
}

ProfileReport Profiler::report() const {
  ProfileReport rep;
  std::lock_guard<std::mutex> lock(mu_);
  resolvePendingLocked();
  for (const auto& [name, r] : zones_) {
    ZoneStats z;
    z.name = name;
    z.count = r.count;
    std::vector<double> s(r.samples.begin(), r.samples.end());
    z.last_ms = s.empty() ? 0 : s.back();
    z.min_ms = r.mn;
    z.max_ms = r.mx;
    z.total_ms = r.total;
    double sum = 0;
    for (double v : s) { sum += v; }
    z.mean_ms = s.empty() ? 0 : sum / static_cast<double>(s.size());
    z.p50_ms = percentile(s, 50);
    z.p95_ms = percentile(s, 95);
    z.p99_ms = percentile(s, 99);
    rep.zones.push_back(std::move(z));
  }
  rep.counters = counters_;
  return rep;
}

Profiler& Profiler::global() {
  static Profiler p;
  return p;
}

Profiler*& Profiler::threadCurrent() {
  thread_local Profiler* current = &Profiler::global();
  return current;
}

const ZoneStats* ProfileReport::find(const std::string& name) const {
  for (const auto& z : zones) { if (z.name == name) return &z; }
  return nullptr;
}

std::string ProfileReport::toJson() const {
  nlohmann::json j;
  j["zones"] = nlohmann::json::object();
  for (const auto& z : zones) {
    j["zones"][z.name] = {{"count", z.count}, {"last_ms", z.last_ms}, {"mean_ms", z.mean_ms},
                          {"min_ms", z.min_ms}, {"max_ms", z.max_ms}, {"p50_ms", z.p50_ms},
                          {"p95_ms", z.p95_ms}, {"p99_ms", z.p99_ms}, {"total_ms", z.total_ms}};
  }
  j["counters"] = counters;
  return j.dump(2);
}

std::string ProfileReport::toCsv() const {
  std::ostringstream os;
  os << "zone,count,last_ms,mean_ms,min_ms,max_ms,p50_ms,p95_ms,p99_ms,total_ms\n";
  for (const auto& z : zones) {
    os << '"' << z.name << '"' << ',' << z.count << ',' << z.last_ms << ',' << z.mean_ms << ',' << z.min_ms << ','
       << z.max_ms << ',' << z.p50_ms << ',' << z.p95_ms << ',' << z.p99_ms << ',' << z.total_ms << '\n';
  }
  return os.str();
}

}  // namespace atelier
