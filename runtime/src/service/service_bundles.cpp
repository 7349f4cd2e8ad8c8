#include "edgert/runtime/service_bundles.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "edgert/runtime/model.hpp"

namespace edgert::runtime {

namespace {

EDGERT_LOG_CATEGORY(gLog, "update");

Result<std::string> readWhole(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::fromErrno(errno == 0 ? ENOENT : errno, "open " + path);
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > limit) return makeError(Errc::kOutOfRange, "{}: more than {} bytes", path, limit);
  }
  return text;
}

Result<update::BundleManifest> slotManifest(const std::string& slotDir) {
  const std::string path = slotDir + "/manifest";
  EDGERT_ASSIGN_OR_RETURN(std::string text, readWhole(path, update::kMaxManifestBytes));
  return update::parseBundleManifest(text, path);
}

bool hasConfig(const update::BundleManifest& m) {
  for (const update::PayloadEntry& p : m.payload) {
    if (p.kind == update::PayloadKind::kConfig) return true;
  }
  return false;
}

// The one model of a bundle without a config, or why there is not exactly one.
Result<std::string> onlyModel(const update::BundleManifest& m) {
  std::vector<std::string> models;
  for (const update::PayloadEntry& p : m.payload) {
    if (p.kind == update::PayloadKind::kModel) models.push_back(p.name);
  }
  if (models.size() != 1) {
    return makeError(Errc::kSchema,
                     "a bundle without a config ({}) carries exactly one model, which replaces "
                     "service.model; this one has {}",
                     update::kBundleConfigName, models.size());
  }
  return models[0];
}

char slotLetter(int slot) { return update::kSlotNames[static_cast<std::size_t>(slot)]; }

}  // namespace

Result<ServiceConfig> slotServiceConfig(const ServiceConfig& device, const std::string& slotDir) {
  EDGERT_ASSIGN_OR_RETURN(update::BundleManifest m, slotManifest(slotDir));
  if (!hasConfig(m)) {
    EDGERT_ASSIGN_OR_RETURN(std::string model, onlyModel(m));
    ServiceConfig c = device;
    c.modelPath = slotDir + "/" + model;
    return c;
  }
  EDGERT_ASSIGN_OR_RETURN(ServiceConfig c, loadServiceConfig(slotDir + "/" + std::string(update::kBundleConfigName)));
  c.update = device.update;
  return c;
}

Result<void> BundlePayloadValidator::checkModel(const std::string& path) {
  Result<Model> m = Model::open(path, checkModelsFor_);
  if (!m) {
    return Error(Errc::kCorrupt, fmt::format("{}: the device's loader refuses it: {}",
                                             std::filesystem::path(path).filename().string(),
                                             m.error().message()));
  }
  return success();
}

Result<void> BundlePayloadValidator::checkBundle(const std::string& dir, const update::BundleManifest& manifest) {
  if (!hasConfig(manifest)) return onlyModel(manifest).ok() ? success() : Result<void>(onlyModel(manifest).error());
  const std::string path = dir + "/" + std::string(update::kBundleConfigName);
  Result<ServiceConfig> c = loadServiceConfig(path, boardFile_);
  const auto named = [&](const std::string& message) {
    // Messages name the file as the bundle does, not by where it was staged.
    std::string text = message;
    for (std::size_t at; (at = text.find(dir + "/")) != std::string::npos;) text.erase(at, dir.size() + 1);
    return Error(Errc::kSchema, text);
  };
  if (!c) return named(c.error().message());
  if (c->update.present) {
    return named(fmt::format("{}: [update]: the device's own config sets these; a bundle's config may not", path));
  }
  // Every model the config names is one of this bundle's, by its file name.
  const auto bundleModel = [&](std::string_view key, const std::string& modelPath) -> Result<void> {
    const std::filesystem::path model(modelPath);
    const bool ours = model.parent_path() == std::filesystem::path(dir);
    bool listed = false;
    for (const update::PayloadEntry& p : manifest.payload) {
      if (p.kind == update::PayloadKind::kModel && p.name == model.filename().string()) listed = true;
    }
    if (!ours || !listed) {
      return named(fmt::format("{}: {}: '{}' is not a model of this bundle (name one of its models by "
                               "its file name)",
                               path, key, modelPath));
    }
    return success();
  };
  EDGERT_TRY(bundleModel("service.model", c->modelPath));
  if (c->postprocess.kind == PostprocessKind::kOcr) {
    const ServiceConfig::Postprocess::Text& text = c->postprocess.text;
    EDGERT_TRY(bundleModel("postprocess.recognizer", text.recognizerPath));
    if (!text.orientationPath.empty()) EDGERT_TRY(bundleModel("postprocess.orientation", text.orientationPath));
    // Bundles carry models and a config, no other files: the dictionary stays on the device,
    // and the config pins which one.
    if (std::filesystem::path(text.dictionaryPath).parent_path() == std::filesystem::path(dir) ||
        text.dictionarySha256.empty()) {
      return named(fmt::format("{}: postprocess.dictionary: a bundle's config names a dictionary on the "
                               "device by its absolute path and pins it with dictionary_sha256 (bundles "
                               "carry models and the config only)",
                               path));
    }
  }
  return success();
}

