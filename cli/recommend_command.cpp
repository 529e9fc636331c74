// `netadmit recommend`: the command line over netadmit/connectivity/recommend.h. This file reads
// the flags, the manifests and the flow log (a line at a time, through FlowReplay, so memory
// follows the distinct connections), asks the core for the proven recommendation, runs the rule
// set over it when asked, and prints through recommend_report.h.

#include "cli/recommend_command.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/command_failure.h"
#include "files/inputs.h"
#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/connectivity/reach.h"
#include "netadmit/rules/check.h"

namespace netadmit::cli {

namespace {

struct RecommendFlags {
  std::vector<std::string> inputs;
  std::string flows;  // a flow log, or "-"
  std::string namespace_name;
  std::string output = "yaml";
  std::vector<std::string> label_keys;
  std::string cidr_prefix;  // "N" or "N,M" (IPv4, IPv6)
  bool existing = false;
  std::string rules;
};

// The recommendation failed its proof: a defect, told apart from bad input.
constexpr int kUnproven = 1;

constexpr CommandFailure kCommand("recommend");

// "24" or "24,64": the IPv4 prefix length, and the IPv6 one when given.
void ParseCidrPrefix(const std::string& text, RecommendOptions& options) {
  const auto number = [&](std::string_view part, int most) {
    int value = -1;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || value < 0 ||
        value > most) {
      kCommand.Fail(
          "--cidr-prefix takes a prefix length for IPv4 (0 to 32), optionally with one "
          "for IPv6 (0 to 128): 24 or 24,64, not \"" +
          text + "\"");
    }
    return value;
  };
  const std::string_view all(text);
  const auto comma = all.find(',');
  options.ipv4_prefix = number(all.substr(0, comma), 32);
  if (comma != std::string_view::npos) {
    options.ipv6_prefix = number(all.substr(comma + 1), 128);
  }
}

RecommendOptions OptionsOf(const RecommendFlags& flags) {
  RecommendOptions options;
  options.namespace_name = flags.namespace_name;
  options.keep_existing = flags.existing;
  if (!flags.label_keys.empty()) {
    for (const std::string& key : flags.label_keys) {
      if (key.empty()) {
        kCommand.Fail("--label-keys takes label keys separated by commas, none of them empty");
      }
    }
    options.label_keys = flags.label_keys;
  }
  if (!flags.cidr_prefix.empty()) {
    ParseCidrPrefix(flags.cidr_prefix, options);
  }
  return options;
}

int Run(const RecommendFlags& flags) {
  const RecommendOptions options = OptionsOf(flags);
  const std::string default_namespace =
      flags.namespace_name.empty() ? "default" : flags.namespace_name;
  const std::vector<ManifestObject> manifests = kCommand.Must(ReadAllManifests(flags.inputs));
  const ReachInput input = kCommand.Must(BuildReachInput(manifests, default_namespace));
  const Connectivity engine = kCommand.Must(Connectivity::Build(input.state));
  if (!flags.namespace_name.empty() && engine.FindNamespace(flags.namespace_name) == nullptr) {
    kCommand.Fail("namespace " + flags.namespace_name + " is not in the input");
  }
  FlowReplay replay(engine);
  kCommand.Must(ReadFlowLog(flags.flows, replay));
  ReplaySummary observed = replay.Summary();
  for (Error& error : observed.first_errors) {
    error.file = flags.flows == "-" ? "<stdin>" : flags.flows;
  }
  auto recommendation = Recommend(engine, observed.connections, options);
  if (!recommendation) {
    std::cerr << "netadmit recommend: " << recommendation.error().ToString() << '\n';
    return kUnproven;
  }
  RuleFlags rule_flags;
  if (!flags.rules.empty()) {
    const auto rules = kCommand.Must(LoadRulesFrom(flags.rules, LoadLimits{}));
    rule_flags =
        kCommand.Must(FlagRecommendation(*rules, *recommendation, manifests, default_namespace));
  }
  std::cout << (flags.output == "json" ? RenderPoliciesJson(*recommendation, rule_flags)
                                       : RenderPoliciesYaml(*recommendation, rule_flags));
  std::cout.flush();
  std::cerr << "netadmit recommend: "
            << RenderRecommendSummary(*recommendation, observed, rule_flags);
  return 0;
}

}  // namespace

