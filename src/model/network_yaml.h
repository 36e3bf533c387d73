// The network file format (YAML); data/networks/china-hubs.yaml is the default network and
// data/networks/README.md documents every field.
#pragma once

#include <string>

#include "common/error.h"
#include "model/network.h"

namespace suanwang {

// Parses and validates a network document. `path` is used in messages only.
// Errors: kInvalidArgument "path:line: field 'sites[2].pools[0].gpus': reason" for syntax
// errors, missing or unknown fields, wrong types, negative sizes, duplicate ids, references to
// unknown hubs or places, GPU pools without a model.
Result<Network> ParseNetworkYaml(const std::string& text, const std::string& path);

// An inventory document (`sites:` as in a network file, plus optional name/description)
// replaces the network's sites; its sites' places must be places of the network.
// Errors: as ParseNetworkYaml for the sites; the network is unchanged on error.
Result<void> ReplaceSitesYaml(const std::string& text, const std::string& path, Network& network);

}  // namespace suanwang
