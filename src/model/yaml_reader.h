// Strict reading of YAML documents into value types: every error names file:line, the field
// path and the reason; unknown fields are errors (a typo must not pass silently).
// yaml-cpp's exceptions stay inside this adapter.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace suanwang {

class YamlReader {
 public:
  explicit YamlReader(std::string path) : path_(std::move(path)) {}

  // Parses `text`. Errors: kInvalidArgument "path:line: YAML syntax error: ...".
  Result<YAML::Node> Parse(const std::string& text) const;

  Error At(const YAML::Node& node, std::string_view field, std::string_view reason) const;

  // A required or optional scalar field of a map; `field` is the path used in messages.
  Result<std::string> String(const YAML::Node& map, const char* key, std::string_view field,
                             bool required = true, std::string fallback = "") const;
  Result<double> Number(const YAML::Node& map, const char* key, std::string_view field,
                        bool required = true, double fallback = 0) const;
  Result<int64_t> Integer(const YAML::Node& map, const char* key, std::string_view field,
                          bool required = true, int64_t fallback = 0) const;
  // Errors when `map` is not a map or holds a key outside `known`.
  Result<void> OnlyKeys(const YAML::Node& map, std::string_view field,
                        std::initializer_list<std::string_view> known) const;
  Result<void> IsSequence(const YAML::Node& node, std::string_view field) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace suanwang
