// edgert-bundle: makes and checks over-the-air bundles (runtime/BUNDLE_FORMAT.md) on the
// host. keygen, create (model images checked with the device's loader and the config with
// the device's schema before anything is signed), inspect, verify.
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bundle_writer.hpp"
#include "edgert/runtime/build_info.hpp"
#include "edgert/runtime/service_bundles.hpp"

namespace {

using namespace edgert;

constexpr int kExitUsage = 64;
constexpr int kExitDataInvalid = 65;

const char* const kUsage =
    "Usage:\n"
    "  edgert-bundle keygen --out DIR\n"
    "      a new Ed25519 key pair: DIR/bundle.key (keep it secret) and DIR/bundle.pub (put it in\n"
    "      the device's /etc/edgert/keys/trusted.d/)\n"
    "  edgert-bundle create --key FILE --version V --compatible STRING [--model FILE]...\n"
    "                       [--config FILE [--board FILE]] [--min-edgert V] [--description TEXT]\n"
    "                       -o OUT.edgb\n"
    "      model images are checked with the device's loader and the config (edgert.toml,\n"
    "      naming its model by file name) with the device's schema before the manifest is signed;\n"
    "      --board: a copy of the device's board file, read in place of the device path the\n"
    "      config's service.board names\n"
    "  edgert-bundle inspect FILE\n"
    "      the manifest and the structure checks, without a key\n"
    "  edgert-bundle verify FILE --pub FILE\n"
    "      the structure, every digest and the signature with that public key\n"
    "Exit codes: 0 done, 1 failure, 64 usage, 65 a model, config or bundle refused.\n";

int usage(const char* why) {
  std::fprintf(stderr, "edgert-bundle: %s\n%s", why, kUsage);
  return kExitUsage;
}

struct Options {
  std::optional<std::string> out, key, version, compatible, config, board, minEdgert, description, pub;
  std::vector<std::string> models;
  std::vector<std::string> positionals;
};

std::optional<Options> parse(int argc, char** argv) {
  enum { kOut = 256, kKey, kVersion, kCompatible, kModel, kConfig, kBoard, kMinEdgert, kDescription, kPub };
  const option longOptions[] = {
      {"out", required_argument, nullptr, kOut},
      {"key", required_argument, nullptr, kKey},
      {"version", required_argument, nullptr, kVersion},
      {"compatible", required_argument, nullptr, kCompatible},
      {"model", required_argument, nullptr, kModel},
      {"config", required_argument, nullptr, kConfig},
      {"board", required_argument, nullptr, kBoard},
      {"min-edgert", required_argument, nullptr, kMinEdgert},
      {"description", required_argument, nullptr, kDescription},
      {"pub", required_argument, nullptr, kPub},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "o:", longOptions, nullptr)) != -1;) {
    switch (c) {
      case 'o':
      case kOut: o.out = optarg; break;
      case kKey: o.key = optarg; break;
      case kVersion: o.version = optarg; break;
      case kCompatible: o.compatible = optarg; break;
      case kModel: o.models.emplace_back(optarg); break;
      case kConfig: o.config = optarg; break;
      case kBoard: o.board = optarg; break;
      case kMinEdgert: o.minEdgert = optarg; break;
      case kDescription: o.description = optarg; break;
      case kPub: o.pub = optarg; break;
      default: return std::nullopt;
    }
  }
  for (int i = optind; i < argc; ++i) o.positionals.emplace_back(argv[i]);
  return o;
}

int fail(const Error& e, int rc = 1) {
  std::fprintf(stderr, "edgert-bundle: %s\n", e.message().c_str());
  return rc;
}

int keygen(const Options& o) {
  if (!o.out || !o.positionals.empty()) return usage("keygen: --out DIR is required");
  Result<update::PublicKey> key = bundle::generateKeyPair(*o.out);
  if (!key) return fail(key.error());
  std::printf("wrote %s/bundle.key and %s/bundle.pub (key %s)\n", o.out->c_str(), o.out->c_str(), key->id.c_str());
  return 0;
}

