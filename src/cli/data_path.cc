#include "cli/data_path.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace suanwang {

std::string DataPath(const std::string& relative) {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("SUANWANG_DATA_DIR")) roots.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path().parent_path() / "data");
  roots.emplace_back("data");
  for (const fs::path& root : roots) {
    if (fs::exists(root / relative, ec)) return (root / relative).string();
  }
  return (roots.back() / relative).string();
}

std::string DataDir() { return std::filesystem::path(DataPath("catalogs")).parent_path().string(); }

}  // namespace suanwang
