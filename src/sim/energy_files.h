// Reading the energy model's inputs from disk: the power catalogue, hourly carbon and
// temperature series named by a network file (paths relative to the network file's folder).
#pragma once

#include <string>

#include "common/error.h"
#include "energy/energy_model.h"

namespace suanwang {

// Hourly grid carbon intensity from an Electricity Maps export (the format of the files in
// shared/data/carbon-intensity-electricitymaps/): column "Carbon Intensity gCO₂eq/kWh
// (direct)", one row per hour from 1 January 00:00 UTC; returned in kg/kWh.
// Errors: kUnavailable when the file cannot be read; kInvalidArgument "path:line: column
// '...': reason" for a missing column, a non-number, a negative value, or no rows.
Result<HourlySeries> ReadElectricityMapsCsv(const std::string& path);
// Hourly outside temperature: CSV with a column temperature_c [deg C], one row per hour from
// 1 January 00:00 UTC. Errors: as above, "not in -60..60" for an implausible value.
Result<HourlySeries> ReadTemperatureCsv(const std::string& path);
// Every series file the network's sites name. Errors: as the readers, prefixed "site 'ID': ".
Result<SeriesFiles> ReadSeriesFiles(const Network& network);
// Errors: kUnavailable when unreadable; else as PowerCatalog::Parse.
Result<PowerCatalog> LoadPowerCatalog(const std::string& path);
// The network's energy model from data/catalogs/{accelerators,power}.yaml under `data_dir`
// and the series its sites name. Errors: as the loaders and EnergyModel::Create.
Result<EnergyModel> LoadEnergyModel(const Network& network, const std::string& data_dir);

}  // namespace suanwang