Result<void> writeHealthFile(const std::string& stateDir, const HealthRecord& record) {
  const std::string path = stateDir + "/health", tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::fromErrno(errno, "open " + tmp);
  (void)::fchmod(fd, 0644);
  const std::string text = fmt::format("{} {} {}\n", record.pid, record.bootId.empty() ? "-" : record.bootId,
                                       record.version.empty() ? "-" : record.version);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return makeError(Errc::kIo, "write {}", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::fromErrno(errno, "rename " + tmp);
  return success();
}

void removeHealthFile(const std::string& stateDir) { ::unlink((stateDir + "/health").c_str()); }

std::optional<HealthRecord> readHealthFile(const std::string& stateDir, std::string& why) {
  const std::string path = stateDir + "/health";
  Result<std::string> text = readWhole(path, 512);
  if (!text) {
    why = text.error().code() == Errc::kNotFound ? "the service has not reported healthy (no " + path + ")"
                                                 : text.error().message();
    return std::nullopt;
  }
  std::istringstream in(*text);
  HealthRecord r;
  in >> r.pid >> r.bootId >> r.version;
  if (!in || r.pid <= 0) {
    why = path + ": not a health record";
    return std::nullopt;
  }
  if (r.bootId == "-") r.bootId.clear();
  if (r.version == "-") r.version.clear();
  const std::string boot = update::currentBootId();
  if (!r.bootId.empty() && !boot.empty() && r.bootId != boot) {
    why = path + ": written in an earlier boot";
    return std::nullopt;
  }
  if (::kill(static_cast<pid_t>(r.pid), 0) != 0 && errno == ESRCH) {
    why = fmt::format("{}: the service that wrote it (pid {}) is gone", path, r.pid);
    return std::nullopt;
  }
  return r;
}

ServiceBundles::~ServiceBundles() {
  if (wroteHealth_) removeHealthFile(device_.update.stateDir);
}

std::optional<update::SlotStore> ServiceBundles::openStore() {
  // The state directory is the unit's (StateDirectory=) or edgert update install's to make.
  Result<update::SlotStore> store = update::SlotStore::open(device_.update.stateDir, nullptr, false);
  if (!store) {
    if (store.error().code() == Errc::kNotFound) {
      log::info(gLog, "{}: not there, so no bundle is installed; running the device's own config",
                device_.update.stateDir);
    } else {
      log::error(gLog, "{}; running the device's own config", store.error().message());
    }
    return std::nullopt;
  }
  for (const std::string& note : store->notes()) log::warning(gLog, "{}", note);
  return std::move(*store);
}

std::array<std::string, 2> ServiceBundles::slotStates(const update::SlotStore& store) const {
  return {std::string(update::slotStateName(store.state().slots[0].state)),
          std::string(update::slotStateName(store.state().slots[1].state))};
}

ServiceConfig ServiceBundles::choose() {
  ServiceConfig config = device_;
  config.bundle = {};
  running_.clear();
  if (device_.update.stateDir.empty()) return config;
  // Not healthy again until this start says so.
  if (wroteHealth_) removeHealthFile(device_.update.stateDir);
  wroteHealth_ = false;
  // At most one rollback per slot: the loop ends on the device's own config at the latest.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::optional<update::SlotStore> store = openStore();
    if (!store) return config;
    Result<update::StartChoice> choice = store->beginStart(update::currentBootId());
    if (!choice) {
      log::error(gLog, "{}: {}; running the device's own config", device_.update.stateDir,
                 choice.error().message());
      return config;
    }
    if (choice->rolledBack) {
      log::event(gLog, log::Level::kError, kBundleRolledBackId, "rolled back {}; now running {}",
                 *choice->rolledBack,
                 store->current() ? fmt::format("slot {} ({})", slotLetter(*store->current()), store->activeVersion())
                                  : std::string("the device's own config"));
    }
    config.bundle.slotStates = slotStates(*store);
    if (!choice->slot) return config;
    const std::string dir = store->slotDir(*choice->slot);
    Result<ServiceConfig> slot = slotServiceConfig(device_, dir);
    if (!slot) {
      const std::string why = fmt::format("its config cannot be used: {}", slot.error().message());
      if (Result<std::optional<int>> back = store->rollback(why, true); !back) {
        log::error(gLog, "{}; running the device's own config", back.error().message());
        return config;
      }
      log::event(gLog, log::Level::kError, kBundleRolledBackId, "rolled back slot {} ({}): {}",
                 slotLetter(*choice->slot), choice->version, why);
      continue;
    }
    std::array<std::string, 2> states = config.bundle.slotStates;
    config = std::move(*slot);
    config.bundle.version = choice->version;
    config.bundle.slot = slotLetter(*choice->slot);
    config.bundle.trial = choice->trial;
    config.bundle.triesLeft = choice->triesLeft;
    config.bundle.slotStates = states;
    running_ = choice->version;
    return config;
  }
  return device_;
}

