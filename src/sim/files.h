// Reading the project's data files from disk (the model layer parses text; this reads it).
#pragma once

#include <string>

#include "common/error.h"
#include "metering/scu.h"
#include "model/accelerator_catalog.h"
#include "model/network.h"

namespace suanwang {

// At most `max_bytes` (a device such as /dev/zero must not read forever). Errors: kUnavailable
// "path: cannot open file"; kInvalidArgument "path: larger than N bytes".
Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes = size_t{4} << 30);
// Replaces the file with `text`. Errors: kUnavailable "path: cannot write file".
Result<void> WriteTextFile(const std::string& path, const std::string& text);
Result<Network> LoadNetworkFile(const std::string& path);
Result<AcceleratorCatalog> LoadAcceleratorCatalog(const std::string& path);
// data/catalogs/scu.yaml. Errors: kUnavailable when unreadable; those of ScuCatalog::Parse.
Result<ScuCatalog> LoadScuCatalog(const std::string& path);

}  // namespace suanwang
