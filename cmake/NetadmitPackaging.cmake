# `cpack -G DEB` in the build folder: netadmit_<version>_amd64.deb with what `cmake --install`
# installs, under /usr. Its Depends come from the executable's shared libraries
# (dpkg-shlibdeps, from dpkg-dev), so they follow whatever the build links.

set(CPACK_PACKAGE_NAME netadmit)
set(CPACK_PACKAGE_VENDOR "netadmit")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "netadmit checks NetworkPolicies, Pods and pod controllers against an organization's\n\
rules: as a Kubernetes validating admission webhook (netadmit serve), offline in CI\n\
(netadmit check), and answers who reaches whom under a set of NetworkPolicies\n\
(netadmit reach). Also runs as a kubectl plugin (kubectl netadmit).")
set(CPACK_PACKAGE_CONTACT "netadmit maintainers <maintainers@netadmit.io>"
    CACHE STRING "The Maintainer field of the Debian package")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # netadmit_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The kustomize manifests are applied with kubectl; bash-completion loads the completion.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl, bash-completion")

include(CPack)
