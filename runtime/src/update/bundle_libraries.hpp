// libcrypto (sha256, Ed25519) and libarchive (tar reading), opened with dlopen when an update,
// a slot store or a pinned checksum first needs them (base/shared_library.hpp), not linked:
// together with libarchive's nine dependencies they were 12 of the device binary's 23
// libraries and about 5 ms of every edgert command's start on the VMs here, though only
// updates use them. Each opens once per process (thread-safe) and stays open; the function
// types come from the headers built against, so a changed signature fails to compile.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>

#include <string>

#include "edgert/base/result.hpp"

namespace edgert::update {

static_assert(OPENSSL_VERSION_MAJOR == 3, "libcrypto.so.3 below is the ABI of these headers");
static_assert(ARCHIVE_VERSION_NUMBER >= 3000000 && ARCHIVE_VERSION_NUMBER < 4000000,
              "libarchive.so.13 below is the ABI of these headers");

struct CryptoLibrary {
  decltype(&::ERR_get_error) errGetError = nullptr;
  decltype(&::ERR_clear_error) errClearError = nullptr;
  decltype(&::ERR_error_string_n) errErrorStringN = nullptr;
  decltype(&::EVP_sha256) sha256 = nullptr;
  decltype(&::EVP_MD_CTX_new) mdCtxNew = nullptr;
  decltype(&::EVP_MD_CTX_free) mdCtxFree = nullptr;
  decltype(&::EVP_DigestInit_ex) digestInit = nullptr;
  decltype(&::EVP_DigestUpdate) digestUpdate = nullptr;
  decltype(&::EVP_DigestFinal_ex) digestFinal = nullptr;
  decltype(&::EVP_DigestVerifyInit) digestVerifyInit = nullptr;
  decltype(&::EVP_DigestVerify) digestVerify = nullptr;
  decltype(&::EVP_PKEY_free) pkeyFree = nullptr;
  decltype(&::EVP_PKEY_get_base_id) pkeyBaseId = nullptr;
  decltype(&::EVP_PKEY_get_raw_public_key) pkeyRawPublicKey = nullptr;
  decltype(&::EVP_PKEY_new_raw_public_key) pkeyNewRawPublicKey = nullptr;
  decltype(&::OBJ_nid2sn) nidShortName = nullptr;
  decltype(&::BIO_new_mem_buf) bioNewMemBuf = nullptr;
  decltype(&::BIO_free) bioFree = nullptr;
  decltype(&::PEM_read_bio_PUBKEY) pemReadPublicKey = nullptr;
};

struct ArchiveLibrary {
  decltype(&::archive_read_new) readNew = nullptr;
  decltype(&::archive_read_free) readFree = nullptr;
  decltype(&::archive_read_support_format_tar) supportFormatTar = nullptr;
  decltype(&::archive_read_open_fd) openFd = nullptr;
  decltype(&::archive_read_next_header) nextHeader = nullptr;
  decltype(&::archive_read_data) readData = nullptr;
  decltype(&::archive_error_string) errorString = nullptr;
  decltype(&::archive_format) format = nullptr;
  decltype(&::archive_entry_pathname) entryPathname = nullptr;
  decltype(&::archive_entry_hardlink) entryHardlink = nullptr;
  decltype(&::archive_entry_filetype) entryFiletype = nullptr;
  decltype(&::archive_entry_size_is_set) entrySizeIsSet = nullptr;
  decltype(&::archive_entry_size) entrySize = nullptr;
};

// The library, or why it cannot be opened ("cannot open libcrypto.so.3: ...", "libcrypto.so.3
// has no EVP_sha256").
Result<const CryptoLibrary*> cryptoLibrary();
Result<const ArchiveLibrary*> archiveLibrary();

// For code that cannot return an error (Sha256): the library, which a Result-returning entry
// point (openCrypto() in bundle.hpp) has already opened; aborts with the reason otherwise.
const CryptoLibrary& openedCryptoLibrary();

}  // namespace edgert::update
