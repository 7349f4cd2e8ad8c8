// The A/B slot store (slots.hpp): every change is a new state generation or an atomic
// rename, ordered so that a power cut at any point leaves a state reconcile() can finish or
// undo without touching a good slot.
#include "edgert/runtime/update/slots.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "edgert/base/json.hpp"
#include "edgert/base/toml_schema.hpp"

namespace edgert::update {

namespace {

constexpr std::array kStateNames{
    EnumName<SlotState>{"empty", SlotState::kEmpty},
    EnumName<SlotState>{"installing", SlotState::kInstalling},
    EnumName<SlotState>{"pending", SlotState::kPending},
    EnumName<SlotState>{"ok", SlotState::kOk},
    EnumName<SlotState>{"failed", SlotState::kFailed},
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

Result<Fd> openFile(const std::string& path, int flags, mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  return Fd(fd);
}

Result<void> writeAll(int fd, std::span<const std::byte> bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::fromErrno(errno, "write " + path);
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return success();
}

Result<void> syncFd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return Error::fromErrno(errno, "fsync " + path);
  return success();
}

Result<std::string> readText(const std::string& path, std::size_t limit) {
  EDGERT_ASSIGN_OR_RETURN(Fd fd, openFile(path, O_RDONLY));
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::fromErrno(errno, "read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > limit) return makeError(Errc::kOutOfRange, "{}: more than {} bytes", path, limit);
  }
  return text;
}

Result<void> makeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return Error::fromErrno(errno, "mkdir " + path);
  return success();
}

// Removes the plain files of a flat folder (slots and staging hold nothing else).
Result<void> emptyDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return success();
    return Error::fromErrno(errno, "open " + dir);
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    const std::string path = dir + "/" + n;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      if (errno == EISDIR || errno == EPERM) {
        EDGERT_TRY(emptyDir(path));
        if (::rmdir(path.c_str()) != 0) return Error::fromErrno(errno, "rmdir " + path);
        continue;
      }
      return Error::fromErrno(errno, "unlink " + path);
    }
  }
  return success();
}

// flock(2) on a file of the store; released when the object goes.
class FileLock {
 public:
  static Result<FileLock> take(const std::string& path, bool wait) {
    EDGERT_ASSIGN_OR_RETURN(Fd fd, openFile(path, O_RDONLY | O_CREAT));
    while (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK) {
        return makeError(Errc::kBusy, "{} is held: another edgert update is running", path);
      }
      return Error::fromErrno(errno, "flock " + path);
    }
    FileLock lock;
    lock.fd_ = std::move(fd);
    return lock;
  }

 private:
  Fd fd_;
};

std::string statePath(const std::string& dir, int gen) { return fmt::format("{}/state.{}", dir, gen); }

constexpr std::string_view kChecksumPrefix = "# sha256 ";

std::string formatState(const UpdateState& s) {
  std::string body = "# edgert OTA slots (edgert update status): written by edgert, checksummed\n";
  body += fmt::format("generation = {}\n", s.generation);
  body += "floor = " + jsonString(s.floor) + "\n";
  body += fmt::format("last_install = \"{}\"\n",
                      s.lastInstall < 0 ? std::string_view() : std::string_view(&kSlotNames[static_cast<std::size_t>(s.lastInstall)], 1));
  for (std::size_t i = 0; i < 2; ++i) {
    const SlotRecord& r = s.slots[i];
    body += fmt::format("\n[slot.{}]\n", kSlotNames[i]);
    body += fmt::format("state = \"{}\"\n", slotStateName(r.state));
    body += "version = " + jsonString(r.version) + "\n";
    body += "manifest_sha256 = " + jsonString(r.manifestSha256) + "\n";
    body += fmt::format("tries_left = {}\n", r.triesLeft);
    body += "boot_id = " + jsonString(r.bootId) + "\n";
    body += "reason = " + jsonString(r.reason) + "\n";
  }
  const Digest d = sha256Of(std::as_bytes(std::span(body)));
  body += std::string(kChecksumPrefix) + toHex(d) + "\n";
  return body;
}

