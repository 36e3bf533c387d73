#include <gtest/gtest.h>

#include "common/rng.h"
#include "engine/placement/fgd_policy.h"
#include "engine/placement/paper_policies.h"
#include "engine/placement/policy_registry.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::Cluster;
using testing::Node;
using testing::On;
using testing::Task;

TEST(PoliciesTest, BestFitTakesTheNodeLeftFullest) {
  ClusterState s = Cluster({Node("roomy", 64, 256, 8, 0), Node("tight", 64, 256, 8, 0)});
  ASSERT_TRUE(s.Allocate(On(1, {0, 1, 2, 3, 4, 5}), Task(40, 100, 6)));
  Rng rng(1);
  auto d = MakeBestFitPolicy({})->Place(Task(4, 8, 1), s, rng);
  ASSERT_EQ(d.kind, DecisionKind::kPlaced);
  EXPECT_EQ(d.placement.node, 1u);
  EXPECT_EQ(d.placement.gpus.count, 1);
  EXPECT_EQ(d.placement.gpus.index[0], 6);  // first fully free GPU
}

TEST(PoliciesTest, BestFitSharesTheTightestGpu) {
  ClusterState s = Cluster({Node("g", 64, 256, 4, 0)});
  ASSERT_TRUE(s.Allocate(On(0, {1}), Task(1, 1, 1, 300)));
  ASSERT_TRUE(s.Allocate(On(0, {3}), Task(1, 1, 1, 600)));
  Rng rng(1);
  auto d = MakeBestFitPolicy({})->Place(Task(1, 1, 1, 400), s, rng);
  ASSERT_EQ(d.kind, DecisionKind::kPlaced);
  EXPECT_EQ(d.placement.gpus.index[0], 3);  // 400 left there: an exact fit
}

TEST(PoliciesTest, TiesGoToTheLowestRank) {
  ClusterState s = Cluster({Node("a", 8, 8, 1, 0), Node("b", 8, 8, 1, 0), Node("c", 8, 8, 1, 0)});
  ASSERT_TRUE(s.SetTieRanks({2, 0, 1}));
  Rng rng(1);
  auto d = MakeBestFitPolicy({})->Place(Task(1, 1, 1), s, rng);
  ASSERT_EQ(d.kind, DecisionKind::kPlaced);
  EXPECT_EQ(d.placement.node, 1u);
}

TEST(PoliciesTest, FgdFillsTheGpuAShareWouldOtherwiseStrand) {
  // Half the workload wants whole GPUs: a GPU with 500 left is lost to them, so the next
  // half-GPU task should finish it off rather than break a fresh GPU.
  PolicyContext context;
  context.typical_shapes = {{1000, 0, 500, 1, kAnyGpuModel, 0.5},
                            {1000, 0, 1000, 1, kAnyGpuModel, 0.5}};
  ClusterState s = Cluster({Node("fresh", 32, 64, 2, 0), Node("half", 32, 64, 2, 0)});
  ASSERT_TRUE(s.Allocate(On(1, {1}), Task(1, 1, 1, 500)));
  Rng rng(1);
  auto d = MakeFgdPolicy(context)->Place(Task(1, 1, 1, 500), s, rng);
  ASSERT_EQ(d.kind, DecisionKind::kPlaced);
  EXPECT_EQ(d.placement.node, 1u);
  EXPECT_EQ(d.placement.gpus.index[0], 1);
}

TEST(PoliciesTest, RandomOnlyChoosesFeasibleNodes) {
  ClusterState s = Cluster({Node("cpu", 64, 256), Node("gpu", 8, 16, 1, 0), Node("small", 2, 2)});
  auto policy = MakeRandomPolicy({});
  Rng rng(9);
  for (int i = 0; i < 50; ++i) {
    auto d = policy->Place(Task(4, 8), s, rng);
    ASSERT_EQ(d.kind, DecisionKind::kPlaced);
    EXPECT_NE(d.placement.node, 2u);
    d = policy->Place(Task(4, 8, 1, 500), s, rng);
    ASSERT_EQ(d.kind, DecisionKind::kPlaced);
    EXPECT_EQ(d.placement.node, 1u);
  }
}

