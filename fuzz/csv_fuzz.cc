// The CSV loaders (one target; the first byte picks the reader, the rest is the file):
//   0  CsvReader itself: every field of every row as text, integer and number
//   1  openb node list (sim/openb_loader.h)      2  openb pod list
//   3  GAIA job trace (sim/gaia_loader.h)
//   4  Electricity Maps hourly carbon intensity  5  hourly temperature (sim/energy_files.h,
//      into energy/hourly_series.h)
// Loaders read paths: the rest is written to a scratch file first. What loads must be usable:
// numbers finite, sizes within the limits the loaders promise.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/csv_reader.h"
#include "energy/hourly_series.h"
#include "fuzz_check.h"
#include "sim/energy_files.h"
#include "sim/gaia_loader.h"
#include "sim/openb_loader.h"

using namespace suanwang;

namespace {

void ExpectError(const Error& e) {
  SW_FUZZ_CHECK(e.code == ErrorCode::kInvalidArgument, e.message);
  SW_FUZZ_CHECK(!e.message.empty(), "an error without a message");
}

// The header's width as CsvReader sees it: the first line that is not blank once spaces and
// '\r' are trimmed, split at commas (CsvReader offers no count; Field() past it is unchecked).
size_t HeaderWidth(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!line.empty()) return static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
    pos = end + 1;
  }
  return 0;
}

void Reader(std::string text) {
  const size_t width = HeaderWidth(text);
  Result<CsvReader> csv = CsvReader::FromText("fuzz.csv", std::move(text));
  if (!csv) return ExpectError(csv.error());
  while (csv->Next()) {
    if (auto ok = csv->CheckWidth(); !ok) {
      ExpectError(ok.error());
      continue;
    }
    for (int c = 0; c < static_cast<int>(width); ++c) {
      Result<int64_t> i = csv->Int(c);
      Result<double> d = csv->Double(c);
      if (d) SW_FUZZ_CHECK(std::isfinite(*d), "'" + std::string(csv->Field(c)) + "' read as a number that is not finite");
      if (!i) ExpectError(i.error());
      if (!d) ExpectError(d.error());
      (void)csv->IntOr(c, 0);
      (void)csv->FieldError(c, "checked");
    }
  }
}

class ScratchFile {
 public:
  ScratchFile(const std::string& name, const std::string& text) : path_(fuzz::ScratchPath(name)) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Series(const Result<HourlySeries>& series) {
  if (!series) return ExpectError(series.error());
  SW_FUZZ_CHECK(series->size() >= 1, "an empty series");
  SW_FUZZ_CHECK(std::isfinite(series->Mean()), "a series whose mean is not finite");
  for (Timestamp at : {Timestamp{0}, Timestamp{3600000}, Timestamp{1767225600000}}) {
    SW_FUZZ_CHECK(std::isfinite(series->At(at)), "a value that is not finite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest = fuzz::Text(data + 1, size - 1);
  const int mode = data[0] % 6;
  if (mode == 0) {
    Reader(std::move(rest));
    return 0;
  }
  ScratchFile file("trace.csv", rest);
  GpuModelTable models;
  switch (mode) {
    case 1: {
      auto nodes = LoadOpenbNodes(file.path(), models);
      if (!nodes) return ExpectError(nodes.error()), 0;
      for (const NodeSpec& n : *nodes) {
        SW_FUZZ_CHECK(n.cpu_milli >= 0 && n.memory_mib >= 0 && n.gpu_count >= 0 && n.gpu_count <= 16, n.name);
      }
      break;
    }
    case 2: {
      auto trace = LoadOpenbTasks(file.path(), models);
      if (!trace) return ExpectError(trace.error()), 0;
      SW_FUZZ_CHECK(trace->names.size() == trace->tasks.size(), "names and tasks differ in length");
      for (size_t i = 0; i < trace->creation_s.size(); ++i) {
        SW_FUZZ_CHECK(trace->deletion_s[i] >= trace->creation_s[i], trace->names[i]);
      }
      break;
    }
    case 3: {
      auto jobs = LoadGaiaTrace(file.path());
      if (!jobs) return ExpectError(jobs.error()), 0;
      for (const GaiaJob& j : *jobs) {
        SW_FUZZ_CHECK(std::isfinite(j.arrival_h) && j.arrival_h >= 0, "arrival");
        SW_FUZZ_CHECK(std::isfinite(j.length_h) && j.length_h > 0, "length");
        SW_FUZZ_CHECK(j.units >= 1, "units");
      }
      break;
    }
    case 4: Series(ReadElectricityMapsCsv(file.path())); break;
    case 5: Series(ReadTemperatureCsv(file.path())); break;
  }
  return 0;
}
