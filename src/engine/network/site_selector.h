// The network level of placement: which site runs a job.
//
// Filters, each with a reason a person can read when it removes every site:
//   1. latency tier: RTT from the job's origin to the site's place within the tier's limit;
//   2. data residency: the site's hub is one the job allows;
//   3. accelerators: some node of the site has an allowed GPU model (and enough GPUs);
//   4. capacity: the site could hold the whole gang if it were empty.
// Among sites that pass, those where the gang fits now are preferred; the cost model ranks
// them (ties: lower site index). If none fits now the job is busy (it waits), unless no site
// passes the filters at all, when it is unsatisfiable.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/network/cost_model.h"
#include "engine/placement/policy.h"

namespace suanwang {

struct SiteDecision {
  DecisionKind kind = DecisionKind::kUnsatisfiable;
  std::optional<size_t> site;       // set when kPlaced (the gang fits there now)
  CostBreakdown cost;
  std::vector<size_t> eligible;     // sites passing every static filter, best cost first
  std::string reason;
};

class SiteSelector {
 public:
  SiteSelector(const Network& network, const CostModel& cost) : network_(network), cost_(cost) {}

  // `views` holds every site's state (index i describes Network::sites[views[i].site]).
  // `fits_now[i]` says whether the gang fits at views[i] now (the caller tried it).
  SiteDecision Choose(const JobSpec& job, std::span<const SiteView> views, Timestamp now,
                      const GpuModelTable* models) const;

  // The static filters alone (1-4 above): empty string when the site is eligible, else why not.
  std::string WhyNot(const JobSpec& job, const SiteView& view) const;

 private:
  const Network& network_;
  const CostModel& cost_;
};

}  // namespace suanwang
