#include "sim/replay.h"

#include <gtest/gtest.h>

#include "model/network_yaml.h"
#include "sim/files.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

TaskTrace TimedTrace() {
  TaskTrace t;
  t.workload = "timed";
  auto add = [&](const char* name, TaskShape shape, double at, double until, const char* qos) {
    t.names.push_back(name);
    t.tasks.push_back(shape);
    t.creation_s.push_back(at);
    t.deletion_s.push_back(until);
    t.qos.push_back(qos);
  };
  // Two 8-GPU jobs arrive together; a third must wait until one of them ends at t=100.
  add("a", testing::Task(8, 16, 8), 0, 100, "BE");
  add("b", testing::Task(8, 16, 8), 0, 200, "BE");
  add("c", testing::Task(8, 16, 8), 10, 60, "BE");
  add("d", testing::Task(2, 4, 1, 500), 20, 30, "LS");
  return t;
}

Network OneSite() {
  auto net = ParseNetworkYaml(
      "name: one\n"
      "places:\n"
      "  - {id: c, kind: city, lat: 30, lon: 120}\n"
      "  - {id: k, kind: cluster, lat: 30.01, lon: 120.01}\n"
      "rtt_ms:\n  - [c, k, 1.5]\n"
      "sites:\n"
      "  - id: k-1\n    place: k\n    pools:\n"
      "      - {id: g, nodes: 2, cpu_cores: 64, memory_gib: 256, gpus: 8, gpu_model: A100}\n",
      "one.yaml");
  EXPECT_TRUE(net) << net.error().message;
  return std::move(*net);
}

TEST(ReplayTest, JobsQueueStartAndFinishInVirtualTime) {
  Network net = OneSite();
  GpuModelTable models;
  ReplayConfig config;
  config.scheduler.node_policy = "bestfit";
  config.scheduler.preemption = false;
  auto result = RunReplay(net, models, TimedTrace(), {}, config);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->jobs.size(), 4u);
  const JobRecord &a = result->jobs[0], &c = result->jobs[2], &d = result->jobs[3];
  EXPECT_EQ(a.start_s, 0);
  EXPECT_EQ(a.end_s, 100);
  // When a ends at 100, d (LS: priority 1) goes first and takes half a GPU of that node, so
  // c (8 GPUs) waits until d ends at 110, then runs its 50 s.
  EXPECT_EQ(c.arrival_s, 10);
  EXPECT_EQ(d.start_s, 100);
  EXPECT_EQ(d.state, "finished");
  EXPECT_EQ(c.start_s, 110);
  EXPECT_EQ(c.end_s, 160);
  EXPECT_EQ(d.tier, Tier::kT2);    // LS
  EXPECT_TRUE(d.within_tier);
  EXPECT_EQ(d.origin, "c");
  EXPECT_EQ(result->horizon_s, 20);  // the arrival window
  ASSERT_EQ(result->sites.size(), 1u);
  EXPECT_EQ(result->sites[0].gpus, 16);
  // Over [0, 20] a and b hold all 16 GPUs.
  EXPECT_NEAR(result->sites[0].gpu_seconds, 16 * 20, 1e-9);
  EXPECT_NE(ReplaySummary(*result).find("queueing delay s: mean"), std::string::npos);
}

TEST(ReplayTest, PreemptedJobsRestartFromScratch) {
  Network net = OneSite();
  GpuModelTable models;
  ReplayConfig config;
  config.scheduler.node_policy = "bestfit";
  config.scheduler.preemption = true;
  auto result = RunReplay(net, models, TimedTrace(), {}, config);
  ASSERT_TRUE(result) << result.error().message;
  const JobRecord &a = result->jobs[0], &c = result->jobs[2], &d = result->jobs[3];
  // d (LS, priority 1) arrives at 20 and evicts a (priority 0); c, queued since 10, takes the
  // node back when d ends at 30; a, resubmitted at 20, runs its full 100 s after c.
  EXPECT_EQ(d.start_s, 20);
  EXPECT_EQ(a.preemptions, 1);
  EXPECT_EQ(c.start_s, 30);
  EXPECT_EQ(a.start_s, 80);
  EXPECT_EQ(a.end_s, 180);
}

TEST(ReplayTest, TracesWithoutTimesAreRefused) {
  Network net = OneSite();
  GpuModelTable models;
  TaskTrace untimed;
  untimed.workload = "multigpu";
  untimed.names = {"x"};
  untimed.tasks = {testing::Task(1, 1)};
  auto result = RunReplay(net, models, untimed, {}, ReplayConfig{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "trace 'multigpu' has no creation_time/deletion_time columns: replay needs them");
}

TEST(ReplayTest, NodeListsAreSpreadOverSites) {
  std::vector<NodeSpec> nodes;
  for (int i = 0; i < 5; ++i) nodes.push_back(testing::Node("n" + std::to_string(i), 1, 1));
  auto split = SplitNodesOverSites(nodes, 2);
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].size(), 3u);
  EXPECT_EQ(split[1][0].name, "n1");
}

}  // namespace
}  // namespace suanwang
