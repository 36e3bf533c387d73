// GPU fragmentation measured against a target workload, after Weng et al., "Beware of
// Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent"
// (USENIX ATC 2023), Section 4.
//
// A node's fragmentation is the GPU capacity it has left that a task drawn from the workload
// cannot use, in expectation over the workload's task shapes M with popularity p_m:
//
//   F_n(M) = sum_m p_m * F_n(m)                                        [milli-GPU]
//   F_n(m) = sum of all idle GPU milli on n,  if m cannot run on n at all (no GPU asked,
//            wrong GPU model, too few usable GPUs, or too little CPU left);
//          = sum of idle milli on the GPUs whose free share is below m's per-GPU ask,
//            if m can run on n.
//
// Memory is not part of the measure (as in the paper).
#pragma once

#include <array>
#include <span>
#include <vector>

#include "engine/placement/cluster_state.h"
#include "model/resources.h"

namespace suanwang {

// One task shape of the target workload with its popularity (0..1, summing to 1).
struct TypicalShape {
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;  // 0 unless shapes were built with memory (WithMemory)
  int32_t gpu_milli = 0;  // per GPU
  int32_t gpu_count = 0;
  GpuModelMask gpu_models = kAnyGpuModel;
  double popularity = 0;
};

// The most popular shapes that together make up at least `coverage` of the tasks, with their
// popularity renormalised to sum to 1. Shapes are keyed by CPU, per-GPU share, GPU count and
// allowed models; memory is ignored. Ties in count are broken by the larger shape first so the
// result does not depend on input order.
std::vector<TypicalShape> TypicalShapes(std::span<const TaskShape> workload, double coverage,
                                        bool with_memory = false);

// One step of lookahead: the expected F_n(M) after one more task drawn from `shapes` (with
// their popularity) arrives at the node, that task taking the best-fitting GPU(s):
//   L_n(M) = sum_m p_m * (m fits on n ? F_{n after m}(M) : idle_n)
// (a task that cannot run sees every idle GPU as lost, as in F_n(m)).
double NodeFragmentationLookahead(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                                  std::span<const int32_t> gpu_left,
                                  std::span<const TypicalShape> shapes);

// F_n(M) for a node described by its GPU model, CPU left and per-GPU free milli.
// A set of shapes prepared for fast repeated F_n(M): shapes sharing a per-GPU ask share the
// scan of the node's GPUs, so one evaluation costs O(distinct asks x GPUs + shapes) instead of
// O(shapes x GPUs). Results equal NodeFragmentation over the same shapes.
class ShapeSet {
 public:
  ShapeSet() = default;
  explicit ShapeSet(std::vector<TypicalShape> shapes);

  const std::vector<TypicalShape>& shapes() const { return shapes_; }
  bool uses_memory() const { return uses_memory_; }
  double Fragmentation(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                       std::span<const int32_t> gpu_left) const;
  double Fragmentation(const ClusterState& state, NodeIndex n) const {
    return Fragmentation(state.spec(n).gpu_model, state.cpu_left(n), state.memory_left(n),
                         state.gpu_left(n));
  }
  // NodeFragmentationLookahead over these shapes.
  double Lookahead(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                   std::span<const int32_t> gpu_left) const;

 private:
  // Per distinct ask: GPUs that can take it and idle milli on those that cannot.
  // Workloads with more distinct per-GPU asks than this use the reference implementation.
  static constexpr size_t kMaxAsks = 64;
  struct AskCounts {
    std::array<int32_t, kMaxAsks> usable{};
    std::array<int64_t, kMaxAsks> too_small{};
    int64_t idle = 0;
  };
  AskCounts Count(std::span<const int32_t> gpu_left) const;
  // One GPU's free share changes from `before` to `after`.
  void Update(AskCounts& counts, int32_t before, int32_t after) const;
  double FromCounts(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                    const AskCounts& counts) const;

  // The GPU shapes in a compact form for the hot loop.
  struct GpuShape {
    int64_t cpu_milli;
    int64_t memory_mib;
    GpuModelMask models;
    double popularity;
    int32_t count;
    uint16_t ask;
  };

  std::vector<TypicalShape> shapes_;
  std::vector<GpuShape> gpu_shapes_;
  std::vector<int32_t> asks_;         // distinct per-GPU asks of the GPU shapes
  std::vector<uint16_t> ask_of_;      // per shape: index into asks_ (unused for CPU shapes)
  double cpu_only_popularity_ = 0;    // CPU shapes see every idle GPU as lost
  bool uses_memory_ = false;
};

// Reference implementation (one pass per shape); ShapeSet is the fast path.
// A shape "cannot run" also when memory_left < its memory_mib (0 for the paper's shapes).
double NodeFragmentation(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                         std::span<const int32_t> gpu_left, std::span<const TypicalShape> shapes);

inline double NodeFragmentation(const ClusterState& state, NodeIndex n,
                                std::span<const TypicalShape> shapes) {
  return NodeFragmentation(state.spec(n).gpu_model, state.cpu_left(n), state.memory_left(n),
                           state.gpu_left(n), shapes);
}

}  // namespace suanwang
