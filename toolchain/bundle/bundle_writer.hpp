// Writing over-the-air bundles (runtime/BUNDLE_FORMAT.md) on the host: Ed25519 keys, the
// manifest's signature and the ustar archive. The device only reads them
// (edgert/runtime/update/bundle.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::bundle {

// A new Ed25519 key pair: DIR/bundle.key (PKCS#8 PEM, mode 0600) and DIR/bundle.pub
// (SubjectPublicKeyInfo PEM). Existing files are never overwritten.
Result<update::PublicKey> generateKeyPair(const std::string& dir);

// The Ed25519 signature of `message` with the private key in `keyPath`.
Result<std::vector<std::byte>> signWithKeyFile(const std::string& keyPath, std::span<const std::byte> message);

// One payload file for a bundle: its name in the archive and where its bytes are.
struct PayloadFile {
  update::PayloadEntry entry;  // name and kind; size and sha256 are filled in by create
  std::string path;
};

struct BundleSpec {
  std::string compatible;
  update::SemVer version;
  update::SemVer minEdgert;
  std::string description;
  std::vector<PayloadFile> files;  // in archive order
};

// The manifest for `spec`, with each file's size and sha256 read from the disk.
Result<update::BundleManifest> makeManifest(BundleSpec& spec);

// Writes the archive: manifest, manifest.sig, then each file, ustar, owner 0, mode 0644,
// mtime `mtime` (reproducible). Written to OUT.tmp and renamed.
Result<void> writeBundle(const std::string& out, const std::string& manifestText,
                         std::span<const std::byte> signature, const std::vector<PayloadFile>& files,
                         long mtime = 0);

}  // namespace edgert::bundle
