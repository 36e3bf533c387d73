// Where the shipped data/ folder is: $SUANWANG_DATA_DIR, else next to the binary's parent
// (build/suanwang -> data/), else ./data.
#pragma once

#include <string>

namespace suanwang {

std::string DataPath(const std::string& relative);
// The data folder itself (the one holding catalogs/).
std::string DataDir();

}  // namespace suanwang
