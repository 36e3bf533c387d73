#include "server/request_head.h"

#include <cctype>

#include "common/text.h"

namespace suanwang {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool OnlyOnce(const std::string& lower_name) {
  return lower_name == "authorization" || lower_name == "idempotency-key" || lower_name == "host" ||
         lower_name == "content-type";
}

}  // namespace

Result<HttpRequest> RequestFromHead(std::string_view method, std::string_view target,
                                    const std::vector<HeaderField>& fields) {
  if (std::string why = TextProblem(target, ControlChars::kNone); !why.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "request target: " + why);
  }
  HttpRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  for (const HeaderField& field : fields) {
    // CR and LF cannot reach here (the parser splits on them); a tab may be in a value.
    if (std::string why = TextProblem(field.value, ControlChars::kWhitespace); !why.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "header field " + SanitizedUtf8(field.name) + ": " + why);
    }
    const std::string name = Lower(field.name);
    auto [it, inserted] = request.headers.try_emplace(name, field.value);
    if (inserted) continue;
    if (OnlyOnce(name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "header field " + SanitizedUtf8(field.name) + " is repeated; send it once");
    }
    it->second += ", ";
    it->second += field.value;
  }
  return request;
}

}  // namespace suanwang
