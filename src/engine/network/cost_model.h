// The network-level cost of running a job at a site: a weighted sum of named terms.
//
//   cost = w_wait * wait_s + w_transfer * transfer_s + w_latency * rtt_ms
//          + w_money * (transfer_cny + price_cny + energy_cny) + w_carbon * carbon_kg
//
//   wait_s       expected wait before the job starts there (0 when it fits now)        [s]
//   transfer_s   time to move the input: data_gb * 8 / bandwidth_gbps + RTT (0 when the
//                data is already at the site's place)                                  [s]
//   rtt_ms       RTT from the job's origin to the site (0 without an origin): nearer is
//                better for the users even inside the tier                              [ms]
//   transfer_cny data_gb * cost_cny_per_gb of the network when the data must move       [CNY]
//   price_cny    the market's price of the job's resources there over its expected run:
//                tasks x (GPUs x CNY per GPU-hour of the model it would get + cores x CNY
//                per core-hour) x duration (duration_s, else kDefaultRunS); 0 where the
//                site has no price (SetPrices)                                          [CNY]
//   energy_cny   the job's marginal electricity cost there: facility energy x the site's
//                time-of-use price, hour by hour over its expected run              [CNY]
//   carbon_kg    the job's marginal emissions there: facility energy x (1 - green share) x
//                the grid's intensity, hour by hour over its expected run           [kg CO2e]
//
// energy_cny and carbon_kg come from the energy model (energy/site_energy.h,
// MarginalAccount) for the job's IT power at the site, from `start` over its duration
// (duration_s when known, else kDefaultRunS); without an energy model they are 0.
// Terms that are seams report 0 so that later issues change numbers, not interfaces.
#pragma once

#include <string>
#include <vector>

#include "common/time.h"
#include "energy/energy_model.h"
#include "model/job.h"
#include "model/network.h"

namespace suanwang {

class ClusterState;

// What the cost model may know about a site at decision time.
struct SiteView {
  size_t site = 0;                   // index into Network::sites
  const ClusterState* state = nullptr;
  double expected_wait_s = 0;        // the host's estimate for a job that does not fit now
  bool fits_now = false;
};

// The price of compute at a site, as the market last cleared it (or the list price).
struct GpuPrice {
  std::string model;
  double per_scu_h = 0;   // [CNY per SCU-hour]
  double per_gpu_h = 0;   // the same per GPU of this model [CNY per GPU-hour]
};
struct SitePrice {
  std::vector<GpuPrice> gpus;  // one per GPU model of the site
  double cpu_per_scu_h = 0;    // CPU-only work [CNY per SCU-hour]
  double per_core_h = 0;       // [CNY per core-hour]
};

struct CostTerm {
  std::string name;
  double value = 0;
  double weight = 0;
};

struct CostBreakdown {
  double total = 0;
  std::vector<CostTerm> terms;
  std::string Describe() const;  // "total 12.3 = wait_s 0 x 1 + transfer_s 8.1 x 1 + ..."
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Cost of running `job` at `view.site` starting at `start`. Pure. Terms whose weight is 0
  // may be left at 0 (they cannot change the ranking).
  virtual CostBreakdown Estimate(const JobSpec& job, const Network& network, const SiteView& view,
                                 Timestamp start) const = 0;
  // The same with every term's value, weighted or not (to explain a decision).
  virtual CostBreakdown Explain(const JobSpec& job, const Network& network, const SiteView& view,
                                Timestamp start) const {
    return Estimate(job, network, view, start);
  }
};

struct CostWeights {
  double wait = 1.0;      // per second
  double transfer = 1.0;  // per second
  double latency = 0.01;  // per ms of RTT: 1 ms to the users weighs like 10 ms of waiting
  double money = 0.0;     // per CNY
  double carbon = 0.0;    // per kg CO2
};

// "carbon=3600,latency=0.01": the named weights set, the others as in `base`. Names: wait,
// transfer, latency, money, carbon. Errors: kInvalidArgument naming the unknown name, the
// value that is not a non-negative number, or the item without '='.
Result<CostWeights> ParseCostWeights(std::string_view text, CostWeights base = {});

// The run time assumed for a job that does not say how long it runs [s].
inline constexpr double kDefaultRunS = 3600;

class WeightedCostModel final : public CostModel {
 public:
  // `energy` and `models` (which interned the jobs' GPU models) may be null: no energy terms.
  explicit WeightedCostModel(CostWeights weights = {}, const EnergyModel* energy = nullptr,
                             const GpuModelTable* models = nullptr)
      : weights_(weights), energy_(energy), models_(models) {}
  CostBreakdown Estimate(const JobSpec& job, const Network& network, const SiteView& view,
                         Timestamp start) const override;
  CostBreakdown Explain(const JobSpec& job, const Network& network, const SiteView& view,
                        Timestamp start) const override;
  // The marginal energy account of `job` at `site` from `start` (zero without a model).
  EnergyAccount JobEnergy(const JobSpec& job, size_t site, Timestamp start) const;
  // Prices by site index (Network::sites); sites beyond the vector are unpriced.
  void SetPrices(std::vector<SitePrice> prices) { prices_ = std::move(prices); }
  // The price per SCU-hour of the compute class the job would use at `site` (its GPUs' model,
  // else CPU); 0 when unpriced.
  double ScuPrice(const JobSpec& job, size_t site) const;
  // price_cny of the formula above.
  double JobPrice(const JobSpec& job, size_t site) const;

 private:
  CostBreakdown Terms(const JobSpec& job, const Network& network, const SiteView& view, Timestamp start,
                      bool every_term) const;
  CostWeights weights_;
  const EnergyModel* energy_;
  const GpuModelTable* models_;
  std::vector<SitePrice> prices_;
  const GpuPrice* GpuPriceFor(const JobSpec& job, size_t site) const;
};

}  // namespace suanwang
