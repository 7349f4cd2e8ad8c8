// DRM enumeration (hal/src/inventory/drm_probe.cpp) against the kernel's virtio-gpu driver
// inside the virtual board: QEMU gives the guest a virtio-gpu PCI device and vboard.sh's
// init loads virtio_gpu (and vgem, a platform device libdrm may or may not list).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "edgert/hal/inventory.hpp"

namespace edgert::hal {
namespace {

TEST(DrmVirtualBoard, VirtioGpuIsFoundWithItsNodes) {
  Result<std::vector<DrmDevice>> devices = probeDrm();
  ASSERT_TRUE(devices.ok()) << devices.error().message();
  const DrmDevice* virtio = nullptr;
  for (const DrmDevice& d : *devices) {
    std::printf("vboard-info: drm %s %s driver=%s primary=%s render=%s\n", d.bus.c_str(),
                d.busId.c_str(), d.driver.c_str(), d.primaryNode.c_str(), d.renderNode.c_str());
    if (d.driver == "virtio_gpu") virtio = &d;
  }
  ASSERT_NE(virtio, nullptr) << "no virtio_gpu among " << devices->size() << " DRM devices";
  EXPECT_EQ(virtio->bus, "pci");
  struct stat st {};
  ASSERT_FALSE(virtio->renderNode.empty());
  EXPECT_EQ(::stat(virtio->renderNode.c_str(), &st), 0) << virtio->renderNode;
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_FALSE(virtio->primaryNode.empty());
  EXPECT_EQ(::stat(virtio->primaryNode.c_str(), &st), 0) << virtio->primaryNode;
}

}  // namespace
}  // namespace edgert::hal
