#include "model/yaml_reader.h"

#include <charconv>

namespace suanwang {

Result<YAML::Node> YamlReader::Parse(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, path_ + ":" + std::to_string(e.mark.line + 1) +
                                                      ": YAML syntax error: " + e.msg);
  }
}

Error YamlReader::At(const YAML::Node& node, std::string_view field, std::string_view reason) const {
  const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
  return Error{ErrorCode::kInvalidArgument, path_ + ":" + std::to_string(std::max(line, 1)) +
                                                ": field '" + std::string(field) + "': " +
                                                std::string(reason)};
}

Result<void> YamlReader::OnlyKeys(const YAML::Node& map, std::string_view field,
                                  std::initializer_list<std::string_view> known) const {
  if (!map.IsMap()) return std::unexpected(At(map, field, "expected a map"));
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    bool ok = false;
    for (std::string_view k : known) ok |= k == key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return std::unexpected(At(kv.first, std::string(field) + "." + key,
                                "unknown field (known: " + list + ")"));
    }
  }
  return {};
}

Result<void> YamlReader::IsSequence(const YAML::Node& node, std::string_view field) const {
  if (!node.IsSequence()) return std::unexpected(At(node, field, "expected a list"));
  return {};
}

Result<std::string> YamlReader::String(const YAML::Node& map, const char* key, std::string_view field,
                                       bool required, std::string fallback) const {
  const YAML::Node v = map[key];
  if (!v) {
    if (required) return std::unexpected(At(map, std::string(field) + "." + key, "missing"));
    return fallback;
  }
  if (!v.IsScalar()) return std::unexpected(At(v, std::string(field) + "." + key, "expected a text value"));
  return v.Scalar();
}

Result<double> YamlReader::Number(const YAML::Node& map, const char* key, std::string_view field,
                                  bool required, double fallback) const {
  const YAML::Node v = map[key];
  const std::string name = std::string(field) + "." + key;
  if (!v) {
    if (required) return std::unexpected(At(map, name, "missing"));
    return fallback;
  }
  if (!v.IsScalar()) return std::unexpected(At(v, name, "expected a number"));
  const std::string& s = v.Scalar();
  double value = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return std::unexpected(At(v, name, "'" + s + "' is not a number"));
  }
  return value;
}

Result<int64_t> YamlReader::Integer(const YAML::Node& map, const char* key, std::string_view field,
                                    bool required, int64_t fallback) const {
  const YAML::Node v = map[key];
  const std::string name = std::string(field) + "." + key;
  if (!v) {
    if (required) return std::unexpected(At(map, name, "missing"));
    return fallback;
  }
  if (!v.IsScalar()) return std::unexpected(At(v, name, "expected an integer"));
  const std::string& s = v.Scalar();
  int64_t value = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return std::unexpected(At(v, name, "'" + s + "' is not an integer"));
  }
  return value;
}

}  // namespace suanwang
