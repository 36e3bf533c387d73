#include "security/local_ca.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>

namespace suanwang {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

constexpr long kDay = 24 * 3600;

std::unexpected<Error> OpenSslError(const std::string& what) {
  std::string detail;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail += std::string(detail.empty() ? "" : "; ") + buf;
  }
  return MakeError(ErrorCode::kInternal, what + (detail.empty() ? "" : ": " + detail));
}

// Creates the parent directories of `path` (0700 each one it creates).
Result<void> MakeParents(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::vector<std::filesystem::path> missing;
  for (auto p = parent; !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError(ErrorCode::kUnavailable, it->string() + ": cannot create the directory: " + std::strerror(errno));
    }
  }
  return {};
}

// Writes `text` to `path` (0600) through a temporary file and a rename.
Result<void> WritePrivateFile(const std::string& path, const std::string& text) {
  SW_CHECK(MakeParents(path));
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, tmp + ": cannot create: " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return MakeError(ErrorCode::kUnavailable, tmp + ": cannot write: " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0600);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ErrorCode::kUnavailable, path + ": cannot write: " + std::strerror(errno));
  }
  return {};
}

Result<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1 << 20)) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return MakeError(ErrorCode::kUnavailable, path + ": cannot read: " + std::strerror(errno));
  return text;
}

Result<Cert> ParseCert(const std::string& pem, const std::string& what) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalidArgument, what + ": not a PEM certificate");
  }
  return cert;
}

Result<Key> ParseKey(const std::string& pem, const std::string& what) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalidArgument, what + ": not a PEM private key");
  }
  return key;
}

Result<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return OpenSslError("PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("EC P-256 key generation");
  return key;
}

Result<void> AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return OpenSslError("certificate extension " + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok) return OpenSslError("X509_add_ext");
  return {};
}

// A certificate for `key` with subject CN `cn`, `days` long, issued by `issuer` (self-issued
// when null); not yet signed.
Result<Cert> NewCert(EVP_PKEY* key, const std::string& cn, long days, X509* issuer) {
  Cert cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> serial(BN_new());
  if (!serial || !BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return OpenSslError("certificate serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * kDay);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("suanwang"), -1, -1, 0);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                  -1, 0)) {
    return OpenSslError("certificate subject CN '" + cn + "'");
  }
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  SW_CHECK(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  SW_CHECK(AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  return cert;
}

Result<void> Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return {};
}

std::set<std::string> AltNames(X509* cert) {
  std::set<std::string> out;
  Names names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      const ASN1_STRING* s = n->d.dNSName;
      out.insert("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<size_t>(ASN1_STRING_length(s))));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* raw = n->d.iPAddress;
      const int len = ASN1_STRING_length(raw);
      char text[INET6_ADDRSTRLEN] = {};
      if ((len == 4 || len == 16) &&
          ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(raw), text, sizeof text)) {
        out.insert("IP:" + std::string(text));
      }
    }
  }
  return out;
}

