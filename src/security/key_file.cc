#include "security/key_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace suanwang {
namespace {

Result<void> WriteKeyFile(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return MakeError(ErrorCode::kUnavailable, path + ": cannot write the key file");
  }
  ::chmod(tmp.c_str(), mode);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, path + ": " + ec.message());
  return {};
}

}  // namespace

Result<SigningKey> LoadOrCreateSigningKey(const std::string& path) {
  SigningKey key;
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    in >> key.secret_key_hex;
    // libsodium's Ed25519 secret key is the seed followed by the public key.
    if (key.secret_key_hex.size() != 128 || !DispatchSigner::Create(key.secret_key_hex)) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": not an Ed25519 secret key (expected 128 hex characters)");
    }
    key.public_key_hex = key.secret_key_hex.substr(64);
  } else {
    key = GenerateSigningKey();
    SW_CHECK(WriteKeyFile(path, key.secret_key_hex, 0600));
  }
  SW_CHECK(WriteKeyFile(path + ".pub", key.public_key_hex, 0644));
  return key;
}

}  // namespace suanwang
