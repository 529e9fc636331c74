#include "../policy-rules/rules/kinds/no_host_network.h"

#include <gtest/gtest.h>

#include "rule_kind_testing.h"

namespace netadmit {
namespace {

using testing::DecodeYaml;
using testing::ExpectPaths;
using testing::Messages;
using testing::MustCompile;
using testing::RunCheck;

Object Pod(const std::string& spec) {
  return DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: " + spec + "\n");
}

Object Deployment(const std::string& pod_spec) {
  return DecodeYaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: "
      "{template: {metadata: {labels: {app: web}}, spec: " +
      pod_spec + "}}\n");
}

Object CronJob(const std::string& pod_spec) {
  return DecodeYaml(
      "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: web, namespace: shop}\nspec: "
      "{jobTemplate: {spec: {template: {spec: " +
      pod_spec + "}}}}\n");
}

TEST(NoHostNetworkTest, Cases) {
  ExpectPaths(
      NoHostNetworkKind(),
      {
          {"plain pod", "", Pod("{containers: [{name: web, ports: [{containerPort: 80}]}]}"), {}},
          {"hostNetwork: false", "", Pod("{hostNetwork: false, containers: [{name: web}]}"), {}},
          {"hostPort 0 is unset",
           "",
           Pod("{containers: [{name: web, ports: [{containerPort: 80, hostPort: 0}]}]}"),
           {}},
          {"hostPort allowed",
           "{allowHostPort: true}",
           Pod("{containers: [{name: web, ports: [{containerPort: 80, hostPort: 8080}]}]}"),
           {}},
          {"hostNetwork",
           "",
           Pod("{hostNetwork: true, containers: [{name: web}]}"),
           {"spec.hostNetwork"}},
          {"hostNetwork even when hostPort is allowed",
           "{allowHostPort: true}",
           Pod("{hostNetwork: true, containers: [{name: web}]}"),
           {"spec.hostNetwork"}},
          {"hostNetwork in a Deployment",
           "",
           Deployment("{hostNetwork: true, containers: [{name: web}]}"),
           {"spec.template.spec.hostNetwork"}},
          {"hostNetwork in a CronJob",
           "",
           CronJob("{hostNetwork: true, containers: [{name: web}]}"),
           {"spec.jobTemplate.spec.template.spec.hostNetwork"}},
          {"hostPorts of containers and init containers",
           "",
           Pod("{containers: [{name: a}, {name: b, ports: [{containerPort: 80}, {containerPort: "
               "443, hostPort: 8443}]}], initContainers: [{name: init, ports: [{containerPort: "
               "9, hostPort: 9}]}]}"),
           {"spec.containers[1].ports[1].hostPort", "spec.initContainers[0].ports[0].hostPort"}},
          {"hostPort in a Deployment",
           "",
           Deployment("{containers: [{name: web, ports: [{containerPort: 80, hostPort: 80}]}]}"),
           {"spec.template.spec.containers[0].ports[0].hostPort"}},
      });
}

TEST(NoHostNetworkTest, Messages) {
  const auto check = MustCompile(NoHostNetworkKind(), "");
  EXPECT_EQ(
      Messages("no-host-network",
               RunCheck(check.get(),
                        Deployment("{hostNetwork: true, containers: [{name: web, ports: "
                                   "[{containerPort: 80, hostPort: 8080}]}], initContainers: "
                                   "[{name: setup, ports: [{containerPort: 1, hostPort: 1}]}]}"))),
      (std::vector<std::string>{
          "[no-host-network] pod uses the node's network, bypassing NetworkPolicy (hostNetwork: "
          "true) at spec.template.spec.hostNetwork \u2014 remove `hostNetwork`; expose the pod "
          "through a Service",
          "[no-host-network] container port is opened on the node (hostPort 8080 on container "
          "web) at spec.template.spec.containers[0].ports[0].hostPort \u2014 remove `hostPort`; "
          "expose the port through a Service",
          "[no-host-network] container port is opened on the node (hostPort 1 on init container "
          "setup) at spec.template.spec.initContainers[0].ports[0].hostPort \u2014 remove "
          "`hostPort`; expose the port through a Service",
      }));
}

TEST(NoHostNetworkTest, IgnoresNetworkPolicies) {
  const auto check = MustCompile(NoHostNetworkKind(), "");
  EXPECT_TRUE(RunCheck(check.get(), testing::Policy("{ingress: [{}]}")).empty());
}

TEST(NoHostNetworkTest, ParamErrors) {
  EXPECT_EQ(testing::CompileError(NoHostNetworkKind(), "allowHostPort: \"false\"").ToString(),
            "rules.yaml:1:16: spec.rules[0].params.allowHostPort: must be true or false, got "
            "string \"false\"");
  EXPECT_EQ(testing::CompileError(NoHostNetworkKind(), "allowHostPorts: true").ToString(),
            "rules.yaml:1:1: spec.rules[0].params.allowHostPorts: unknown field "
            "\"allowHostPorts\"");
  EXPECT_EQ(NoHostNetworkKind().target, Target::kPodTemplate);
}

}  // namespace
}  // namespace netadmit
