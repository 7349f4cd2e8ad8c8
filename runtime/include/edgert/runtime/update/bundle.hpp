// Over-the-air bundles (.edgb, runtime/BUNDLE_FORMAT.md): a ustar archive holding a TOML
// manifest, its Ed25519 signature and the payload the manifest lists (model images, the
// service config), in that order. Read as a stream with libarchive, never extracted to
// disk: the signature is checked before the first payload byte is handed on, and each
// payload's size and sha256 while it streams.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/runtime/update/semver.hpp"

namespace edgert::update {

// ---- sha256 ------------------------------------------------------------------------------

using Digest = std::array<std::uint8_t, 32>;

std::string toHex(std::span<const std::uint8_t> bytes);
// 64 lower- or upper-case hex digits.
bool parseDigest(std::string_view hex, Digest& out);

// Opens libcrypto (dlopen, once per process) or says why it cannot. Sha256 and sha256Of need
// it open: the update code's entry points (SlotStore::open, readBundle, inspectBundle, the
// key functions, sha256OfFile) and other users (a pinned dictionary) call this first.
Result<void> openCrypto();

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::byte> bytes);
  Digest finish();  // also resets for a new message

 private:
  void* ctx_;  // EVP_MD_CTX
};

Digest sha256Of(std::span<const std::byte> bytes);
// Streams the file; errors name it.
Result<Digest> sha256OfFile(const std::string& path);

// ---- keys ------------------------------------------------------------------------------------

inline constexpr std::size_t kSignatureBytes = 64;  // Ed25519

// An Ed25519 public key, from a PEM "PUBLIC KEY" file (SubjectPublicKeyInfo).
struct PublicKey {
  std::array<std::uint8_t, 32> raw{};
  std::string id;      // the first 16 hex digits of sha256(raw): how messages name the key
  std::string source;  // the file it came from
};

Result<PublicKey> loadPublicKey(const std::string& path);

// The keys a device trusts: every *.pub in DIR/trusted.d that is not also (by its key
// bytes, whatever the file name) in DIR/revoked.d.
struct Keyring {
  std::vector<PublicKey> trusted;
  std::vector<PublicKey> revoked;
  std::string source;  // where the trusted keys came from, for messages ("DIR/trusted.d")
};
Result<Keyring> loadKeyring(const std::string& dir);

// Which trusted key signed `message`, or Errc::kPermissionDenied: a revoked key's
// signature says "revoked", anything else "no trusted key".
Result<const PublicKey*> verifySignature(const Keyring& keys, std::span<const std::byte> message,
                                         std::span<const std::byte> signature);

// ---- manifest --------------------------------------------------------------------------------

enum class PayloadKind : std::uint8_t { kModel, kConfig };
std::string_view payloadKindName(PayloadKind kind);

struct PayloadEntry {
  std::string name;  // the entry's name in the archive: a plain file name, no folders
  PayloadKind kind = PayloadKind::kModel;
  std::uint64_t size = 0;
  Digest sha256{};
};

inline constexpr std::size_t kMaxManifestBytes = 64 * 1024;
inline constexpr std::size_t kMaxPayloadEntries = 16;
inline constexpr int kBundleFormatVersion = 1;
// The service config's fixed name in a bundle and a slot.
inline constexpr std::string_view kBundleConfigName = "edgert.toml";

struct BundleManifest {
  int format = kBundleFormatVersion;
  std::string compatible;  // the board/product string the bundle is for
  SemVer version;
  SemVer minEdgert;        // the oldest edgert that may run it
  std::string description;
  std::vector<PayloadEntry> payload;  // in archive order
};

// Strict: unknown keys, bad names, duplicates, sizes and digests are each named
// (Errc::kSchema or kParse, "<source>:<line>:<col>: payload[1].sha256: ...").
Result<BundleManifest> parseBundleManifest(std::string_view text, std::string_view sourceName);
// The manifest text create() signs; parseBundleManifest() reads it back unchanged.
std::string formatBundleManifest(const BundleManifest& manifest);

// A payload name: [A-Za-z0-9._-]+, not "." or "..", not starting with '.', at most 100
// bytes (ustar), and not "manifest" or "manifest.sig".
bool isPayloadName(std::string_view name);

// ---- reading ---------------------------------------------------------------------------------

struct BundleLimits {
  std::uint64_t maxPayloadBytes = 1024ULL << 20;  // each entry
  std::uint64_t maxTotalBytes = 2048ULL << 20;    // all entries
};

// What a reader hands the payload to. Called in archive order; any error stops the read
// and is returned (with the entry named) by readBundle().
class BundleConsumer {
 public:
  virtual ~BundleConsumer() = default;
  // After the signature is verified, before any payload: the caller's checks (compatible,
  // versions) and preparations.
  virtual Result<void> accept(const BundleManifest& manifest, std::span<const std::byte> manifestText,
                              std::span<const std::byte> signature, const PublicKey& signer) = 0;
  virtual Result<void> beginPayload(const PayloadEntry& entry) = 0;
  virtual Result<void> payloadData(std::span<const std::byte> bytes) = 0;
  // The entry's bytes matched its size and sha256.
  virtual Result<void> endPayload(const PayloadEntry& entry) = 0;
};

// Reads a bundle from `fd` (a file or a pipe; read to its end) and streams it to
// `consumer`. Every refusal is Errc::kCorrupt (structure, size, digest), kPermissionDenied
// (signature) or the consumer's own error, with a message naming the entry.
// `sourceName` names the bundle in messages.
Result<BundleManifest> readBundle(int fd, std::string_view sourceName, const Keyring& keys,
                                  const BundleLimits& limits, BundleConsumer& consumer);

// The same structure checks without a signature check (edgert-bundle inspect): every
// entry read and digested, nothing kept.
struct BundleSummary {
  BundleManifest manifest;
  std::string manifestText;
  std::vector<std::byte> signature;
};
Result<BundleSummary> inspectBundle(int fd, std::string_view sourceName, const BundleLimits& limits);

}  // namespace edgert::update
