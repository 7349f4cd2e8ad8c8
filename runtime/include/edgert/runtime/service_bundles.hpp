// Where `edgert run` meets the over-the-air slots (update/slots.hpp): which config a start
// runs (the device's own, or the active bundle's), a try taken for a bundle on trial, the
// commit once the service is healthy, the rollback when it is not, and the health file
// `edgert health` reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "edgert/base/log.hpp"
#include "edgert/base/result.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/service.hpp"
#include "edgert/runtime/service_config.hpp"
#include "edgert/runtime/update/slots.hpp"

namespace edgert::runtime {

// Journal MESSAGE_IDs of update events (journalctl MESSAGE_ID=...), shared with `edgert update`.
inline constexpr log::MessageId kBundleInstalledId{"c24595b0cfb44add83c0e79c87364a6d"};
inline constexpr log::MessageId kBundleActivatedId{"1ad6e074bcf8435da3b0748d06e4c279"};
inline constexpr log::MessageId kBundleCommittedId{"e40843f16c4f491d9cad49aceb764156"};
inline constexpr log::MessageId kBundleRolledBackId{"721ad5c7b93b4ecaa041434357666642"};
inline constexpr log::MessageId kBundleRefusedId{"55fa3e2663774e6bac8c6fd79f053aaf"};

// The config a bundle's slot runs: the slot's edgert.toml when the bundle has one (its
// relative paths resolve in the slot), else the device's config with service.model set to
// the bundle's only model. The device's [update] settings always apply.
Result<ServiceConfig> slotServiceConfig(const ServiceConfig& device, const std::string& slotDir);

// A bundle's files checked the way a service start will use them: every model image by the
// loader, the config by its schema, and that the config names models of the bundle.
class BundlePayloadValidator final : public update::PayloadValidator {
 public:
  explicit BundlePayloadValidator(const ServiceConfig& device) : device_(device) {}
  // edgert-bundle on a host: the bundle's config is read with this board file in place of
  // the device path its service.board names, and the models are checked for the CPU they
  // were compiled for (the device's), not for the host's.
  void readConfigWithBoard(std::string boardFile) { boardFile_ = std::move(boardFile); }
  void checkModelsFor(CheckFor checkFor) { checkModelsFor_ = checkFor; }
  Result<void> checkModel(const std::string& path) override;
  Result<void> checkBundle(const std::string& dir, const update::BundleManifest& manifest) override;

 private:
  const ServiceConfig& device_;
  std::string boardFile_;
  CheckFor checkModelsFor_ = CheckFor::kThisMachine;
};

// The health file DIR/health: "pid boot_id version" while a service that passed its health
// check (or needs none) runs.
struct HealthRecord {
  long pid = 0;
  std::string bootId;
  std::string version;  // the bundle's, "" for the device's own config
};
Result<void> writeHealthFile(const std::string& stateDir, const HealthRecord& record);
void removeHealthFile(const std::string& stateDir);
// The record when a live process of this boot wrote it; nullopt (with `why`) otherwise.
std::optional<HealthRecord> readHealthFile(const std::string& stateDir, std::string& why);

// One `edgert run`'s view of the slots.
class ServiceBundles final : public HealthListener {
 public:
  explicit ServiceBundles(ServiceConfig device) : device_(std::move(device)) {}
  ~ServiceBundles() override;

  void setDeviceConfig(ServiceConfig device) { device_ = std::move(device); }
  const ServiceConfig& deviceConfig() const { return device_; }

  // The config for this start. Takes a try of a pending slot, rolls back one whose tries
  // are spent or whose config cannot be read; a state directory that cannot be used is
  // logged and the device's own config runs. Never fails.
  ServiceConfig choose();
  // The start or the trial of `ran` failed with `why`: when `ran` is a bundle and the error
  // is the bundle's (not the camera's), the slot is rolled back and true returned: choose()
  // again. False: the caller handles the error as before.
  bool rollBack(const ServiceConfig& ran, const Error& why);
  bool rollBack(const ServiceConfig& ran, std::string_view why);
  void attach(Service* service) { service_ = service; }

  void healthy(std::string_view summary, bool trialPassed) override;

 private:
  std::optional<update::SlotStore> openStore();
  std::array<std::string, 2> slotStates(const update::SlotStore& store) const;

  ServiceConfig device_;
  Service* service_ = nullptr;
  std::string running_;  // the version chosen ("" : the device's own)
  bool wroteHealth_ = false;
};

}  // namespace edgert::runtime
