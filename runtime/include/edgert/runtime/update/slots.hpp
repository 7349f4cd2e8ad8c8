// The device side of over-the-air bundles: two slots (a, b) in a state directory, a
// `current` link naming the active one, and a state file saying what each slot holds.
//
//   DIR/slots/a/, DIR/slots/b/   a bundle's files: manifest, manifest.sig, the payload
//   DIR/current -> slots/a       replaced atomically (symlink, rename, fsync the folder)
//   DIR/state.0, DIR/state.1     the state in two generations, each checksummed; the newer
//                                valid one counts; a corrupt one is set aside and the state
//                                rebuilt from the slots
//   DIR/staging/                 where an install streams a bundle before it becomes a slot
//   DIR/lock, DIR/install.lock   flock(2): state changes, and one install at a time
//
// Invariants: the active slot (current) is never written; a refused or interrupted install
// leaves every slot as it was (it only ever wrote staging/); a slot on trial (pending) is
// the current one, and the other slot, when ok, is the last good one to go back to.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgert/base/result.hpp"
#include "edgert/runtime/update/bundle.hpp"

namespace edgert::update {

enum class SlotState : std::uint8_t { kEmpty, kInstalling, kPending, kOk, kFailed };
std::string_view slotStateName(SlotState state);

inline constexpr int kTrialTries = 3;
inline constexpr std::array<char, 2> kSlotNames{'a', 'b'};

struct SlotRecord {
  SlotState state = SlotState::kEmpty;
  std::string version;         // the bundle's version; "" when empty
  std::string manifestSha256;  // of the slot's manifest bytes
  int triesLeft = 0;           // pending: service starts left before it rolls back
  std::string bootId;          // the boot of its last try (or of its install)
  std::string reason;          // failed: why; otherwise what happened last
};

struct UpdateState {
  std::uint64_t generation = 0;
  std::array<SlotRecord, 2> slots;
  std::string floor;  // bundles below it are refused unless --allow-downgrade; only rises
  int lastInstall = -1;  // the slot the newest install went to (-1: none): what a commit waits for
};

// Named points where a change reaches the disk, for tests that kill the process there
// (tests/runtime/update/). Production passes none.
class UpdateObserver {
 public:
  virtual ~UpdateObserver() = default;
  virtual void at(std::string_view step) = 0;
};

// Checks a bundle's files before they become a slot (the device's model loader, the
// service config schema); the CLI supplies one, the store knows neither.
class PayloadValidator {
 public:
  virtual ~PayloadValidator() = default;
  virtual Result<void> checkModel(const std::string& path) = 0;
  // `dir` holds every file of the bundle; `config` is its config ("" when it has none).
  virtual Result<void> checkBundle(const std::string& dir, const BundleManifest& manifest) = 0;
};

struct InstallPolicy {
  std::string compatible;  // this device's; a bundle for another is refused
  SemVer edgertVersion;    // refused when the bundle's min_edgert is above it
  bool allowDowngrade = false;
  BundleLimits limits;
};

struct InstallReport {
  int slot = 0;
  BundleManifest manifest;
  std::string signer;  // the key id
  std::string replaced;  // what the slot held before ("" when empty)
};

// What a service start runs.
struct StartChoice {
  std::optional<int> slot;  // none: the device's own config (no bundle active)
  bool trial = false;       // the slot is pending: this start is one of its tries
  int triesLeft = 0;        // after this one
  std::string version;
  // Set when this start rolled a slot back (its tries were spent): what and why.
  std::optional<std::string> rolledBack;
};

class SlotStore {
 public:
  // Opens DIR, creating its layout on first use, and reconciles the state with the slots
  // and the link (an interrupted install, activation or rollback is completed or undone).
  // notes() says what was repaired, for the caller to log. `create` false: a DIR that does
  // not exist is Errc::kNotFound (nothing was ever installed) instead of being made.
  static Result<SlotStore> open(std::string dir, UpdateObserver* observer = nullptr, bool create = true);

  const std::string& dir() const { return dir_; }
  std::string slotDir(int slot) const;
  const UpdateState& state() const { return state_; }
  std::optional<int> current() const { return current_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // Streams a bundle from `fd` into staging/, checks it, makes it the inactive slot, marks
  // it pending with kTrialTries tries and points current at it. Refusals: kPermissionDenied
  // (signature), kCorrupt (structure), kSchema (compatible, versions), the validator's
  // errors; kBusy while a trial runs or another install does; kIo/kNoMemory for the disk.
  Result<InstallReport> install(int fd, std::string_view sourceName, const Keyring& keys,
                                const InstallPolicy& policy, PayloadValidator& validator);
  // The pending slot becomes ok (the last good one); the floor rises to its version.
  // `why` is kept as its reason. Nothing pending: succeeds, changing nothing (false).
  Result<bool> commit(std::string_view why);
  // The pending slot becomes failed with `why`, and current goes back to the last good
  // slot (or to none: the device's own config). With nothing pending, current goes to the
  // other slot when it is ok (a rollback by hand). `orNone`: a committed slot with no good
  // one to go back to is failed too, and the device's own config runs (the service, when
  // a committed bundle no longer loads). Returns the slot now current.
  Result<std::optional<int>> rollback(std::string_view why, bool orNone = false);
  // A service start: takes one try of a pending slot, or rolls it back when none is left.
  Result<StartChoice> beginStart(std::string_view bootId);

  // The bundle version running, "" for none.
  std::string activeVersion() const;

  // Re-reads a slot that holds a bundle: its manifest must be the one recorded for it and
  // every payload file must match the manifest's sha256. kCorrupt names what differs.
  Result<void> verifySlot(int slot) const;

 private:
  SlotStore(std::string dir, UpdateObserver* observer) : dir_(std::move(dir)), observer_(observer) {}
  Result<void> load();       // state files + link (caller holds the lock)
  Result<void> reconcile();  // invariants (caller holds the lock)
  Result<void> persist();    // the next generation
  Result<void> relink(std::optional<int> slot);
  Result<void> rebuildFromSlots(std::string_view why);
  void step(std::string_view name) {
    if (observer_ != nullptr) observer_->at(name);
  }
  template <typename F>
  auto locked(F&& body) -> decltype(body());

  std::string dir_;
  UpdateObserver* observer_;
  UpdateState state_;
  std::optional<int> current_;
  std::vector<std::string> notes_;
};

// This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable.
std::string currentBootId();

// fsync of a folder, so that a rename or unlink in it is on the disk.
Result<void> syncDirectory(const std::string& dir);

}  // namespace edgert::update
