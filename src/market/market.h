// The compute market's values: what providers offer, what tenants bid, and one clearing's
// outcome (pure; docs/market.md explains the rules).
//
// Quantities are in SCU (standard compute units, metering/scu.h) held for one clearing slot;
// prices in CNY per SCU-hour. A market is one (hub, compute class) pair, e.g. ("cy", "gpu:A100").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

// On-demand capacity runs its buyer to the end; spot capacity is re-auctioned every slot and
// work on it is preempted, with notice, when a higher bid needs it; reserved capacity is
// sold outside the auction for its window (it only reduces what the auction can sell).
enum class OfferKind { kOnDemand, kSpot, kReserved };
Result<OfferKind> ParseOfferKind(std::string_view text);  // "on_demand", "spot", "reserved"
std::string_view OfferKindName(OfferKind kind);

struct MarketKey {
  std::string hub;
  std::string compute_class;  // "gpu:<model>" or "cpu:<core type>"
  bool operator==(const MarketKey&) const = default;
};

struct Offer {
  uint64_t id = 0;
  std::string provider;
  std::string pool;              // "site/pool"
  uint32_t market = 0;           // index into ClearingInput::markets
  double scu = 0;                // quantity offered for the slot [SCU]
  double ask = 0;                // minimum price [CNY/SCU-h]
  OfferKind kind = OfferKind::kSpot;
  Timestamp from_ms = 0;         // availability window [from, until); until 0: open-ended
  Timestamp until_ms = 0;
  int64_t notice_s = 0;          // spot: notice given before preemption
};

struct Bid {
  uint64_t id = 0;
  std::string tenant;
  uint64_t job = 0;
  double scu = 0;                // all or nothing, in one market [SCU]
  double max_price = 0;          // [CNY/SCU-h]
  std::vector<uint32_t> markets; // where it may run (its latency circle and model), any order
};

struct ClearingInput {
  std::vector<MarketKey> markets;
  std::vector<Offer> offers;
  std::vector<Bid> bids;
};

struct MarketOutcome {
  double offered_scu = 0;
  double sold_scu = 0;
  double demand_scu = 0;   // SCU of bids that named this market
  double price = 0;        // uniform price [CNY/SCU-h]: the marginal sold ask, else the lowest ask
  bool has_price = false;  // false: no offers
  bool traded = false;     // something sold
};

struct BidOutcome {
  bool won = false;
  uint32_t market = 0;     // where, when won
  double price = 0;        // what it pays per SCU-h (its market's uniform price)
};

struct ClearingResult {
  std::vector<MarketOutcome> markets;  // as ClearingInput::markets
  std::vector<BidOutcome> bids;        // as ClearingInput::bids
  std::vector<double> offer_sold_scu;  // as ClearingInput::offers
  // Gains from trade per slot-hour: sum over won bids of max_price x scu minus the asks of the
  // units sold [CNY/h].
  double welfare_per_h = 0;
};

// Whether `offer` may be sold for a slot starting at `at`.
bool OfferActiveAt(const Offer& offer, Timestamp at);

// Checks ids, indices and numbers. Errors: kInvalidArgument naming the offer or bid, the field
// and the value (negative or non-finite quantity or price, market index out of range, a bid
// with no market).
Result<void> ValidateClearingInput(const ClearingInput& input);

}  // namespace suanwang
