#include "cli/bench_submit_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/bench_connection.h"
#include "cli/http_client.h"

namespace suanwang {
namespace {

// A small CPU job; every submission is a distinct job (its own name).
std::string JobBody(int i) {
  return "{\"name\":\"bench-" + std::to_string(i) +
         "\",\"tasks\":1,\"resources\":{\"cpu\":0.1,\"memory_mib\":64},\"command\":[\"true\"]}";
}

}  // namespace

int RunBenchSubmit(const BenchSubmitOptions& o) {
  if (o.clients < 1 || o.jobs < 1) {
    std::fprintf(stderr, "error: --clients and --jobs must be at least 1\n");
    return 2;
  }
  const Endpoint endpoint = ResolveEndpoint(o.url, o.token, o.ca);
  std::ofstream ids;
  if (!o.ids_out.empty()) {
    ids.open(o.ids_out, std::ios::trunc);
    if (!ids) {
      std::fprintf(stderr, "error: --ids-out '%s': cannot write\n", o.ids_out.c_str());
      return 2;
    }
  }
  std::mutex ids_mutex;
  std::atomic<int> next{0}, acknowledged{0}, failed{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(o.clients));
  std::string first_error;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      std::unique_ptr<BenchConnection> connection;
      auto fail = [&](const std::string& why) {
        ++failed;
        std::lock_guard lock(ids_mutex);
        if (first_error.empty()) first_error = why;
      };
      for (int i = next++; i < o.jobs; i = next++) {
        const auto t0 = Clock::now();
        if (!connection) {
          auto opened = BenchConnection::Open(endpoint);
          if (!opened) {
            fail(opened.error().message);
            continue;
          }
          connection = std::move(*opened);
        }
        auto r = connection->Post("/v1/jobs", JobBody(i), "application/json");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r) {
          connection.reset();  // broken: the next submission opens another
          fail(r.error().message);
        } else if (r->status == 201 || r->status == 200) {
          latencies[static_cast<size_t>(c)].push_back(ms);
          ++acknowledged;
          if (ids.is_open()) {
            const auto at = r->body.find("\"id\":");
            std::lock_guard lock(ids_mutex);
            ids << std::strtoull(r->body.c_str() + at + 5, nullptr, 10) << "\n" << std::flush;
          }
        } else {
          fail("HTTP " + std::to_string(r->status) + ": " + r->body);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p / 100 * static_cast<double>(all.size())))]; };
  const double rate = static_cast<double>(acknowledged) / seconds;
  if (o.json) {
    std::printf("{\"benchmark\":\"submit\",\"clients\":%d,\"jobs\":%d,\"acknowledged\":%d,\"failed\":%d,"
                "\"seconds\":%.3f,\"submits_per_second\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
                o.clients, o.jobs, acknowledged.load(), failed.load(), seconds, rate, pct(50), pct(99),
                all.empty() ? 0.0 : all.back());
  } else {
    std::printf("%d submissions from %d clients in %.2f s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %d failed\n",
                acknowledged.load(), o.clients, seconds, rate, pct(50), pct(99), failed.load());
  }
  if (!first_error.empty()) std::fprintf(stderr, "first failure: %s\n", first_error.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace suanwang