bool ServiceBundles::rollBack(const ServiceConfig& ran, const Error& why) {
  switch (why.code()) {
    case Errc::kNotFound:
    case Errc::kDisconnected:
    case Errc::kPermissionDenied:
    case Errc::kBusy:
    case Errc::kTimeout:
    case Errc::kIo: return false;  // the camera or the device, not the bundle
    default: return rollBack(ran, why.message());
  }
}

bool ServiceBundles::rollBack(const ServiceConfig& ran, std::string_view why) {
  if (ran.bundle.version.empty() || device_.update.stateDir.empty()) return false;
  std::optional<update::SlotStore> store = openStore();
  if (!store) return false;
  Result<std::optional<int>> back = store->rollback(why, true);
  if (!back) {
    log::error(gLog, "rolling back bundle {}: {}", ran.bundle.version, back.error().message());
    return false;
  }
  log::event(gLog, log::Level::kError, kBundleRolledBackId, "rolled back bundle {} (slot {}): {}; now running {}",
             ran.bundle.version, ran.bundle.slot, why,
             *back ? fmt::format("slot {} ({})", slotLetter(**back), store->activeVersion())
                   : std::string("the device's own config"));
  return true;
}

void ServiceBundles::healthy(std::string_view summary, bool trialPassed) {
  if (device_.update.stateDir.empty()) return;
  if (trialPassed) {
    std::optional<update::SlotStore> store = openStore();
    if (!store) return;
    Result<bool> committed = store->commit(fmt::format("committed by the service: {}", summary));
    if (!committed) {
      log::error(gLog, "committing bundle {}: {}", running_, committed.error().message());
      return;
    }
    if (*committed) {
      log::event(gLog, log::Level::kNotice, kBundleCommittedId, "committed bundle {} (slot {}): {}",
                 running_, store->current() ? slotLetter(*store->current()) : '-', summary);
    }
    if (service_ != nullptr) service_->setSlotStates(slotStates(*store));
  }
  HealthRecord record{static_cast<long>(::getpid()), update::currentBootId(), running_};
  if (Result<void> w = writeHealthFile(device_.update.stateDir, record); !w) {
    log::warning(gLog, "{}", w.error().message());
    return;
  }
  wroteHealth_ = true;
}

}  // namespace edgert::runtime
