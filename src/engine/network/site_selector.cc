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
  if (!view.state->CouldEverFit(job.task)) return "no node can hold one task (model, GPUs, CPU or memory)";
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
  std::string reasons;
  for (size_t i = 0; i < views.size(); ++i) {
    std::string why = WhyNot(job, views[i]);
    if (!why.empty()) {
      if (reasons.size() < 600) reasons += (reasons.empty() ? "" : "; ") + network_.sites[views[i].site].id + ": " + why;
      continue;
    }
    eligible.push_back(Scored{i, cost_.Estimate(job, network_, views[i], now)});
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
