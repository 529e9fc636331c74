// `netadmit reach`: the command line over netadmit/connectivity/reach.h and observed_flows.h.
// All answers come from the core; this file reads flags and inputs (the flow log line by line),
// picks the mode (matrix, --explain, --diff, --exposure, --flows) and prints through
// reach_report.h.

#include "cli/reach_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/command_failure.h"
#include "cli/reach_report.h"
#include "files/inputs.h"
#include "netadmit/connectivity/observed_flows.h"
#include "netadmit/connectivity/reach.h"

namespace netadmit::cli {

namespace {

struct ReachFlags {
  std::vector<std::string> inputs;
  std::string from;
  std::string to;
  std::vector<std::string> ports;
  std::string output = "table";
  std::vector<std::string> explain;  // SRC DST
  std::vector<std::string> diff;     // OLD NEW
  bool exposure = false;
  std::string flows;  // a flow log, or "-"
  bool fail_on_denied = false;
  std::string namespace_name = "default";
};

// What --flows ends with (besides 2 on bad input): 1 for malformed lines, or for denied ones
// under --fail-on-denied.
constexpr int kFlowsFound = 1;

// Prints why and ends the command with exit code 2.
constexpr CommandFailure kCommand("reach");

std::vector<PortProtocol> ParsePorts(const std::vector<std::string>& texts) {
  std::vector<PortProtocol> ports;
  for (const std::string& text : texts) {
    ports.push_back(kCommand.Must(PortProtocol::Parse(text)));
  }
  return ports;
}

std::vector<PortProtocol> PortsOrDeclared(const ReachFlags& flags, const ReachInput& input,
                                          const std::vector<Endpoint>& destinations) {
  std::vector<PortProtocol> ports = ParsePorts(flags.ports);
  if (ports.empty()) {
    ports = DeclaredPorts(input, destinations);
  }
  if (ports.empty()) {
    kCommand.Fail(
        "the destination pods declare no container ports: name the ports with --port, e.g. "
        "--port 80/TCP");
  }
  return ports;
}

ReachInput ReadInput(const std::vector<std::string>& paths, const std::string& default_namespace) {
  return kCommand.Must(ReadReachInput(paths, default_namespace));
}

// Text answers keep to standard output; the equal-priority warnings go to standard error, once.
// (JSON answers carry them in "warnings".)
void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) {
    std::cerr << "netadmit reach: warning: " << warning << '\n';
  }
}

Endpoint One(const Connectivity& engine, const std::string& text) {
  std::vector<Endpoint> selected = kCommand.Must(SelectEndpoints(engine, text));
  if (selected.size() != 1) {
    kCommand.Fail("--explain takes one pod (NAMESPACE/NAME) or address each: \"" + text +
                  "\" selects " + std::to_string(selected.size()) + " pods");
  }
  return selected.front();
}

// The pods of the observed connections, for the allowed graph under them.
std::vector<Endpoint> ObservedPods(const Connectivity& engine, const ReplaySummary& summary) {
  std::set<std::size_t> pods;
  for (const ReplayedConnection& connection : summary.connections) {
    for (const std::string* name : {&connection.from, &connection.to}) {
      const auto slash = name->find('/');
      if (slash == std::string::npos) {
        continue;
      }
      if (auto pod = engine.FindPod(name->substr(0, slash), name->substr(slash + 1))) {
        pods.insert(*pod);
      }
    }
  }
  std::vector<Endpoint> out;
  for (std::size_t pod : pods) {
    out.push_back(Endpoint::Pod(pod));
  }
  return out;
}

