// Profiler percentiles/ring buffers and LruCache eviction by charge.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "atelier/cache.h"
#include "atelier/profiler.h"

namespace atelier {
namespace {

TEST(Profiler, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) { v.push_back(i); }
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 95), 95);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 99), 7);
}

TEST(Profiler, RingKeepsLastSamplesAndTotals) {
  Profiler p(10);
  for (int i = 1; i <= 20; ++i) { p.record("z", i); }
  p.setCounter("it_per_s", 3.5);
  auto r = p.report();
  const ZoneStats* z = r.find("z");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->count, 20);
  EXPECT_EQ(z->last_ms, 20);
  EXPECT_EQ(z->min_ms, 1);
  EXPECT_EQ(z->max_ms, 20);
  EXPECT_EQ(z->total_ms, 210);
  EXPECT_DOUBLE_EQ(z->mean_ms, 15.5);   // mean of the ring (11..20)
  EXPECT_EQ(z->p50_ms, 15);
  auto j = nlohmann::json::parse(r.toJson());
  EXPECT_EQ(j["zones"]["z"]["count"], 20);
  EXPECT_EQ(j["counters"]["it_per_s"], 3.5);
  EXPECT_NE(r.toCsv().find("\"z\",20,"), std::string::npos);
}

TEST(Profiler, ScopedZoneRecordsIntoCurrentProfiler) {
  Profiler p;
  {
    ProfilerScope scope(&p);
    ATELIER_ZONE("scoped");
  }
#ifdef ATELIER_PROFILE_ENABLED
  ASSERT_NE(p.report().find("scoped"), nullptr);
  EXPECT_EQ(p.report().find("scoped")->count, 1);
#endif
  EXPECT_EQ(Profiler::threadCurrent(), &Profiler::global());
}

TEST(LruCache, EvictsLeastRecentlyUsedByCharge) {
  LruCache c(100);
  auto v = [](int x) { return std::make_shared<const int>(x); };
  EXPECT_TRUE(c.insert("a", v(1), 40));
  EXPECT_TRUE(c.insert("b", v(2), 40));
  ASSERT_NE(c.get<int>("a"), nullptr);   // a becomes most recent
  EXPECT_TRUE(c.insert("c", v(3), 40));   // evicts b (LRU), not a
  EXPECT_EQ(c.get<int>("b"), nullptr);
  EXPECT_EQ(*c.get<int>("a"), 1);
  EXPECT_EQ(*c.get<int>("c"), 3);
  EXPECT_EQ(c.totalChargeBytes(), 80u);
  EXPECT_EQ(c.evictions(), 1);
  EXPECT_EQ(c.hits(), 3);
  EXPECT_EQ(c.misses(), 1);
  EXPECT_FALSE(c.insert("huge", v(9), 101));
  EXPECT_EQ(c.size(), 2u);
  c.insert("a", v(10), 10);   // replace updates the charge
  EXPECT_EQ(c.totalChargeBytes(), 50u);
  auto held = c.get<int>("a");
  c.setCapacity(5);           // evicts everything; held value stays alive
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(*held, 10);
  c.setCapacity(100);
  c.insert("x", v(1), 1);
  c.erase("x");
  EXPECT_EQ(c.totalChargeBytes(), 0u);
  c.insert("y", v(1), 1);
  c.prune();
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace atelier

namespace atelier {
namespace {
TEST(Profiler, PendingDeviceSamplesResolveInOrderWithoutBlocking) {
  Profiler p;
  bool first_ready = false;
  p.recordPending("gpu", [&]() -> std::optional<double> { return first_ready ? std::optional<double>(2.0) : std::nullopt; });
  p.recordPending("gpu", [] { return std::optional<double>(4.0); });
  EXPECT_EQ(p.report().find("gpu"), nullptr);   // first not finished: nothing resolved (stream order)
  first_ready = true;
  auto r = p.report();
  ASSERT_NE(r.find("gpu"), nullptr);
  EXPECT_EQ(r.find("gpu")->count, 2);
  EXPECT_DOUBLE_EQ(r.find("gpu")->mean_ms, 3.0);
  {
    DeviceZone z("cpu_zone", c10::Device(c10::kCPU), &p);   // CPU device: wall clock
  }
  EXPECT_EQ(p.report().find("cpu_zone")->count, 1);
}
}  // namespace
}  // namespace atelier
