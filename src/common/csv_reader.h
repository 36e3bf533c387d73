// A small CSV reader for the trace and node files: header by name, typed fields, and errors
// that name file:line, the column and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"

namespace suanwang {

class CsvRow;

class CsvReader {
 public:
  // Reads the whole file. Errors: kUnavailable if it cannot be read; kInvalidArgument if it
  // is empty or the header repeats a column.
  static Result<CsvReader> Open(const std::string& path);
  // Parses text already in memory; `path` is only used in messages.
  static Result<CsvReader> FromText(std::string path, std::string text);

  // Index of a header column. Errors: kInvalidArgument naming the file and the column.
  Result<int> Column(std::string_view name) const;
  bool HasColumn(std::string_view name) const { return columns_.contains(std::string(name)); }

  // Advances to the next data row; false at end of file. Blank lines are skipped.
  bool Next();
  // Errors: kInvalidArgument when the row has a different number of fields than the header.
  Result<void> CheckWidth() const;

  std::string_view Field(int column) const { return fields_[static_cast<size_t>(column)]; }
  // Integer field. Errors: kInvalidArgument "file:line: column 'x': 'v' is not an integer".
  Result<int64_t> Int(int column) const;
  // Same, but an empty field reads as `fallback`.
  Result<int64_t> IntOr(int column, int64_t fallback) const;
  // A finite number (inf and nan are refused like any other non-number).
  Result<double> Double(int column) const;

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  // "path:line: column 'name': message" for a caller's own validation errors.
  Error FieldError(int column, std::string_view message) const;

 private:
  std::string path_;
  std::string text_;
  size_t pos_ = 0;
  int line_ = 0;
  std::vector<std::string> header_;
  std::unordered_map<std::string, int> columns_;
  std::vector<std::string_view> fields_;

  bool ReadLine(std::string_view& line);
};

}  // namespace suanwang