Result<RuleFlags> FlagRecommendation(const RuleSet& rules, const Recommendation& recommendation,
                                     const std::vector<ManifestObject>& cluster,
                                     const std::string& default_namespace) {
  // Judged as written out, so the rules see exactly what would be applied.
  auto policies = ParseManifests("recommended", RenderPoliciesJson(recommendation, {}));
  if (!policies) {
    return policies.error();
  }
  CheckOptions options;
  options.manifests = std::move(policies.value());
  options.cluster_state = cluster;
  options.default_namespace = default_namespace;
  auto report = RunCheck(rules, options);
  if (!report) {
    return report.error();
  }
  RuleFlags flags;
  for (const ObjectReport& object : report->objects) {
    for (const Finding& finding : object.evaluation.findings) {
      if (!finding.exemption) {
        flags[{object.namespace_name, object.name}].push_back(
            {ActionName(finding.action), finding.Message()});
      }
    }
  }
  return flags;
}

void AddRecommendCommand(CLI::App& app) {
  auto flags = std::make_shared<RecommendFlags>();
  CLI::App* recommend = app.add_subcommand(
      "recommend",
      "Recommend least-privilege NetworkPolicies from observed traffic: per namespace a default "
      "deny and, per workload, the ingress and egress the flow log saw, proven to let it through");
  recommend
      ->add_option("-f,--filename", flags->inputs,
                   "Manifest file, directory, or - for standard input (repeatable): the cluster's "
                   "namespaces, pods and policies, e.g. kubectl get namespaces,pods,"
                   "networkpolicies -A -o yaml")
      ->type_name("PATH")
      ->required();
  recommend
      ->add_option("--flows", flags->flows,
                   "The observed traffic: hubble observe -o json or -o jsonpb, or JSON lines "
                   "{from, to, port, protocol}; - for standard input")
      ->type_name("FILE")
      ->required();
  recommend->add_option("--namespace", flags->namespace_name,
                        "Recommend for this namespace only (default: every namespace an observed "
                        "connection has a pod in)");
  recommend->add_option("-o,--output", flags->output, "yaml, or json (a List)")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  recommend
      ->add_option("--label-keys", flags->label_keys,
                   "Label keys naming a pod's workload, the first the pod carries selecting it "
                   "(default: app.kubernetes.io/name,app; a pod with none is selected by all its "
                   "labels but pod-template-hash and the like)")
      ->delimiter(',')
      ->type_name("KEY,...");
  recommend
      ->add_option("--cidr-prefix", flags->cidr_prefix,
                   "Allow addresses outside the cluster as blocks of this prefix length instead "
                   "of one by one (/32, /128): N for IPv4, or N,M for IPv4 and IPv6")
      ->type_name("N[,M]");
  recommend->add_flag("--existing", flags->existing,
                      "Keep the policies of the input and recommend only the additions the "
                      "observed connections they deny need");
  recommend
      ->add_option("--rules", flags->rules,
                   "Run this rule set (file or directory) over the recommended policies, as "
                   "netadmit check does, and flag the policies a rule would refuse")
      ->type_name("PATH");
  recommend->footer(
      "Exit status: 0 policies recommended (flags from --rules included), 1 the recommended "
      "policies would deny an observed connection (a defect: nothing is printed), 2 bad input "
      "or flags.");
  recommend->callback([flags] {
    const int status = Run(*flags);
    if (status != 0) {
      throw CLI::RuntimeError(status);
    }
    throw CLI::Success();
  });
}

}  // namespace netadmit::cli
