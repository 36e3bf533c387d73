// One periodic clearing of the compute market: bids against offers, a uniform price per
// market (docs/market.md, "Clearing").
//
// Rules. Bids are taken in order of decreasing max price (ties: smaller first, then id). Each
// bid looks at every market it names and at the cheapest unsold units there, enough for all of
// it; it goes where the most expensive of those units (its marginal ask) is lowest (ties: the
// lower total cost, then the lower market index), if that ask is at most its max price and the
// market has room for all of it; otherwise it loses. A bid that does not fit does not stop the
// next ones: smaller bids below it may still fill the room left (all-or-nothing bids make the
// pure "stop at the first that does not fit" rule waste supply).
//
// Price. A market's uniform price is the ask of the most expensive unit sold in it (the marginal
// ask), raised to the highest losing bid that named the market when demand there exceeds what
// was sold, but never above the lowest bid that won there:
//   p = max(marginal ask, min(highest losing bid, lowest winning bid)).
// That is the lower end of the range of prices at which demand and supply balance. Every bid
// that won there bid at least p, and every seller sold at or below p (bids come in decreasing
// order and units are sold cheapest first, so the marginal ask is at most every winning bid):
// winners pay, and sellers receive, p; the platform balances. A market that sold nothing
// publishes its lowest ask.
//
// Cost: O(B log B + O log O + sum over bids of the units they look at); 10,000 bids against
// 1,000 offers clear in about a millisecond (docs/BENCHMARKS.md §8).
#pragma once

#include "market/market.h"

namespace suanwang {

// Errors: those of ValidateClearingInput.
Result<ClearingResult> Clear(const ClearingInput& input);

}  // namespace suanwang
