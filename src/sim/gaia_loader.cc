#include "sim/gaia_loader.h"

#include "common/csv_reader.h"

namespace suanwang {

Result<std::vector<GaiaJob>> LoadGaiaTrace(const std::string& path) {
  SW_TRY(csv, CsvReader::Open(path));
  SW_TRY(arrival, csv.Column("arrival_time"));
  SW_TRY(length, csv.Column("length"));
  SW_TRY(units, csv.Column("cpus"));
  std::vector<GaiaJob> jobs;
  while (csv.Next()) {
    SW_CHECK(csv.CheckWidth());
    SW_TRY(a, csv.Double(arrival));
    SW_TRY(l, csv.Double(length));
    SW_TRY(u, csv.Double(units));
    if (a < 0) return std::unexpected(csv.FieldError(arrival, "negative arrival time"));
    if (!(l > 0)) return std::unexpected(csv.FieldError(length, "length must be positive"));
    if (u < 1 || u != static_cast<double>(static_cast<int64_t>(u))) {
      return std::unexpected(csv.FieldError(units, "must be a whole number >= 1"));
    }
    jobs.push_back(GaiaJob{a, l, static_cast<int64_t>(u)});
  }
  return jobs;
}

}  // namespace suanwang