Result<UpdateState> parseState(const std::string& text, const std::string& source) {
  const std::size_t at = text.rfind(kChecksumPrefix);
  if (at == std::string::npos || (at != 0 && text[at - 1] != '\n')) {
    return makeError(Errc::kCorrupt, "{}: no checksum line", source);
  }
  const std::string body = text.substr(0, at);
  std::string hex = text.substr(at + kChecksumPrefix.size());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  Digest want{};
  if (!parseDigest(hex, want) || sha256Of(std::as_bytes(std::span(body))) != want) {
    return makeError(Errc::kCorrupt, "{}: checksum mismatch", source);
  }
  EDGERT_ASSIGN_OR_RETURN(toml::table doc, parseToml(body, source));
  UpdateState s;
  SchemaErrors errors(source);
  TableReader root(doc, "", errors);
  s.generation = static_cast<std::uint64_t>(root.requiredInt("generation", {0, INT64_MAX}).value_or(0));
  s.floor = root.requiredString("floor").value_or("");
  const std::string last = root.requiredString("last_install").value_or("");
  s.lastInstall = last == "a" ? 0 : last == "b" ? 1 : -1;
  root.requiredTable("slot", [&](TableReader& slots) {
    for (std::size_t i = 0; i < 2; ++i) {
      slots.requiredTable(std::string_view(&kSlotNames[i], 1), [&](TableReader& t) {
        SlotRecord& r = s.slots[i];
        r.state = t.requiredEnum("state", kStateNames).value_or(SlotState::kEmpty);
        r.version = t.requiredString("version").value_or("");
        r.manifestSha256 = t.requiredString("manifest_sha256").value_or("");
        r.triesLeft = static_cast<int>(t.requiredInt("tries_left", {0, kTrialTries}).value_or(0));
        r.bootId = t.requiredString("boot_id").value_or("");
        r.reason = t.requiredString("reason").value_or("");
      });
    }
  });
  root.reportUnknownKeys();
  if (!errors.empty()) return Error(Errc::kCorrupt, errors.toError().message());
  return s;
}

std::optional<SemVer> versionOf(const std::string& text) {
  Result<SemVer> v = SemVer::parse(text);
  if (!v) return std::nullopt;
  return *v;
}

// Whether a slot folder holds a complete bundle (its files match its manifest); sets the
// version and manifest digest. Used to rebuild a lost state, never to trust a bundle.
bool slotComplete(const std::string& dir, SlotRecord& out) {
  Result<std::string> text = readText(dir + "/manifest", kMaxManifestBytes);
  if (!text) return false;
  Result<BundleManifest> m = parseBundleManifest(*text, dir + "/manifest");
  if (!m || ::access((dir + "/manifest.sig").c_str(), R_OK) != 0) return false;
  for (const PayloadEntry& p : m->payload) {
    Result<Digest> d = sha256OfFile(dir + "/" + p.name);
    if (!d || *d != p.sha256) return false;
  }
  out.version = m->version.str();
  out.manifestSha256 = toHex(sha256Of(std::as_bytes(std::span(*text))));
  return true;
}

bool dirEmpty(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return true;
  bool empty = true;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") empty = false;
  }
  ::closedir(d);
  return empty;
}

}  // namespace

std::string_view slotStateName(SlotState state) { return enumNameOf(kStateNames, state); }

