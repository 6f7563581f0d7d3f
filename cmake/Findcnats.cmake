# Findcnats: the NATS C client (Debian libnats-dev) as the imported target
# cnats::nats, as its own CMake package names it.
#
# Debian 12's cnats-config.cmake (libnats-dev 3.4.1) also declares
# cnats::nats_static and fails when libnats_static.a is absent, which that
# package does not ship; so the shared library and header are found
# directly instead.
include(FindPackageHandleStandardArgs)

find_path(CNATS_INCLUDE_DIR nats/nats.h)
find_library(CNATS_LIBRARY nats)
if(CNATS_INCLUDE_DIR AND EXISTS "${CNATS_INCLUDE_DIR}/nats/version.h")
  file(STRINGS "${CNATS_INCLUDE_DIR}/nats/version.h" _cnats_version_line
       REGEX "^#define NATS_VERSION_STRING")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" cnats_VERSION "${_cnats_version_line}")
endif()
find_package_handle_standard_args(cnats
  REQUIRED_VARS CNATS_LIBRARY CNATS_INCLUDE_DIR
  VERSION_VAR cnats_VERSION)

if(cnats_FOUND AND NOT TARGET cnats::nats)
  add_library(cnats::nats SHARED IMPORTED)
  set_target_properties(cnats::nats PROPERTIES
    IMPORTED_LOCATION "${CNATS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CNATS_INCLUDE_DIR}")
endif()
mark_as_advanced(CNATS_INCLUDE_DIR CNATS_LIBRARY)
