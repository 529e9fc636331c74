# The installation a user or packager gets: `cmake --install` of this build into a scratch
# DESTDIR, then the installed executable under both its names, the bash completion, the man page
# and the shared files. Label `install`; the script says what it checks.
add_test(NAME install.installed_tree
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/install_test.sh
                 ${PROJECT_BINARY_DIR} $<CONFIG> ${PROJECT_SOURCE_DIR}
                 ${PROJECT_VERSION} ${NETADMIT_GIT_COMMIT}
                 "$<$<STREQUAL:$<CONFIG>,>:None>$<CONFIG>")
set_tests_properties(install.installed_tree PROPERTIES LABELS install TIMEOUT 120)
