#include "bundle_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

namespace edgert::bundle {

namespace {

std::string opensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct ArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Result<std::unique_ptr<std::FILE, FileClose>> createExclusive(const std::string& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Error::fromErrno(errno, "create " + path);
  std::FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return Error::fromErrno(errno, "fdopen " + path);
  }
  return std::unique_ptr<std::FILE, FileClose>(f);
}

Result<std::vector<std::byte>> readFile(const std::string& path) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rbe"));
  if (!f) return Error::fromErrno(errno, "open " + path);
  std::vector<std::byte> bytes;
  std::byte buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get())) return makeError(Errc::kIo, "read {}", path);
  return bytes;
}

}  // namespace

Result<update::PublicKey> generateKeyPair(const std::string& dir) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return makeError(Errc::kInternal, "Ed25519 key generation: {}", opensslError());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Error::fromErrno(errno, "mkdir " + dir);
  const std::string priv = dir + "/bundle.key", pub = dir + "/bundle.pub";
  {
    EDGERT_ASSIGN_OR_RETURN(auto f, createExclusive(priv, 0600));
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return makeError(Errc::kIo, "write {}: {}", priv, opensslError());
    }
  }
  {
    EDGERT_ASSIGN_OR_RETURN(auto f, createExclusive(pub, 0644));
    if (PEM_write_PUBKEY(f.get(), key.get()) != 1) return makeError(Errc::kIo, "write {}: {}", pub, opensslError());
  }
  return update::loadPublicKey(pub);
}

Result<std::vector<std::byte>> signWithKeyFile(const std::string& keyPath, std::span<const std::byte> message) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(keyPath.c_str(), "re"));
  if (!f) return Error::fromErrno(errno, "open " + keyPath);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  if (!key) return makeError(Errc::kParse, "{}: not a PEM private key ({})", keyPath, opensslError());
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return makeError(Errc::kUnsupported, "{}: not an Ed25519 key (edgert-bundle keygen makes one)", keyPath);
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::vector<std::byte> sig(update::kSignatureBytes);
  std::size_t n = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      n != sig.size()) {
    return makeError(Errc::kInternal, "signing with {}: {}", keyPath, opensslError());
  }
  return sig;
}

Result<update::BundleManifest> makeManifest(BundleSpec& spec) {
  update::BundleManifest m;
  m.compatible = spec.compatible;
  m.version = spec.version;
  m.minEdgert = spec.minEdgert;
  m.description = spec.description;
  for (PayloadFile& f : spec.files) {
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) return Error::fromErrno(errno, "stat " + f.path);
    EDGERT_ASSIGN_OR_RETURN(f.entry.sha256, update::sha256OfFile(f.path));
    f.entry.size = static_cast<std::uint64_t>(st.st_size);
    m.payload.push_back(f.entry);
  }
  // What the device will check, checked here first.
  EDGERT_TRY(update::parseBundleManifest(update::formatBundleManifest(m), "manifest"));
  return m;
}

Result<void> writeBundle(const std::string& out, const std::string& manifestText,
                         std::span<const std::byte> signature, const std::vector<PayloadFile>& files,
                         long mtime) {
  const std::string tmp = out + ".tmp";
  std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
  if (!a || archive_write_set_format_ustar(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
    return makeError(Errc::kIo, "{}: {}", tmp, a ? archive_error_string(a.get()) : "no memory");
  }
  const auto add = [&](const std::string& name, std::span<const std::byte> bytes) -> Result<void> {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_mtime(e.get(), mtime, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        (!bytes.empty() && archive_write_data(a.get(), bytes.data(), bytes.size()) !=
                               static_cast<la_ssize_t>(bytes.size()))) {
      return makeError(Errc::kIo, "{}: writing {}: {}", tmp, name, archive_error_string(a.get()));
    }
    return success();
  };
  EDGERT_TRY(add("manifest", std::as_bytes(std::span(manifestText))));
  EDGERT_TRY(add("manifest.sig", signature));
  for (const PayloadFile& f : files) {
    EDGERT_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, readFile(f.path));
    EDGERT_TRY(add(f.entry.name, bytes));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return makeError(Errc::kIo, "{}: {}", tmp, archive_error_string(a.get()));
  }
  if (::rename(tmp.c_str(), out.c_str()) != 0) return Error::fromErrno(errno, "rename " + tmp);
  return success();
}

}  // namespace edgert::bundle