std::string currentBootId() {
  Result<std::string> id = readText("/proc/sys/kernel/random/boot_id", 128);
  if (!id) return {};
  std::string s = *id;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<void> syncDirectory(const std::string& dir) {
  EDGERT_ASSIGN_OR_RETURN(Fd fd, openFile(dir, O_RDONLY | O_DIRECTORY));
  return syncFd(fd.get(), dir);
}

std::string SlotStore::slotDir(int slot) const {
  return fmt::format("{}/slots/{}", dir_, kSlotNames[static_cast<std::size_t>(slot)]);
}

template <typename F>
auto SlotStore::locked(F&& body) -> decltype(body()) {
  EDGERT_ASSIGN_OR_RETURN(FileLock lock, FileLock::take(dir_ + "/lock", true));
  EDGERT_TRY(load());
  EDGERT_TRY(reconcile());
  return body();
}

Result<SlotStore> SlotStore::open(std::string dir, UpdateObserver* observer, bool create) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (!create && ::access(dir.c_str(), F_OK) != 0) {
    return Error::fromErrno(errno, "update state " + dir);
  }
  // The state file's checksum and the slots' digests.
  if (Result<void> crypto = openCrypto(); !crypto) return std::move(crypto).error().withContext("update state " + dir);
  SlotStore store(std::move(dir), observer);
  EDGERT_TRY(makeDir(store.dir_, 0755));
  EDGERT_TRY(makeDir(store.dir_ + "/slots", 0755));
  for (int i = 0; i < 2; ++i) EDGERT_TRY(makeDir(store.slotDir(i), 0755));
  Result<void> opened = store.locked([&]() -> Result<void> { return success(); });
  if (!opened) return std::move(opened).error().withContext("update state " + store.dir_);
  return store;
}

Result<void> SlotStore::load() {
  std::optional<UpdateState> best;
  bool anyFile = false;
  for (int gen = 0; gen < 2; ++gen) {
    const std::string path = statePath(dir_, gen);
    Result<std::string> text = readText(path, 64 * 1024);
    if (!text && text.error().code() == Errc::kNotFound) continue;
    anyFile = true;
    Result<UpdateState> s = text ? parseState(*text, path) : Result<UpdateState>(std::move(text).error());
    if (!s) {
      // Set aside, never deleted: someone may want to look at it.
      const std::string aside = path + ".corrupt";
      if (::rename(path.c_str(), aside.c_str()) != 0) return Error::fromErrno(errno, "rename " + path);
      notes_.push_back(fmt::format("{}; set aside as {}", s.error().message(), aside));
      continue;
    }
    if (!best || s->generation > best->generation) best = std::move(*s);
  }
  char target[64] = {};
  const ssize_t n = ::readlink((dir_ + "/current").c_str(), target, sizeof target - 1);
  current_.reset();
  if (n > 0) {
    const std::string_view t(target, static_cast<std::size_t>(n));
    if (t == "slots/a") current_ = 0;
    else if (t == "slots/b") current_ = 1;
    else notes_.push_back(fmt::format("{}/current points at '{}', not a slot; ignored", dir_, t));
  }
  if (best) {
    state_ = std::move(*best);
    return success();
  }
  state_ = UpdateState{};
  if (!anyFile && dirEmpty(slotDir(0)) && dirEmpty(slotDir(1))) return success();  // first use
  return rebuildFromSlots(anyFile ? "no valid state file" : "the state files are missing");
}

Result<void> SlotStore::rebuildFromSlots(std::string_view why) {
  UpdateState s;
  std::array<bool, 2> complete{};
  for (int i = 0; i < 2; ++i) {
    SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
    complete[static_cast<std::size_t>(i)] = slotComplete(slotDir(i), r);
    if (complete[static_cast<std::size_t>(i)]) {
      r.state = SlotState::kOk;
      r.reason = "rebuilt from the slot's files";
    } else if (!dirEmpty(slotDir(i))) {
      r.state = SlotState::kFailed;
      r.reason = "rebuilt: the slot's files are incomplete or damaged";
    }
  }
  if (current_ && complete[static_cast<std::size_t>(*current_)] && complete[static_cast<std::size_t>(1 - *current_)]) {
    // Whether the active slot had passed its trial is lost: it runs on trial again, with
    // the other slot to go back to.
    SlotRecord& r = s.slots[static_cast<std::size_t>(*current_)];
    r.state = SlotState::kPending;
    r.triesLeft = kTrialTries;
    r.reason = "rebuilt: on trial again, its commit was lost with the state";
  }
  for (const SlotRecord& r : s.slots) {
    const std::optional<SemVer> v = versionOf(r.version), f = versionOf(s.floor);
    if (r.state == SlotState::kOk && v && (!f || *f < *v)) s.floor = r.version;
  }
  s.generation = state_.generation + 1;
  state_ = std::move(s);
  notes_.push_back(fmt::format("{}: state rebuilt from the slots (a {}, b {})", why,
                               slotStateName(state_.slots[0].state), slotStateName(state_.slots[1].state)));
  return persist();
}

