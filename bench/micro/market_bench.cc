// One clearing of the compute market: 10,000 bids against 1,000 offers (the figure:
// < 100 ms on one core), 10 hubs x 4 compute classes, each bid naming 1-4 hubs of its class,
// demand about 1.5 x supply. The LP optimum (Clp) of the same book is timed for comparison.
//   build/bench/market_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <random>

#include "market/clearing.h"
#include "market/lp_optimum.h"

namespace suanwang {
namespace {

ClearingInput Book(int bids, int offers, uint64_t seed) {
  constexpr int kHubs = 10, kClasses = 4;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ask(0.8, 2.5), price(0.5, 4.0), offer_scu(50, 250), bid_scu(1, 25);
  std::uniform_int_distribution<int> hub(0, kHubs - 1), cls(0, kClasses - 1), names(1, 4);
  ClearingInput in;
  for (int h = 0; h < kHubs; ++h) {
    for (int c = 0; c < kClasses; ++c) in.markets.push_back({"hub" + std::to_string(h), "gpu:c" + std::to_string(c)});
  }
  for (int o = 0; o < offers; ++o) {
    Offer offer;
    offer.id = o + 1;
    offer.provider = "provider" + std::to_string(o % 50);
    offer.pool = "site" + std::to_string(o) + "/pool";
    offer.market = static_cast<uint32_t>(hub(rng) * kClasses + cls(rng));
    offer.scu = offer_scu(rng);
    offer.ask = ask(rng);
    in.offers.push_back(offer);
  }
  for (int b = 0; b < bids; ++b) {
    Bid bid;
    bid.id = b + 1;
    bid.tenant = "tenant" + std::to_string(b % 100);
    bid.job = b + 1;
    bid.scu = bid_scu(rng);
    bid.max_price = price(rng);
    const int c = cls(rng);
    for (int k = names(rng); k > 0; --k) {
      const uint32_t m = static_cast<uint32_t>(hub(rng) * kClasses + c);
      if (std::find(bid.markets.begin(), bid.markets.end(), m) == bid.markets.end()) bid.markets.push_back(m);
    }
    in.bids.push_back(std::move(bid));
  }
  return in;
}

void BM_Clear(benchmark::State& state) {
  const ClearingInput in = Book(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 7);
  double welfare = 0, sold = 0, offered = 0;
  for (auto _ : state) {
    auto result = Clear(in);
    if (!result) state.SkipWithError(result.error().message.c_str());
    welfare = result->welfare_per_h;
    sold = offered = 0;
    for (const MarketOutcome& m : result->markets) {
      sold += m.sold_scu;
      offered += m.offered_scu;
    }
    benchmark::DoNotOptimize(result);
  }
  state.counters["welfare"] = welfare;
  state.counters["sold_share"] = sold / offered;
}
BENCHMARK(BM_Clear)->Args({10000, 1000})->Args({1000, 100})->Unit(benchmark::kMillisecond);

void BM_LpOptimum(benchmark::State& state) {
  const ClearingInput in = Book(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 7);
  double welfare = 0;
  for (auto _ : state) {
    auto result = SolveClearingLp(in);
    if (!result) state.SkipWithError(result.error().message.c_str());
    welfare = result->welfare_per_h;
  }
  state.counters["welfare"] = welfare;
}
BENCHMARK(BM_LpOptimum)->Args({10000, 1000})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace suanwang

BENCHMARK_MAIN();