// `--flows`: replays the log against the manifests (or OLD and NEW with --diff), prints the
// answer and returns the exit status.
int RunFlows(const ReachFlags& flags) {
  if (!flags.from.empty() || !flags.to.empty() || !flags.ports.empty() || !flags.explain.empty() ||
      flags.exposure) {
    kCommand.Fail(
        "--flows judges the connections the log observed: --from, --to, --port, --explain and "
        "--exposure do not go with it");
  }
  const bool comparing = !flags.diff.empty();
  if (comparing && flags.output == "dot") {
    kCommand.Fail("--diff prints a table (text) or json, not dot");
  }
  if (!comparing && flags.inputs.empty()) {
    kCommand.Fail("give the manifests with -f (or two sets with --diff OLD NEW)");
  }
  const ReachInput head_input = ReadInput(
      comparing ? std::vector<std::string>{flags.diff[1]} : flags.inputs, flags.namespace_name);
  const Connectivity head = kCommand.Must(Connectivity::Build(head_input.state));
  std::optional<Connectivity> base;
  if (comparing) {
    base.emplace(
        kCommand.Must(Connectivity::Build(ReadInput({flags.diff[0]}, flags.namespace_name).state)));
  }
  FlowReplay replay = base ? FlowReplay(*base, head) : FlowReplay(head);
  kCommand.Must(ReadFlowLog(flags.flows, replay));
  const ReplaySummary summary = replay.Summary();
  const std::vector<std::string> warnings = PriorityWarnings(head);
  if (flags.output == "json") {
    std::cout << RenderFlowsJson(summary, warnings);
  } else if (flags.output == "dot") {
    const std::vector<Endpoint> pods = ObservedPods(head, summary);
    std::set<PortProtocol> ports;
    for (const ReplayedConnection& connection : summary.connections) {
      ports.insert(connection.port);
    }
    const ReachTable allowed = ComputeReachTable(head, pods, pods, {ports.begin(), ports.end()});
    PrintWarnings(warnings);
    std::cout << RenderFlowsDot(summary, allowed);
  } else {
    PrintWarnings(warnings);
    std::cout << RenderFlowsText(summary, flags.flows == "-" ? "<stdin>" : flags.flows);
  }
  int status = 0;
  if (summary.malformed > 0) {
    std::cerr << "netadmit reach: " << summary.malformed << " malformed line"
              << (summary.malformed == 1 ? "" : "s") << " in the flow log, the first at line "
              << summary.first_errors.front().line << '\n';
    status = kFlowsFound;
  }
  const std::size_t denied = comparing ? summary.NewlyDenied().size() : summary.Count(false, false);
  if (flags.fail_on_denied && denied > 0) {
    status = kFlowsFound;
  }
  return status;
}

void Run(const ReachFlags& flags) {
  if (!flags.diff.empty()) {
    if (flags.output == "dot") {
      kCommand.Fail("--diff prints a table (text) or json, not dot");
    }
    const ReachInput old_input = ReadInput({flags.diff[0]}, flags.namespace_name);
    const ReachInput new_input = ReadInput({flags.diff[1]}, flags.namespace_name);
    DiffOptions options;
    options.old_name = flags.diff[0];
    options.new_name = flags.diff[1];
    options.from = flags.from;
    options.to = flags.to;
    options.ports = ParsePorts(flags.ports);
    const ReachDiff diff = kCommand.Must(DiffReach(old_input, new_input, options));
    if (flags.output == "json") {
      std::cout << RenderDiffJson(diff);
    } else {
      PrintWarnings(diff.warnings);
      std::cout << RenderDiffText(diff);
    }
    return;
  }
  if (flags.inputs.empty()) {
    kCommand.Fail("give the manifests with -f (or two sets with --diff OLD NEW)");
  }
  const ReachInput input = ReadInput(flags.inputs, flags.namespace_name);
  const Connectivity engine = kCommand.Must(Connectivity::Build(input.state));
  if (!flags.explain.empty()) {
    const Endpoint from = One(engine, flags.explain[0]);
    const Endpoint to = One(engine, flags.explain[1]);
    const std::vector<PortProtocol> ports = PortsOrDeclared(flags, input, {to});
    if (flags.output == "json") {
      std::cout << RenderExplainJson(engine, from, to, ports);
      return;
    }
    PrintWarnings(PriorityWarnings(engine));
    // Which cluster policies select either end (and their rules outside pod-to-pod analysis),
    // once, before the answers per port.
    const std::string scope = engine.ExplainClusterPolicies(from, to);
    std::cout << scope << (scope.empty() ? "" : "\n");
    for (std::size_t i = 0; i < ports.size(); ++i) {
      std::cout << (i > 0 ? "\n" : "") << engine.Explain(from, to, ports[i]);
    }
    return;
  }
  const std::vector<Endpoint> destinations = kCommand.Must(SelectEndpoints(engine, flags.to));
  const std::vector<PortProtocol> ports = PortsOrDeclared(flags, input, destinations);
  if (flags.exposure) {
    const Exposure exposure = ComputeExposure(engine, destinations, ports);
    if (flags.output == "json") {
      std::cout << RenderExposureJson(exposure);
    } else {
      PrintWarnings(exposure.warnings);
      std::cout << RenderExposureText(exposure);
    }
    return;
  }
  const std::vector<Endpoint> sources = kCommand.Must(SelectEndpoints(engine, flags.from));
  const ReachTable table = ComputeReachTable(engine, sources, destinations, ports);
  if (flags.output == "json") {
    std::cout << RenderReachJson(table);
    return;
  }
  PrintWarnings(table.warnings);
  std::cout << (flags.output == "dot" ? RenderReachDot(table) : RenderReachText(table));
}

}  // namespace

