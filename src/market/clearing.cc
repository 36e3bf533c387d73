#include "market/clearing.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace suanwang {
namespace {

constexpr double kEps = 1e-9;

// A market's supply, sold cheapest first: offers by ascending ask and a cursor into them.
class SupplyLadder {
 public:
  void Add(uint32_t offer) { offers_.push_back(offer); }

  void Sort(const std::vector<Offer>& all) {
    std::sort(offers_.begin(), offers_.end(), [&](uint32_t a, uint32_t b) {
      if (all[a].ask != all[b].ask) return all[a].ask < all[b].ask;
      return all[a].id < all[b].id;
    });
    for (uint32_t o : offers_) left_ += all[o].scu;
  }

  double left() const { return left_; }

  struct Quote {
    bool fits = false;
    double marginal_ask = 0;
    double cost = 0;  // sum of asks x SCU
  };

  // What the cheapest unsold `scu` units would cost, without selling them.
  Quote Probe(const std::vector<Offer>& all, const std::vector<double>& sold, double scu) const {
    Quote quote;
    if (scu > left_ + kEps) return quote;
    double need = scu;
    for (size_t i = cursor_; i < offers_.size() && need > kEps; ++i) {
      const Offer& o = all[offers_[i]];
      const double take = std::min(need, o.scu - sold[offers_[i]]);
      if (take <= kEps) continue;
      quote.cost += take * o.ask;
      quote.marginal_ask = o.ask;
      need -= take;
    }
    quote.fits = true;
    return quote;
  }

  // Sells the cheapest `scu` units; returns the ask of the last one.
  double Take(const std::vector<Offer>& all, std::vector<double>& sold, double scu) {
    double need = scu, marginal = 0;
    while (cursor_ < offers_.size() && need > kEps) {
      const uint32_t o = offers_[cursor_];
      const double take = std::min(need, all[o].scu - sold[o]);
      if (take > kEps) {
        sold[o] += take;
        need -= take;
        marginal = all[o].ask;
      }
      if (all[o].scu - sold[o] <= kEps) ++cursor_;
    }
    left_ = std::max(0.0, left_ - scu);
    return marginal;
  }

  // The lowest ask of all units (what a market that sold nothing publishes).
  bool LowestAsk(const std::vector<Offer>& all, double* ask) const {
    for (uint32_t o : offers_) {
      if (all[o].scu > kEps) {
        *ask = all[o].ask;
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<uint32_t> offers_;
  size_t cursor_ = 0;
  double left_ = 0;
};

std::vector<uint32_t> BidOrder(const std::vector<Bid>& bids) {
  std::vector<uint32_t> order(bids.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (bids[a].max_price != bids[b].max_price) return bids[a].max_price > bids[b].max_price;
    if (bids[a].scu != bids[b].scu) return bids[a].scu < bids[b].scu;
    return bids[a].id < bids[b].id;
  });
  return order;
}

struct Choice {
  bool found = false;
  uint32_t market = 0;
  SupplyLadder::Quote quote;
};

Choice ChooseMarket(const Bid& bid, const std::vector<SupplyLadder>& ladders, const std::vector<Offer>& offers,
                    const std::vector<double>& sold) {
  Choice best;
  for (uint32_t m : bid.markets) {
    const SupplyLadder::Quote quote = ladders[m].Probe(offers, sold, bid.scu);
    if (!quote.fits || quote.marginal_ask > bid.max_price) continue;
    const bool better = !best.found || quote.marginal_ask < best.quote.marginal_ask ||
                        (quote.marginal_ask == best.quote.marginal_ask &&
                         (quote.cost < best.quote.cost || (quote.cost == best.quote.cost && m < best.market)));
    if (better) best = Choice{true, m, quote};
  }
  return best;
}

}  // namespace

Result<ClearingResult> Clear(const ClearingInput& input) {
  SW_CHECK(ValidateClearingInput(input));
  ClearingResult result;
  result.markets.resize(input.markets.size());
  result.bids.resize(input.bids.size());
  result.offer_sold_scu.assign(input.offers.size(), 0.0);

  std::vector<SupplyLadder> ladders(input.markets.size());
  for (uint32_t o = 0; o < input.offers.size(); ++o) {
    ladders[input.offers[o].market].Add(o);
    result.markets[input.offers[o].market].offered_scu += input.offers[o].scu;
  }
  for (SupplyLadder& ladder : ladders) ladder.Sort(input.offers);
  for (const Bid& bid : input.bids) {
    for (uint32_t m : bid.markets) result.markets[m].demand_scu += bid.scu;
  }

  std::vector<double> marginal(input.markets.size(), 0.0);
  std::vector<double> lowest_win(input.markets.size(), std::numeric_limits<double>::infinity());
  std::vector<double> highest_loss(input.markets.size(), 0.0);
  for (uint32_t b : BidOrder(input.bids)) {
    const Bid& bid = input.bids[b];
    const Choice choice = ChooseMarket(bid, ladders, input.offers, result.offer_sold_scu);
    if (!choice.found) {
      for (uint32_t m : bid.markets) highest_loss[m] = std::max(highest_loss[m], bid.max_price);
      continue;
    }
    lowest_win[choice.market] = std::min(lowest_win[choice.market], bid.max_price);
    marginal[choice.market] = std::max(marginal[choice.market],
                                       ladders[choice.market].Take(input.offers, result.offer_sold_scu, bid.scu));
    result.bids[b].won = true;
    result.bids[b].market = choice.market;
    result.markets[choice.market].sold_scu += bid.scu;
    result.markets[choice.market].traded = true;
    result.welfare_per_h += bid.max_price * bid.scu - choice.quote.cost;
  }

  for (uint32_t m = 0; m < input.markets.size(); ++m) {
    MarketOutcome& out = result.markets[m];
    if (out.traded) {
      out.price = std::max(marginal[m], std::min(highest_loss[m], lowest_win[m]));
      out.has_price = true;
    } else {
      out.has_price = ladders[m].LowestAsk(input.offers, &out.price);
    }
  }
  for (BidOutcome& bid : result.bids) {
    if (bid.won) bid.price = result.markets[bid.market].price;
  }
  return result;
}

}  // namespace suanwang
