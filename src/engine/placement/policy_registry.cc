#include "engine/placement/policy_registry.h"

#include "engine/placement/fgd_policy.h"
#include "engine/placement/paper_policies.h"

namespace suanwang {
namespace {

using Factory = std::unique_ptr<PlacementPolicy> (*)(const PolicyContext&);

struct Entry {
  std::string name;
  Factory make;
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = {
      {"random", MakeRandomPolicy},   {"dotprod", MakeDotProductPolicy},
      {"clustering", MakeClusteringPolicy}, {"packing", MakePackingPolicy},
      {"bestfit", MakeBestFitPolicy}, {"fgd", MakeFgdPolicy}, 
      {"fgd-lookahead", MakeFgdLookaheadPolicy},
  };
  return entries;
}

}  // namespace

const std::vector<std::string>& PolicyNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Entry& e : Entries()) out.push_back(e.name);
    return out;
  }();
  return names;
}

Result<std::unique_ptr<PlacementPolicy>> MakePolicy(std::string_view name,
                                                    const PolicyContext& context) {
  // Not listed: bestfit without its index, the baseline `bench placement` compares against.
  if (name == "bestfit-scan") return MakeBestFitScanPolicy(context);
  for (const Entry& e : Entries()) {
    if (e.name == name) return e.make(context);
  }
  std::string known;
  for (const Entry& e : Entries()) known += (known.empty() ? "" : ", ") + e.name;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown policy '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace suanwang
