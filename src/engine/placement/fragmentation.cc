#include "engine/placement/fragmentation.h"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace suanwang {
namespace {

// Takes shape m from a node's GPUs in place (a share goes to the GPU with the least room that
// still fits; whole GPUs are the first free ones). False when m cannot run there.
bool ApplyBestFit(const TypicalShape& m, GpuModelId model, int64_t cpu_left, int64_t memory_left,
                  int32_t* gpus, size_t count) {
  if (cpu_left < m.cpu_milli || memory_left < m.memory_mib) return false;
  if (m.gpu_milli == 0) return true;
  if (!ModelAllowed(m.gpu_models, model)) return false;
  if (m.gpu_milli < kMilliGpu) {
    int best = -1;
    for (size_t k = 0; k < count; ++k) {
      if (gpus[k] >= m.gpu_milli && (best < 0 || gpus[k] < gpus[static_cast<size_t>(best)])) {
        best = static_cast<int>(k);
      }
    }
    if (best < 0) return false;
    gpus[static_cast<size_t>(best)] -= m.gpu_milli;
    return true;
  }
  int need = m.gpu_count;
  for (size_t k = 0; k < count && need > 0; ++k) {
    if (gpus[k] == kMilliGpu) {
      gpus[k] = 0;
      --need;
    }
  }
  return need == 0;
}

}  // namespace

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
    const bool fits = ApplyBestFit(m, model, cpu_left, memory_left, after.data(), gpu_left.size());
    expected += m.popularity *
                (fits ? NodeFragmentation(model, cpu_left - m.cpu_milli, memory_left - m.memory_mib,
                                          after_view, shapes)
                      : static_cast<double>(idle));
  }
  return expected;
}

}  // namespace suanwang

namespace suanwang {

ShapeSet::ShapeSet(std::vector<TypicalShape> shapes) : shapes_(std::move(shapes)) {
  ask_of_.resize(shapes_.size(), 0);
  for (size_t i = 0; i < shapes_.size(); ++i) {
    const TypicalShape& s = shapes_[i];
    uses_memory_ |= s.memory_mib > 0;
    if (s.gpu_milli == 0) {
      cpu_only_popularity_ += s.popularity;
      continue;
    }
    auto it = std::find(asks_.begin(), asks_.end(), s.gpu_milli);
    if (it == asks_.end()) it = asks_.insert(asks_.end(), s.gpu_milli);
    ask_of_[i] = static_cast<uint16_t>(it - asks_.begin());
    gpu_shapes_.push_back(GpuShape{s.cpu_milli, s.memory_mib, s.gpu_models, s.popularity,
                                   s.gpu_count, ask_of_[i]});
  }
}

ShapeSet::AskCounts ShapeSet::Count(std::span<const int32_t> gpu_left) const {
  AskCounts counts;
  for (int32_t left : gpu_left) counts.idle += left;
  for (size_t k = 0; k < asks_.size(); ++k) {
    for (int32_t left : gpu_left) {
      if (left >= asks_[k]) {
        ++counts.usable[k];
      } else {
        counts.too_small[k] += left;
      }
    }
  }
  return counts;
}

void ShapeSet::Update(AskCounts& counts, int32_t before, int32_t after) const {
  counts.idle += after - before;
  for (size_t k = 0; k < asks_.size(); ++k) {
    if (before >= asks_[k]) {
      --counts.usable[k];
    } else {
      counts.too_small[k] -= before;
    }
    if (after >= asks_[k]) {
      ++counts.usable[k];
    } else {
      counts.too_small[k] += after;
    }
  }
}

double ShapeSet::FromCounts(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                            const AskCounts& counts) const {
  if (counts.idle == 0) return 0;
  const auto idle = static_cast<double>(counts.idle);
  double frag = cpu_only_popularity_ * idle;
  for (const GpuShape& s : gpu_shapes_) {
    const bool runs = ModelAllowed(s.models, model) && cpu_left >= s.cpu_milli &&
                      memory_left >= s.memory_mib && counts.usable[s.ask] >= s.count;
    frag += s.popularity * (runs ? static_cast<double>(counts.too_small[s.ask]) : idle);
  }
  return frag;
}

double ShapeSet::Fragmentation(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                               std::span<const int32_t> gpu_left) const {
  if (asks_.size() > kMaxAsks) return NodeFragmentation(model, cpu_left, memory_left, gpu_left, shapes_);
  return FromCounts(model, cpu_left, memory_left, Count(gpu_left));
}

double ShapeSet::Lookahead(GpuModelId model, int64_t cpu_left, int64_t memory_left,
                           std::span<const int32_t> gpu_left) const {
  if (asks_.size() > kMaxAsks) {
    return NodeFragmentationLookahead(model, cpu_left, memory_left, gpu_left, shapes_);
  }
  AskCounts counts = Count(gpu_left);
  const int64_t idle = counts.idle;
  if (idle == 0) return 0;
  std::array<int32_t, kMaxGpusPerNode> after{};
  double expected = 0;
  for (const TypicalShape& m : shapes_) {
    std::copy(gpu_left.begin(), gpu_left.end(), after.begin());
    if (!ApplyBestFit(m, model, cpu_left, memory_left, after.data(), gpu_left.size())) {
      expected += m.popularity * static_cast<double>(idle);
      continue;
    }
    // Apply the arrival to the counts, evaluate, then undo (cheaper than copying them).
    for (size_t g = 0; g < gpu_left.size(); ++g) {
      if (after[g] != gpu_left[g]) Update(counts, gpu_left[g], after[g]);
    }
    expected += m.popularity * FromCounts(model, cpu_left - m.cpu_milli, memory_left - m.memory_mib, counts);
    for (size_t g = 0; g < gpu_left.size(); ++g) {
      if (after[g] != gpu_left[g]) Update(counts, after[g], gpu_left[g]);
    }
  }
  return expected;
}

}  // namespace suanwang
