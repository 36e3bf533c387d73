#include "engine/placement/fragmentation.h"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace suanwang {

std::vector<TypicalShape> TypicalShapes(std::span<const TaskShape> workload, double coverage,
                                        bool with_memory) {
  using Key = std::tuple<int64_t, int64_t, int32_t, int32_t, GpuModelMask>;
  std::map<Key, int64_t> counts;
  for (const TaskShape& t : workload) {
    int32_t milli = t.UsesGpu() ? t.gpu_milli : 0;
    int32_t count = t.UsesGpu() ? t.gpu_count : 0;
    ++counts[Key{t.cpu_milli, with_memory ? t.memory_mib : 0, milli, count,
                 t.UsesGpu() ? t.gpu_models : kAnyGpuModel}];
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
    const auto& [cpu, memory, milli, gpus, models] = key;
    out.push_back(TypicalShape{cpu, memory, milli, gpus, models, static_cast<double>(count)});
  }
  for (TypicalShape& s : out) s.popularity /= covered;
  return out;
}

std::vector<TypicalShape> DemandWeightedShapes(std::span<const TaskShape> workload) {
  std::vector<TypicalShape> all = TypicalShapes(workload, 1.0);
  double total = 0;
  for (TypicalShape& s : all) {
    s.popularity *= static_cast<double>(s.gpu_count) * s.gpu_milli;
    total += s.popularity;
  }
  std::vector<TypicalShape> out;
  for (TypicalShape& s : all) {
    if (s.popularity <= 0) continue;
    s.popularity /= total;
    out.push_back(s);
  }
  return out;
}

std::vector<TypicalShape> WeightedShapes(std::span<const TaskShape> workload, double coverage,
                                         double gpu_weight) {
  std::vector<TypicalShape> out = TypicalShapes(workload, coverage);
  double total = 0;
  for (TypicalShape& s : out) {
    s.popularity *= 1.0 + gpu_weight * s.gpu_count * s.gpu_milli / 1000.0;
    total += s.popularity;
  }
  for (TypicalShape& s : out) s.popularity /= total;
  return out;
}

double NodeFragmentation(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                         std::span<const int32_t> gpu_left, std::span<const TypicalShape> shapes) {
  int64_t idle = 0;
  for (int32_t left : gpu_left) idle += left;
  if (idle == 0) return 0;
  double frag = 0;
  for (const TypicalShape& s : shapes) {
    if (s.gpu_milli == 0 || !ModelAllowed(s.gpu_models, model) || cpu_left < s.cpu_milli ||
        memory_left < s.memory_mib) {
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

namespace suanwang {

double NodeFragmentationLookahead(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                                  std::span<const int32_t> gpu_left,
                                  std::span<const TypicalShape> shapes) {
  int64_t idle = 0;
  for (int32_t left : gpu_left) idle += left;
  if (idle == 0) return 0;
  std::array<int32_t, kMaxGpusPerNode> after{};
  const std::span<const int32_t> after_view(after.data(), gpu_left.size());
  double expected = 0;
  for (const TypicalShape& m : shapes) {
    std::copy(gpu_left.begin(), gpu_left.end(), after.begin());
    bool fits = cpu_left >= m.cpu_milli && memory_left >= m.memory_mib;
    if (fits && m.gpu_milli > 0) {
      fits = ModelAllowed(m.gpu_models, model);
      if (fits && m.gpu_milli < kMilliGpu) {
        // A GPU share goes to the GPU with the least room that still fits.
        int best = -1;
        for (size_t k = 0; k < gpu_left.size(); ++k) {
          if (after[k] >= m.gpu_milli && (best < 0 || after[k] < after[static_cast<size_t>(best)])) {
            best = static_cast<int>(k);
          }
        }
        fits = best >= 0;
        if (fits) after[static_cast<size_t>(best)] -= m.gpu_milli;
      } else if (fits) {
        int need = m.gpu_count;
        for (size_t k = 0; k < gpu_left.size() && need > 0; ++k) {
          if (after[k] == kMilliGpu) {
            after[k] = 0;
            --need;
          }
        }
        fits = need == 0;
      }
    }
    expected += m.popularity *
                (fits ? NodeFragmentation(model, cpu_left - m.cpu_milli, memory_left - m.memory_mib,
                                          after_view, shapes)
                      : static_cast<double>(idle));
  }
  return expected;
}

}  // namespace suanwang
