// Runner: ordering, cancellation, drop-oldest for live sources, parameter changes at item boundaries,
// sticky errors, and shutdown with work in flight. Deterministic: waits on conditions, never on wall time.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "atelier/runner.h"
#include "support/fakes.h"

namespace atelier {
namespace {

using test::FakeStage;

Packet item(int64_t index) {
  Packet p;
  p.index = index;
  p.tensors["x"] = at::zeros({1});
  return p;
}

// Polls `cond` up to 20 s (generous: CI machines are slow); true when it held.
template <class F>
bool eventually(F cond) {
  for (int i = 0; i < 20000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

TEST(Runner, JobsAreNeverDroppedAndKeepOrder) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  std::vector<int64_t> results;
  std::mutex mu;
  r.onResult([&](const Packet& p) { std::lock_guard<std::mutex> l(mu); results.push_back(p.index); });
  r.setPipeline({stage});
  for (int i = 0; i < 50; ++i) { r.submit(item(i)); }
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_EQ(results.size(), 50u);
  for (int i = 0; i < 50; ++i) { EXPECT_EQ(results[i], i); }
  EXPECT_EQ(r.progress().items_done, 50);
  EXPECT_EQ(r.progress().items_dropped, 0);
}

TEST(Runner, LiveSourceDropsOldest) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  r.setPipeline({stage});
  r.setParams("test.fake", {{"delay_ms", int64_t{200}}});
  r.submit(item(0), QueuePolicy::Live("cam", 2));
  ASSERT_TRUE(eventually([&] { return stage->started.load() == 1; }));   // item 0 is running
  for (int i = 1; i <= 5; ++i) { r.submit(item(i), QueuePolicy::Live("cam", 2)); }
  EXPECT_EQ(r.progress().items_dropped, 3);   // 1,2,3 dropped; 4,5 kept
  ASSERT_TRUE(r.waitIdle(20000));
  std::lock_guard<std::mutex> l(stage->mu);
  EXPECT_EQ(stage->seen, (std::vector<int64_t>{0, 4, 5}));
}

TEST(Runner, ParamChangesApplyAtTheNextItemBoundary) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  r.setPipeline({stage});
  r.setParams("test.fake", {{"delay_ms", int64_t{100}}, {"offset", 1.0}});
  r.submit(item(0));
  ASSERT_TRUE(eventually([&] { return stage->started.load() == 1; }));
  r.setParams("test.fake", {{"offset", 2.0}});   // while item 0 runs
  r.submit(item(1));
  ASSERT_TRUE(r.waitIdle(20000));
  std::lock_guard<std::mutex> l(stage->mu);
  ASSERT_EQ(stage->offsets.size(), 2u);
  EXPECT_EQ(stage->offsets[0], 1.0);   // not changed mid-item
  EXPECT_EQ(stage->offsets[1], 2.0);
}

TEST(Runner, CancelNowAbortsCurrentAndDropsQueue) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  r.setPipeline({stage});
  r.setParams("test.fake", {{"delay_ms", int64_t{100000}}});
  for (int i = 0; i < 4; ++i) { r.submit(item(i)); }
  ASSERT_TRUE(eventually([&] { return stage->started.load() == 1; }));
  r.cancel(CancelMode::kNow);
  ASSERT_TRUE(r.waitIdle(20000));
  auto p = r.progress();
  EXPECT_EQ(p.items_done, 0);
  EXPECT_EQ(p.items_cancelled, 4);   // 3 queued + the running one
  EXPECT_TRUE(r.stickyError().ok()) << "cancellation is not an error";
  // The runner keeps working after a cancel.
  r.setParams("test.fake", {{"delay_ms", int64_t{0}}});
  r.submit(item(9));
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_EQ(r.progress().items_done, 1);
}

TEST(Runner, CancelAfterCurrentItemFinishesIt) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  r.setPipeline({stage});
  r.setParams("test.fake", {{"delay_ms", int64_t{100}}});
  for (int i = 0; i < 3; ++i) { r.submit(item(i)); }
  ASSERT_TRUE(eventually([&] { return stage->started.load() == 1; }));
  r.cancel(CancelMode::kAfterCurrentItem);
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_EQ(r.progress().items_done, 1);
  EXPECT_EQ(r.progress().items_cancelled, 2);
}

TEST(Runner, FirstErrorSticksAndLaterItemsStillRun) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  std::atomic<int> errors{0};
  r.onError([&](const Status& s, int64_t idx) { errors.fetch_add(1); });
  r.setPipeline({stage});
  r.setParams("test.fake", {{"fail_index", int64_t{1}}});
  for (int i = 0; i < 3; ++i) { r.submit(item(i)); }
  ASSERT_TRUE(r.waitIdle(20000));
  r.setParams("test.fake", {{"fail_index", int64_t{2}}});
  r.submit(item(2));
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_EQ(errors.load(), 2);
  EXPECT_NE(r.stickyError().message().find("fake failure at 1"), std::string::npos);
  EXPECT_NE(r.stickyError().message().find("test.fake"), std::string::npos);
  EXPECT_EQ(r.progress().items_done, 2);
  r.clearError();
  EXPECT_TRUE(r.stickyError().ok());
}

TEST(Runner, InvalidParamsAreReportedNotApplied) {
  auto stage = std::make_shared<FakeStage>();
  Runner r;
  r.setPipeline({stage});
  r.setParams("test.fake", {{"delay_ms", int64_t{-5}}});
  r.submit(item(0));
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_NE(r.stickyError().message().find("delay_ms"), std::string::npos);
}

TEST(Runner, PostToUiCarriesCallbacks) {
  std::mutex mu;
  std::vector<std::function<void()>> ui_queue;
  Runner r([&](std::function<void()> fn) { std::lock_guard<std::mutex> l(mu); ui_queue.push_back(std::move(fn)); });
  int results = 0;   // touched only by "UI thread" (this thread)
  r.onResult([&](const Packet&) { ++results; });
  r.setPipeline({std::make_shared<FakeStage>()});
  r.submit(item(0));
  ASSERT_TRUE(r.waitIdle(20000));
  EXPECT_EQ(results, 0);   // nothing ran on the worker
  std::vector<std::function<void()>> q;
  { std::lock_guard<std::mutex> l(mu); q.swap(ui_queue); }
  for (auto& f : q) { f(); }
  EXPECT_EQ(results, 1);
}

TEST(Runner, ShutdownWithWorkInFlightDoesNotDeadlock) {
  for (int rep = 0; rep < 5; ++rep) {
    auto stage = std::make_shared<FakeStage>();
    auto r = std::make_unique<Runner>();
    r->setPipeline({stage});
    r->setParams("test.fake", {{"delay_ms", int64_t{100000}}});
    for (int i = 0; i < 10; ++i) { r->submit(item(i), QueuePolicy::Live("cam", 3)); }
    r->submit(item(100));
    r.reset();   // must return promptly (cooperative cancel of the running item)
  }
  SUCCEED();
}

TEST(Runner, ProfilesEachStage) {
  Runner r;
  r.setPipeline({std::make_shared<FakeStage>()});
  for (int i = 0; i < 5; ++i) { r.submit(item(i)); }
  ASSERT_TRUE(r.waitIdle(20000));
  auto rep = r.profile();
  ASSERT_NE(rep.find("stage.test.fake"), nullptr);
  EXPECT_EQ(rep.find("stage.test.fake")->count, 5);
  EXPECT_EQ(rep.find("runner.item")->count, 5);
}

}  // namespace
}  // namespace atelier
