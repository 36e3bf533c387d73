#include "model/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "common/text.h"

namespace suanwang {

namespace {

// Every scalar of the document (keys too) must be text a person and a JSON encoder can take:
// escapes such as "\0" or a lone "\udc00" yield bytes the raw check cannot see. Walked with an
// explicit stack: the depth is the input's.
Result<void> CheckScalars(const YamlReader& y, const YAML::Node& root) {
  std::vector<std::pair<YAML::Node, std::string>> stack{{root, ""}};
  while (!stack.empty()) {
    auto [node, field] = std::move(stack.back());
    stack.pop_back();
    const std::string shown = field.empty() ? "document" : field;
    if (node.IsScalar()) {
      if (std::string why = TextProblem(node.Scalar(), ControlChars::kWhitespace); !why.empty()) {
        return std::unexpected(y.At(node, shown, why));
      }
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) stack.push_back({node[i], shown + "[" + std::to_string(i) + "]"});
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
        if (std::string why = TextProblem(key, ControlChars::kNone); !why.empty()) {
          return std::unexpected(y.At(kv.first, shown + " key", why));
        }
        stack.push_back({kv.second, field.empty() ? key : field + "." + key});
      }
    }
  }
  return {};
}

// Why `text` is not a text document (invalid UTF-8 or a control character other than tab and
// line ends), as "path:line: not a text document: ...", or nothing.
std::optional<Error> RawTextProblem(const std::string& path, const std::string& text) {
  const auto fault = FirstTextFault(text, ControlChars::kWhitespace);
  if (!fault) return std::nullopt;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(fault->offset), '\n');
  return Error{ErrorCode::kInvalidArgument, path + ":" + std::to_string(line) + ": not a text document: " + fault->reason};
}

}  // namespace

Result<YAML::Node> YamlReader::Parse(const std::string& text) const {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    if (auto bad = RawTextProblem(path_, text)) return std::unexpected(*bad);
    return MakeError(ErrorCode::kInvalidArgument, path_ + ":" + std::to_string(e.mark.line + 1) +
                                                      ": YAML syntax error: " + e.msg);
  }
  // Scalars first, so that a bad byte in a value is reported with its field; then the rest
  // (comments) of the raw text.
  SW_CHECK(CheckScalars(*this, root));
  if (auto bad = RawTextProblem(path_, text)) return std::unexpected(*bad);
  return root;
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
