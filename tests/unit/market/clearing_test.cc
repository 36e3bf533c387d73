// The clearing's rules on hand-worked cases, its invariants on random books, and its welfare
// against the LP optimum (Clp).
#include "market/clearing.h"

#include <gtest/gtest.h>

#include <random>

#include "market/lp_optimum.h"

namespace suanwang {
namespace {

Offer MakeOffer(uint64_t id, uint32_t market, double scu, double ask) {
  Offer o;
  o.id = id;
  o.provider = "p" + std::to_string(id);
  o.pool = "site/pool";
  o.market = market;
  o.scu = scu;
  o.ask = ask;
  return o;
}

Bid MakeBid(uint64_t id, double scu, double price, std::vector<uint32_t> markets) {
  Bid b;
  b.id = id;
  b.tenant = "t";
  b.job = id;
  b.scu = scu;
  b.max_price = price;
  b.markets = std::move(markets);
  return b;
}

ClearingInput OneMarket() {
  ClearingInput in;
  in.markets = {{"cy", "gpu:A100"}};
  in.offers = {MakeOffer(1, 0, 10, 1), MakeOffer(2, 0, 10, 2), MakeOffer(3, 0, 10, 3)};
  in.bids = {MakeBid(10, 5, 5, {0}), MakeBid(11, 8, 4, {0}), MakeBid(12, 6, 2.5, {0}), MakeBid(13, 4, 1.5, {0})};
  return in;
}

TEST(Clearing, OneMarketMatchesAHandCalculation) {
  // Bids by price: 5@5 takes 5 units at 1; 8@4 takes 5 at 1 and 3 at 2; 6@2.5 takes 6 at 2;
  // 4@1.5 would need 1 at 2 and 3 at 3, above its price: it loses. Price: 2 (last unit sold).
  auto result = Clear(OneMarket());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->bids[0].won);
  EXPECT_TRUE(result->bids[1].won);
  EXPECT_TRUE(result->bids[2].won);
  EXPECT_FALSE(result->bids[3].won);
  EXPECT_DOUBLE_EQ(result->markets[0].price, 2);
  EXPECT_DOUBLE_EQ(result->bids[0].price, 2);
  EXPECT_DOUBLE_EQ(result->markets[0].sold_scu, 19);
  EXPECT_DOUBLE_EQ(result->markets[0].offered_scu, 30);
  EXPECT_DOUBLE_EQ(result->markets[0].demand_scu, 23);
  EXPECT_DOUBLE_EQ(result->offer_sold_scu[0], 10);
  EXPECT_DOUBLE_EQ(result->offer_sold_scu[1], 9);
  EXPECT_DOUBLE_EQ(result->offer_sold_scu[2], 0);
  // 5x5 + 8x4 + 6x2.5 - (10x1 + 9x2) = 72 - 28
  EXPECT_DOUBLE_EQ(result->welfare_per_h, 44);

  auto lp = SolveClearingLp(OneMarket());
  ASSERT_TRUE(lp) << lp.error().message;
  EXPECT_NEAR(lp->welfare_per_h, 44, 1e-6);  // nothing fractional pays here
  EXPECT_NEAR(lp->sold_scu, 19, 1e-6);
}

TEST(Clearing, ABidThatDoesNotFitLetsSmallerOnesFillTheRoom) {
  ClearingInput in;
  in.markets = {{"gba", "gpu:A100"}};
  in.offers = {MakeOffer(1, 0, 10, 1)};
  in.bids = {MakeBid(1, 8, 9, {0}), MakeBid(2, 4, 8, {0}), MakeBid(3, 2, 7, {0})};
  auto result = Clear(in);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->bids[0].won);
  EXPECT_FALSE(result->bids[1].won);  // 4 > 2 left: all or nothing
  EXPECT_TRUE(result->bids[2].won);
  EXPECT_DOUBLE_EQ(result->markets[0].sold_scu, 10);
  EXPECT_DOUBLE_EQ(result->welfare_per_h, 8 * 9 + 2 * 7 - 10 * 1);
  // Demand exceeds supply: the price rises from the marginal ask (1) to the losing bid (8),
  // capped by the lowest winning bid (7).
  EXPECT_DOUBLE_EQ(result->markets[0].price, 7);
  auto lp = SolveClearingLp(in);
  ASSERT_TRUE(lp);
  // The relaxation may take half of bid 2 instead of bid 3: 72 + 2 x 8 - 10 = 78 > 76.
  EXPECT_NEAR(lp->welfare_per_h, 78, 1e-6);
}

TEST(Clearing, ABidGoesWhereItsMarginalAskIsLowest) {
  ClearingInput in;
  in.markets = {{"jjj", "gpu:A100"}, {"nmg", "gpu:A100"}};
  in.offers = {MakeOffer(1, 0, 4, 1), MakeOffer(2, 0, 4, 5), MakeOffer(3, 1, 8, 2)};
  // 6 SCU at jjj would need units at 5; at nmg all cost 2.
  in.bids = {MakeBid(1, 6, 10, {0, 1})};
  auto result = Clear(in);
  ASSERT_TRUE(result);
  ASSERT_TRUE(result->bids[0].won);
  EXPECT_EQ(result->bids[0].market, 1u);
  EXPECT_DOUBLE_EQ(result->bids[0].price, 2);
  EXPECT_FALSE(result->markets[0].traded);
  EXPECT_DOUBLE_EQ(result->markets[0].price, 1);  // nothing sold: its lowest ask
  EXPECT_TRUE(result->markets[0].has_price);
}

