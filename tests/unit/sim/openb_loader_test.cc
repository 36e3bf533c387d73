#include "sim/openb_loader.h"

#include <gtest/gtest.h>

#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::WriteTempFile;

const char* kNodes =
    "sn,cpu_milli,memory_mib,gpu,model\n"
    "n0,32000,262144,0,\n"
    "n1,96000,786432,8,G2\n";

const char* kPods =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
    "p0,12000,16384,1,1000,,LS,Running,0,1,0\n"
    "p1,6000,12288,1,460,V100M16|V100M32,LS,Running,0,1,0\n"
    "p2,4000,8192,0,0,,BE,Running,0,1,0\n"
    "p3,8000,8192,4,1000,,BE,Running,0,1,0\n";

TEST(OpenbLoaderTest, LoadsNodesAndTasks) {
  GpuModelTable models;
  auto nodes = LoadOpenbNodes(WriteTempFile("nodes.csv", kNodes), models);
  ASSERT_TRUE(nodes) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].gpu_model, kNoGpuModel);
  EXPECT_EQ((*nodes)[1].gpu_count, 8);
  EXPECT_EQ(models.Name((*nodes)[1].gpu_model), "G2");

  auto trace = LoadOpenbTasks(WriteTempFile("openb_pod_list_x.csv", kPods), models);
  ASSERT_TRUE(trace) << trace.error().message;
  EXPECT_EQ(trace->workload, "openb_pod_list_x");
  ASSERT_EQ(trace->tasks.size(), 4u);
  EXPECT_EQ(trace->tasks[1].gpu_milli, 460);
  EXPECT_EQ(models.MaskToString(trace->tasks[1].gpu_models), "V100M16|V100M32");
  EXPECT_EQ(trace->tasks[0].gpu_models, kAnyGpuModel);
  EXPECT_FALSE(trace->tasks[2].UsesGpu());
  EXPECT_EQ(trace->tasks[3].TotalGpuMilli(), 4000);
}

TEST(OpenbLoaderTest, FiveColumnVariantWithoutGpuSpec) {
  GpuModelTable models;
  auto trace = LoadOpenbTasks(
      WriteTempFile("m.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1000,1024,2,1000\n"), models);
  ASSERT_TRUE(trace) << trace.error().message;
  EXPECT_EQ(trace->tasks[0].gpu_count, 2);
}

struct BadRow {
  const char* csv;
  const char* message_suffix;
};

class BadPodRowTest : public ::testing::TestWithParam<BadRow> {};

TEST_P(BadPodRowTest, NamesFileLineColumnAndReason) {
  GpuModelTable models;
  std::string path = WriteTempFile("bad.csv", GetParam().csv);
  auto trace = LoadOpenbTasks(path, models);
  ASSERT_FALSE(trace);
  EXPECT_EQ(trace.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(trace.error().message, path + GetParam().message_suffix);
  EXPECT_EQ(ExitCodeFor(trace.error()), 2);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BadPodRowTest,
    ::testing::Values(
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,abc,1,0,0\n",
               ":2: column 'cpu_milli': 'abc' is not an integer"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,-5,0,0\n",
               ":2: column 'memory_mib': -5 is negative"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,1500\n",
               ":2: column 'gpu_milli': 1500 is above 1000 (one whole GPU)"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n",
               ":2: column 'gpu_milli': 500: a task with several GPUs must ask for whole GPUs (1000)"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,0\n",
               ":2: column 'gpu_milli': 0 milli-GPU for a task that asks for GPUs"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1\n",
               ":2: expected 5 fields as in the header, found 4"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu\n", ":1: missing column 'gpu_milli' in the header"},
        BadRow{"name,cpu_milli,memory_mib,num_gpu,gpu_milli\n", ": no tasks (only a header)"}));

TEST(OpenbLoaderTest, BadNodeRows) {
  GpuModelTable models;
  std::string dup = WriteTempFile("dup.csv", "sn,cpu_milli,memory_mib,gpu,model\na,1,1,0,\na,1,1,0,\n");
  EXPECT_EQ(LoadOpenbNodes(dup, models).error().message, dup + ":3: column 'sn': node 'a' appears twice");
  std::string nomodel = WriteTempFile("nm.csv", "sn,cpu_milli,memory_mib,gpu,model\na,1,1,2,\n");
  EXPECT_EQ(LoadOpenbNodes(nomodel, models).error().message,
            nomodel + ":2: column 'model': node has GPUs but no model");
  std::string many = WriteTempFile("many.csv", "sn,cpu_milli,memory_mib,gpu,model\na,1,1,20,X\n");
  EXPECT_EQ(LoadOpenbNodes(many, models).error().message,
            many + ":2: column 'gpu': 20 GPUs is more than 16 per node");
  auto missing = LoadOpenbNodes("/nonexistent/nodes.csv", models);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace suanwang