Result<void> SlotStore::reconcile() {
  bool changed = false;
  for (std::size_t i = 0; i < 2; ++i) {
    SlotRecord& r = state_.slots[i];
    if (r.state == SlotState::kInstalling) {
      r.state = SlotState::kFailed;
      r.reason = "an install was interrupted";
      notes_.push_back(fmt::format("slot {}: an install was interrupted; marked failed", kSlotNames[i]));
      changed = true;
    }
  }
  if (changed) EDGERT_TRY(persist());
  std::optional<int> want = current_;
  std::optional<int> pending, good;
  for (int i = 0; i < 2; ++i) {
    const SlotState st = state_.slots[static_cast<std::size_t>(i)].state;
    if (st == SlotState::kPending) pending = i;
    if (st == SlotState::kOk && (!good || i == current_)) good = i;
  }
  if (pending) {
    want = pending;  // an activation that did not reach the link
  } else if (!current_ || state_.slots[static_cast<std::size_t>(*current_)].state != SlotState::kOk) {
    want = good;     // a rollback that did not reach the link, or a slot gone bad
  }
  if (want != current_) {
    notes_.push_back(fmt::format("current: {} -> {} (completing an interrupted change)",
                                 current_ ? std::string(1, kSlotNames[static_cast<std::size_t>(*current_)]) : "none",
                                 want ? std::string(1, kSlotNames[static_cast<std::size_t>(*want)]) : "none"));
    EDGERT_TRY(relink(want));
  }
  return success();
}

