#include "engine/network/cost_model.h"

#include <cstdio>
#include <cstdlib>

namespace suanwang {

std::string CostBreakdown::Describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "total %.3g =", total);
  std::string out = buf;
  for (size_t i = 0; i < terms.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s %s %.3g x %.3g", i ? " +" : "", terms[i].name.c_str(),
                  terms[i].value, terms[i].weight);
    out += buf;
  }
  return out;
}

Result<CostWeights> ParseCostWeights(std::string_view text, CostWeights base) {
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "weight '" + std::string(item) + "': expected NAME=VALUE");
    }
    const std::string name(item.substr(0, eq)), value(item.substr(eq + 1));
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= 0)) {
      return MakeError(ErrorCode::kInvalidArgument, "weight '" + name + "': '" + value + "' is not a non-negative number");
    }
    double* slot = name == "wait"       ? &base.wait
                   : name == "transfer" ? &base.transfer
                   : name == "latency"  ? &base.latency
                   : name == "money"    ? &base.money
                   : name == "carbon"   ? &base.carbon
                                        : nullptr;
    if (!slot) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "weight '" + name + "' is not one of wait, transfer, latency, money, carbon");
    }
    *slot = v;
  }
  return base;
}

EnergyAccount WeightedCostModel::JobEnergy(const JobSpec& job, size_t site, Timestamp start) const {
  if (!energy_ || !models_) return {};
  const double run_s = job.duration_s > 0 ? job.duration_s : kDefaultRunS;
  const double power_w = energy_->JobItPowerW(job, site, *models_);
  return MarginalAccount(energy_->site(site), power_w, start, start + static_cast<Timestamp>(run_s * 1000));
}

CostBreakdown WeightedCostModel::Estimate(const JobSpec& job, const Network& network, const SiteView& view,
                                          Timestamp start) const {
  return Terms(job, network, view, start, false);
}

const GpuPrice* WeightedCostModel::GpuPriceFor(const JobSpec& job, size_t site) const {
  if (site >= prices_.size()) return nullptr;
  for (const GpuPrice& p : prices_[site].gpus) {
    if (job.task.AllowsModel(models_ ? models_->Find(p.model) : kNoGpuModel)) return &p;
  }
  return nullptr;
}

double WeightedCostModel::ScuPrice(const JobSpec& job, size_t site) const {
  if (site >= prices_.size()) return 0;
  if (!job.task.UsesGpu()) return prices_[site].cpu_per_scu_h;
  const GpuPrice* p = GpuPriceFor(job, site);
  return p ? p->per_scu_h : 0;
}

double WeightedCostModel::JobPrice(const JobSpec& job, size_t site) const {
  if (site >= prices_.size()) return 0;
  const GpuPrice* gpu = job.task.UsesGpu() ? GpuPriceFor(job, site) : nullptr;
  const double gpus = static_cast<double>(job.task.TotalGpuMilli()) / kMilliGpu;
  const double cores = static_cast<double>(job.task.cpu_milli) / 1000;
  const double hours = (job.duration_s > 0 ? job.duration_s : kDefaultRunS) / 3600;
  return job.tasks * (gpus * (gpu ? gpu->per_gpu_h : 0) + cores * prices_[site].per_core_h) * hours;
}

CostBreakdown WeightedCostModel::Explain(const JobSpec& job, const Network& network, const SiteView& view,
                                         Timestamp start) const {
  return Terms(job, network, view, start, true);
}

CostBreakdown WeightedCostModel::Terms(const JobSpec& job, const Network& network, const SiteView& view,
                                       Timestamp start, bool every_term) const {
  const Site& site = network.sites[view.site];
  double transfer_s = 0, transfer_cny = 0;
  if (!job.data_place.empty() && job.data_place != site.place && job.data_gb > 0) {
    auto from = network.PlaceIndex(job.data_place);
    auto to = network.PlaceIndex(site.place);
    const double rtt_s = from && to ? network.RttMs(*from, *to) / 1000.0 : 0.0;
    transfer_s = job.data_gb * 8.0 / network.transfer_bandwidth_gbps + rtt_s;
    transfer_cny = job.data_gb * network.transfer_cost_cny_per_gb;
  }
  double rtt_ms = 0;
  if (!job.origin.empty()) {
    auto origin = network.PlaceIndex(job.origin);
    auto place = network.PlaceIndex(site.place);
    if (origin && place) rtt_ms = network.RttMs(*origin, *place);
  }
  // Unweighted energy terms cannot change a ranking: computed only to explain a decision.
  const bool energy_terms = every_term || weights_.money != 0 || weights_.carbon != 0;
  const EnergyAccount energy = energy_terms ? JobEnergy(job, view.site, start) : EnergyAccount{};
  CostBreakdown out;
  out.terms = {
      {"wait_s", view.fits_now ? 0.0 : view.expected_wait_s, weights_.wait},
      {"transfer_s", transfer_s, weights_.transfer},
      {"rtt_ms", rtt_ms, weights_.latency},
      {"transfer_cny", transfer_cny, weights_.money},
      {"price_cny", every_term || weights_.money != 0 ? JobPrice(job, view.site) : 0.0, weights_.money},
      {"energy_cny", energy.cost_cny, weights_.money},
      {"carbon_kg", energy.carbon_kg, weights_.carbon},
  };
  for (const CostTerm& t : out.terms) out.total += t.value * t.weight;
  return out;
}

}  // namespace suanwang
