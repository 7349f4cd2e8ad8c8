#include "edgert/hal/inventory.hpp"

#include <CL/cl.h>

#include <string>
#include <vector>

namespace edgert::hal {
namespace {

// From cl_khr_icd: the loader found no platform at all.
constexpr cl_int kPlatformNotFoundKhr = -1001;

std::string platformString(cl_platform_id platform, cl_platform_info what) {
  size_t size = 0;
  if (clGetPlatformInfo(platform, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
  std::string s(size, '\0');
  if (clGetPlatformInfo(platform, what, size, s.data(), nullptr) != CL_SUCCESS) return {};
  s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
  return s;
}

std::string deviceString(cl_device_id device, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
  std::string s(size, '\0');
  if (clGetDeviceInfo(device, what, size, s.data(), nullptr) != CL_SUCCESS) return {};
  s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
  return s;
}

template <typename T>
T deviceValue(cl_device_id device, cl_device_info what) {
  T value{};
  if (clGetDeviceInfo(device, what, sizeof value, &value, nullptr) != CL_SUCCESS) return T{};
  return value;
}

std::string deviceTypeName(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return "gpu";
  if (type & CL_DEVICE_TYPE_CPU) return "cpu";
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  if (type & CL_DEVICE_TYPE_CUSTOM) return "custom";
  return "unknown";
}

}  // namespace

Result<std::vector<OpenClPlatform>> probeOpenCl() {
  cl_uint count = 0;
  const cl_int rc = clGetPlatformIDs(0, nullptr, &count);
  if (rc == kPlatformNotFoundKhr || (rc == CL_SUCCESS && count == 0)) {
    return makeError(Errc::kNotFound,
                     "no OpenCL platform: the ICD loader found no driver for this architecture "
                     "in /etc/OpenCL/vendors (or $OCL_ICD_VENDORS)");
  }
  if (rc != CL_SUCCESS) {
    return makeError(Errc::kIo, "clGetPlatformIDs failed with OpenCL error {}", rc);
  }
  std::vector<cl_platform_id> ids(count);
  if (const cl_int r = clGetPlatformIDs(count, ids.data(), nullptr); r != CL_SUCCESS) {
    return makeError(Errc::kIo, "clGetPlatformIDs failed with OpenCL error {}", r);
  }

  std::vector<OpenClPlatform> platforms;
  for (cl_platform_id id : ids) {
    OpenClPlatform p;
    p.name = platformString(id, CL_PLATFORM_NAME);
    p.vendor = platformString(id, CL_PLATFORM_VENDOR);
    p.version = platformString(id, CL_PLATFORM_VERSION);
    cl_uint ndev = 0;
    if (clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, 0, nullptr, &ndev) == CL_SUCCESS && ndev > 0) {
      std::vector<cl_device_id> devs(ndev);
      if (clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, ndev, devs.data(), nullptr) == CL_SUCCESS) {
        for (cl_device_id d : devs) {
          OpenClDevice dev;
          dev.name = deviceString(d, CL_DEVICE_NAME);
          dev.vendor = deviceString(d, CL_DEVICE_VENDOR);
          dev.type = deviceTypeName(deviceValue<cl_device_type>(d, CL_DEVICE_TYPE));
          dev.version = deviceString(d, CL_DEVICE_VERSION);
          dev.driverVersion = deviceString(d, CL_DRIVER_VERSION);
          dev.computeUnits = deviceValue<cl_uint>(d, CL_DEVICE_MAX_COMPUTE_UNITS);
          dev.globalMemBytes = deviceValue<cl_ulong>(d, CL_DEVICE_GLOBAL_MEM_SIZE);
          dev.localMemBytes = deviceValue<cl_ulong>(d, CL_DEVICE_LOCAL_MEM_SIZE);
          dev.fp16 = deviceString(d, CL_DEVICE_EXTENSIONS).find("cl_khr_fp16") != std::string::npos;
          p.devices.push_back(std::move(dev));
        }
      }
    }
    platforms.push_back(std::move(p));
  }
  return platforms;
}

}  // namespace edgert::hal
