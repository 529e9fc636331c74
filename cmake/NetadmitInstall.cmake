# What `cmake --install` puts under the prefix besides the executable, its kubectl plugin name,
# completions and man page (server/CMakeLists.txt):
#   share/netadmit/manifests/       the kustomize base, components and overlays
#   share/netadmit/certs/           netadmit-certs.sh (it finds ../manifests/base from there)
#   share/netadmit/rules/           the default rule set, a starting point for your own
#   share/doc/netadmit/             README.md and docs/

set(NETADMIT_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/netadmit)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/manifests/
        DESTINATION ${NETADMIT_INSTALL_DATADIR}/manifests)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/certs/netadmit-certs.sh
        DESTINATION ${NETADMIT_INSTALL_DATADIR}/certs)
install(FILES ${PROJECT_SOURCE_DIR}/policy-rules/default-rules.yaml
        DESTINATION ${NETADMIT_INSTALL_DATADIR}/rules)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# README.md links to docs/..., so the folder keeps its name.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")
