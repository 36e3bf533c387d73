// The best a clearing could do: the linear-programming relaxation of one clearing, solved
// with COIN-OR Clp. It is the yardstick the simulation holds the clearing to (docs/market.md).
//
//   maximise   sum_b sum_{m in M(b)} v_b q_b x_bm  -  sum_o a_o y_o
//   subject to sum_{m in M(b)} x_bm <= 1                 for every bid b
//              sum_{b: m in M(b)} q_b x_bm <= sum_{o in m} y_o   for every market m
//              0 <= x_bm,  0 <= y_o <= Q_o
//
// (v: max price, q: SCU, a: ask, Q: SCU offered.) Bids may be split across markets and in
// fractions here, which the clearing never does, so the LP optimum bounds every clearing's
// welfare from above.
#pragma once

#include "market/market.h"

namespace suanwang {

struct LpOptimum {
  double welfare_per_h = 0;   // [CNY/h], same units as ClearingResult::welfare_per_h
  double sold_scu = 0;
};

// Errors: those of ValidateClearingInput; kInternal when Clp does not report an optimum.
Result<LpOptimum> SolveClearingLp(const ClearingInput& input);

}  // namespace suanwang
