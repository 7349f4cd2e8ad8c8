// sha256 and Ed25519 for bundles, on OpenSSL 3 (libcrypto, opened when first needed:
// bundle_libraries.hpp): one-shot Ed25519 verification over the manifest bytes
// (EVP_DigestVerify with no digest), keys from PEM files.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "bundle_libraries.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::update {

namespace {

std::string opensslError(const CryptoLibrary& ssl) {
  const unsigned long code = ssl.errGetError();
  ssl.errClearError();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ssl.errErrorStringN(code, text, sizeof text);
  return text;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { openedCryptoLibrary().pkeyFree(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { openedCryptoLibrary().mdCtxFree(c); }
};
struct BioFree {
  void operator()(BIO* b) const { openedCryptoLibrary().bioFree(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Result<std::string> readSmallFile(const std::string& path, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::fromErrno(err, "read " + path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > limit) {
      ::close(fd);
      return makeError(Errc::kOutOfRange, "{}: more than {} bytes", path, limit);
    }
  }
  ::close(fd);
  return text;
}

// *.pub files of a folder, sorted; a missing folder is an empty list when `optional`.
Result<std::vector<std::string>> pubFiles(const std::string& dir, bool optional) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT && optional) return std::vector<std::string>{};
    return Error::fromErrno(errno, "open key folder " + dir);
  }
  std::vector<std::string> files;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".pub" && name[0] != '.') {
      files.push_back(dir + "/" + std::string(name));
    }
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string toHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

bool parseDigest(std::string_view hex, Digest& out) {
  if (hex.size() != 64) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

Result<void> openCrypto() {
  EDGERT_TRY(cryptoLibrary());
  return success();
}

Sha256::Sha256() {
  const CryptoLibrary& ssl = openedCryptoLibrary();
  ctx_ = ssl.mdCtxNew();
  if (ctx_ == nullptr || ssl.digestInit(static_cast<EVP_MD_CTX*>(ctx_), ssl.sha256(), nullptr) != 1) {
    std::abort();  // out of memory in libcrypto: nothing sensible to return from a constructor
  }
}
Sha256::~Sha256() { openedCryptoLibrary().mdCtxFree(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(std::span<const std::byte> bytes) {
  openedCryptoLibrary().digestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

Digest Sha256::finish() {
  const CryptoLibrary& ssl = openedCryptoLibrary();
  Digest d{};
  unsigned int n = 0;
  ssl.digestFinal(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &n);
  ssl.digestInit(static_cast<EVP_MD_CTX*>(ctx_), ssl.sha256(), nullptr);
  return d;
}

Digest sha256Of(std::span<const std::byte> bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

Result<Digest> sha256OfFile(const std::string& path) {
  EDGERT_TRY(openCrypto());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  Sha256 h;
  std::array<std::byte, 64 * 1024> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::fromErrno(err, "read " + path);
    }
    if (n == 0) break;
    h.update({buf.data(), static_cast<std::size_t>(n)});
  }
  ::close(fd);
  return h.finish();
}

Result<PublicKey> loadPublicKey(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(const CryptoLibrary* ssl, cryptoLibrary());
  EDGERT_ASSIGN_OR_RETURN(std::string pem, readSmallFile(path, 16 * 1024));
  std::unique_ptr<BIO, BioFree> bio(ssl->bioNewMemBuf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? ssl->pemReadPublicKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return makeError(Errc::kParse, "{}: not a PEM public key ({})", path, opensslError(*ssl));
  }
  if (ssl->pkeyBaseId(key.get()) != EVP_PKEY_ED25519) {
    return makeError(Errc::kUnsupported, "{}: a {} key; bundles are signed with Ed25519 keys",
                     path, ssl->nidShortName(ssl->pkeyBaseId(key.get())));
  }
  PublicKey out;
  std::size_t n = out.raw.size();
  if (ssl->pkeyRawPublicKey(key.get(), out.raw.data(), &n) != 1 || n != out.raw.size()) {
    return makeError(Errc::kParse, "{}: cannot read the Ed25519 key ({})", path, opensslError(*ssl));
  }
  const Digest id = sha256Of(std::as_bytes(std::span(out.raw)));
  out.id = toHex(std::span(id).first(8));
  out.source = path;
  return out;
}

Result<Keyring> loadKeyring(const std::string& dir) {
  Keyring ring;
  ring.source = dir + "/trusted.d";
  EDGERT_ASSIGN_OR_RETURN(auto trusted, pubFiles(dir + "/trusted.d", false));
  EDGERT_ASSIGN_OR_RETURN(auto revoked, pubFiles(dir + "/revoked.d", true));
  // A revoked key that cannot be read would be silently trusted: refuse instead.
  for (const std::string& f : revoked) {
    EDGERT_ASSIGN_OR_RETURN(PublicKey k, loadPublicKey(f));
    ring.revoked.push_back(std::move(k));
  }
  for (const std::string& f : trusted) {
    EDGERT_ASSIGN_OR_RETURN(PublicKey k, loadPublicKey(f));
    const bool isRevoked = std::any_of(ring.revoked.begin(), ring.revoked.end(),
                                       [&](const PublicKey& r) { return r.raw == k.raw; });
    if (!isRevoked) ring.trusted.push_back(std::move(k));
  }
  if (ring.trusted.empty()) {
    return makeError(Errc::kNotFound, "{}/trusted.d: no trusted key (*.pub) that is not revoked", dir);
  }
  return ring;
}

Result<const PublicKey*> verifySignature(const Keyring& keys, std::span<const std::byte> message,
                                         std::span<const std::byte> signature) {
  EDGERT_ASSIGN_OR_RETURN(const CryptoLibrary* ssl, cryptoLibrary());
  const auto verifies = [&](const PublicKey& k) {
    PkeyPtr key(ssl->pkeyNewRawPublicKey(EVP_PKEY_ED25519, nullptr, k.raw.data(), k.raw.size()));
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(ssl->mdCtxNew());
    if (!key || !ctx || ssl->digestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
      ssl->errClearError();
      return false;
    }
    const int ok = ssl->digestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                     signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size());
    ssl->errClearError();
    return ok == 1;
  };
  if (signature.size() != kSignatureBytes) {
    return makeError(Errc::kPermissionDenied, "manifest.sig: {} bytes; an Ed25519 signature is {}",
                     signature.size(), kSignatureBytes);
  }
  for (const PublicKey& k : keys.revoked) {
    if (verifies(k)) {
      return makeError(Errc::kPermissionDenied,
                       "manifest.sig: signed by key {} ({}), which is revoked", k.id, k.source);
    }
  }
  for (const PublicKey& k : keys.trusted) {
    if (verifies(k)) return &k;
  }
  return makeError(Errc::kPermissionDenied,
                   "manifest.sig: no trusted key in {} verifies the manifest ({} key{} tried)",
                   keys.source, keys.trusted.size(), keys.trusted.size() == 1 ? "" : "s");
}

}  // namespace edgert::update
