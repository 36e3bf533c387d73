#include "engine/placement/fragmentation.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace suanwang {

std::vector<TypicalShape> TypicalShapes(std::span<const TaskShape> workload, double coverage) {
  using Key = std::tuple<int64_t, int32_t, int32_t, GpuModelMask>;
  std::map<Key, int64_t> counts;
  for (const TaskShape& t : workload) {
    int32_t milli = t.UsesGpu() ? t.gpu_milli : 0;
    int32_t count = t.UsesGpu() ? t.gpu_count : 0;
    ++counts[Key{t.cpu_milli, milli, count, t.UsesGpu() ? t.gpu_models : kAnyGpuModel}];
  }
  std::vector<std::pair<Key, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first > b.first;
  });
  const double total = static_cast<double>(workload.size());
  std::vector<TypicalShape> out;
  double covered = 0;
  for (const auto& [key, count] : sorted) {
    if (covered >= coverage * total) break;
    covered += static_cast<double>(count);
    const auto& [cpu, milli, gpus, models] = key;
    out.push_back(TypicalShape{cpu, milli, gpus, models, static_cast<double>(count)});
  }
  for (TypicalShape& s : out) s.popularity /= covered;
  return out;
}

double NodeFragmentation(GpuModelId model, int64_t cpu_left, std::span<const int32_t> gpu_left,
                         std::span<const TypicalShape> shapes) {
  int64_t idle = 0;
  for (int32_t left : gpu_left) idle += left;
  if (idle == 0) return 0;
  double frag = 0;
  for (const TypicalShape& s : shapes) {
    if (s.gpu_milli == 0 || !ModelAllowed(s.gpu_models, model) || cpu_left < s.cpu_milli) {
      frag += s.popularity * static_cast<double>(idle);
      continue;
    }
    int usable = 0;
    int64_t too_small = 0;
    for (int32_t left : gpu_left) {
      if (left >= s.gpu_milli) {
        ++usable;
      } else {
        too_small += left;
      }
    }
    frag += s.popularity * static_cast<double>(usable >= s.gpu_count ? too_small : idle);
  }
  return frag;
}

}  // namespace suanwang
