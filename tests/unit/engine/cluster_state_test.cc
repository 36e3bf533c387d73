#include "engine/placement/cluster_state.h"

#include <gtest/gtest.h>

#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::Cluster;
using testing::Node;
using testing::On;
using testing::Task;

TEST(ClusterStateTest, CreateRejectsBadNodes) {
  auto too_many = ClusterState::Create({Node("a", 8, 8, 17, 0)});
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message, "node 'a': gpu count 17 is outside 0..16");
  auto no_model = ClusterState::Create({Node("b", 8, 8, 2, kNoGpuModel)});
  ASSERT_FALSE(no_model);
  EXPECT_EQ(no_model.error().message, "node 'b': has GPUs but no GPU model");
  auto negative = ClusterState::Create({NodeSpec{"c", -1, 0, 0, kNoGpuModel}});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidArgument);
}

TEST(ClusterStateTest, AllocateAndReleaseKeepTheBooks) {
  ClusterState s = Cluster({Node("g", 32, 128, 4, 0), Node("c", 64, 256)});
  EXPECT_EQ(s.total_gpu_milli(), 4000);
  const uint64_t created = s.version(0);
  TaskShape share = Task(4, 8, 1, 300);
  ASSERT_TRUE(s.Allocate(On(0, {2}), share));
  EXPECT_EQ(s.gpu_left(0)[2], 700);
  EXPECT_EQ(s.cpu_left(0), 28000);
  EXPECT_EQ(s.memory_left(0), 120 * 1024);
  EXPECT_EQ(s.used_gpu_milli(), 300);
  EXPECT_EQ(s.full_free_gpus(0), 3);
  const uint64_t v0 = s.version(0), v1 = s.version(1);
  EXPECT_NE(v0, v1);
  EXPECT_EQ(s.affinity(0)[0], 1);
  ASSERT_TRUE(s.Release(On(0, {2}), share));
  EXPECT_TRUE(s.IsEmpty(0));
  EXPECT_EQ(s.used_gpu_milli(), 0);
  EXPECT_NE(s.version(0), created);
  EXPECT_NE(s.version(0), v0);
  EXPECT_EQ(s.version(1), v1);
}

TEST(ClusterStateTest, FitsChecksEveryResourceAndModel) {
  ClusterState s = Cluster({Node("g", 16, 64, 2, 1)});
  EXPECT_TRUE(s.Fits(0, Task(16, 64, 2)));
  EXPECT_FALSE(s.Fits(0, Task(17, 1)));
  EXPECT_FALSE(s.Fits(0, Task(1, 65)));
  EXPECT_FALSE(s.Fits(0, Task(1, 1, 3)));
  EXPECT_FALSE(s.Fits(0, Task(1, 1, 1, 1000, GpuModelMask{1} << 0)));  // wrong model
  EXPECT_TRUE(s.Fits(0, Task(1, 1, 1, 1000, GpuModelMask{1} << 1)));
  ASSERT_TRUE(s.Allocate(On(0, {0}), Task(1, 1, 1, 600)));
  EXPECT_FALSE(s.Fits(0, Task(1, 1, 2)));            // only one whole GPU left
  EXPECT_TRUE(s.Fits(0, Task(1, 1, 1, 400)));        // the share fits on GPU 0 or 1
  EXPECT_TRUE(s.FitsEmpty(0, Task(1, 1, 2)));
}

TEST(ClusterStateTest, AllocateRejectsInvalidPlacementsWithoutChange) {
  ClusterState s = Cluster({Node("g", 8, 8, 2, 0)});
  auto wrong_count = s.Allocate(On(0, {0}), Task(1, 1, 2));
  ASSERT_FALSE(wrong_count);
  EXPECT_EQ(wrong_count.error().code, ErrorCode::kInvalidArgument);
  auto twice = s.Allocate(On(0, {1, 1}), Task(1, 1, 2));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "placement names GPU 1 twice on 'g'");
  auto bad_index = s.Allocate(On(0, {5}), Task(1, 1, 1, 500));
  ASSERT_FALSE(bad_index);
  auto too_big = s.Allocate(On(0), Task(9, 1));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::kConflict);
  auto out_of_range = s.Allocate(On(3), Task(1, 1));
  ASSERT_FALSE(out_of_range);
  EXPECT_TRUE(s.IsEmpty(0));
}

TEST(ClusterStateTest, VersionsNeverRepeatAcrossClusters) {
  ClusterState a = Cluster({Node("g", 8, 8, 1, 0)});
  ClusterState b = Cluster({Node("g", 8, 8, 1, 0)});
  EXPECT_NE(a.version(0), b.version(0));
}

TEST(ClusterStateTest, ReleaseRejectsOverfill) {
  ClusterState s = Cluster({Node("g", 8, 8, 1, 0)});
  auto r = s.Release(On(0), Task(1, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "release on 'g' would exceed its capacity");
  auto gpu = s.Release(On(0, {0}), Task(0, 0, 1, 100));
  ASSERT_FALSE(gpu);
  EXPECT_EQ(gpu.error().message, "release on 'g' would overfill GPU 0");
}

TEST(ClusterStateTest, TieRanksMustBeAPermutation) {
  ClusterState s = Cluster({Node("a", 1, 1), Node("b", 1, 1), Node("c", 1, 1)});
  EXPECT_EQ(s.tie_rank(2), 2u);
  EXPECT_FALSE(s.SetTieRanks({0, 1}));
  EXPECT_FALSE(s.SetTieRanks({0, 0, 1}));
  EXPECT_FALSE(s.SetTieRanks({0, 1, 3}));
  ASSERT_TRUE(s.SetTieRanks({2, 0, 1}));
  EXPECT_EQ(s.tie_rank(0), 2u);
}

}  // namespace
}  // namespace suanwang
