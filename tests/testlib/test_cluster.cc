#include "testlib/test_cluster.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace suanwang::testing {

NodeSpec Node(std::string name, int64_t cores, int64_t memory_gib, int gpus, GpuModelId model) {
  return NodeSpec{std::move(name), cores * 1000, memory_gib * 1024, gpus, model};
}

TaskShape Task(double cores, int64_t memory_gib, int gpus, int gpu_milli, GpuModelMask models) {
  TaskShape t;
  t.cpu_milli = static_cast<int64_t>(cores * 1000);
  t.memory_mib = memory_gib * 1024;
  t.gpu_count = gpus;
  t.gpu_milli = gpus > 0 ? (gpu_milli > 0 ? gpu_milli : kMilliGpu) : 0;
  t.gpu_models = models;
  return t;
}

ClusterState Cluster(std::vector<NodeSpec> nodes) {
  auto state = ClusterState::Create(std::move(nodes));
  EXPECT_TRUE(state.has_value()) << state.error().message;
  return std::move(*state);
}

Placement On(NodeIndex n, std::initializer_list<int> gpus) {
  Placement p{n, {}};
  for (int g : gpus) p.gpus.Push(g);
  return p;
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "suanwang-tests" /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

std::string FreshTempDir(const std::string& name) {
  const std::string dir = (std::filesystem::path(WriteTempFile(".marker", "")).parent_path() / name).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace suanwang::testing
