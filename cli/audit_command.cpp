// `netadmit audit`: judges what exists against every rule. The objects come from the API server
// (page by page) or from manifests; the judging is the core's (rules/audit.h); this file reads
// flags and objects, and prints through audit_report.h.

#include "cli/audit_command.h"

#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli/audit_report.h"
#include "cli/check_command.h"
#include "cli/command_failure.h"
#include "cli/exceptions_command.h"
#include "files/inputs.h"
#include "kube/config.h"
#include "kube/list_pages.h"
#include "kube/watcher.h"
#include "netadmit/rules/audit.h"
#include "netadmit/rules/check.h"

namespace netadmit::cli {

namespace {

constexpr std::chrono::milliseconds kRequestTimeout{30'000};

struct AuditFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> cluster_state;
  std::string kubeconfig;
  std::string context;
  std::string rules;
  std::string namespace_name = "default";
  std::string output = "text";
  std::string report_api = "wgpolicyk8s.io/v1alpha2";
  int max_results = 1000;
  int max_exception_days = kDefaultMaxExceptionDays;
  int page_limit = kube::kListPageLimit;
};

constexpr CommandFailure kCommand("audit");

// Manifests: the cluster is the --cluster-state objects and the manifests; each object is judged
// once (a manifest stands for the state object of the same kind, namespace and name).
AuditReport AuditManifests(const AuditFlags& flags, const RuleSet& rules) {
  const std::vector<ManifestObject> manifests = kCommand.Must(ReadAllManifests(flags.inputs));
  const std::vector<ManifestObject> state = kCommand.Must(ReadAllManifests(flags.cluster_state));
  const auto cluster = kCommand.Must(
      ClusterOfManifests(state, manifests, flags.namespace_name, Undecodable::kLeaveOut));
  Audit audit(rules, *cluster);
  std::set<std::tuple<std::string, std::string, std::string>> judged;
  for (const auto* objects : {&manifests, &state}) {
    for (const ManifestObject& manifest : *objects) {
      const rapidjson::Value& json = *manifest.object;
      const rapidjson::Value* metadata = JsonMember(json, "metadata");
      const rapidjson::Value* kind = JsonMember(json, "kind");
      const rapidjson::Value* name = metadata ? JsonMember(*metadata, "name") : nullptr;
      const rapidjson::Value* ns = metadata ? JsonMember(*metadata, "namespace") : nullptr;
      auto text = [](const rapidjson::Value* value) {
        return value != nullptr && value->IsString() ? std::string(value->GetString())
                                                     : std::string();
      };
      if (!judged.emplace(text(kind), text(ns), text(name)).second) {
        continue;
      }
      audit.Judge(json, nullptr, flags.namespace_name);
    }
  }
  audit.JudgeCluster();
  return audit.Finish();
}

kube::ClusterConfig Connection(const AuditFlags& flags);

AuditReport AuditLive(const AuditFlags& flags, const RuleSet& rules) {
  ClusterCache cluster;
  kube::WatchOptions options;
  options.config = Connection(flags);
  options.request_timeout = kRequestTimeout;
  kube::Watcher api(std::move(options), cluster);
  if (auto started = api.Start(); !started) {
    kCommand.Fail(started.error().ToString());
  }
  kCommand.Must(kube::ListIntoCache(api, cluster, flags.page_limit));
  Audit audit(rules, cluster);
  // The cluster-scoped policies exist only where their CRDs are installed: discovery says.
  kCommand.Must(kube::ForEachAuditedKind(api, [&](const AuditedKind& kind) {
    const TypeMeta type{std::string(kind.api_version), std::string(kind.kind)};
    return kube::ListItems(
        api, kind.path, "list of " + type.kind + "s",
        [&](const rapidjson::Value& item) { audit.Judge(item, &type); }, flags.page_limit);
  }));
  api.Stop();
  audit.JudgeCluster();
  return audit.Finish();
}

kube::ClusterConfig Connection(const AuditFlags& flags) {
  if (!flags.kubeconfig.empty()) {
    return kCommand.Must(kube::LoadKubeconfig(flags.kubeconfig, flags.context));
  }
  const kube::GetEnv getenv = [](const char* name) { return std::getenv(name); };
  if (kube::InClusterEnvironment(getenv)) {
    return kCommand.Must(kube::InClusterConfig(getenv));
  }
  kCommand.Fail("give the objects with -f, or a cluster with --kubeconfig (or run in a pod)");
}

int Run(const AuditFlags& flags) {
  if (!flags.inputs.empty() && !flags.kubeconfig.empty()) {
    kCommand.Fail("-f audits manifests and --kubeconfig a cluster: give one");
  }
  if (flags.inputs.empty() && !flags.cluster_state.empty()) {
    kCommand.Fail("--cluster-state goes with -f");
  }
  const auto rules = kCommand.Must(LoadRulesFrom(
      flags.rules, LoadLimits{std::chrono::system_clock::now(), flags.max_exception_days}));
  const AuditReport report =
      flags.inputs.empty() ? AuditLive(flags, *rules) : AuditManifests(flags, *rules);
  if (flags.output == "json") {
    std::cout << RenderAuditJson(report);
  } else if (flags.output == "policyreport") {
    const ReportApi api = flags.report_api == "openreports.io/v1alpha1" ? ReportApi::kOpenReports
                                                                        : ReportApi::kWgPolicy;
    std::cout << RenderPolicyReports(report, api, flags.max_results,
                                     static_cast<long long>(std::time(nullptr)));
  } else {
    std::cout << RenderAuditText(report);
  }
  return report.Failed() ? 1 : 0;
}

}  // namespace

void AddAuditCommand(CLI::App& app) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* audit = app.add_subcommand(
      "audit",
      "Judge everything that exists, in a cluster or in manifests, against every rule, whatever "
      "its action (exit 1 on a fail result)");
  audit
      ->add_option("-f,--filename", flags->inputs,
                   "Manifest file, directory, or - for standard input (repeatable); kubectl "
                   "get -o yaml output works")
      ->type_name("PATH");
  audit
      ->add_option("--cluster-state", flags->cluster_state,
                   "With -f: more of what the cluster holds (kubectl get -A -o yaml output)")
      ->type_name("PATH");
  audit->add_option("--kubeconfig", flags->kubeconfig, "Audit the cluster of this kubeconfig")
      ->type_name("FILE");
  audit->add_option("--kube-context", flags->context,
                    "Context of --kubeconfig (default: its current context)");
  audit->add_option("--rules", flags->rules,
                    "Rule-set file or directory (default: the built-in rule set)");
  audit
      ->add_option("--namespace", flags->namespace_name,
                   "With -f: namespace of objects that name none")
      ->capture_default_str();
  audit->add_option("-o,--output", flags->output, "text, json or policyreport")
      ->check(CLI::IsMember({"text", "json", "policyreport"}))
      ->capture_default_str();
  audit
      ->add_option("--report-api", flags->report_api,
                   "With -o policyreport: wgpolicyk8s.io/v1alpha2 (PolicyReport) or "
                   "openreports.io/v1alpha1 (Report)")
      ->check(CLI::IsMember({"wgpolicyk8s.io/v1alpha2", "openreports.io/v1alpha1"}))
      ->capture_default_str();
  audit
      ->add_option("--audit-max-results", flags->max_results,
                   "With -o policyreport: results per report at most, worst first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  audit
      ->add_option("--page-limit", flags->page_limit,
                   "With --kubeconfig: objects per LIST page (fewer for very large objects)")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  AddMaxExceptionDays(*audit, flags->max_exception_days);
  audit->callback([flags] {
    const int code = Run(*flags);
    std::cout.flush();
    if (code != 0) {
      throw CLI::RuntimeError(code);
    }
    throw CLI::Success();
  });
}

}  // namespace netadmit::cli
