// Ed25519 key files: the server's dispatch key, each agent's usage-receipt key.
#pragma once

#include <string>

#include "common/error.h"
#include "security/dispatch_signing.h"

namespace suanwang {

// Reads an Ed25519 secret key (hex) from `path`, or creates one there (mode 0600) when the
// file does not exist; writes the public key (hex) to `path + ".pub"` for others to pin.
// Errors: kUnavailable (cannot read or write), kInvalidArgument (malformed key file).
Result<SigningKey> LoadOrCreateSigningKey(const std::string& path);

}  // namespace suanwang
