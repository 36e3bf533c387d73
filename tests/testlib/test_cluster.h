// Small clusters and tasks for tests, built from real objects.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/placement/cluster_state.h"
#include "model/gpu_model_table.h"

namespace suanwang::testing {

NodeSpec Node(std::string name, int64_t cores, int64_t memory_gib, int gpus = 0,
              GpuModelId model = kNoGpuModel);
TaskShape Task(double cores, int64_t memory_gib, int gpus = 0, int gpu_milli = 0,
               GpuModelMask models = kAnyGpuModel);
ClusterState Cluster(std::vector<NodeSpec> nodes);
// A placement on node `n` using the given GPU indices.
Placement On(NodeIndex n, std::initializer_list<int> gpus = {});
// Writes `text` to a fresh file under the test's temp dir and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text);
// An empty folder `name` under the test's temp dir (emptied if it was there), e.g. a home.
std::string FreshTempDir(const std::string& name);

}  // namespace suanwang::testing
