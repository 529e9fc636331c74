// `netadmit reach`: the command line over netadmit/connectivity/reach.h. All answers come from
// the core; this file reads flags and inputs, picks the mode (matrix, --explain, --diff,
// --exposure) and prints through reach_report.h.

#include "cli/reach_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command_failure.h"
#include "cli/reach_report.h"
#include "files/inputs.h"
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
  std::string namespace_name = "default";
};

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
                   "table, json or dot (Graphviz); --explain prints text or json")
      ->check(CLI::IsMember({"table", "json", "dot"}))
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
  reach->add_option("--namespace", flags->namespace_name, "Namespace of objects that name none")
      ->capture_default_str();
  reach->callback([flags] {
    const int modes = (flags->explain.empty() ? 0 : 1) + (flags->diff.empty() ? 0 : 1) +
                      (flags->exposure ? 1 : 0);
    if (modes > 1) {
      kCommand.Fail("--explain, --diff and --exposure are separate questions: give one");
    }
    Run(*flags);
    std::cout.flush();
    throw CLI::Success();
  });
}

}  // namespace netadmit::cli
