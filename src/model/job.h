// A job: a gang of identical tasks placed all-or-nothing, with where it may run and who owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "model/network.h"
#include "model/resources.h"

namespace suanwang {

using JobId = uint64_t;

struct JobSpec {
  JobId id = 0;
  std::string name;
  std::string tenant;
  int32_t tasks = 1;          // gang size: all tasks start together or none does
  TaskShape task;             // what each task asks for
  Tier tier = Tier::kAny;     // latency circle from `origin`
  std::string origin;         // place id of the job's users (required unless tier is any)
  std::string data_place;     // place id holding the input data ("" none)
  double data_gb = 0;         // input size to move to the site
  std::vector<std::string> allowed_hubs;  // data residency: run only in these hubs (empty: any)
  int32_t priority = 0;       // higher runs first and may preempt lower
  Timestamp submit_ms = 0;
  std::optional<Timestamp> deadline_ms;   // finish by (advisory for the cost model)
  double duration_s = 0;      // known run time (simulation); 0 when unknown
  double gpu_util = -1;       // expected device utilisation 0..1 for the energy model;
  double cpu_util = -1;       // < 0: the power catalogue's default
  // Deferrable work: may start any time up to `start_by_ms` (its start window); the engine
  // may hold it for a cleaner hour inside the window. 0: start as soon as it fits.
  Timestamp start_by_ms = 0;
  // Billing: the most the job may cost in all [CNY] (needs duration_s to be estimated), and
  // the most its tenant pays per SCU-hour in the market [CNY]. 0: no limit.
  double budget_cny = 0;
  double max_price = 0;
  // Runs on spot terms: a job of the same priority that bids more (max_price) may preempt it,
  // with the notice its site's spot offers give.
  bool spot = false;
  // The precision its GPU work is metered at (SCU per GPU = the model's TFLOPS at it); empty:
  // the SCU catalogue's default (fp16).
  std::string precision;

  int64_t TotalGpuMilli() const { return task.TotalGpuMilli() * tasks; }
  int64_t TotalCpuMilli() const { return task.cpu_milli * tasks; }
};

}  // namespace suanwang
