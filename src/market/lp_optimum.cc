#include "market/lp_optimum.h"

#include <coin/ClpSimplex.hpp>
#include <coin/CoinPackedMatrix.hpp>

#include <vector>

namespace suanwang {

Result<LpOptimum> SolveClearingLp(const ClearingInput& input) {
  SW_CHECK(ValidateClearingInput(input));
  LpOptimum optimum;
  if (input.bids.empty() || input.offers.empty()) return optimum;

  const int bid_rows = static_cast<int>(input.bids.size());
  const int rows = bid_rows + static_cast<int>(input.markets.size());
  std::vector<CoinBigIndex> starts{0};
  std::vector<int> indices;
  std::vector<double> elements, objective, col_lower, col_upper;

  for (int b = 0; b < bid_rows; ++b) {
    const Bid& bid = input.bids[b];
    for (uint32_t m : bid.markets) {
      indices.insert(indices.end(), {b, bid_rows + static_cast<int>(m)});
      elements.insert(elements.end(), {1.0, bid.scu});
      starts.push_back(static_cast<CoinBigIndex>(indices.size()));
      objective.push_back(-bid.max_price * bid.scu);  // Clp minimises
      col_lower.push_back(0);
      col_upper.push_back(1);
    }
  }
  for (const Offer& offer : input.offers) {
    indices.push_back(bid_rows + static_cast<int>(offer.market));
    elements.push_back(-1.0);
    starts.push_back(static_cast<CoinBigIndex>(indices.size()));
    objective.push_back(offer.ask);
    col_lower.push_back(0);
    col_upper.push_back(offer.scu);
  }
  const int cols = static_cast<int>(objective.size());
  CoinPackedMatrix matrix(true, rows, cols, static_cast<CoinBigIndex>(indices.size()), elements.data(),
                          indices.data(), starts.data(), nullptr);
  std::vector<double> row_lower(rows, -COIN_DBL_MAX);
  std::vector<double> row_upper(rows, 0.0);
  for (int b = 0; b < bid_rows; ++b) row_upper[b] = 1.0;

  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(matrix, col_lower.data(), col_upper.data(), objective.data(), row_lower.data(),
                    row_upper.data());
  model.dual();
  if (!model.isProvenOptimal()) {
    return MakeError(ErrorCode::kInternal, "clearing LP: Clp status " + std::to_string(model.status()) +
                                               " (not optimal) for " + std::to_string(cols) + " columns");
  }
  optimum.welfare_per_h = -model.objectiveValue();
  const double* x = model.primalColumnSolution();
  const int offer_start = cols - static_cast<int>(input.offers.size());
  for (int c = offer_start; c < cols; ++c) optimum.sold_scu += x[c];
  return optimum;
}

}  // namespace suanwang