TEST(Clearing, ScarcityRaisesThePriceToTheHighestLosingBid) {
  ClearingInput in;
  in.markets = {{"nx", "gpu:A100"}};
  in.offers = {MakeOffer(1, 0, 10, 1), MakeOffer(2, 0, 10, 3)};
  // A takes the 10 units at 1; B would need units at 3 and bids 2: at any price in [2, 3]
  // demand (A) equals supply (offer 1); the clearing picks 2.
  in.bids = {MakeBid(1, 10, 5, {0}), MakeBid(2, 10, 2, {0})};
  auto result = Clear(in);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->bids[0].won);
  EXPECT_FALSE(result->bids[1].won);
  EXPECT_DOUBLE_EQ(result->markets[0].price, 2);
}

TEST(Clearing, NoOffersMeansNoPrice) {
  ClearingInput in;
  in.markets = {{"gs", "cpu:xeon-8380"}};
  in.bids = {MakeBid(1, 1, 1, {0})};
  auto result = Clear(in);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->bids[0].won);
  EXPECT_FALSE(result->markets[0].has_price);
}

TEST(Clearing, BadInputIsRefusedNamingTheField) {
  ClearingInput in = OneMarket();
  in.bids[1].scu = -1;
  auto r = Clear(in);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("bid 11: field 'scu'"), std::string::npos) << r.error().message;

  in = OneMarket();
  in.offers[2].market = 7;
  r = Clear(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("offer 3: field 'market' = 7: no such market"), std::string::npos)
      << r.error().message;

  in = OneMarket();
  in.bids[0].markets.clear();
  r = Clear(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("names no market"), std::string::npos);
}

TEST(Clearing, OfferWindowsAreHalfOpen) {
  Offer o = MakeOffer(1, 0, 1, 1);
  o.from_ms = 1000;
  o.until_ms = 2000;
  EXPECT_FALSE(OfferActiveAt(o, 999));
  EXPECT_TRUE(OfferActiveAt(o, 1000));
  EXPECT_FALSE(OfferActiveAt(o, 2000));
  o.until_ms = 0;
  EXPECT_TRUE(OfferActiveAt(o, 1'000'000'000));
}

// A random book: `markets` hubs of one class, bids naming 1-3 of them.
ClearingInput RandomBook(uint64_t seed, int markets, int offers, int bids, double max_bid_scu) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ask(0.5, 3.0), price(0.2, 5.0), scu(1, 40),
      bid_scu(1, max_bid_scu);
  std::uniform_int_distribution<int> market(0, markets - 1), count(1, 3);
  ClearingInput in;
  for (int m = 0; m < markets; ++m) in.markets.push_back({"h" + std::to_string(m), "gpu:A100"});
  for (int o = 0; o < offers; ++o) in.offers.push_back(MakeOffer(o + 1, market(rng), scu(rng), ask(rng)));
  for (int b = 0; b < bids; ++b) {
    std::vector<uint32_t> names;
    for (int k = count(rng); k > 0; --k) {
      const uint32_t m = market(rng);
      if (std::find(names.begin(), names.end(), m) == names.end()) names.push_back(m);
    }
    in.bids.push_back(MakeBid(b + 1, bid_scu(rng), price(rng), names));
  }
  return in;
}

TEST(Clearing, WinnersPayAtMostTheirBidAndSellersGetAtLeastTheirAsk) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const ClearingInput in = RandomBook(seed, 6, 60, 400, 30);
    auto result = Clear(in);
    ASSERT_TRUE(result);
    std::vector<double> sold(in.markets.size(), 0.0);
    for (size_t b = 0; b < in.bids.size(); ++b) {
      if (!result->bids[b].won) continue;
      const uint32_t m = result->bids[b].market;
      EXPECT_NE(std::find(in.bids[b].markets.begin(), in.bids[b].markets.end(), m), in.bids[b].markets.end());
      EXPECT_LE(result->bids[b].price, in.bids[b].max_price + 1e-12) << "seed " << seed << " bid " << b;
      sold[m] += in.bids[b].scu;
    }
    for (size_t o = 0; o < in.offers.size(); ++o) {
      EXPECT_LE(result->offer_sold_scu[o], in.offers[o].scu + 1e-9);
      if (result->offer_sold_scu[o] > 1e-9) {
        EXPECT_GE(result->markets[in.offers[o].market].price, in.offers[o].ask - 1e-12);
      }
    }
    for (size_t m = 0; m < in.markets.size(); ++m) {
      EXPECT_NEAR(sold[m], result->markets[m].sold_scu, 1e-6);
      EXPECT_LE(result->markets[m].sold_scu, result->markets[m].offered_scu + 1e-6);
    }
    EXPECT_GE(result->welfare_per_h, 0);
  }
}

TEST(Clearing, WelfareIsWithinFivePercentOfTheLpOptimumOnRandomBooks) {
  double clearing = 0, lp = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const ClearingInput in = RandomBook(seed, 6, 60, 400, 16);
    auto result = Clear(in);
    auto optimum = SolveClearingLp(in);
    ASSERT_TRUE(result);
    ASSERT_TRUE(optimum) << optimum.error().message;
    EXPECT_LE(result->welfare_per_h, optimum->welfare_per_h + 1e-6) << "seed " << seed;
    clearing += result->welfare_per_h;
    lp += optimum->welfare_per_h;
  }
  EXPECT_GE(clearing / lp, 0.95) << clearing << " / " << lp;
}

}  // namespace
}  // namespace suanwang