TEST(PoliciesTest, ClusteringKeepsKindsTogether) {
  ClusterState s = Cluster({Node("shares", 64, 256, 8, 0), Node("wholes", 64, 256, 8, 0),
                            Node("empty", 64, 256, 8, 0)});
  ASSERT_TRUE(s.Allocate(On(0, {0}), Task(1, 1, 1, 500)));
  ASSERT_TRUE(s.Allocate(On(1, {0}), Task(1, 1, 1)));
  Rng rng(1);
  auto policy = MakeClusteringPolicy({});
  EXPECT_EQ(policy->Place(Task(1, 1, 1, 300), s, rng).placement.node, 0u);
  EXPECT_EQ(policy->Place(Task(1, 1, 1), s, rng).placement.node, 1u);
  EXPECT_EQ(policy->Place(Task(1, 1, 2), s, rng).placement.node, 2u);  // no 2-GPU node yet
}

TEST(PoliciesTest, PackingPrefersUsedGpusThenUsedNodes) {
  ClusterState s = Cluster({Node("empty", 64, 256, 8, 0), Node("used", 64, 256, 8, 0)});
  ASSERT_TRUE(s.Allocate(On(1, {3}), Task(1, 1, 1, 500)));
  Rng rng(1);
  auto policy = MakePackingPolicy({});
  auto share = policy->Place(Task(1, 1, 1, 200), s, rng);
  EXPECT_EQ(share.placement.node, 1u);
  EXPECT_EQ(share.placement.gpus.index[0], 3);
  EXPECT_EQ(policy->Place(Task(1, 1, 2), s, rng).placement.node, 1u);
}

TEST(PoliciesTest, UnplacedTasksSayBusyOrNeverWithAReason) {
  GpuModelTable models;
  GpuModelId t4 = *models.Intern("T4");
  GpuModelMask a100 = *models.ParseMask("A100");
  ClusterState s = Cluster({Node("n", 16, 64, 2, t4)});
  ASSERT_TRUE(s.Allocate(On(0, {0, 1}), Task(8, 8, 2)));
  PolicyContext context;
  context.gpu_models = &models;
  auto policy = MakeBestFitPolicy(context);
  Rng rng(1);
  auto busy = policy->Place(Task(1, 1, 1), s, rng);
  EXPECT_EQ(busy.kind, DecisionKind::kBusy);
  EXPECT_EQ(busy.reason, "busy: no node has room for 1 GPU, 1 cores, 1024 MiB now");
  busy = ExplainUnplaced(Task(1, 1, 1), s, &models);
  EXPECT_EQ(busy.reason,
            "busy: 1 nodes could hold 1 GPU, 1 cores, 1024 MiB but none has room now "
            "(0 lack CPU, 0 lack memory, 1 lack GPU)");
  auto model = policy->Place(Task(1, 1, 1, 1000, a100), s, rng);
  EXPECT_EQ(model.kind, DecisionKind::kUnsatisfiable);
  EXPECT_EQ(model.reason,
            "can never fit: no node has the requested GPU model (task needs 1 GPU (A100), "
            "1 cores, 1024 MiB; 1 nodes checked)");
  auto gpus = policy->Place(Task(1, 1, 4), s, rng);
  EXPECT_EQ(gpus.kind, DecisionKind::kUnsatisfiable);
  EXPECT_NE(gpus.reason.find("no node with an allowed GPU model has 4 GPUs"), std::string::npos);
  auto cpu = policy->Place(Task(100, 1), s, rng);
  EXPECT_NE(cpu.reason.find("no node has that much CPU"), std::string::npos);
  auto memory = policy->Place(Task(1, 1000), s, rng);
  EXPECT_NE(memory.reason.find("no node has that much memory"), std::string::npos);
}

TEST(PoliciesTest, RegistryListsAndRejectsNames) {
  const auto& names = PolicyNames();
  ASSERT_EQ(names.size(), 7u);
  EXPECT_EQ(names.front(), "random");
  EXPECT_EQ(names.back(), "fgd-lookahead");
  auto unknown = MakePolicy("tetris", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "unknown policy 'tetris' (known: random, dotprod, clustering, packing, bestfit, fgd, "
            "fgd-lookahead)");
}

}  // namespace
}  // namespace suanwang