Result<void> SlotStore::persist() {
  ++state_.generation;
  const std::string text = formatState(state_);
  const std::string tmp = dir_ + "/state.tmp";
  const std::string path = statePath(dir_, static_cast<int>(state_.generation % 2));
  {
    // A new file, never one left over: a killed `edgert update` run as root leaves a root-owned
    // one that the service (its own user) may unlink in the folder it owns but not truncate.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return Error::fromErrno(errno, "unlink " + tmp);
    EDGERT_ASSIGN_OR_RETURN(Fd fd, openFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
    step("state:write");
    EDGERT_TRY(writeAll(fd.get(), std::as_bytes(std::span(text)), tmp));
    step("state:fsync");
    EDGERT_TRY(syncFd(fd.get(), tmp));
  }
  step("state:rename");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::fromErrno(errno, "rename " + tmp);
  step("state:dirsync");
  EDGERT_TRY(syncDirectory(dir_));
  step("state:done");
  return success();
}

Result<void> SlotStore::relink(std::optional<int> slot) {
  const std::string link = dir_ + "/current";
  if (!slot) {
    step("link:unlink");
    if (::unlink(link.c_str()) != 0 && errno != ENOENT) return Error::fromErrno(errno, "unlink " + link);
  } else {
    const std::string tmp = dir_ + "/current.tmp";
    const std::string target = fmt::format("slots/{}", kSlotNames[static_cast<std::size_t>(*slot)]);
    ::unlink(tmp.c_str());
    step("link:symlink");
    if (::symlink(target.c_str(), tmp.c_str()) != 0) return Error::fromErrno(errno, "symlink " + tmp);
    step("link:rename");
    if (::rename(tmp.c_str(), link.c_str()) != 0) return Error::fromErrno(errno, "rename " + tmp);
  }
  step("link:dirsync");
  EDGERT_TRY(syncDirectory(dir_));
  current_ = slot;
  step("link:done");
  return success();
}

Result<void> SlotStore::verifySlot(int slot) const {
  const std::string dir = slotDir(slot);
  const SlotRecord& r = state_.slots[static_cast<std::size_t>(slot)];
  EDGERT_ASSIGN_OR_RETURN(std::string text, readText(dir + "/manifest", kMaxManifestBytes));
  if (toHex(sha256Of(std::as_bytes(std::span(text)))) != r.manifestSha256) {
    return makeError(Errc::kCorrupt, "{}/manifest is not the manifest installed in slot {}", dir, kSlotNames[static_cast<std::size_t>(slot)]);
  }
  EDGERT_ASSIGN_OR_RETURN(BundleManifest m, parseBundleManifest(text, dir + "/manifest"));
  for (const PayloadEntry& p : m.payload) {
    EDGERT_ASSIGN_OR_RETURN(Digest d, sha256OfFile(dir + "/" + p.name));
    if (d != p.sha256) return makeError(Errc::kCorrupt, "{}/{}: sha256 differs from the manifest's", dir, p.name);
  }
  return success();
}

std::string SlotStore::activeVersion() const {
  return current_ ? state_.slots[static_cast<std::size_t>(*current_)].version : std::string();
}

namespace {

// Streams the payload into staging/, after the bundle's own checks and the device's.
class StagingWriter final : public BundleConsumer {
 public:
  StagingWriter(std::string staging, const InstallPolicy& policy, const UpdateState& state,
                std::optional<int> current, PayloadValidator& validator, UpdateObserver* observer)
      : staging_(std::move(staging)), policy_(policy), state_(state), current_(current),
        validator_(validator), observer_(observer) {}

  Result<void> accept(const BundleManifest& m, std::span<const std::byte> text,
                      std::span<const std::byte> signature, const PublicKey& signer) override {
    if (m.compatible != policy_.compatible) {
      return makeError(Errc::kSchema, "the bundle is for '{}'; this device is '{}'", m.compatible,
                       policy_.compatible);
    }
    if (policy_.edgertVersion < m.minEdgert) {
      return makeError(Errc::kSchema, "the bundle needs edgert {} or newer; this is {}",
                       m.minEdgert.str(), policy_.edgertVersion.str());
    }
    if (!policy_.allowDowngrade) {
      if (current_) {
        const SlotRecord& r = state_.slots[static_cast<std::size_t>(*current_)];
        const std::optional<SemVer> running = versionOf(r.version);
        if (r.state == SlotState::kOk && running && m.version < *running) {
          return makeError(Errc::kSchema,
                           "version {} is older than the committed {} (a downgrade: --allow-downgrade "
                           "installs it anyway)",
                           m.version.str(), running->str());
        }
      }
      if (const std::optional<SemVer> floor = versionOf(state_.floor); floor && m.version < *floor) {
        return makeError(Errc::kSchema,
                         "version {} is below the version floor {} (the newest ever committed; "
                         "--allow-downgrade installs it anyway)",
                         m.version.str(), floor->str());
      }
    }
    signer_ = signer.id;
    manifest_ = m;
    EDGERT_TRY(writeFile("manifest", text));
    EDGERT_TRY(writeFile("manifest.sig", signature));
    return success();
  }

  Result<void> beginPayload(const PayloadEntry& entry) override {
    path_ = staging_ + "/" + entry.name;
    EDGERT_ASSIGN_OR_RETURN(out_, openFile(path_, O_WRONLY | O_CREAT | O_EXCL, 0644));
    return success();
  }

  Result<void> payloadData(std::span<const std::byte> bytes) override {
    if (observer_ != nullptr) observer_->at("payload:write");
    return writeAll(out_.get(), bytes, path_);
  }

  Result<void> endPayload(const PayloadEntry& entry) override {
    if (observer_ != nullptr) observer_->at("payload:fsync");
    EDGERT_TRY(syncFd(out_.get(), path_));
    out_.reset();
    if (entry.kind == PayloadKind::kModel) EDGERT_TRY(validator_.checkModel(path_));
    return success();
  }

  const std::string& signer() const { return signer_; }
  const BundleManifest& manifest() const { return manifest_; }

 private:
  Result<void> writeFile(const std::string& name, std::span<const std::byte> bytes) {
    const std::string path = staging_ + "/" + name;
    EDGERT_ASSIGN_OR_RETURN(Fd fd, openFile(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
    EDGERT_TRY(writeAll(fd.get(), bytes, path));
    return syncFd(fd.get(), path);
  }

  std::string staging_;
  const InstallPolicy& policy_;
  const UpdateState& state_;
  std::optional<int> current_;
  PayloadValidator& validator_;
  UpdateObserver* observer_;
  std::string signer_;
  BundleManifest manifest_;
  std::string path_;
  Fd out_;
};

}  // namespace

Result<InstallReport> SlotStore::install(int fd, std::string_view sourceName, const Keyring& keys,
                                         const InstallPolicy& policy, PayloadValidator& validator) {
  EDGERT_ASSIGN_OR_RETURN(FileLock installLock, FileLock::take(dir_ + "/install.lock", false));
  // Which slot: decided under the state lock, checked again before the swap.
  std::optional<int> target;
  Result<void> chosen = locked([&]() -> Result<void> {
    for (int i = 0; i < 2; ++i) {
      if (state_.slots[static_cast<std::size_t>(i)].state == SlotState::kPending) {
        return makeError(Errc::kBusy,
                         "slot {} ({}) is on trial: the service commits or rolls it back after its "
                         "health check (edgert update commit --force / rollback decide by hand)",
                         kSlotNames[static_cast<std::size_t>(i)],
                         state_.slots[static_cast<std::size_t>(i)].version);
      }
    }
    target = current_ ? 1 - *current_ : 0;
    return success();
  });
  if (!chosen) return std::move(chosen).error();
  const UpdateState before = state_;
  const std::optional<int> currentBefore = current_;

  // Stream into staging/: nothing a slot holds is touched until the bundle proved itself.
  const std::string staging = dir_ + "/staging";
  EDGERT_TRY(emptyDir(staging));
  EDGERT_TRY(makeDir(staging, 0755));
  StagingWriter writer(staging, policy, before, currentBefore, validator, observer_);
  Result<BundleManifest> read = readBundle(fd, sourceName, keys, policy.limits, writer);
  const auto dropStaging = [&] { (void)emptyDir(staging); };
  if (!read) {
    dropStaging();
    return std::move(read).error();
  }
  const BundleManifest& manifest = *read;
  if (Result<void> ok = validator.checkBundle(staging, manifest); !ok) {
    dropStaging();
    return std::move(ok).error();
  }
  // Again from the disk, before the bundle can become a slot.
  for (const PayloadEntry& p : manifest.payload) {
    Result<Digest> d = sha256OfFile(staging + "/" + p.name);
    if (!d || *d != p.sha256) {
      dropStaging();
      return d ? makeError(Errc::kCorrupt, "{}: {} changed on the disk after it was written", sourceName, p.name)
               : std::move(d).error();
    }
  }
  step("staging:dirsync");
  EDGERT_TRY(syncDirectory(staging));

  InstallReport report;
  report.slot = *target;
  report.manifest = manifest;
  report.signer = writer.signer();
  Result<void> activated = locked([&]() -> Result<void> {
    if (current_ == target || state_.slots[0].state == SlotState::kPending ||
        state_.slots[1].state == SlotState::kPending) {
      return makeError(Errc::kBusy, "the slots changed while the bundle was read (a rollback?); install it again");
    }
    const std::size_t t = static_cast<std::size_t>(*target);
    SlotRecord& r = state_.slots[t];
    report.replaced = r.state == SlotState::kEmpty ? "" : fmt::format("{} ({})", r.version, slotStateName(r.state));
    r = SlotRecord{};
    r.state = SlotState::kInstalling;
    r.version = manifest.version.str();
    r.bootId = currentBootId();
    EDGERT_TRY(persist());
    // The staged bundle becomes the slot in one rename; the old files go to staging/.
    const std::string slot = slotDir(*target);
    step("slot:exchange");
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, slot.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) return Error::fromErrno(errno, "exchange " + staging + " and " + slot);
      // A file system without RENAME_EXCHANGE: two renames (the slot is marked installing).
      const std::string old = slot + ".old";
      EDGERT_TRY(emptyDir(old));
      ::rmdir(old.c_str());
      if (::rename(slot.c_str(), old.c_str()) != 0) return Error::fromErrno(errno, "rename " + slot);
      if (::rename(staging.c_str(), slot.c_str()) != 0) return Error::fromErrno(errno, "rename " + staging);
      if (::rename(old.c_str(), staging.c_str()) != 0) return Error::fromErrno(errno, "rename " + old);
    }
    step("slot:dirsync");
    EDGERT_TRY(syncDirectory(dir_ + "/slots"));
    r.state = SlotState::kPending;
    r.triesLeft = kTrialTries;
    if (Result<std::string> text = readText(slot + "/manifest", kMaxManifestBytes); text) {
      r.manifestSha256 = toHex(sha256Of(std::as_bytes(std::span(*text))));
    }
    r.reason = fmt::format("installed from {}, signed by {}", sourceName, report.signer);
    state_.lastInstall = *target;
    EDGERT_TRY(persist());
    EDGERT_TRY(relink(target));
    return success();
  });
  if (!activated) return std::move(activated).error();
  step("install:cleanup");
  dropStaging();
  return report;
}

Result<bool> SlotStore::commit(std::string_view why) {
  return locked([&]() -> Result<bool> {
    if (!current_ || state_.slots[static_cast<std::size_t>(*current_)].state != SlotState::kPending) {
      return false;
    }
    SlotRecord& r = state_.slots[static_cast<std::size_t>(*current_)];
    r.state = SlotState::kOk;
    r.triesLeft = 0;
    r.reason = std::string(why);
    const std::optional<SemVer> v = versionOf(r.version), f = versionOf(state_.floor);
    if (v && (!f || *f < *v)) state_.floor = r.version;
    EDGERT_TRY(persist());
    return true;
  });
}

Result<std::optional<int>> SlotStore::rollback(std::string_view why, bool orNone) {
  return locked([&]() -> Result<std::optional<int>> {
    if (!current_) return makeError(Errc::kNotFound, "no bundle is active: nothing to roll back");
    const int from = *current_;
    const int other = 1 - from;
    SlotRecord& r = state_.slots[static_cast<std::size_t>(from)];
    const bool otherGood = state_.slots[static_cast<std::size_t>(other)].state == SlotState::kOk;
    if (r.state != SlotState::kPending && !otherGood && !orNone) {
      return makeError(Errc::kNotFound, "slot {} ({}) is committed and slot {} holds no good bundle to go back to",
                       kSlotNames[static_cast<std::size_t>(from)], r.version,
                       kSlotNames[static_cast<std::size_t>(other)]);
    }
    r.state = SlotState::kFailed;
    r.triesLeft = 0;
    r.reason = std::string(why);
    EDGERT_TRY(persist());
    EDGERT_TRY(relink(otherGood ? std::optional<int>(other) : std::nullopt));
    return current_;
  });
}

Result<StartChoice> SlotStore::beginStart(std::string_view bootId) {
  return locked([&]() -> Result<StartChoice> {
    StartChoice choice;
    if (current_ && state_.slots[static_cast<std::size_t>(*current_)].state == SlotState::kPending) {
      const int slot = *current_;
      SlotRecord& r = state_.slots[static_cast<std::size_t>(slot)];
      if (r.triesLeft <= 0) {
        const std::string why = fmt::format(
            "{} tries spent: the service never passed its health check on it (a crash, a watchdog "
            "kill, a stop or a power cut during each trial)",
            kTrialTries);
        choice.rolledBack = fmt::format("slot {} ({}): {}", kSlotNames[static_cast<std::size_t>(slot)], r.version, why);
        r.state = SlotState::kFailed;
        r.reason = why;
        const int other = 1 - slot;
        const bool otherGood = state_.slots[static_cast<std::size_t>(other)].state == SlotState::kOk;
        EDGERT_TRY(persist());
        EDGERT_TRY(relink(otherGood ? std::optional<int>(other) : std::nullopt));
      } else {
        --r.triesLeft;
        r.bootId = std::string(bootId);
        EDGERT_TRY(persist());
        choice.slot = slot;
        choice.trial = true;
        choice.triesLeft = r.triesLeft;
        choice.version = r.version;
        return choice;
      }
    }
    if (current_) {
      choice.slot = current_;
      choice.version = state_.slots[static_cast<std::size_t>(*current_)].version;
    }
    return choice;
  });
}

}  // namespace edgert::update
