#include "sim/energy_files.h"

#include "common/csv_reader.h"
#include "sim/files.h"

namespace suanwang {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<HourlySeries> ReadColumn(const std::string& path, const char* column, double scale, double lo, double hi) {
  SW_TRY(csv, CsvReader::Open(path));
  SW_TRY(col, csv.Column(column));
  std::vector<double> values;
  while (csv.Next()) {
    SW_CHECK(csv.CheckWidth());
    SW_TRY(v, csv.Double(col));
    if (v < lo || v > hi) {
      return std::unexpected(csv.FieldError(col, std::to_string(v) + " is not in " + std::to_string(lo) + ".." +
                                                     std::to_string(hi)));
    }
    values.push_back(v * scale);
  }
  if (values.empty()) return MakeError(ErrorCode::kInvalidArgument, path + ": no rows");
  return HourlySeries::FromValues(std::move(values), BaseName(path));
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

}  // namespace

Result<HourlySeries> ReadElectricityMapsCsv(const std::string& path) {
  return ReadColumn(path, "Carbon Intensity gCO₂eq/kWh (direct)", 1e-3, 0, 1e5);
}

Result<HourlySeries> ReadTemperatureCsv(const std::string& path) {
  return ReadColumn(path, "temperature_c", 1, -60, 60);
}

Result<SeriesFiles> ReadSeriesFiles(const Network& network) {
  SeriesFiles files;
  for (const Site& site : network.sites) {
    for (const auto& [name, reader] : {std::pair{site.energy.carbon_csv, &ReadElectricityMapsCsv},
                                       std::pair{site.energy.temperature_csv, &ReadTemperatureCsv}}) {
      if (name.empty() || files.contains(name)) continue;
      auto series = reader(Resolve(network.source_dir, name));
      if (!series) return MakeError(series.error().code, "site '" + site.id + "': " + series.error().message);
      files.emplace(name, std::move(*series));
    }
  }
  return files;
}

Result<PowerCatalog> LoadPowerCatalog(const std::string& path) {
  SW_TRY(text, ReadTextFile(path));
  return PowerCatalog::Parse(text, path);
}

Result<EnergyModel> LoadEnergyModel(const Network& network, const std::string& data_dir) {
  SW_TRY(accelerators, LoadAcceleratorCatalog(data_dir + "/catalogs/accelerators.yaml"));
  SW_TRY(power, LoadPowerCatalog(data_dir + "/catalogs/power.yaml"));
  SW_TRY(files, ReadSeriesFiles(network));
  return EnergyModel::Create(network, accelerators, power, files);
}

}  // namespace suanwang
