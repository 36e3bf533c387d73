#include "cli/bench_running_command.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "cli/http_client.h"

namespace suanwang {
namespace {

using json = nlohmann::json;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100 * static_cast<double>(v.size())))];
}

}  // namespace

int RunBenchRunning(const BenchRunningOptions& o) {
  if (o.jobs < 1) {
    std::fprintf(stderr, "error: --jobs must be at least 1\n");
    return 2;
  }
  const Endpoint endpoint = ResolveEndpoint(o.url, o.token, o.ca);
  auto client = MakeClient(endpoint);
  using Clock = std::chrono::steady_clock;
  std::vector<double> client_ms, server_ms;
  int never = 0;
  // Arrivals at random moments: without a gap, each submission would follow the previous job's
  // start in lock-step with the agents' polling and always wait a whole poll interval.
  std::mt19937_64 rng(static_cast<uint64_t>(o.seed));
  std::uniform_int_distribution<int> gap_ms(0, o.max_gap_ms);
  for (int i = 0; i < o.jobs; ++i) {
    if (o.max_gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms(rng)));
    // A task that stays running long enough to be seen running, and ends soon after.
    const json job{{"name", "latency-" + std::to_string(i)},
                   {"tasks", 1},
                   {"resources", {{"cpu", 0.05}, {"memory_mib", 16}}},
                   {"command", {"sleep", "0.5"}}};
    const auto t0 = Clock::now();
    auto r = client->Post("/v1/jobs", job.dump(), "application/json");
    if (!r || r->status != 201) {
      std::fprintf(stderr, "error: submit: %s\n", r ? (std::to_string(r->status) + " " + r->body).c_str()
                                                   : httplib::to_string(r.error()).c_str());
      return 1;
    }
    const std::string id = std::to_string(json::parse(r->body)["id"].get<uint64_t>());
    bool seen = false;
    while (Clock::now() - t0 < std::chrono::seconds(10)) {
      auto got = client->Get("/v1/jobs/" + id);
      if (got && got->status == 200) {
        const json j = json::parse(got->body);
        const std::string state = j.value("state", "");
        if (state == "running") {
          client_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          server_ms.push_back(static_cast<double>(j["updated_ms"].get<int64_t>() - j["submitted_ms"].get<int64_t>()));
          seen = true;
          break;
        }
        if (state != "queued" && state != "placed") break;  // ended or refused before we saw it run
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!seen) ++never;
  }
  if (o.json) {
    std::printf("{\"benchmark\":\"submit_to_running\",\"jobs\":%d,\"ran\":%zu,\"never_seen_running\":%d,"
                "\"client_p50_ms\":%.2f,\"client_p90_ms\":%.2f,\"client_p99_ms\":%.2f,"
                "\"server_p50_ms\":%.1f,\"server_p90_ms\":%.1f,\"server_p99_ms\":%.1f}\n",
                o.jobs, client_ms.size(), never, Percentile(client_ms, 50), Percentile(client_ms, 90),
                Percentile(client_ms, 99), Percentile(server_ms, 50), Percentile(server_ms, 90),
                Percentile(server_ms, 99));
  } else {
    std::printf("%zu of %d jobs seen running; submit -> running: client p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; "
                "server p50 %.0f ms, p99 %.0f ms\n",
                client_ms.size(), o.jobs, Percentile(client_ms, 50), Percentile(client_ms, 90),
                Percentile(client_ms, 99), Percentile(server_ms, 50), Percentile(server_ms, 99));
  }
  return never == 0 ? 0 : 1;
}

}  // namespace suanwang
