// Plain value types for the resource model: nodes, task shapes, GPU models.
// Units: CPU in milli-cores, memory in MiB, GPU share in milli-GPU (1000 = one whole GPU).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace suanwang {

inline constexpr int32_t kMilliGpu = 1000;

// Index of a GPU model in a GpuModelTable; kNoGpuModel for CPU-only nodes.
using GpuModelId = int16_t;
inline constexpr GpuModelId kNoGpuModel = -1;

// A set of GPU models as a bit mask over GpuModelTable ids; kAnyGpuModel accepts every model.
using GpuModelMask = uint64_t;
inline constexpr GpuModelMask kAnyGpuModel = ~GpuModelMask{0};

// One machine as it is declared: capacity only.
struct NodeSpec {
  std::string name;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t gpu_count = 0;
  GpuModelId gpu_model = kNoGpuModel;
};

// What one task asks for. A GPU task asks either for a share of one GPU
// (gpu_count == 1, gpu_milli < 1000) or for gpu_count whole GPUs (gpu_milli == 1000).
struct TaskShape {
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t gpu_count = 0;
  int32_t gpu_milli = 0;                      // per GPU, 0..1000
  GpuModelMask gpu_models = kAnyGpuModel;     // allowed models; ignored for CPU-only tasks

  bool UsesGpu() const { return gpu_count > 0 && gpu_milli > 0; }
  // Whether the task may run on GPUs of model `id` (kNoGpuModel: a model no job names).
  bool AllowsModel(GpuModelId id) const {
    return gpu_models == kAnyGpuModel || (id != kNoGpuModel && (gpu_models >> id & 1));
  }
  bool IsGpuShare() const { return gpu_count == 1 && gpu_milli < kMilliGpu && gpu_milli > 0; }
  int64_t TotalGpuMilli() const { return UsesGpu() ? int64_t{gpu_count} * gpu_milli : 0; }
  bool operator==(const TaskShape&) const = default;
};

struct TaskShapeHash {
  size_t operator()(const TaskShape& s) const {
    uint64_t h = static_cast<uint64_t>(s.cpu_milli) * 0x9e3779b97f4a7c15ULL;
    h ^= static_cast<uint64_t>(s.memory_mib) + 0x7f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= (static_cast<uint64_t>(s.gpu_count) << 32 | static_cast<uint32_t>(s.gpu_milli)) +
         (h << 6) + (h >> 2);
    h ^= s.gpu_models + (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
};

}  // namespace suanwang
