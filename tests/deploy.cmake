# The installation: manifests/, certs/ and the Dockerfile, checked against the built netadmit.
# Scripts and their inputs live in deploy/; each test takes seconds and needs no cluster.
set(DEPLOY_TESTS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/deploy)
find_package(Python3 COMPONENTS Interpreter)
find_program(KUBECTL kubectl)  # its built-in kustomize renders the manifests offline

# Kustomize cannot read outside manifests/base, so the base carries a copy of the default rules.
add_test(NAME deploy.default_rules_copy_matches
         COMMAND ${CMAKE_COMMAND} -E compare_files
                 ${PROJECT_SOURCE_DIR}/manifests/base/default-rules.yaml
                 ${PROJECT_SOURCE_DIR}/policy-rules/default-rules.yaml)

# netadmit-system's policies and Deployment pass the default rules outside the excluded names.
add_test(NAME deploy.netadmit_system_passes_default_rules
         COMMAND ${DEPLOY_TESTS_DIR}/netadmit_system_policies.sh $<TARGET_FILE:netadmit>
                 ${PROJECT_SOURCE_DIR})

if(Python3_Interpreter_FOUND)
  # The Deployment's own arguments start netadmit, and its probe paths answer as they should.
  add_test(NAME deploy.deployment_args_start_netadmit
           COMMAND ${DEPLOY_TESTS_DIR}/deployment_args_test.sh $<TARGET_FILE:netadmit>
                   ${PROJECT_SOURCE_DIR} ${Python3_EXECUTABLE})
  set_tests_properties(deploy.deployment_args_start_netadmit PROPERTIES SKIP_RETURN_CODE 77)
endif()

if(KUBECTL AND Python3_Interpreter_FOUND)
  set(CHECK_MANIFESTS ${Python3_EXECUTABLE} ${DEPLOY_TESTS_DIR}/check_manifests.py ${KUBECTL})
  add_test(NAME deploy.manifests COMMAND ${CHECK_MANIFESTS} ${PROJECT_SOURCE_DIR}/manifests)
  add_test(NAME deploy.manifests_cert_manager
           COMMAND ${CHECK_MANIFESTS} ${PROJECT_SOURCE_DIR}/manifests/overlays/cert-manager
                   --cert-manager)
  # The knob for the API server's addresses, combined with the cert-manager overlay.
  add_test(NAME deploy.manifests_apiserver_cidr_component
           COMMAND ${CHECK_MANIFESTS} ${PROJECT_SOURCE_DIR}/manifests/overlays/cert-manager
                   --apiserver-cidr-component)
  add_test(NAME deploy.manifest_checks_catch_mutations
           COMMAND ${DEPLOY_TESTS_DIR}/manifest_mutations.sh ${KUBECTL} ${Python3_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR})
  add_test(NAME deploy.certs_script
           COMMAND ${DEPLOY_TESTS_DIR}/certs_test.sh $<TARGET_FILE:netadmit> ${PROJECT_SOURCE_DIR}
                   ${KUBECTL} ${Python3_EXECUTABLE})
  set_tests_properties(deploy.manifests deploy.manifests_cert_manager
                       deploy.manifests_apiserver_cidr_component
                       deploy.manifest_checks_catch_mutations deploy.certs_script
                       PROPERTIES SKIP_RETURN_CODE 77)
else()
  message(WARNING "kubectl or python3 not found: the kustomize builds of manifests/ go untested")
  add_test(NAME deploy.certs_script
           COMMAND ${DEPLOY_TESTS_DIR}/certs_test.sh $<TARGET_FILE:netadmit> ${PROJECT_SOURCE_DIR})
endif()

# The image's runtime packages cover the libraries of the executable. Not with sanitizers: their
# runtimes are linked here but never in the image's release build.
find_program(DPKG dpkg)
if(DPKG AND Python3_Interpreter_FOUND AND NOT NETADMIT_SANITIZE)
  add_test(NAME deploy.image_runtime_packages
           COMMAND ${Python3_EXECUTABLE} ${DEPLOY_TESTS_DIR}/runtime_packages.py
                   ${PROJECT_SOURCE_DIR}/Dockerfile $<TARGET_FILE:netadmit>)
endif()
