// The node-level placement seam: given one task and a site's state, choose a node and GPUs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/rng.h"
#include "engine/placement/cluster_state.h"
#include "engine/placement/fragmentation.h"
#include "model/gpu_model_table.h"

namespace suanwang {

enum class DecisionKind {
  kPlaced,         // placement is set
  kBusy,           // some node could hold the task when free enough: wait
  kUnsatisfiable,  // no node could ever hold it: reject
};

struct Decision {
  DecisionKind kind = DecisionKind::kUnsatisfiable;
  Placement placement;
  std::string reason;  // empty when placed; otherwise a sentence a person can act on
};

// What a policy may know besides the cluster: the target workload (for fragmentation-aware
// policies) and model names (for messages).
struct PolicyContext {
  std::vector<TypicalShape> typical_shapes;   // TypicalShapes(workload, 0.95), as in the paper
  std::vector<TaskShape> workload;             // the target workload itself
  const GpuModelTable* gpu_models = nullptr;
};

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // Chooses where `task` goes. Deterministic for the same state, task and rng state; may keep
  // caches keyed by ClusterState::version(). Never mutates the state.
  virtual Decision Place(const TaskShape& task, const ClusterState& state, Rng& rng) = 0;
};

// The decision for a task no node can take now, cheap enough for every refusal: kBusy with a
// one-line reason, or kUnsatisfiable (no node could take it even empty) with the full
// explanation below.
Decision Unplaced(const TaskShape& task, const ClusterState& state, const GpuModelTable* gpu_models);

// The same decision with a reason that counts what each node lacks: O(nodes), for people.
Decision ExplainUnplaced(const TaskShape& task, const ClusterState& state,
                         const GpuModelTable* gpu_models);

// Why no node could ever hold `task` ("no node has the requested GPU model", ...), or empty
// when some node could. O(nodes).
std::string NeverFitReason(const TaskShape& task, const ClusterState& state);

// A one-line description such as "4 x 0.5 GPU (A100|H800), 8 cores, 16384 MiB".
std::string DescribeTask(const TaskShape& task, const GpuModelTable* gpu_models);

}  // namespace suanwang
