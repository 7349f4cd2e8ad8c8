#include "edgert/hal/inventory.hpp"

#include <fmt/format.h>
#include <xf86drm.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace edgert::hal {
namespace {

std::string busName(int bustype) {
  switch (bustype) {
    case DRM_BUS_PCI: return "pci";
    case DRM_BUS_USB: return "usb";
    case DRM_BUS_PLATFORM: return "platform";
    case DRM_BUS_HOST1X: return "host1x";
    default: return fmt::format("bus{}", bustype);
  }
}

std::string busId(const drmDevice& dev) {
  switch (dev.bustype) {
    case DRM_BUS_PCI:
      return fmt::format("{:04x}:{:02x}:{:02x}.{}", dev.businfo.pci->domain, dev.businfo.pci->bus,
                         dev.businfo.pci->dev, dev.businfo.pci->func);
    case DRM_BUS_USB:
      return fmt::format("{}-{}", dev.businfo.usb->bus, dev.businfo.usb->dev);
    case DRM_BUS_PLATFORM: return dev.businfo.platform->fullname;
    case DRM_BUS_HOST1X: return dev.businfo.host1x->fullname;
    default: return {};
  }
}

// The kernel driver's name, asked of the node itself.
std::string driverName(const std::string& node) {
  const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fmt::format("unknown (open {}: errno {})", node, errno);
  std::string name = "unknown";
  if (drmVersionPtr v = drmGetVersion(fd)) {
    name.assign(v->name, static_cast<size_t>(v->name_len));
    drmFreeVersion(v);
  }
  ::close(fd);
  return name;
}

}  // namespace

Result<std::vector<DrmDevice>> probeDrm() {
  std::vector<DrmDevice> out;
  const int count = drmGetDevices2(0, nullptr, 0);
  // No /dev/dri at all (a headless machine, a container) means no DRM devices.
  if (count == -ENOENT || count == 0) return out;
  if (count < 0) return Error::fromErrno(-count, "drmGetDevices2");
  std::vector<drmDevicePtr> devices(static_cast<size_t>(count));
  const int got = drmGetDevices2(0, devices.data(), count);
  if (got < 0) return Error::fromErrno(-got, "drmGetDevices2");
  for (int i = 0; i < got; ++i) {
    const drmDevice& d = *devices[static_cast<size_t>(i)];
    DrmDevice dev;
    dev.bus = busName(d.bustype);
    dev.busId = busId(d);
    if (d.available_nodes & (1 << DRM_NODE_PRIMARY)) dev.primaryNode = d.nodes[DRM_NODE_PRIMARY];
    if (d.available_nodes & (1 << DRM_NODE_RENDER)) dev.renderNode = d.nodes[DRM_NODE_RENDER];
    const std::string& node = dev.renderNode.empty() ? dev.primaryNode : dev.renderNode;
    dev.driver = node.empty() ? "unknown" : driverName(node);
    out.push_back(std::move(dev));
  }
  drmFreeDevices(devices.data(), got);
  return out;
}

}  // namespace edgert::hal
