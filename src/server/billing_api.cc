// Metering and billing on the control plane: each ended task attempt becomes a usage record
// in SCU-hours and a balanced ledger transaction; usage and invoices are read back per tenant.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/job_codec.h"
#include "server/control_plane_impl.h"

namespace suanwang {
namespace {

nlohmann::json UsageJson(const UsageRecord& u) {
  return {{"job", u.job}, {"task", u.task}, {"attempt", u.attempt}, {"tenant", u.tenant}, {"site", u.site},
          {"gpu_model", u.gpu_model}, {"gpus", u.gpus}, {"cores", u.cores}, {"start_ms", u.start_ms},
          {"end_ms", u.end_ms}, {"cpu_ms", u.cpu_ms}, {"gpu_seconds", u.gpu_seconds},
          {"core_seconds", u.core_seconds}, {"scu_hours", u.scu_hours}, {"energy_accounted", u.energy_accounted},
          {"it_kwh", u.it_kwh}, {"facility_kwh", u.facility_kwh}, {"carbon_kg", u.carbon_kg},
          {"price_cny_per_scu_h", FormatCny(u.price)}, {"charge_cny", FormatCny(u.charge)}, {"txn", u.txn}};
}

}  // namespace

std::optional<JobSpec> ControlPlaneImpl::KnownSpec(const StoredJob& job) {
  {
    std::lock_guard lock(jobs_mutex_);
    if (auto it = specs_.find(job.id); it != specs_.end()) return it->second;
  }
  std::lock_guard lock(models_mutex_);
  auto parsed = ParseJobFile(job.spec, "job " + std::to_string(job.id), models_);
  if (!parsed) return std::nullopt;  // validated at submit
  return parsed->spec;
}

Result<void> ControlPlaneImpl::VerifyReceipts(const std::string& site, const ReportBatch& batch) {
  std::string key;
  {
    std::lock_guard lock(receipt_keys_mutex_);
    if (auto it = receipt_keys_.find(site); it != receipt_keys_.end()) key = it->second;
  }
  for (size_t i = 0; i < batch.reports.size(); ++i) {
    const TaskReport& r = batch.reports[i];
    const std::string at = "reports[" + std::to_string(i) + "] (job " + std::to_string(r.job) + " task " +
                           std::to_string(r.task) + " attempt " + std::to_string(r.attempt) + "): ";
    if (key.empty()) {
      return MakeError(ErrorCode::kPermissionDenied,
                       at + "site '" + site + "' has no pinned receipt key; its agent must register one (receipt_key)");
    }
    if (r.receipt.empty()) return MakeError(ErrorCode::kPermissionDenied, at + "no receipt (field 'receipt')");
    if (auto ok = VerifyReceiptText(key, ReceiptText(ReceiptOf(site, r)), r.receipt); !ok) {
      return MakeError(ErrorCode::kPermissionDenied,
                       at + "the receipt does not verify against the key pinned for site '" + site + "'");
    }
  }
  return {};
}

Result<void> ControlPlaneImpl::BillTask(Transaction& tx, const StoredJob& job, const JobSpec& spec, size_t site,
                                        const StoredTask& task, const TaskReport& report) {
  UsageRecord usage;
  usage.job = job.id;
  usage.task = task.task;
  usage.attempt = task.attempt;
  usage.tenant = job.tenant;
  usage.site = network_.sites[site].id;
  usage.gpus = static_cast<double>(spec.task.TotalGpuMilli()) / kMilliGpu;
  usage.cores = static_cast<double>(spec.task.cpu_milli) / 1000;
  usage.start_ms = task.updated_ms - task.wall_ms;
  usage.end_ms = task.updated_ms;
  usage.cpu_ms = task.cpu_ms;
  double gpu_scu = 0;
  if (usage.gpus > 0) {
    std::lock_guard lock(models_mutex_);
    for (const Pool& pool : SitePools(site)) {
      const GpuModelId id = models_.Find(pool.gpu_model);
      if (pool.gpus > 0 && spec.task.AllowsModel(id)) {
        usage.gpu_model = pool.gpu_model;
        break;
      }
    }
    // At the job's precision; a model without a figure at it (checked at submit against the
    // network's models) is metered at the catalogue's default.
    auto scu = meter_->scu.GpuScu(meter_->accelerators, usage.gpu_model, spec.precision);
    if (!scu) scu = meter_->scu.GpuScu(meter_->accelerators, usage.gpu_model);
    if (!scu) return MakeError(ErrorCode::kInternal, "metering job " + std::to_string(job.id) + ": " + scu.error().message);
    gpu_scu = *scu;
  }
  SW_TRY(core_scu, meter_->scu.CoreScu());
  MeterUsage(usage, gpu_scu, core_scu);
  usage.energy_accounted = energy_ != nullptr;
  usage.it_kwh = task.it_kwh;
  usage.facility_kwh = task.facility_kwh;
  usage.carbon_kg = task.carbon_kg;
  usage.receipt = ReceiptText(ReceiptOf(usage.site, report));
  usage.signature = report.receipt;
  {
    std::lock_guard lock(receipt_keys_mutex_);
    usage.agent_key = receipt_keys_[usage.site];
  }
  // The market's current price of the class it used at that site (the list price until a
  // clearing priced it).
  Micros price = static_cast<Micros>(std::llround(PoolScuPrice(site, usage.gpu_model) * kMicrosPerCny));
  // Capacity the tenant reserved (and paid for) there is not charged again.
  SW_TRY(reservation, CoveringReservation(tx, job.tenant, site, usage.gpu_model, usage.end_ms));
  if (reservation) price = 0;
  const LedgerTxn txn = BillUsage(usage, price, meter_->scu.platform_fee(), task.updated_ms);
  if (auto inserted = tx.InsertUsage(usage); !inserted) {
    if (inserted.error().code == ErrorCode::kConflict) return {};  // billed already
    return std::unexpected(inserted.error());
  }
  SW_CHECK(tx.AppendLedger(txn));
  return {};
}

std::optional<ControlPlaneImpl::CostEstimate> ControlPlaneImpl::EstimateCost(const JobSpec& spec) {
  if (!meter_ || spec.duration_s <= 0) return std::nullopt;
  const double gpus = static_cast<double>(spec.task.TotalGpuMilli()) / kMilliGpu;
  double gpu_scu = 0;
  if (gpus > 0) {
    std::lock_guard lock(models_mutex_);
    for (const Site& site : network_.sites) {
      for (const Pool& pool : site.pools) {
        const GpuModelId id = models_.Find(pool.gpu_model);
        if (pool.gpus == 0 || !spec.task.AllowsModel(id)) {
          continue;
        }
        if (auto scu = meter_->scu.GpuScu(meter_->accelerators, pool.gpu_model)) gpu_scu = std::max(gpu_scu, *scu);
      }
    }
  }
  CostEstimate e;
  e.scu_per_task = gpus * gpu_scu + static_cast<double>(spec.task.cpu_milli) / 1000 * meter_->scu.CoreScu().value_or(0);
  e.hours = spec.duration_s / 3600;
  e.price = meter_->scu.list_price_cny_per_scu_h();
  e.cny = e.scu_per_task * spec.tasks * e.hours * e.price;
  return e;
}

std::optional<HttpResponse> ControlPlaneImpl::CheckPrecision(const JobSpec& spec) {
  if (!meter_ || spec.precision.empty() || !spec.task.UsesGpu()) return std::nullopt;
  std::lock_guard lock(models_mutex_);
  for (const Site& site : network_.sites) {
    for (const Pool& pool : site.pools) {
      const GpuModelId id = models_.Find(pool.gpu_model);
      if (pool.gpus > 0 && spec.task.AllowsModel(id) && meter_->scu.GpuScu(meter_->accelerators, pool.gpu_model, spec.precision)) {
        return std::nullopt;
      }
    }
  }
  return Problem(400, "Bad Request", "request body: field 'precision': no GPU model this job may use in the network has a " +
                                         spec.precision + " figure in the accelerator catalogue");
}

std::optional<HttpResponse> ControlPlaneImpl::CheckFunds(const JobSpec& spec, const std::string& tenant) {
  const std::optional<CostEstimate> e = EstimateCost(spec);
  char numbers[200] = "";
  if (e) {
    std::snprintf(numbers, sizeof numbers, "estimate %.6f CNY (%d tasks x %.4f SCU x %.4f h x %.6f CNY/SCU-h)", e->cny,
                  spec.tasks, e->scu_per_task, e->hours, e->price);
  }
  if (e && spec.budget_cny > 0 && e->cny > spec.budget_cny) {
    char budget[64];
    std::snprintf(budget, sizeof budget, "%.6f", spec.budget_cny);
    return Problem(422, "Unprocessable Content", std::string("job '") + spec.name + "': " + numbers +
                                                     " exceeds its budget_cny " + budget);
  }
  std::optional<Micros> balance;
  {
    std::lock_guard lock(funds_mutex_);
    if (auto it = prepaid_.find(tenant); it != prepaid_.end()) balance = it->second;
  }
  if (!balance) return std::nullopt;  // not prepaid: billed afterwards
  if (*balance <= 0) {
    return Problem(402, "Payment Required", "tenant '" + tenant + "' is out of balance (" + FormatCny(*balance) +
                                                " CNY): no new work until it is topped up");
  }
  if (e && e->cny * kMicrosPerCny > static_cast<double>(*balance)) {
    return Problem(402, "Payment Required", "tenant '" + tenant + "': balance " + FormatCny(*balance) +
                                                " CNY does not cover job '" + spec.name + "': " + numbers);
  }
  return std::nullopt;
}

Result<void> ControlPlaneImpl::LoadPrepaidBalances() {
  SW_TRY(tx, store_->Begin());
  SW_TRY(tenants, tx->ListTenants());
  std::lock_guard lock(funds_mutex_);
  for (const std::string& tenant : tenants) {
    const std::string account = TenantAccount(tenant);
    SW_TRY(entries, ReadAccount(*tx, account));
    if (std::none_of(entries.begin(), entries.end(), [](const LedgerEntry& e) { return e.kind == "topup"; })) continue;
    SW_TRY(balance, tx->AccountBalance(account));
    prepaid_[tenant] = balance;
  }
  return {};
}

void ControlPlaneImpl::RefreshBalance(Transaction& tx, const std::string& tenant) {
  {
    std::lock_guard lock(funds_mutex_);
    if (!prepaid_.contains(tenant)) return;
  }
  auto balance = tx.AccountBalance(TenantAccount(tenant));
  if (!balance) return;
  std::lock_guard lock(funds_mutex_);
  prepaid_[tenant] = *balance;
}

HttpResponse ControlPlaneImpl::ListUsage(const std::map<std::string, std::string>& query, const Caller& who) {
  UsageFilter filter;
  if (!who.SeesEverything()) {
    if (auto it = query.find("tenant"); it != query.end() && it->second != who.tenant) {
      return Problem(403, "Forbidden", "role '" + who.role + "' may read only its own tenant's usage ('" + who.tenant + "')");
    }
    filter.tenant = who.tenant;
  } else if (auto it = query.find("tenant"); it != query.end()) {
    filter.tenant = it->second;
  }
  if (auto it = query.find("site"); it != query.end()) filter.site = it->second;
  auto job = QueryInt(query, "job", 0);
  auto from = QueryInt(query, "from", 0);
  auto to = QueryInt(query, "to", 0);
  for (const auto* r : {&job, &from, &to}) {
    if (!*r) return ProblemFor(r->error());
  }
  filter.job = static_cast<uint64_t>(*job);
  filter.from_ms = *from;
  filter.to_ms = *to;
  filter.limit = 10000;
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto usage = (*tx)->ListUsage(filter);
  if (!usage) return ProblemFor(usage.error());
  nlohmann::json list = nlohmann::json::array();
  double scu_hours = 0;
  Micros charged = 0;
  for (const UsageRecord& u : *usage) {
    list.push_back(UsageJson(u));
    scu_hours += u.scu_hours;
    charged += u.charge;
  }
  return Json(200, nlohmann::json{{"usage", list}, {"scu_hours", scu_hours}, {"charge_cny", FormatCny(charged)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::Invoice(const std::string& tenant, const std::map<std::string, std::string>& query,
                                       const Caller& who) {
  if (!who.SeesEverything() && tenant != who.tenant) {
    return Problem(403, "Forbidden", "role '" + who.role + "' may read only its own tenant's invoices ('" + who.tenant + "')");
  }
  auto from = QueryInt(query, "from", 0);
  auto to = QueryInt(query, "to", clock_.Now() + 1);
  if (!from) return ProblemFor(from.error());
  if (!to) return ProblemFor(to.error());
  if (*to <= *from) return Problem(400, "Bad Request", "period: 'to' (" + std::to_string(*to) + ") must be after 'from' (" + std::to_string(*from) + ")");
  auto tx = store_->Begin();
  if (!tx) return ProblemFor(tx.error());
  auto known = (*tx)->TenantExists(tenant);
  if (!known) return ProblemFor(known.error());
  if (!*known) return Problem(404, "Not Found", "tenant '" + tenant + "' does not exist");
  const std::string account = TenantAccount(tenant);
  auto entries = ReadAccount(**tx, account);
  if (!entries) return ProblemFor(entries.error());
  const Statement s = BuildStatement(*entries, account, *from, *to);
  UsageFilter filter;
  filter.tenant = tenant;
  filter.from_ms = *from;
  filter.to_ms = *to;
  filter.limit = 100000;
  auto usage = (*tx)->ListUsage(filter);
  if (!usage) return ProblemFor(usage.error());
  nlohmann::json lines = nlohmann::json::array();
  for (const LedgerEntry& e : s.lines) {
    lines.push_back({{"seq", e.seq}, {"txn", e.txn}, {"kind", e.kind}, {"at_ms", e.at_ms}, {"memo", e.memo},
                     {"debit_cny", FormatCny(e.debit)}, {"credit_cny", FormatCny(e.credit)}});
  }
  double scu_hours = 0, carbon_kg = 0;
  for (const UsageRecord& u : *usage) {
    scu_hours += u.scu_hours;
    carbon_kg += u.carbon_kg;
  }
  return Json(200, nlohmann::json{{"tenant", tenant}, {"from_ms", *from}, {"to_ms", *to},
                                  {"opening_cny", FormatCny(s.opening)}, {"charges_cny", FormatCny(s.debits)},
                                  {"payments_cny", FormatCny(s.credits)}, {"closing_cny", FormatCny(s.closing)},
                                  {"scu_hours", scu_hours}, {"carbon_kg", carbon_kg}, {"tasks", usage->size()},
                                  {"lines", lines}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse ControlPlaneImpl::TopUpTenant(const std::string& tenant, const HttpRequest& req) {
  double cny = 0;
  std::string memo;
  try {
    auto body = nlohmann::json::parse(req.body);
    cny = body.at("cny").get<double>();
    memo = body.value("memo", "top-up");
  } catch (const nlohmann::json::exception&) {
    return Problem(400, "Bad Request", "expected {\"cny\": <amount>, \"memo\": \"...\"}");
  }
  const Timestamp now = clock_.Now();
  auto txn = TopUp(tenant, static_cast<Micros>(std::llround(cny * kMicrosPerCny)), now, memo);
  if (!txn) return ProblemFor(txn.error());
  Micros balance = 0;
  auto done = committer_->Run([&](Transaction& tx) -> Result<void> {
    SW_TRY(known, tx.TenantExists(tenant));
    if (!known) return MakeError(ErrorCode::kNotFound, "tenant '" + tenant + "' does not exist");
    SW_CHECK(tx.AppendLedger(*txn));
    SW_CHECK(tx.AppendAudit(now, "admin", "ledger.topup", "tenant/" + tenant, txn->id + " " + FormatCny(txn->lines[1].credit)));
    SW_TRY(b, tx.AccountBalance(TenantAccount(tenant)));
    balance = b;
    return {};
  });
  if (!done) return ProblemFor(done.error());
  {
    std::lock_guard lock(funds_mutex_);
    prepaid_[tenant] = balance;
  }
  return Json(201, nlohmann::json{{"tenant", tenant}, {"txn", txn->id}, {"balance_cny", FormatCny(balance)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace suanwang
