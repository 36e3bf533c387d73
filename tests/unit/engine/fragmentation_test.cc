#include "engine/placement/fragmentation.h"

#include <gtest/gtest.h>

#include <numeric>

#include "common/rng.h"

#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::Task;

// A hand-computed example: a node with GPUs left {1000, 1000, 500, 200}
// milli and a workload of half whole-GPU tasks and half 0.5-GPU tasks.
TEST(FragmentationTest, MatchesHandComputedExample) {
  std::vector<TypicalShape> shapes = {
      {1000, 0, 1000, 1, kAnyGpuModel, 0.5},  // 1 CPU core, 1 GPU
      {1000, 0, 500, 1, kAnyGpuModel, 0.5},   // 1 core, 0.5 GPU
  };
  std::vector<int32_t> left = {1000, 1000, 500, 200};
  // Whole-GPU task: GPUs 2 and 3 (700 milli) are fragments. Half-GPU task: only GPU 3 (200).
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 8000, 0, left, shapes), 0.5 * 700 + 0.5 * 200);
  // Without CPU nothing can run: all 2700 idle milli are fragments.
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 500, 0, left, shapes), 2700);
  // A CPU-only shape sees every idle GPU as lost.
  std::vector<TypicalShape> cpu_only = {{1000, 0, 0, 0, kAnyGpuModel, 1.0}};
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 8000, 0, left, cpu_only), 2700);
  // A node with no idle GPU has no fragmentation.
  std::vector<int32_t> full = {0, 0};
  EXPECT_DOUBLE_EQ(NodeFragmentation(0, 8000, 0, full, shapes), 0);
}

TEST(FragmentationTest, WrongModelAndMemoryMakeEverythingFragment) {
  std::vector<TypicalShape> shapes = {{1000, 4096, 500, 1, GpuModelMask{1} << 3, 1.0}};
  std::vector<int32_t> left = {1000, 300};
  EXPECT_DOUBLE_EQ(NodeFragmentation(3, 8000, 8192, left, shapes), 300);
  EXPECT_DOUBLE_EQ(NodeFragmentation(2, 8000, 8192, left, shapes), 1300);  // model not allowed
  EXPECT_DOUBLE_EQ(NodeFragmentation(3, 8000, 1024, left, shapes), 1300);  // lacks memory
}

TEST(FragmentationTest, TypicalShapesCoverTheMostPopularAndSumToOne) {
  std::vector<TaskShape> workload;
  for (int i = 0; i < 60; ++i) workload.push_back(Task(4, 8, 1, 500));
  for (int i = 0; i < 30; ++i) workload.push_back(Task(8, 8, 1));
  for (int i = 0; i < 10; ++i) workload.push_back(Task(2, 8));
  auto shapes = TypicalShapes(workload, 0.85);
  ASSERT_EQ(shapes.size(), 2u);  // 60% + 30% >= 85%; the CPU shape is left out
  EXPECT_EQ(shapes[0].gpu_milli, 500);
  EXPECT_NEAR(shapes[0].popularity, 60.0 / 90, 1e-12);
  EXPECT_NEAR(shapes[1].popularity, 30.0 / 90, 1e-12);
  auto all = TypicalShapes(workload, 1.0);
  ASSERT_EQ(all.size(), 3u);
  double sum = 0;
  for (const auto& s : all) sum += s.popularity;
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(FragmentationTest, LookaheadIsTheExpectationOverOneMoreArrival) {
  std::vector<TypicalShape> shapes = {
      {1000, 0, 1000, 1, kAnyGpuModel, 0.5},
      {1000, 0, 500, 1, kAnyGpuModel, 0.5},
  };
  std::vector<int32_t> left = {1000, 500};
  // Whole GPU arrives -> {0, 500}: F = 0.5*500 + 0 = 250.
  // Half GPU arrives (best fit: GPU 1) -> {1000, 0}: F = 0.
  EXPECT_DOUBLE_EQ(NodeFragmentationLookahead(0, 8000, 0, left, shapes), 0.5 * 250 + 0.5 * 0);
  // Nothing fits without CPU: every idle milli is lost whatever arrives.
  EXPECT_DOUBLE_EQ(NodeFragmentationLookahead(0, 0, 0, left, shapes), 1500);
}

}  // namespace
}  // namespace suanwang

namespace suanwang {
namespace {

TEST(FragmentationTest, ShapeSetAgreesWithTheReferenceImplementation) {
  Rng rng(5);
  for (int round = 0; round < 200; ++round) {
    std::vector<TypicalShape> shapes;
    const int n = 1 + static_cast<int>(rng.Uniform(12));
    for (int i = 0; i < n; ++i) {
      int count = static_cast<int>(rng.Uniform(3));
      int32_t milli = count == 0 ? 0 : (rng.Uniform(2) ? 1000 : 100 * (1 + static_cast<int32_t>(rng.Uniform(9))));
      if (milli < 1000 && count > 1) count = 1;
      shapes.push_back({static_cast<int64_t>(rng.Uniform(16000)), static_cast<int64_t>(rng.Uniform(4)) * 1024,
                        milli, count, rng.Uniform(3) ? kAnyGpuModel : GpuModelMask{1} << rng.Uniform(2),
                        1.0 / n});
    }
    std::vector<int32_t> left;
    for (int g = 0, gpus = static_cast<int>(rng.Uniform(9)); g < gpus; ++g) {
      left.push_back(static_cast<int32_t>(rng.Uniform(11)) * 100);
    }
    const auto model = static_cast<GpuModelId>(rng.Uniform(2));
    const int64_t cpu = static_cast<int64_t>(rng.Uniform(20000)), mem = static_cast<int64_t>(rng.Uniform(5)) * 1024;
    ShapeSet set(shapes);
    EXPECT_NEAR(set.Fragmentation(model, cpu, mem, left), NodeFragmentation(model, cpu, mem, left, shapes), 1e-6);
    EXPECT_NEAR(set.Lookahead(model, cpu, mem, left),
                NodeFragmentationLookahead(model, cpu, mem, left, shapes), 1e-6);
  }
}

}  // namespace
}  // namespace suanwang
