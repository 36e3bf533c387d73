// Interns GPU model names ("G2", "A100", ...) into small ids so that the engine compares
// integers and model sets are bit masks.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "model/resources.h"

namespace suanwang {

class GpuModelTable {
 public:
  // Id of `name`, adding it if new. Errors: kInvalidArgument when the name is empty or the
  // table already holds 64 models (masks are 64 bits wide).
  Result<GpuModelId> Intern(std::string_view name);
  // Id of a known name, or kNoGpuModel.
  GpuModelId Find(std::string_view name) const;
  const std::string& Name(GpuModelId id) const { return names_[static_cast<size_t>(id)]; }
  size_t size() const { return names_.size(); }

  // Parses "A|B|C" (empty = any model) into a mask, interning unknown names: a task may ask
  // for a model no node has, which then makes it unsatisfiable rather than malformed.
  Result<GpuModelMask> ParseMask(std::string_view spec);
  // "A|B" for a mask; "any" for kAnyGpuModel.
  std::string MaskToString(GpuModelMask mask) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, GpuModelId> ids_;
};

}  // namespace suanwang
