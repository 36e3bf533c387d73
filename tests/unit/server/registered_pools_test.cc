#include "server/registered_pools.h"

#include <gtest/gtest.h>

namespace suanwang {
namespace {

Site Declared() {
  Site s;
  s.id = "zw-1";
  s.pools = {Pool{"cpu", 400, 96000, 393216, 0, ""}, Pool{"a100", 96, 128000, 1048576, 8, "A100"}};
  return s;
}

TEST(RegisteredPoolsTest, TheSubmittedToPartitionCountsQueueDepthTimes) {
  const std::string slurm = R"j({"source":"slurm","partition":"","queue_depth":2,"partitions":[
      {"name":"batch","default":true,"nodes":4,"cpus":4,"memory_mb":2000,"gres":"gpu:2"},
      {"name":"big","default":false,"nodes":1,"cpus":64,"memory_mb":512000,"gres":"gpu:h100:8(S:0-1)"}]})j";
  auto pools = RegisteredPools(slurm, Declared());
  ASSERT_TRUE(pools && *pools) << (pools ? "" : pools.error().message);
  ASSERT_EQ((*pools)->size(), 1u);
  const Pool& p = (**pools)[0];
  EXPECT_EQ(p.nodes, 8);  // 4 nodes, twice over
  EXPECT_EQ(p.cpu_milli, 4000);
  EXPECT_EQ(p.memory_mib, 2000);
  EXPECT_EQ(p.gpus, 2);
  EXPECT_EQ(p.gpu_model, "A100");  // no GRES type: the site's declared GPU model
  // The partition named by the agent; its GRES type is the model.
  std::string named = slurm;
  named.replace(named.find(R"("partition":"")"), 14, R"("partition":"big")");
  pools = RegisteredPools(named, Declared());
  ASSERT_TRUE(pools && *pools);
  ASSERT_EQ((*pools)->size(), 1u);
  EXPECT_EQ((**pools)[0].gpus, 8);
  EXPECT_EQ((**pools)[0].gpu_model, "H100");
  EXPECT_EQ((**pools)[0].nodes, 2);
}

TEST(RegisteredPoolsTest, OtherRegistrationsKeepTheDeclaredInventoryAndBadOnesSayWhy) {
  auto local = RegisteredPools(R"({"cores":2,"memory_mib":4096})", Declared());
  ASSERT_TRUE(local);
  EXPECT_FALSE(local->has_value());
  auto bad = RegisteredPools(R"({"source":"slurm","partitions":[{"name":"p","nodes":"four"}]})", Declared());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "site 'zw-1': registration: partition 'p': nodes (0..100000), cpus (0..100000) and memory_mb must be integers "
            "in range");
  // A registration is input from outside: wrong types are refused naming the field, never thrown.
  EXPECT_EQ(RegisteredPools(R"({"source":7})", Declared()).error().message,
            "site 'zw-1': registration: field 'source': expected a text value");
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm","partition":[1],"partitions":[]})", Declared()));
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm","partitions":[{"name":3,"nodes":1,"cpus":1,"memory_mb":1}]})", Declared()));
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm","queue_depth":1000000,"partitions":[{"name":"p","nodes":1,"cpus":1,"memory_mb":1}]})", Declared()));
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm","partitions":[{"name":"p","nodes":100000,"cpus":1,"memory_mb":1}],"queue_depth":2})", Declared()));
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm","partitions":[{"name":"p","nodes":1,"cpus":1,"memory_mb":1,"gres":"gpu:99999999999999999999"}]})", Declared()));
  EXPECT_FALSE(RegisteredPools(R"({"source":"slurm"})", Declared()));
}

}  // namespace
}  // namespace suanwang
