# Install rules' packaging: `cmake --build --preset host --target package` writes
# edgert_<version>_<arch>.deb (the device package: /usr/bin/edgert, the systemd unit, the
# default config as a conffile, the board files, the udev, sysusers, tmpfiles.d and modules-load.d files, the
# docs) and, on a native build, edgert-tools_<version>_<arch>.deb (the model compiler,
# which alone needs protobuf and libonnx). Runtime Depends come from dpkg-shlibdeps on
# the binaries plus the libraries edgert opens with dlopen, which no NEEDED entry names.
# Cross builds run dpkg-shlibdeps for the target's Debian architecture
# (toolchain/package/cpack-project.cmake.in).
include(GNUInstallDirs)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(EDGERT_DEB_ARCH arm64)
  set(EDGERT_DEB_MULTIARCH aarch64-linux-gnu)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(EDGERT_DEB_ARCH amd64)
  set(EDGERT_DEB_MULTIARCH x86_64-linux-gnu)
else()
  message(STATUS "edgert: no Debian architecture for ${CMAKE_SYSTEM_PROCESSOR}; no package target")
  return()
endif()

set(pkg ${PROJECT_SOURCE_DIR}/toolchain/package)

# The docs every Debian package carries: copyright and a compressed changelog (gzip -n:
# no name or time in the header, so the package is reproducible).
set(changelog ${CMAKE_CURRENT_BINARY_DIR}/package/changelog)
configure_file(${pkg}/changelog.in ${changelog} @ONLY)
set(changelog_gz ${CMAKE_CURRENT_BINARY_DIR}/package/changelog.gz)
add_custom_command(OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/package
  COMMAND sh -c "gzip -9n -c \"$0\" > \"$1\"" ${changelog} ${changelog_gz}
  DEPENDS ${changelog} VERBATIM)
add_custom_target(edgert_package_docs ALL DEPENDS ${changelog_gz})
install(FILES ${pkg}/copyright ${changelog_gz} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/edgert
        COMPONENT device)
if(TARGET edgert-compile)
  install(TARGETS edgert-compile RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  install(FILES ${pkg}/copyright ${changelog_gz} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/edgert-tools
          COMPONENT tools)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgert)
set(CPACK_PACKAGE_VENDOR "edgert")
set(CPACK_PACKAGE_CONTACT "edgert maintainers <maintainers@edgert.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${EDGERT_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_DEVICE_PACKAGE_NAME edgert)
set(CPACK_DEBIAN_DEVICE_PACKAGE_SECTION misc)
# dlopen'ed when first needed (hal/include/edgert/base/shared_library.hpp): libsystemd
# (journal, sd_notify, logind), libv4l2 (cameras), libpng (PNG sources), libarchive and
# libcrypto (bundles, slots, pinned checksums: runtime/src/update/bundle_libraries.hpp).
# procps: /bin/kill, the unit's ExecReload.
set(CPACK_DEBIAN_DEVICE_PACKAGE_DEPENDS "libsystemd0, libv4l-0, libpng16-16, libarchive13, libssl3, systemd, procps, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_DEVICE_PACKAGE_SUGGESTS "prometheus-node-exporter, edgert-tools")
# Each package's description starts with its own synopsis line; CPack prepends the
# project's summary unless the summary is its own default, so it is set to that.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_DEBIAN_DEVICE_DESCRIPTION "camera inference service for edge devices
edgert captures frames from a V4L2 camera, runs a compiled neural network on
every frame with CPU kernels sized once at start-up, and publishes detections
and telemetry to the journal, the serial console and Prometheus. It runs as a
hardened systemd service with a watchdog fed only while it makes progress.
.
Model images are compiled on a host with edgert-compile (package edgert-tools).")
configure_file(${pkg}/conffiles.in ${CMAKE_CURRENT_BINARY_DIR}/package/conffiles @ONLY)
set(CPACK_DEBIAN_DEVICE_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_BINARY_DIR}/package/conffiles ${pkg}/postinst ${pkg}/prerm ${pkg}/postrm)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME edgert-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "host tools for edgert: the model compiler
edgert-compile reads an ONNX model and writes the flat, checksummed model
image with its static memory plan that the edgert service maps on the device.")

if(TARGET edgert-compile)
  set(CPACK_COMPONENTS_ALL device tools)
else()
  set(CPACK_COMPONENTS_ALL device)
endif()

configure_file(${pkg}/cpack-project.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/package/cpack-project.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/package/cpack-project.cmake)
include(CPack)