Result<ReachInput> ReadReachInput(const std::vector<std::string>& paths,
                                  std::string_view default_namespace) {
  auto manifests = ReadAllManifests(paths);
  if (!manifests) {
    return manifests.error();
  }
  return BuildReachInput(*manifests, default_namespace);
}

void AddReachCommand(CLI::App& app) {
  auto flags = std::make_shared<ReachFlags>();
  CLI::App* reach = app.add_subcommand(
      "reach",
      "Show which pods reach which under the NetworkPolicies and the cluster-scoped policies "
      "(AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) of a set of "
      "manifests");
  reach
      ->add_option("-f,--filename", flags->inputs,
                   "Manifest file, directory, or - for standard input (repeatable); kubectl "
                   "get -o yaml output works")
      ->type_name("PATH");
  reach->add_option("--from", flags->from,
                    "Sources: NS/NAME, NS/*, NS/LABELS, LABELS (app=web,tier!=db,!canary) or an "
                    "address outside the cluster (default: every pod)");
  reach->add_option("--to", flags->to, "Destinations, in the same forms (default: every pod)");
  reach->add_option("--port", flags->ports,
                    "PORT/PROTOCOL to check, e.g. 80/TCP or 53/UDP (repeatable; default: the "
                    "container ports the destinations declare)");
  reach
      ->add_option("-o,--output", flags->output,
                   "table (or text), json or dot (Graphviz); --explain prints text or json")
      ->check(CLI::IsMember({"table", "text", "json", "dot"}))
      ->capture_default_str();
  reach
      ->add_option("--explain", flags->explain,
                   "Explain one connection: SRC DST (NS/NAME or an address)")
      ->expected(2);
  reach
      ->add_option("--diff", flags->diff,
                   "List the connections gained and lost from the manifests OLD to NEW")
      ->type_name("PATH")
      ->expected(2);
  reach->add_flag("--exposure", flags->exposure,
                  "List pods reachable from outside the cluster or from every namespace, and pods "
                  "some of whose connections no policy decides (allowed by default)");
  reach
      ->add_option("--flows", flags->flows,
                   "Replay a flow log (hubble observe -o json or -o jsonpb, or JSON lines "
                   "{from, to, port, protocol}; - for standard input): which observed connections "
                   "the policies allow and deny; with --diff, which the change would start denying")
      ->type_name("FILE");
  reach->add_flag("--fail-on-denied", flags->fail_on_denied,
                  "With --flows: exit 1 when an observed connection is denied (newly denied with "
                  "--diff)");
  reach->add_option("--namespace", flags->namespace_name, "Namespace of objects that name none")
      ->capture_default_str();
  reach->callback([flags] {
    const int modes = (flags->explain.empty() ? 0 : 1) + (flags->diff.empty() ? 0 : 1) +
                      (flags->exposure ? 1 : 0);
    if (modes > 1) {
      kCommand.Fail("--explain, --diff and --exposure are separate questions: give one");
    }
    if (flags->fail_on_denied && flags->flows.empty()) {
      kCommand.Fail("--fail-on-denied goes with --flows");
    }
    if (!flags->flows.empty()) {
      const int status = RunFlows(*flags);
      std::cout.flush();
      if (status != 0) {
        throw CLI::RuntimeError(status);
      }
      throw CLI::Success();
    }
    Run(*flags);
    std::cout.flush();
    throw CLI::Success();
  });
}

}  // namespace netadmit::cli