std::set<std::string> WantedAltNames(const LeafCertificateSpec& spec) {
  std::set<std::string> out;
  for (const auto& d : spec.dns_names) out.insert("DNS:" + d);
  for (const auto& ip : spec.ip_addresses) out.insert("IP:" + ip);
  return out;
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return "";
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  if (n < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

// Whether the pair at the paths is one this CA issued for `spec`, valid 30 more days.
bool Reusable(const LeafCertificateSpec& spec, const std::string& cert_path, const std::string& key_path, X509* ca,
              EVP_PKEY* ca_key) {
  if (!std::filesystem::exists(cert_path) || !std::filesystem::exists(key_path)) return false;
  auto cert_pem = ReadFile(cert_path);
  auto key_pem = ReadFile(key_path);
  if (!cert_pem || !key_pem) return false;
  auto cert = ParseCert(*cert_pem, cert_path);
  auto key = ParseKey(*key_pem, key_path);
  if (!cert || !key) return false;
  const bool ok = X509_check_private_key(cert->get(), key->get()) == 1 && X509_verify(cert->get(), ca_key) == 1 &&
                  X509_check_issued(ca, cert->get()) == X509_V_OK && CommonName(cert->get()) == spec.common_name &&
                  AltNames(cert->get()) == WantedAltNames(spec) &&
                  X509_cmp_time(X509_get0_notAfter(cert->get()), nullptr) > 0 &&
                  [&] {
                    const time_t soon = ::time(nullptr) + 30 * kDay;
                    time_t at = soon;
                    return X509_cmp_time(X509_get0_notAfter(cert->get()), &at) > 0;
                  }();
  ERR_clear_error();
  return ok;
}

}  // namespace

Result<LocalCa> LocalCa::LoadOrCreate(const std::string& certificate_path, const std::string& key_path,
                                      const std::string& name) {
  const bool have_cert = std::filesystem::exists(certificate_path), have_key = std::filesystem::exists(key_path);
  if (have_cert != have_key) {
    return MakeError(ErrorCode::kInvalidArgument, (have_cert ? key_path : certificate_path) +
                                                      ": missing (its pair " + (have_cert ? certificate_path : key_path) +
                                                      " exists); remove both to create a new CA");
  }
  if (have_cert) {
    SW_TRY(cert_pem, ReadFile(certificate_path));
    SW_TRY(key_pem, ReadFile(key_path));
    SW_TRY(cert, ParseCert(cert_pem, certificate_path));
    SW_TRY(key, ParseKey(key_pem, key_path));
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      return MakeError(ErrorCode::kInvalidArgument, key_path + ": not the key of " + certificate_path);
    }
    return LocalCa(cert_pem, key_pem);
  }
  SW_TRY(key, NewKey());
  // A random tag tells this CA from other homes' (a client trusting two must not confuse them).
  unsigned char tag[4];
  if (RAND_bytes(tag, sizeof tag) != 1) return OpenSslError("CA name tag");
  char hex[9];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
  SW_TRY(cert, NewCert(key.get(), name + " " + hex, 3650, nullptr));
  SW_CHECK(AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  SW_CHECK(AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  SW_CHECK(Sign(cert.get(), key.get()));
  SW_TRY(cert_pem, CertPem(cert.get()));
  SW_TRY(key_pem, KeyPem(key.get()));
  SW_CHECK(WritePrivateFile(key_path, key_pem));
  SW_CHECK(WritePrivateFile(certificate_path, cert_pem));
  return LocalCa(cert_pem, key_pem);
}

Result<bool> LocalCa::EnsureLeaf(const LeafCertificateSpec& spec, const std::string& certificate_path,
                                 const std::string& key_path) const {
  SW_TRY(ca, ParseCert(certificate_pem_, "the CA certificate"));
  SW_TRY(ca_key, ParseKey(key_pem_, "the CA key"));
  if (Reusable(spec, certificate_path, key_path, ca.get(), ca_key.get())) return false;
  SW_TRY(key, NewKey());
  SW_TRY(cert, NewCert(key.get(), spec.common_name, 730, ca.get()));
  SW_CHECK(AddExtension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  SW_CHECK(AddExtension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyAgreement"));
  SW_CHECK(AddExtension(cert.get(), ca.get(), NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth"));
  std::string alt;
  for (const auto& d : spec.dns_names) alt += (alt.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : spec.ip_addresses) alt += (alt.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!alt.empty()) SW_CHECK(AddExtension(cert.get(), ca.get(), NID_subject_alt_name, alt));
  SW_CHECK(Sign(cert.get(), ca_key.get()));
  SW_TRY(cert_pem, CertPem(cert.get()));
  SW_TRY(key_pem, KeyPem(key.get()));
  SW_CHECK(WritePrivateFile(key_path, key_pem));
  SW_CHECK(WritePrivateFile(certificate_path, cert_pem));
  return true;
}

Result<std::string> CertificateCommonName(const std::string& pem) {
  SW_TRY(cert, ParseCert(pem, "certificate"));
  return CommonName(cert.get());
}

}  // namespace suanwang
