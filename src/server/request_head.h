// What the HTTP layer makes of a request's head before any handler or check sees it, apart
// from Beast so that the fuzz harness (fuzz/http_fuzz.cc) runs the very same rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "common/error.h"

namespace suanwang {

struct HeaderField {
  std::string_view name, value;
};

// The HttpRequest (no body yet) of a request line and its header fields: the target must be
// UTF-8 text without control characters; each value likewise (tabs allowed); names are
// lower-cased; a field whose meaning would depend on which copy a reader takes (Authorization,
// Idempotency-Key, Host, Content-Type) may appear once, others are joined with ", " (RFC 9110
// 5.3). Errors: kInvalidArgument with the reason, the detail of the 400 the server answers
// ("request target: invalid UTF-8 at byte 9", "header field Authorization is repeated; send
// it once").
Result<HttpRequest> RequestFromHead(std::string_view method, std::string_view target,
                                    const std::vector<HeaderField>& fields);

}  // namespace suanwang
