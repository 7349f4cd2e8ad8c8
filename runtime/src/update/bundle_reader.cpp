// Reading a bundle: libarchive's tar reader (opened when first needed: bundle_libraries.hpp)
// as a stream (never extracted to disk), each entry checked against the order, names, types
// and sizes the format allows before its data is read, the signature before any payload.

#include <algorithm>
#include <memory>

#include "bundle_libraries.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::update {

namespace {

struct ArchiveFree {
  const ArchiveLibrary* ar;
  void operator()(archive* a) const { ar->readFree(a); }
};

std::string_view fileTypeName(unsigned type) {
  switch (type) {
    case AE_IFLNK: return "a symbolic link";
    case AE_IFDIR: return "a folder";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

std::string_view formatName(int format) {
  switch (format) {
    case ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE:
    case ARCHIVE_FORMAT_TAR_PAX_RESTRICTED: return "a pax tar";
    case ARCHIVE_FORMAT_TAR_GNUTAR: return "a GNU tar";
    case ARCHIVE_FORMAT_TAR: return "a pre-POSIX (v7) tar";
    default: return "not a ustar";
  }
}

// Why `name` cannot be an entry at all (empty when it may be).
std::string badName(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.front() == '/') return "an absolute path";
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    if (name.substr(start, slash == std::string_view::npos ? name.npos : slash - start) == "..") {
      return "a path with '..'";
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (name.find('/') != std::string_view::npos) return "a path with folders";
  return {};
}

class Reader {
 public:
  Reader(const ArchiveLibrary& ar, std::string_view source, const Keyring* keys, const BundleLimits& limits,
         BundleConsumer* consumer)
      : ar_(ar), source_(source), keys_(keys), limits_(limits), consumer_(consumer) {}

  Result<BundleSummary> run(int fd) {
    std::unique_ptr<archive, ArchiveFree> a(ar_.readNew(), ArchiveFree{&ar_});
    if (!a) return makeError(Errc::kNoMemory, "{}: cannot create a tar reader", source_);
    ar_.supportFormatTar(a.get());
    if (ar_.openFd(a.get(), fd, 64 * 1024) != ARCHIVE_OK) {
      return corrupt("", fmt::format("not a tar archive ({})", archiveError(a.get())));
    }
    BundleSummary summary;
    std::size_t index = 0;  // entries seen
    for (;;) {
      archive_entry* e = nullptr;
      const int r = ar_.nextHeader(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) {
        return corrupt(expectedName(summary, index),
                       fmt::format("truncated or damaged before this entry ({})", archiveError(a.get())));
      }
      const char* rawName = ar_.entryPathname(e);
      const std::string name = rawName ? rawName : "";
      EDGERT_TRY(checkEntry(a.get(), e, name, summary, index));
      if (index == 0) {
        EDGERT_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, readSmall(a.get(), name, kMaxManifestBytes));
        summary.manifestText.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      } else if (index == 1) {
        EDGERT_ASSIGN_OR_RETURN(summary.signature, readSmall(a.get(), name, kSignatureBytes));
        EDGERT_TRY(acceptHead(summary));
      } else {
        EDGERT_TRY(readPayload(a.get(), summary.manifest.payload[index - 2]));
      }
      ++index;
    }
    if (index < 2 + summary.manifest.payload.size() || index < 2) {
      return corrupt(expectedName(summary, index), "missing: the archive ends before it");
    }
    return summary;
  }

 private:
  Error corrupt(std::string_view entry, std::string_view why) const {
    if (entry.empty()) return makeError(Errc::kCorrupt, "{}: {}", source_, why);
    return makeError(Errc::kCorrupt, "{}: entry '{}': {}", source_, entry, why);
  }

  std::string archiveError(archive* a) const {
    const char* s = ar_.errorString(a);
    return s ? s : "no detail";
  }

  static std::string expectedName(const BundleSummary& s, std::size_t index) {
    if (index == 0) return "manifest";
    if (index == 1) return "manifest.sig";
    if (index - 2 < s.manifest.payload.size()) return s.manifest.payload[index - 2].name;
    return {};
  }

  Result<void> checkEntry(archive* a, archive_entry* e, const std::string& name,
                          const BundleSummary& summary, std::size_t index) {
    if (std::string why = badName(name); !why.empty()) return corrupt(name, why);
    if (ar_.entryHardlink(e) != nullptr) return corrupt(name, "a hard link");
    if (ar_.entryFiletype(e) != AE_IFREG) {
      return corrupt(name, fileTypeName(ar_.entryFiletype(e)));
    }
    if (ar_.format(a) != ARCHIVE_FORMAT_TAR_USTAR) {
      return corrupt(name, fmt::format("{} header; bundles are plain ustar", formatName(ar_.format(a))));
    }
    const std::string expected = expectedName(summary, index);
    if (expected.empty()) return corrupt(name, "an extra entry after the last file the manifest lists");
    if (name != expected) {
      const std::size_t payloadIndex = index > 2 ? index - 2 : 0;
      const auto listedIn = [&](std::size_t from, std::size_t to) {
        return std::any_of(summary.manifest.payload.begin() + static_cast<std::ptrdiff_t>(from),
                           summary.manifest.payload.begin() + static_cast<std::ptrdiff_t>(to),
                           [&](const PayloadEntry& p) { return p.name == name; });
      };
      const bool earlier = (name == "manifest" && index > 0) || (name == "manifest.sig" && index > 1) ||
                           listedIn(0, payloadIndex);
      const bool later = (name == "manifest.sig" && index < 1) ||
                         listedIn(payloadIndex, summary.manifest.payload.size());
      return corrupt(name, fmt::format("found where '{}' belongs: {}", expected,
                                       earlier ? "a duplicate of an earlier entry"
                                       : later ? "out of order"
                                               : "not in the manifest"));
    }
    if (ar_.entrySizeIsSet(e) == 0 || ar_.entrySize(e) < 0) {
      return corrupt(name, "no size in its header");
    }
    const auto size = static_cast<std::uint64_t>(ar_.entrySize(e));
    if (index >= 2) {
      const PayloadEntry& p = summary.manifest.payload[index - 2];
      if (size != p.size) {
        return corrupt(name, fmt::format("{} bytes; the manifest says {}", size, p.size));
      }
    }
    return success();
  }

  Result<std::vector<std::byte>> readSmall(archive* a, const std::string& name, std::size_t limit) {
    std::vector<std::byte> bytes;
    std::array<std::byte, 4096> buf;
    for (;;) {
      const la_ssize_t n = ar_.readData(a, buf.data(), buf.size());
      if (n < 0) return corrupt(name, fmt::format("truncated or damaged ({})", archiveError(a)));
      if (n == 0) break;
      bytes.insert(bytes.end(), buf.begin(), buf.begin() + n);
      if (bytes.size() > limit) return corrupt(name, fmt::format("more than {} bytes", limit));
    }
    return bytes;
  }

  Result<void> acceptHead(BundleSummary& summary) {
    const auto text = std::as_bytes(std::span(summary.manifestText));
    const PublicKey* signer = nullptr;
    if (keys_ != nullptr) {
      // The signature first: nothing of an unsigned manifest is even parsed.
      Result<const PublicKey*> verified = verifySignature(*keys_, text, summary.signature);
      if (!verified) {
        return Error(verified.error().code(), fmt::format("{}: {}", source_, verified.error().message()));
      }
      signer = *verified;
    } else if (summary.signature.size() != kSignatureBytes) {
      return corrupt("manifest.sig", fmt::format("{} bytes; an Ed25519 signature is {}",
                                                 summary.signature.size(), kSignatureBytes));
    }
    Result<BundleManifest> m = parseBundleManifest(summary.manifestText, std::string(source_) + ":manifest");
    if (!m) return Error(Errc::kCorrupt, m.error().message());
    summary.manifest = std::move(*m);
    std::uint64_t total = 0;
    for (const PayloadEntry& p : summary.manifest.payload) {
      if (p.size > limits_.maxPayloadBytes) {
        return corrupt(p.name, fmt::format("{} bytes in the manifest; the limit is {} bytes per file",
                                           p.size, limits_.maxPayloadBytes));
      }
      total += p.size;
    }
    if (total > limits_.maxTotalBytes) {
      return corrupt("", fmt::format("the payload is {} bytes; the limit is {}", total, limits_.maxTotalBytes));
    }
    if (consumer_ != nullptr) {
      EDGERT_TRY(consumer_->accept(summary.manifest, text, summary.signature, *signer));
    }
    return success();
  }

  Result<void> readPayload(archive* a, const PayloadEntry& p) {
    if (consumer_ != nullptr) EDGERT_TRY(consumer_->beginPayload(p));
    Sha256 hash;
    std::uint64_t seen = 0;
    std::array<std::byte, 64 * 1024> buf;
    for (;;) {
      const la_ssize_t n = ar_.readData(a, buf.data(), buf.size());
      if (n < 0) {
        return corrupt(p.name, fmt::format("truncated or damaged after {} of {} bytes ({})", seen,
                                           p.size, archiveError(a)));
      }
      if (n == 0) break;
      seen += static_cast<std::uint64_t>(n);
      if (seen > p.size) return corrupt(p.name, fmt::format("more than the {} bytes of the manifest", p.size));
      const std::span<const std::byte> chunk(buf.data(), static_cast<std::size_t>(n));
      hash.update(chunk);
      if (consumer_ != nullptr) EDGERT_TRY(consumer_->payloadData(chunk));
    }
    if (seen != p.size) {
      return corrupt(p.name, fmt::format("{} bytes; the manifest says {}", seen, p.size));
    }
    if (const Digest d = hash.finish(); d != p.sha256) {
      return corrupt(p.name, fmt::format("sha256 {} does not match the manifest's {}", toHex(d), toHex(p.sha256)));
    }
    if (consumer_ != nullptr) EDGERT_TRY(consumer_->endPayload(p));
    return success();
  }

  const ArchiveLibrary& ar_;
  std::string source_;
  const Keyring* keys_;
  BundleLimits limits_;
  BundleConsumer* consumer_;
};

// libarchive, and libcrypto for the payload's digests (the signature opens it too), or why
// not, naming the bundle.
Result<const ArchiveLibrary*> readerLibraries(std::string_view sourceName) {
  Result<const ArchiveLibrary*> ar = archiveLibrary();
  Result<void> crypto = ar ? openCrypto() : success();
  if (!ar || !crypto) {
    const Error& e = !ar ? ar.error() : crypto.error();
    return makeError(e.code(), "{}: {}", sourceName, e.message());
  }
  return *ar;
}

}  // namespace

Result<BundleManifest> readBundle(int fd, std::string_view sourceName, const Keyring& keys,
                                  const BundleLimits& limits, BundleConsumer& consumer) {
  EDGERT_ASSIGN_OR_RETURN(const ArchiveLibrary* ar, readerLibraries(sourceName));
  Reader reader(*ar, sourceName, &keys, limits, &consumer);
  EDGERT_ASSIGN_OR_RETURN(BundleSummary s, reader.run(fd));
  return std::move(s.manifest);
}

Result<BundleSummary> inspectBundle(int fd, std::string_view sourceName, const BundleLimits& limits) {
  EDGERT_ASSIGN_OR_RETURN(const ArchiveLibrary* ar, readerLibraries(sourceName));
  Reader reader(*ar, sourceName, nullptr, limits, nullptr);
  return reader.run(fd);
}

}  // namespace edgert::update
