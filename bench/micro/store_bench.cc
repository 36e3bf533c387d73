// Durable job inserts per second into the SQLite store: one commit per insert (the baseline)
// against group commit with many concurrent submitters.
//   build/bench/store_bench
//   SUANWANG_BENCH_POSTGRES_URL=$(scripts/pg-start) build/bench/store_bench; scripts/pg-stop
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/group_commit.h"
#include "store/store.h"

namespace suanwang {
namespace {

// SQLite in a temp dir, or PostgreSQL when SUANWANG_BENCH_POSTGRES_URL is set (a fresh schema).
std::unique_ptr<Store> FreshStore() {
  if (const char* pg = std::getenv("SUANWANG_BENCH_POSTGRES_URL"); pg && *pg) {
    std::string admin = std::string("psql -q -d '") + pg +
                        "' -c 'DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench' >/dev/null 2>&1";
    if (std::system(admin.c_str()) != 0) return nullptr;
    return std::move(*OpenStore(std::string(pg) + "?options=-csearch_path%3Dbench"));
  }
  const auto dir = std::filesystem::temp_directory_path() / "suanwang-store-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return std::move(*OpenStore("sqlite://" + (dir / "bench.db").string()));
}

StoredJob Job(int i) {
  StoredJob j;
  j.tenant = "bench";
  j.name = "job-" + std::to_string(i);
  j.spec = "{\"name\":\"job\",\"tasks\":1,\"resources\":{\"cpu\":1,\"memory_mib\":1024},\"command\":[\"true\"]}";
  j.state = "queued";
  j.submitted_ms = i;
  return j;
}

void BM_InsertCommitEach(benchmark::State& state) {
  auto store = FreshStore();
  int i = 0;
  for (auto _ : state) {
    auto tx = store->Begin();
    benchmark::DoNotOptimize((*tx)->InsertJob(Job(i++)));
    benchmark::DoNotOptimize((*tx)->Commit());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertCommitEach)->UseRealTime()->MinTime(1.0);

void BM_InsertGroupCommit(benchmark::State& state) {
  auto store = FreshStore();
  const int clients = static_cast<int>(state.range(0));
  constexpr int kPerClient = 500;
  for (auto _ : state) {
    GroupCommitter committer(*store);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (int k = 0; k < kPerClient; ++k) {
          auto r = committer.Run([&](Transaction& tx) -> Result<void> {
            auto id = tx.InsertJob(Job(c * kPerClient + k));
            if (!id) return std::unexpected(id.error());
            return {};
          });
          benchmark::DoNotOptimize(r);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  state.SetItemsProcessed(state.iterations() * clients * kPerClient);
}
BENCHMARK(BM_InsertGroupCommit)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace suanwang

BENCHMARK_MAIN();
