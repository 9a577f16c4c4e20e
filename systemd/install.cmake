# Install rules for the deployment files: systemd unit, example configuration,
# man page, credentials drop-in example, Prometheus rules. Included from the top CMakeLists.txt
# (include(systemd/install.cmake)); binaries are installed by their own targets.
include_guard(GLOBAL)

# Unit directory: systemd's own (pkg-config systemd), overridable.
if(NOT DEFINED TBE_SYSTEMD_UNITDIR)
  set(_tbe_unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_get_variable(_tbe_pc_unitdir systemd systemdsystemunitdir)
    if(_tbe_pc_unitdir)
      set(_tbe_unitdir "${_tbe_pc_unitdir}")
    endif()
  endif()
  set(TBE_SYSTEMD_UNITDIR "${_tbe_unitdir}" CACHE PATH "Where the systemd unit is installed")
endif()

set(TBE_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
if(NOT DEFINED TBE_SYSCONFDIR)
  set(TBE_SYSCONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/trino-buffer-exporter")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/trino-buffer-exporter.service.in
               ${CMAKE_BINARY_DIR}/systemd/trino-buffer-exporter.service @ONLY)

configure_file(${CMAKE_CURRENT_LIST_DIR}/trino-buffer-exporter.socket.in
               ${CMAKE_BINARY_DIR}/systemd/trino-buffer-exporter.socket @ONLY)

install(FILES ${CMAKE_BINARY_DIR}/systemd/trino-buffer-exporter.service
              ${CMAKE_BINARY_DIR}/systemd/trino-buffer-exporter.socket
        DESTINATION ${TBE_SYSTEMD_UNITDIR} COMPONENT deploy)
install(FILES ${CMAKE_SOURCE_DIR}/docs/trino-buffer-exporter.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT deploy)
install(FILES ${CMAKE_SOURCE_DIR}/examples/exporter.conf
              ${CMAKE_SOURCE_DIR}/examples/web-config.yml
              ${CMAKE_SOURCE_DIR}/examples/web-config-mtls.yml
              ${CMAKE_CURRENT_LIST_DIR}/credentials.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT deploy)

# The alerts and recording rules for Prometheus (the chart's PrometheusRule
# rendered with its defaults) and what each one means.
install(FILES ${CMAKE_SOURCE_DIR}/examples/prometheus-rules.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/trino-buffer-exporter COMPONENT deploy)
install(FILES ${CMAKE_SOURCE_DIR}/docs/alerts.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deploy)

# The live configuration is the administrator's: install it only when absent,
# so that a re-install or upgrade never overwrites local changes.
install(CODE "
  set(_tbe_conf \"\$ENV{DESTDIR}${TBE_SYSCONFDIR}/exporter.conf\")
  if(EXISTS \"\${_tbe_conf}\")
    message(STATUS \"Keeping existing: \${_tbe_conf}\")
  else()
    file(INSTALL \"${CMAKE_SOURCE_DIR}/examples/exporter.conf\"
         DESTINATION \"${TBE_SYSCONFDIR}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}${TBE_SYSCONFDIR}/credentials\")
  file(CHMOD \"\$ENV{DESTDIR}${TBE_SYSCONFDIR}/credentials\" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
" COMPONENT deploy)