// The bundle's files under their bundle names in a temporary folder (links), checked the
// way a device's `edgert update install` checks them.
Result<void> checkLikeTheDevice(const std::vector<bundle::PayloadFile>& files, const update::BundleManifest& m,
                                const std::optional<std::string>& board) {
  char pattern[] = "/tmp/edgert-bundle-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return Error::fromErrno(errno, "mkdtemp");
  const std::string dir = pattern;
  runtime::ServiceConfig device;
  runtime::BundlePayloadValidator validator(device);
  // A bundle is made on a host for devices of any architecture.
  validator.checkModelsFor(CheckFor::kItsTarget);
  if (board) validator.readConfigWithBoard(*board);
  Result<void> result = success();
  for (const bundle::PayloadFile& f : files) {
    const std::string link = dir + "/" + f.entry.name;
    if (::symlink(std::filesystem::absolute(f.path).c_str(), link.c_str()) != 0) {
      result = Error::fromErrno(errno, "symlink " + link);
      break;
    }
    if (f.entry.kind == update::PayloadKind::kModel) {
      if (Result<void> ok = validator.checkModel(link); !ok) {
        result = Error(ok.error().code(), f.path + ": " + ok.error().message());
        break;
      }
    }
  }
  if (result) {
    result = validator.checkBundle(dir, m);
    if (!result && !board && result.error().message().find("service.board: ") != std::string::npos) {
      result = Error(result.error().code(), result.error().message() +
                                                " (a path on the device? --board FILE reads a copy of the "
                                                "device's board file instead)");
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

int create(const Options& o) {
  if (!o.key || !o.version || !o.compatible || !o.out || !o.positionals.empty()) {
    return usage("create: --key, --version, --compatible and -o are required");
  }
  if (o.models.empty() && !o.config) return usage("create: a bundle carries --model or --config files");
  bundle::BundleSpec spec;
  spec.compatible = *o.compatible;
  Result<update::SemVer> version = update::SemVer::parse(*o.version);
  if (!version) return fail(std::move(version).error().withContext("--version"), kExitUsage);
  spec.version = *version;
  Result<update::SemVer> minEdgert = update::SemVer::parse(o.minEdgert.value_or(buildInfo().version));
  if (!minEdgert) return fail(std::move(minEdgert).error().withContext("--min-edgert"), kExitUsage);
  spec.minEdgert = *minEdgert;
  spec.description = o.description.value_or("");
  for (const std::string& m : o.models) {
    bundle::PayloadFile f;
    f.entry.name = std::filesystem::path(m).filename().string();
    f.entry.kind = update::PayloadKind::kModel;
    f.path = m;
    spec.files.push_back(std::move(f));
  }
  if (o.config) {
    bundle::PayloadFile f;
    f.entry.name = std::string(update::kBundleConfigName);
    f.entry.kind = update::PayloadKind::kConfig;
    f.path = *o.config;
    spec.files.push_back(std::move(f));
  }
  Result<update::BundleManifest> manifest = bundle::makeManifest(spec);
  if (!manifest) return fail(manifest.error(), kExitDataInvalid);
  if (o.board && !o.config) return usage("create: --board checks a --config; there is none");
  if (Result<void> ok = checkLikeTheDevice(spec.files, *manifest, o.board); !ok) {
    return fail(ok.error(), kExitDataInvalid);
  }
  const std::string text = update::formatBundleManifest(*manifest);
  Result<std::vector<std::byte>> sig = bundle::signWithKeyFile(*o.key, std::as_bytes(std::span(text)));
  if (!sig) return fail(sig.error());
  long mtime = 0;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) mtime = std::strtol(epoch, nullptr, 10);
  if (Result<void> w = bundle::writeBundle(*o.out, text, *sig, spec.files, mtime); !w) return fail(w.error());
  std::printf("wrote %s: bundle %s for %s, %zu file%s\n", o.out->c_str(), spec.version.str().c_str(),
              spec.compatible.c_str(), spec.files.size(), spec.files.size() == 1 ? "" : "s");
  return 0;
}

int openBundle(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) std::fprintf(stderr, "edgert-bundle: open %s: %s\n", path.c_str(), std::strerror(errno));
  return fd;
}

void printManifest(const update::BundleManifest& m) {
  std::printf("bundle %s for %s (edgert %s or newer)\n", m.version.str().c_str(), m.compatible.c_str(),
              m.minEdgert.str().c_str());
  if (!m.description.empty()) std::printf("description: %s\n", m.description.c_str());
  for (const update::PayloadEntry& p : m.payload) {
    std::printf("  %-6s %-32s %12llu bytes  sha256 %s\n", std::string(update::payloadKindName(p.kind)).c_str(),
                p.name.c_str(), static_cast<unsigned long long>(p.size), update::toHex(p.sha256).c_str());
  }
}

int inspect(const Options& o) {
  if (o.positionals.size() != 1) return usage("inspect: one bundle FILE");
  const int fd = openBundle(o.positionals[0]);
  if (fd < 0) return 1;
  Result<update::BundleSummary> s = update::inspectBundle(fd, o.positionals[0], {});
  ::close(fd);
  if (!s) return fail(s.error(), kExitDataInvalid);
  printManifest(s->manifest);
  const update::Digest sigDigest = update::sha256Of(s->signature);
  std::printf("signature: %zu bytes (not checked: verify --pub FILE checks it), sha256 %s\n",
              s->signature.size(), update::toHex(sigDigest).c_str());
  return 0;
}

class Discard final : public update::BundleConsumer {
 public:
  Result<void> accept(const update::BundleManifest&, std::span<const std::byte>, std::span<const std::byte>,
                      const update::PublicKey& signer) override {
    signer_ = signer.id;
    return success();
  }
  Result<void> beginPayload(const update::PayloadEntry&) override { return success(); }
  Result<void> payloadData(std::span<const std::byte>) override { return success(); }
  Result<void> endPayload(const update::PayloadEntry&) override { return success(); }
  std::string signer_;
};

int verify(const Options& o) {
  if (o.positionals.size() != 1 || !o.pub) return usage("verify: one bundle FILE and --pub FILE");
  Result<update::PublicKey> key = update::loadPublicKey(*o.pub);
  if (!key) return fail(key.error());
  update::Keyring ring;
  ring.trusted.push_back(*key);
  ring.source = *o.pub;
  const int fd = openBundle(o.positionals[0]);
  if (fd < 0) return 1;
  Discard sink;
  Result<update::BundleManifest> m = update::readBundle(fd, o.positionals[0], ring, {}, sink);
  ::close(fd);
  if (!m) return fail(m.error(), kExitDataInvalid);
  printManifest(*m);
  std::printf("verified: signed by key %s, every file matches its size and sha256\n", sink.signer_.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("expected a command");
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::optional<Options> o = parse(argc - 1, argv + 1);
  if (!o) return usage("bad option");
  if (command == "keygen") return keygen(*o);
  if (command == "create") return create(*o);
  if (command == "inspect") return inspect(*o);
  if (command == "verify") return verify(*o);
  return usage(("unknown command '" + command + "'").c_str());
}