namespace suanwang {
namespace {

// The bestfit index must pick exactly the node a full scan picks, decision after decision.
TEST(BestFitIndexTest, AgreesWithTheFullScanOnRandomSequences) {
  Rng world(77);
  for (int round = 0; round < 20; ++round) {
    std::vector<NodeSpec> nodes;
    const int n = 5 + static_cast<int>(world.Uniform(60));
    for (int i = 0; i < n; ++i) {
      int gpus = std::vector<int>{0, 1, 2, 4, 8}[world.Uniform(5)];
      nodes.push_back(testing::Node("n" + std::to_string(i), 8 + static_cast<int64_t>(world.Uniform(8)) * 8,
                                    32 + static_cast<int64_t>(world.Uniform(8)) * 32, gpus,
                                    gpus ? static_cast<GpuModelId>(world.Uniform(2)) : kNoGpuModel));
    }
    ClusterState a = testing::Cluster(nodes), b = testing::Cluster(nodes);
    std::vector<uint32_t> ranks(nodes.size());
    for (uint32_t i = 0; i < ranks.size(); ++i) ranks[i] = i;
    for (size_t i = ranks.size(); i > 1; --i) std::swap(ranks[i - 1], ranks[world.Uniform(i)]);
    ASSERT_TRUE(a.SetTieRanks(ranks));
    ASSERT_TRUE(b.SetTieRanks(ranks));
    auto indexed = MakeBestFitPolicy({}), scan = MakeBestFitScanPolicy({});
    Rng rng(1);
    for (int t = 0; t < 300; ++t) {
      TaskShape task;
      switch (world.Uniform(3)) {
        case 0: task = testing::Task(1 + static_cast<double>(world.Uniform(8)), 1 + static_cast<int64_t>(world.Uniform(16))); break;
        case 1: task = testing::Task(1 + static_cast<double>(world.Uniform(8)), 4, 1, 100 * (1 + static_cast<int>(world.Uniform(9)))); break;
        default: task = testing::Task(2, 8, 1 << world.Uniform(4), 1000, world.Uniform(2) ? kAnyGpuModel : GpuModelMask{1}); break;
      }
      Decision di = indexed->Place(task, a, rng), ds = scan->Place(task, b, rng);
      ASSERT_EQ(di.kind, ds.kind) << "round " << round << " task " << t;
      if (di.kind != DecisionKind::kPlaced) continue;
      ASSERT_EQ(di.placement.node, ds.placement.node) << "round " << round << " task " << t;
      ASSERT_TRUE(a.Allocate(di.placement, task));
      ASSERT_TRUE(b.Allocate(ds.placement, task));
    }
  }
}

}  // namespace
}  // namespace suanwang

#include "engine/placement/gang.h"

namespace suanwang {
namespace {

TEST(GangTest, AllOrNothingRollsBackAndTellsBusyFromNever) {
  ClusterState s = testing::Cluster({testing::Node("a", 16, 64, 2, 0), testing::Node("b", 16, 64, 2, 0)});
  ASSERT_TRUE(s.Allocate(Placement{0, {}}, testing::Task(1, 1)));  // a small CPU task on node a
  auto policy = MakeBestFitPolicy({});
  Rng rng(1);
  const uint64_t before = s.version(1);
  GangDecision busy = PlaceGang(*policy, testing::Task(7, 8, 1), 4, s, rng);
  ASSERT_EQ(busy.kind, DecisionKind::kPlaced);  // 4 x 1 GPU fits on 2 x 2 GPUs
  for (const Placement& p : busy.placements) ASSERT_TRUE(s.Release(p, testing::Task(7, 8, 1)));
  GangDecision wait = PlaceGang(*policy, testing::Task(8, 8, 1), 4, s, rng);
  EXPECT_EQ(wait.kind, DecisionKind::kBusy);  // the CPU task on node a leaves room for one 8-core task
  EXPECT_EQ(wait.reason, "busy: 3 of 4 tasks fit now; waiting for room for all of them");
  EXPECT_EQ(s.used_gpu_milli(), 0);           // rolled back
  EXPECT_NE(s.version(1), before);
  GangDecision never = PlaceGang(*policy, testing::Task(1, 1, 1), 5, s, rng);
  EXPECT_EQ(never.kind, DecisionKind::kUnsatisfiable);
  EXPECT_EQ(never.reason, "can never fit: the site could hold at most 4 of these tasks even empty, the gang needs 5");
  EXPECT_EQ(CapacityWhenEmpty(s, testing::Task(1, 1, 1, 250)), 16);
  EXPECT_EQ(CapacityWhenEmpty(s, testing::Task(1, 1, 2)), 2);
  EXPECT_EQ(PlaceGang(*policy, testing::Task(1, 1), 0, s, rng).kind, DecisionKind::kUnsatisfiable);
}

}  // namespace
}  // namespace suanwang
