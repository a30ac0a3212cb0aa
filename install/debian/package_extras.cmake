# CPack pre-build script: files that belong in the .deb only, added to its staging tree after
# the install step. An installation by vq-install under ~/.local or /usr/local has no use for
# lintian's overrides. (Not file(INSTALL): it would put DESTDIR in front once more.)
set(overrides "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/share/lintian/overrides")
file(MAKE_DIRECTORY "${overrides}")
file(COPY_FILE "${CMAKE_CURRENT_LIST_DIR}/lintian-overrides" "${overrides}/vq")
