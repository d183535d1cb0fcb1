# Install-time part of packaging/CMakeLists.txt (run by `cmake --install`, CMAKE_INSTALL_PREFIX
# is the prefix of this install): configures the systemd units with the absolute install dirs,
# installs them (system: lib/systemd/system, user: lib/systemd/user) and the sysusers.d entry,
# and the default topology <sysconfdir>/ksim/topology.json unless one is there (an admin's edit
# survives a reinstall).
include(GNUInstallDirs)  # only for GNUInstallDirs_get_absolute_install_dir: the dirs are set already
GNUInstallDirs_get_absolute_install_dir(KSIM_FULL_BINDIR CMAKE_INSTALL_BINDIR BINDIR)
GNUInstallDirs_get_absolute_install_dir(KSIM_FULL_SYSCONFDIR CMAKE_INSTALL_SYSCONFDIR SYSCONFDIR)
GNUInstallDirs_get_absolute_install_dir(KSIM_FULL_DOCDIR CMAKE_INSTALL_DOCDIR DOCDIR)

foreach(unit system/ksimd.service system/ksim-graphmgr.service user/ksimd.service)
  get_filename_component(kind "${unit}" DIRECTORY)
  get_filename_component(name "${unit}" NAME)
  set(template "${KSIM_PACKAGING_DIR}/systemd/${name}.in")
  if(kind STREQUAL "user")
    set(template "${KSIM_PACKAGING_DIR}/systemd/user/${name}.in")
  endif()
  configure_file("${template}" "${KSIM_UNITS_BUILD_DIR}/${unit}" @ONLY)
  file(INSTALL "${KSIM_UNITS_BUILD_DIR}/${unit}" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/${kind}")
endforeach()
file(INSTALL "${KSIM_PACKAGING_DIR}/sysusers/ksim.conf" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d")

set(topology "$ENV{DESTDIR}${KSIM_FULL_SYSCONFDIR}/ksim/topology.json")
if(EXISTS "${topology}")
  message(STATUS "Keeping: ${topology}")
else()
  file(INSTALL "${KSIM_DEFAULT_TOPOLOGY}" DESTINATION "${KSIM_FULL_SYSCONFDIR}/ksim" RENAME topology.json)
endif()
