#include "sim/files.h"

#include <fstream>
#include <sstream>

#include "model/network_yaml.h"

namespace suanwang {

Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kUnavailable, path + ": cannot open file");
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) return MakeError(ErrorCode::kUnavailable, path + ": cannot read file");
  return text;
}

Result<void> WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return MakeError(ErrorCode::kUnavailable, path + ": cannot write file");
  return {};
}

Result<Network> LoadNetworkFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return std::unexpected(text.error());
  auto network = ParseNetworkYaml(*text, path);
  if (network) {
    const size_t slash = path.find_last_of('/');
    network->source_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  }
  return network;
}

Result<AcceleratorCatalog> LoadAcceleratorCatalog(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return std::unexpected(text.error());
  return AcceleratorCatalog::Parse(*text, path);
}

Result<ScuCatalog> LoadScuCatalog(const std::string& path) {
  SW_TRY(text, ReadTextFile(path));
  return ScuCatalog::Parse(text, path);
}

}  // namespace suanwang
