#include "model/gpu_model_table.h"

namespace suanwang {

Result<GpuModelId> GpuModelTable::Intern(std::string_view name) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty GPU model name");
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) return it->second;
  if (names_.size() >= 64) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "too many GPU models (64 at most): cannot add '" + std::string(name) + "'");
  }
  auto id = static_cast<GpuModelId>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

GpuModelId GpuModelTable::Find(std::string_view name) const {
  auto it = ids_.find(std::string(name));
  return it == ids_.end() ? kNoGpuModel : it->second;
}

Result<GpuModelMask> GpuModelTable::ParseMask(std::string_view spec) {
  GpuModelMask mask = 0;
  bool any_name = false;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t bar = spec.find('|', start);
    if (bar == std::string_view::npos) bar = spec.size();
    std::string_view name = spec.substr(start, bar - start);
    if (!name.empty()) {
      auto id = Intern(name);
      if (!id) return std::unexpected(id.error());
      mask |= GpuModelMask{1} << *id;
      any_name = true;
    }
    start = bar + 1;
  }
  return any_name ? mask : kAnyGpuModel;
}

std::string GpuModelTable::MaskToString(GpuModelMask mask) const {
  if (mask == kAnyGpuModel) return "any";
  std::string out;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (mask & (GpuModelMask{1} << i)) {
      if (!out.empty()) out += '|';
      out += names_[i];
    }
  }
  return out;
}

}  // namespace suanwang
