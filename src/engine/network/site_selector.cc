#include "engine/network/site_selector.h"

#include <algorithm>
#include <cstdio>

#include "engine/placement/gang.h"

namespace suanwang {

std::string SiteSelector::WhyNot(const JobSpec& job, const SiteView& view) const {
  const Site& site = network_.sites[view.site];
  if (job.tier != Tier::kAny) {
    auto origin = network_.PlaceIndex(job.origin);
    if (!origin) return "origin '" + job.origin + "' is not a place of the network";
    auto place = network_.PlaceIndex(site.place);
    const double rtt = place ? network_.RttMs(*origin, *place) : 1e9;
    if (rtt > network_.TierLimitMs(job.tier)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "RTT %.1f ms from %s is outside tier %s (%.0f ms)", rtt,
                    job.origin.c_str(), std::string(TierName(job.tier)).c_str(),
                    network_.TierLimitMs(job.tier));
      return buf;
    }
  }
  if (!job.allowed_hubs.empty()) {
    auto place = network_.PlaceIndex(site.place);
    const std::string hub = place ? network_.places[*place].hub : "";
    if (std::find(job.allowed_hubs.begin(), job.allowed_hubs.end(), hub) == job.allowed_hubs.end()) {
      return "data residency: hub '" + (hub.empty() ? std::string("none") : hub) + "' is not allowed";
    }
  }
  if (!view.state) return "site has no state";
  if (!view.state->CouldEverFit(job.task)) return NeverFitReason(job.task, *view.state);
  const int64_t capacity = CapacityWhenEmpty(*view.state, job.task);
  if (capacity < job.tasks) {
    return "holds at most " + std::to_string(capacity) + " of the gang's " + std::to_string(job.tasks) +
           " tasks even empty";
  }
  return "";
}

SiteDecision SiteSelector::Choose(const JobSpec& job, std::span<const SiteView> views, Timestamp now,
                                  const GpuModelTable* models) const {
  SiteDecision out;
  struct Scored {
    size_t view;
    CostBreakdown cost;
  };
  std::vector<Scored> eligible;
  // Sites grouped by why they were filtered out, in first-seen order.
  std::vector<std::pair<std::string, std::vector<std::string>>> why_not;
  for (size_t i = 0; i < views.size(); ++i) {
    std::string why = WhyNot(job, views[i]);
    if (!why.empty()) {
      auto it = std::find_if(why_not.begin(), why_not.end(), [&](const auto& g) { return g.first == why; });
      if (it == why_not.end()) it = why_not.insert(why_not.end(), {why, {}});
      it->second.push_back(network_.sites[views[i].site].id);
      continue;
    }
    eligible.push_back(Scored{i, cost_.Estimate(job, network_, views[i], now)});
  }
  std::string reasons;
  for (const auto& [why, sites] : why_not) {
    std::string where = sites.size() == views.size() ? "all " + std::to_string(sites.size()) + " sites" : "";
    for (size_t k = 0; where.empty() && k < sites.size(); ++k) {
      if (k == 4) {
        where += " and " + std::to_string(sites.size() - 4) + " more";
        break;
      }
      where += (k ? ", " : "") + sites[k];
    }
    reasons += (reasons.empty() ? "" : "; ") + why + ": " + where;
  }
  if (eligible.empty()) {
    out.kind = DecisionKind::kUnsatisfiable;
    out.reason = "can never fit: no site can run " + std::to_string(job.tasks) + " x " +
                 DescribeTask(job.task, models) + " (" + reasons + ")";
    return out;
  }
  std::stable_sort(eligible.begin(), eligible.end(), [&](const Scored& a, const Scored& b) {
    if (views[a.view].fits_now != views[b.view].fits_now) return views[a.view].fits_now;
    return a.cost.total < b.cost.total;
  });
  for (const Scored& s : eligible) out.eligible.push_back(views[s.view].site);
  const Scored& best = eligible.front();
  out.cost = best.cost;
  if (views[best.view].fits_now) {
    out.kind = DecisionKind::kPlaced;
    out.site = views[best.view].site;
    return out;
  }
  out.kind = DecisionKind::kBusy;
  out.reason = "busy: " + std::to_string(eligible.size()) + " eligible sites, none has room for " +
               std::to_string(job.tasks) + " x " + DescribeTask(job.task, models) + " now";
  return out;
}

}  // namespace suanwang
