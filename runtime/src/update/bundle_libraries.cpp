#include "bundle_libraries.hpp"

#include <cstdio>
#include <cstdlib>

#include "edgert/base/shared_library.hpp"

namespace edgert::update {

namespace {

template <typename Library>
struct Opened {
  Library lib;
  std::string error;  // empty: every symbol bound
};

const Opened<CryptoLibrary>& crypto() {
  static const Opened<CryptoLibrary> opened = [] {
    constexpr const char* kSoname = "libcrypto.so.3";
    Opened<CryptoLibrary> o;
    void* h = dl::open(kSoname, o.error);
    if (h == nullptr) return o;
    CryptoLibrary& l = o.lib;
    std::string& e = o.error;
    dl::bind(h, kSoname, "ERR_get_error", l.errGetError, e);
    dl::bind(h, kSoname, "ERR_clear_error", l.errClearError, e);
    dl::bind(h, kSoname, "ERR_error_string_n", l.errErrorStringN, e);
    dl::bind(h, kSoname, "EVP_sha256", l.sha256, e);
    dl::bind(h, kSoname, "EVP_MD_CTX_new", l.mdCtxNew, e);
    dl::bind(h, kSoname, "EVP_MD_CTX_free", l.mdCtxFree, e);
    dl::bind(h, kSoname, "EVP_DigestInit_ex", l.digestInit, e);
    dl::bind(h, kSoname, "EVP_DigestUpdate", l.digestUpdate, e);
    dl::bind(h, kSoname, "EVP_DigestFinal_ex", l.digestFinal, e);
    dl::bind(h, kSoname, "EVP_DigestVerifyInit", l.digestVerifyInit, e);
    dl::bind(h, kSoname, "EVP_DigestVerify", l.digestVerify, e);
    dl::bind(h, kSoname, "EVP_PKEY_free", l.pkeyFree, e);
    dl::bind(h, kSoname, "EVP_PKEY_get_base_id", l.pkeyBaseId, e);
    dl::bind(h, kSoname, "EVP_PKEY_get_raw_public_key", l.pkeyRawPublicKey, e);
    dl::bind(h, kSoname, "EVP_PKEY_new_raw_public_key", l.pkeyNewRawPublicKey, e);
    dl::bind(h, kSoname, "OBJ_nid2sn", l.nidShortName, e);
    dl::bind(h, kSoname, "BIO_new_mem_buf", l.bioNewMemBuf, e);
    dl::bind(h, kSoname, "BIO_free", l.bioFree, e);
    dl::bind(h, kSoname, "PEM_read_bio_PUBKEY", l.pemReadPublicKey, e);
    return o;
  }();
  return opened;
}

const Opened<ArchiveLibrary>& archive() {
  static const Opened<ArchiveLibrary> opened = [] {
    constexpr const char* kSoname = "libarchive.so.13";
    Opened<ArchiveLibrary> o;
    void* h = dl::open(kSoname, o.error);
    if (h == nullptr) return o;
    ArchiveLibrary& l = o.lib;
    std::string& e = o.error;
    dl::bind(h, kSoname, "archive_read_new", l.readNew, e);
    dl::bind(h, kSoname, "archive_read_free", l.readFree, e);
    dl::bind(h, kSoname, "archive_read_support_format_tar", l.supportFormatTar, e);
    dl::bind(h, kSoname, "archive_read_open_fd", l.openFd, e);
    dl::bind(h, kSoname, "archive_read_next_header", l.nextHeader, e);
    dl::bind(h, kSoname, "archive_read_data", l.readData, e);
    dl::bind(h, kSoname, "archive_error_string", l.errorString, e);
    dl::bind(h, kSoname, "archive_format", l.format, e);
    dl::bind(h, kSoname, "archive_entry_pathname", l.entryPathname, e);
    dl::bind(h, kSoname, "archive_entry_hardlink", l.entryHardlink, e);
    dl::bind(h, kSoname, "archive_entry_filetype", l.entryFiletype, e);
    dl::bind(h, kSoname, "archive_entry_size_is_set", l.entrySizeIsSet, e);
    dl::bind(h, kSoname, "archive_entry_size", l.entrySize, e);
    return o;
  }();
  return opened;
}

}  // namespace

Result<const CryptoLibrary*> cryptoLibrary() {
  const auto& o = crypto();
  if (!o.error.empty()) return makeError(Errc::kUnsupported, "sha256 and signatures need OpenSSL: {}", o.error);
  return &o.lib;
}

Result<const ArchiveLibrary*> archiveLibrary() {
  const auto& o = archive();
  if (!o.error.empty()) return makeError(Errc::kUnsupported, "reading bundles needs libarchive: {}", o.error);
  return &o.lib;
}

const CryptoLibrary& openedCryptoLibrary() {
  const auto& o = crypto();
  if (!o.error.empty()) {
    std::fprintf(stderr, "edgert: sha256 without libcrypto (its caller skipped openCrypto()): %s\n", o.error.c_str());
    std::abort();
  }
  return o.lib;
}

}  // namespace edgert::update
