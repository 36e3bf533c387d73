#include "model/network.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace suanwang {
namespace {

uint64_t PairKey(size_t a, size_t b) {
  if (a > b) std::swap(a, b);
  return static_cast<uint64_t>(a) << 32 | static_cast<uint64_t>(b);
}

}  // namespace

Result<Tier> ParseTier(std::string_view text) {
  if (text == "t1") return Tier::kT1;
  if (text == "t2") return Tier::kT2;
  if (text == "t3") return Tier::kT3;
  if (text == "any") return Tier::kAny;
  return MakeError(ErrorCode::kInvalidArgument,
                   "tier '" + std::string(text) + "' is not one of t1, t2, t3, any");
}

std::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kT1: return "t1";
    case Tier::kT2: return "t2";
    case Tier::kT3: return "t3";
    case Tier::kAny: return "any";
  }
  return "any";
}

double GreatCircleKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthRadiusKm = 6371.0;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

void Network::Reindex() {
  place_index_.clear();
  site_index_.clear();
  hub_index_.clear();
  for (size_t i = 0; i < places.size(); ++i) place_index_[places[i].id] = i;
  for (size_t i = 0; i < sites.size(); ++i) site_index_[sites[i].id] = i;
  for (size_t i = 0; i < hubs.size(); ++i) hub_index_[hubs[i].id] = i;
}

std::optional<size_t> Network::PlaceIndex(std::string_view id) const {
  auto it = place_index_.find(std::string(id));
  if (it == place_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> Network::SiteIndex(std::string_view id) const {
  auto it = site_index_.find(std::string(id));
  if (it == site_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> Network::HubIndex(std::string_view id) const {
  auto it = hub_index_.find(std::string(id));
  if (it == hub_index_.end()) return std::nullopt;
  return it->second;
}

Result<void> Network::SetRtt(std::string_view a, std::string_view b, double ms) {
  auto ia = PlaceIndex(a), ib = PlaceIndex(b);
  if (!ia) return MakeError(ErrorCode::kNotFound, "unknown place '" + std::string(a) + "'");
  if (!ib) return MakeError(ErrorCode::kNotFound, "unknown place '" + std::string(b) + "'");
  if (!(ms >= 0)) return MakeError(ErrorCode::kInvalidArgument, "negative RTT");
  rtt_[PairKey(*ia, *ib)] = ms;
  return {};
}

double Network::RttMs(size_t a, size_t b) const {
  if (a == b) return intra_place_rtt_ms;
  auto it = rtt_.find(PairKey(a, b));
  if (it != rtt_.end()) return it->second;
  const double km = GreatCircleKm(places[a].lat_deg, places[a].lon_deg, places[b].lat_deg, places[b].lon_deg);
  return 2 * 1.5 * km / 200.0 + 1.0;
}

double Network::TierLimitMs(Tier tier) const {
  switch (tier) {
    case Tier::kT1: return tier_ms[0];
    case Tier::kT2: return tier_ms[1];
    case Tier::kT3: return tier_ms[2];
    case Tier::kAny: return std::numeric_limits<double>::infinity();
  }
  return std::numeric_limits<double>::infinity();
}

bool Network::WithinTier(size_t origin_place, size_t site, Tier tier) const {
  auto place = PlaceIndex(sites[site].place);
  return place && RttMs(origin_place, *place) <= TierLimitMs(tier);
}

Result<std::vector<NodeSpec>> PoolNodes(const std::string& site_id, const std::vector<Pool>& pools,
                                        GpuModelTable& models) {
  std::vector<NodeSpec> nodes;
  for (const Pool& pool : pools) {
    GpuModelId model = kNoGpuModel;
    if (pool.gpus > 0) {
      auto id = models.Intern(pool.gpu_model);
      if (!id) return std::unexpected(id.error());
      model = *id;
    }
    for (int64_t i = 0; i < pool.nodes; ++i) {
      char suffix[24];
      std::snprintf(suffix, sizeof suffix, "%04lld", static_cast<long long>(i));
      nodes.push_back(NodeSpec{site_id + "/" + pool.id + "/" + suffix, pool.cpu_milli, pool.memory_mib, pool.gpus, model});
    }
  }
  return nodes;
}

Result<std::vector<NodeSpec>> Network::SiteNodes(size_t site, GpuModelTable& models) const {
  return PoolNodes(sites[site].id, sites[site].pools, models);
}

}  // namespace suanwang
