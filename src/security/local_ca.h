// A small certificate authority kept in files, for `suanwang up`: an EC P-256 CA key and its
// self-signed certificate, and leaf certificates it signs (the server's, for 127.0.0.1 and
// localhost; each site agent's client certificate, CN "site:ID"). OpenSSL 3; no OpenSSL type
// crosses this header. Every file written is 0600, every directory created 0700.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace suanwang {

struct LeafCertificateSpec {
  std::string common_name;               // the subject CN, e.g. "localhost" or "site:sh-edge"
  std::vector<std::string> dns_names;    // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries ("127.0.0.1", "::1")
  bool server = true;                    // extendedKeyUsage serverAuth, else clientAuth
};

class LocalCa {
 public:
  // Loads the CA from `certificate_path` and `key_path`, or creates both (10 years' validity,
  // subject CN `name` and a random 8-hex-digit tag; at most 55 bytes) when
  // neither exists. Errors: kInvalidArgument when only one of the two
  // exists or either does not parse as the other's pair; kUnavailable when a file cannot be
  // written or read; kInternal when OpenSSL fails.
  static Result<LocalCa> LoadOrCreate(const std::string& certificate_path, const std::string& key_path,
                                      const std::string& name);

  // Makes sure `certificate_path`/`key_path` hold a certificate for `spec` signed by this CA:
  // reuses them when they exist, match each other, chain to this CA, name the same CN and
  // subjectAltNames and are valid for at least 30 more days; else issues a new key and
  // certificate (2 years) and replaces both. Returns true when it issued a new one.
  // Errors: kUnavailable when a file cannot be written; kInternal when OpenSSL fails.
  Result<bool> EnsureLeaf(const LeafCertificateSpec& spec, const std::string& certificate_path,
                          const std::string& key_path) const;

  const std::string& certificate_pem() const { return certificate_pem_; }

 private:
  LocalCa(std::string certificate_pem, std::string key_pem)
      : certificate_pem_(std::move(certificate_pem)), key_pem_(std::move(key_pem)) {}
  std::string certificate_pem_;
  std::string key_pem_;
};

// The subject common name of the PEM certificate in `pem` ("" when it has none). Errors:
// kInvalidArgument when it does not parse.
Result<std::string> CertificateCommonName(const std::string& pem);

}  // namespace suanwang
