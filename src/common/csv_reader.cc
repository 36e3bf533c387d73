#include "common/csv_reader.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace suanwang {
namespace {

void SplitFields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

Result<CsvReader> CsvReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kUnavailable, path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return FromText(path, buffer.str());
}

Result<CsvReader> CsvReader::FromText(std::string path, std::string text) {
  CsvReader reader;
  reader.path_ = std::move(path);
  reader.text_ = std::move(text);
  std::string_view header_line;
  if (!reader.ReadLine(header_line)) {
    return MakeError(ErrorCode::kInvalidArgument, reader.path_ + ":1: empty file, expected a header");
  }
  std::vector<std::string_view> names;
  SplitFields(header_line, names);
  for (size_t i = 0; i < names.size(); ++i) {
    std::string name(Trim(names[i]));
    if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.erase(0, 3);  // UTF-8 BOM
    if (reader.columns_.contains(name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       reader.path_ + ":1: column '" + name + "' appears twice in the header");
    }
    reader.columns_[name] = static_cast<int>(i);
    reader.header_.push_back(name);
  }
  return reader;
}

bool CsvReader::ReadLine(std::string_view& line) {
  while (pos_ < text_.size()) {
    size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    line = Trim(std::string_view(text_).substr(pos_, end - pos_));
    pos_ = end + 1;
    ++line_;
    if (!line.empty()) return true;
  }
  return false;
}

Result<int> CsvReader::Column(std::string_view name) const {
  auto it = columns_.find(std::string(name));
  if (it == columns_.end()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path_ + ":1: missing column '" + std::string(name) + "' in the header");
  }
  return it->second;
}

bool CsvReader::Next() {
  std::string_view line;
  if (!ReadLine(line)) return false;
  SplitFields(line, fields_);
  for (auto& f : fields_) f = Trim(f);
  return true;
}

Result<void> CsvReader::CheckWidth() const {
  if (fields_.size() != header_.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path_ + ":" + std::to_string(line_) + ": expected " +
                         std::to_string(header_.size()) + " fields as in the header, found " +
                         std::to_string(fields_.size()));
  }
  return {};
}

Error CsvReader::FieldError(int column, std::string_view message) const {
  return Error{ErrorCode::kInvalidArgument,
               path_ + ":" + std::to_string(line_) + ": column '" +
                   header_[static_cast<size_t>(column)] + "': " + std::string(message)};
}

Result<int64_t> CsvReader::Int(int column) const {
  std::string_view f = Field(column);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  if (f.empty() || ec != std::errc() || ptr != f.data() + f.size()) {
    // Accept integral floats such as "1000.0" that some exports write.
    double d = 0;
    auto [p2, e2] = std::from_chars(f.data(), f.data() + f.size(), d);
    // Range first: converting a double outside int64's range is undefined behaviour.
    constexpr double kLimit = 9223372036854775808.0;  // 2^63
    if (!f.empty() && e2 == std::errc() && p2 == f.data() + f.size() && d >= -kLimit && d < kLimit &&
        d == static_cast<double>(static_cast<int64_t>(d))) {
      return static_cast<int64_t>(d);
    }
    return std::unexpected(FieldError(column, "'" + std::string(f) + "' is not an integer"));
  }
  return value;
}

Result<int64_t> CsvReader::IntOr(int column, int64_t fallback) const {
  if (Field(column).empty()) return fallback;
  return Int(column);
}

Result<double> CsvReader::Double(int column) const {
  std::string_view f = Field(column);
  double value = 0;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  if (f.empty() || ec != std::errc() || ptr != f.data() + f.size()) {
    return std::unexpected(FieldError(column, "'" + std::string(f) + "' is not a number"));
  }
  // from_chars reads "inf" and "nan": no trace field means either, and either poisons sums.
  if (!std::isfinite(value)) return std::unexpected(FieldError(column, "'" + std::string(f) + "' is not a finite number"));
  return value;
}

}  // namespace suanwang
