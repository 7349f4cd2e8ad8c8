// What the HAL finds on this machine: OpenCL platforms and devices (through the ICD
// loader), DRM devices (libdrm), V4L2 video devices, thermal zones and watchdogs (sysfs).
// A probe that finds nothing is not an error; a probe that cannot run says why.
#pragma once

#include "edgert/base/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgert::hal {

struct OpenClDevice {
  std::string name;
  std::string vendor;
  std::string type;           // "gpu", "cpu", "accelerator", ...
  std::string version;        // CL_DEVICE_VERSION
  std::string driverVersion;  // CL_DRIVER_VERSION
  std::uint32_t computeUnits = 0;
  std::uint64_t globalMemBytes = 0;
  std::uint64_t localMemBytes = 0;
  bool fp16 = false;          // cl_khr_fp16
};

struct OpenClPlatform {
  std::string name;
  std::string vendor;
  std::string version;
  std::vector<OpenClDevice> devices;
};

// Every platform the ICD loader offers, with its devices. kNotFound when the loader finds
// no platform at all (no driver registered in /etc/OpenCL/vendors for this architecture).
Result<std::vector<OpenClPlatform>> probeOpenCl();

struct DrmDevice {
  std::string bus;          // "pci", "usb", "platform", "host1x", "virtio"...
  std::string busId;        // "0000:01:00.0" for PCI, the device-tree name for platform
  std::string driver;       // from drmGetVersion on the node, e.g. "tegra", "virtio_gpu"
  std::string primaryNode;  // /dev/dri/cardN, empty when absent
  std::string renderNode;   // /dev/dri/renderDN, empty when absent
};

// DRM devices found by libdrm's drmGetDevices2. An empty list is not an error.
Result<std::vector<DrmDevice>> probeDrm();

struct VideoDevice {
  std::string node;  // /dev/videoN
  std::string name;  // sysfs `name`, e.g. "vivid-000-vid-cap"
};

struct ThermalZone {
  std::string zone;   // thermal_zoneN
  std::string type;   // e.g. "cpu-thermal"
  std::string state;  // "45.5 C", or "offline" (-256 C or EAGAIN), or the read error
};

struct Watchdog {
  std::string node;      // /dev/watchdogN
  std::string identity;  // e.g. "Software Watchdog"
  int timeoutS = -1;     // -1 when not readable
};

struct InventoryOptions {
  std::string sysfsRoot = "/sys";
  std::string devRoot = "/dev";
};

struct Inventory {
  Result<std::vector<OpenClPlatform>> openCl = std::vector<OpenClPlatform>{};
  Result<std::vector<DrmDevice>> drm = std::vector<DrmDevice>{};
  std::vector<VideoDevice> video;
  std::vector<ThermalZone> thermal;
  std::vector<Watchdog> watchdogs;
};

// sysfs-based probes, rooted at options.sysfsRoot (tests point them at fixture trees).
std::vector<VideoDevice> probeVideoDevices(const InventoryOptions& options);
std::vector<ThermalZone> probeThermalZones(const InventoryOptions& options);
std::vector<Watchdog> probeWatchdogs(const InventoryOptions& options);

// Runs every probe.
Inventory takeInventory(const InventoryOptions& options);

// Human-readable multi-line report; sections "OpenCL:", "DRM:", "Video:", "Thermal:",
// "Watchdog:" in that order.
std::string formatInventory(const Inventory& inventory);

}  // namespace edgert::hal
