#include "server/request_parts.h"

#include "api/job_json.h"

namespace suanwang {

std::vector<std::string> PathParts(const std::string& target, std::map<std::string, std::string>& query) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t amp = rest.find('&', start);
      if (amp == std::string::npos) amp = rest.size();
      std::string pair = rest.substr(start, amp - start);
      const auto eq = pair.find('=');
      if (!pair.empty()) query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      start = amp + 1;
    }
  }
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

Result<uint64_t> ParseId(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, what + " '" + text + "' is not a positive integer");
  }
  return std::stoull(text);
}

Result<Page> ParsePage(const std::map<std::string, std::string>& query) {
  Page page;
  if (auto it = query.find("after"); it != query.end()) {
    SW_TRY(after, ParseId(it->second, "after"));
    page.after = after;
  }
  if (auto it = query.find("limit"); it != query.end()) {
    auto limit = ParseId(it->second, "limit");
    if (!limit || *limit < 1 || *limit > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit '" + it->second + "' must be an integer in 1..1000");
    }
    page.limit = *limit;
  }
  return page;
}

Result<int64_t> QueryInt(const std::map<std::string, std::string>& query, const char* key, int64_t fallback) {
  auto it = query.find(key);
  if (it == query.end()) return fallback;
  SW_TRY(value, ParseId(it->second, key));
  return static_cast<int64_t>(value);
}

bool ValidRole(const std::string& r) {
  return r == "admin" || r == "operator" || r == "provider" || r == "user" || r == "agent";
}

HttpResponse MethodNotAllowed(const char* method, const HttpRequest& req) {
  HttpResponse r = Problem(405, "Method Not Allowed", req.method + " is not allowed here; use " + method);
  r.headers["Allow"] = method;
  return r;
}

}  // namespace suanwang
