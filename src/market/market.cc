#include "market/market.h"

#include <cmath>

namespace suanwang {

Result<OfferKind> ParseOfferKind(std::string_view text) {
  if (text == "on_demand") return OfferKind::kOnDemand;
  if (text == "spot") return OfferKind::kSpot;
  if (text == "reserved") return OfferKind::kReserved;
  return MakeError(ErrorCode::kInvalidArgument,
                   "offer kind '" + std::string(text) + "': expected on_demand, spot or reserved");
}

std::string_view OfferKindName(OfferKind kind) {
  switch (kind) {
    case OfferKind::kOnDemand: return "on_demand";
    case OfferKind::kSpot: return "spot";
    case OfferKind::kReserved: return "reserved";
  }
  return "spot";
}

bool OfferActiveAt(const Offer& offer, Timestamp at) {
  return at >= offer.from_ms && (offer.until_ms == 0 || at < offer.until_ms);
}

namespace {

bool BadNumber(double value) { return !std::isfinite(value) || value < 0; }

Error Invalid(std::string_view what, uint64_t id, std::string_view field, const std::string& value,
              std::string_view reason) {
  return Error{ErrorCode::kInvalidArgument, std::string(what) + " " + std::to_string(id) + ": field '" +
                                                std::string(field) + "' = " + value + ": " +
                                                std::string(reason)};
}

}  // namespace

Result<void> ValidateClearingInput(const ClearingInput& input) {
  const size_t markets = input.markets.size();
  for (const Offer& o : input.offers) {
    if (BadNumber(o.scu)) return std::unexpected(Invalid("offer", o.id, "scu", std::to_string(o.scu), "must be a finite number >= 0"));
    if (BadNumber(o.ask)) return std::unexpected(Invalid("offer", o.id, "ask", std::to_string(o.ask), "must be a finite number >= 0"));
    if (o.market >= markets) {
      return std::unexpected(Invalid("offer", o.id, "market", std::to_string(o.market), "no such market"));
    }
  }
  for (const Bid& b : input.bids) {
    if (BadNumber(b.scu) || b.scu == 0) {
      return std::unexpected(Invalid("bid", b.id, "scu", std::to_string(b.scu), "must be a finite number > 0"));
    }
    if (BadNumber(b.max_price)) {
      return std::unexpected(Invalid("bid", b.id, "max_price", std::to_string(b.max_price), "must be a finite number >= 0"));
    }
    if (b.markets.empty()) return std::unexpected(Invalid("bid", b.id, "markets", "[]", "names no market"));
    for (uint32_t m : b.markets) {
      if (m >= markets) return std::unexpected(Invalid("bid", b.id, "markets", std::to_string(m), "no such market"));
    }
  }
  return {};
}

}  // namespace suanwang
