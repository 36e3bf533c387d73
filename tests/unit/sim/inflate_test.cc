#include "sim/inflate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/placement/policy_registry.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::Node;
using testing::Task;

TaskTrace SmallTrace() {
  TaskTrace trace;
  trace.workload = "small";
  for (int i = 0; i < 40; ++i) {
    trace.names.push_back("t" + std::to_string(100 + i));
    switch (i % 4) {
      case 0: trace.tasks.push_back(Task(4, 8, 1)); break;
      case 1: trace.tasks.push_back(Task(2, 4, 1, 500)); break;
      case 2: trace.tasks.push_back(Task(8, 16)); break;
      default: trace.tasks.push_back(Task(6, 8, 2)); break;
    }
  }
  return trace;
}

std::vector<NodeSpec> SmallNodes() {
  std::vector<NodeSpec> nodes;
  for (int i = 0; i < 6; ++i) nodes.push_back(Node("g" + std::to_string(i), 32, 128, 4, 0));
  nodes.push_back(Node("cpu", 64, 256));
  return nodes;
}

TEST(InflateTest, ArrivalsReachButDoNotPassTheTarget) {
  TaskTrace trace = SmallTrace();  // 40 tasks asking for 35 GPUs in all
  const int64_t capacity = 24 * kMilliGpu;
  auto arrivals = InflatedArrivals(trace, capacity, 130, 42);
  int64_t demand = 0;
  for (uint32_t i : arrivals) demand += trace.tasks[i].TotalGpuMilli();
  EXPECT_LE(static_cast<double>(demand), 1.3 * capacity);
  EXPECT_GT(static_cast<double>(demand), 1.3 * capacity - 2000);  // the largest task asks 2 GPUs
  // Above the trace's own demand the workload grows with resampled tasks...
  auto up = InflatedArrivals(trace, 20 * kMilliGpu, 300, 42);
  EXPECT_GT(up.size(), trace.tasks.size());
  // ...below it, random tasks are dropped.
  auto down = InflatedArrivals(trace, 10 * kMilliGpu, 100, 42);
  EXPECT_LT(down.size(), trace.tasks.size());
  EXPECT_EQ(InflatedArrivals(trace, capacity, 130, 42), arrivals);
  EXPECT_NE(InflatedArrivals(trace, capacity, 130, 43), arrivals);
}

TEST(InflateTest, CurvesAreSampledEveryPercentAndDeterministic) {
  TaskTrace trace = SmallTrace();
  std::vector<NodeSpec> nodes = SmallNodes();
  auto typical = TypicalShapes(trace.tasks, 0.95);
  PolicyContext context{typical, trace.tasks, nullptr};
  auto run = [&](const std::string& name, uint64_t seed) {
    auto policy = MakePolicy(name, context);
    auto curves = RunInflate(nodes, trace, typical, **policy, InflateConfig{130, seed});
    EXPECT_TRUE(curves) << curves.error().message;
    return *curves;
  };
  InflateCurves a = run("fgd", 42), b = run("fgd", 42);
  ASSERT_EQ(a.allocation.size(), 131u);
  int samples = 0;
  for (size_t x = 0; x < a.allocation.size(); ++x) {
    EXPECT_TRUE(std::isnan(a.allocation[x]) == std::isnan(b.allocation[x]));
    if (std::isnan(a.allocation[x])) continue;
    ++samples;
    EXPECT_DOUBLE_EQ(a.allocation[x], b.allocation[x]);
    EXPECT_LE(a.allocation[x], static_cast<double>(x) + 4.5);  // cannot allocate what has not arrived
    EXPECT_GE(a.frag_rate[x], 0.0);
    EXPECT_LE(a.frag_rate[x], 100.0 + 1e-9);
  }
  EXPECT_GT(samples, 20);
  EXPECT_GT(a.tasks_failed, 0);  // 130% of capacity cannot all fit
  EXPECT_NEAR(a.allocation_at_end + a.unallocated_gpus_at_end / 24 * 100, 100, 1e-9);
}

TEST(InflateTest, RejectsBadConfig) {
  TaskTrace trace = SmallTrace();
  auto policy = MakePolicy("bestfit", {});
  auto zero = RunInflate(SmallNodes(), trace, {}, **policy, InflateConfig{0, 1});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message, "target 0 % is not in 1..1000");
  auto no_gpus = RunInflate({Node("cpu", 8, 8)}, trace, {}, **policy, InflateConfig{130, 1});
  ASSERT_FALSE(no_gpus);
  EXPECT_EQ(no_gpus.error().message, "the cluster has no GPUs");
}

}  // namespace
}  // namespace suanwang
