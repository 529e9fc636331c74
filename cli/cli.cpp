#include "cli/cli.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/audit_command.h"
#include "cli/build_info.h"
#include "cli/check_command.h"
#include "cli/cli_docs.h"
#include "cli/exceptions_command.h"
#include "cli/reach_command.h"
#include "cli/recommend_command.h"
#include "files/inputs.h"
#include "netadmit/codec/json.h"
#include "netadmit/rules/catalog.h"
#include "netadmit/rules/check.h"
#include "netadmit/rules/rule_set.h"
#include "server/log.h"
#include "server/server.h"

namespace netadmit::cli {

using server::Logger;
using server::Server;
using server::ServerOptions;

namespace {

constexpr int kUsageError = 2;

struct DurationFlags {
  std::string request_timeout = "10s";
  std::string idle_timeout = "120s";
  std::string reload_interval = "1s";
  std::string drain_timeout = "5s";
  std::string fresh_read_timeout = "2s";
  std::string discovery_interval = "30s";
  std::string audit_interval = "10m";  // "0": no audit
};

struct CheckFlags {
  std::vector<std::string> inputs;
  std::string rules;
  std::string output = "text";
  std::string namespace_name = "default";
  std::vector<std::string> cluster_state;
  bool no_exceptions = false;
  int max_exception_days = kDefaultMaxExceptionDays;
};

// Applies the duration flags; on a bad value prints why and returns false.
bool ApplyDurations(const DurationFlags& flags, ServerOptions& options) {
  const std::pair<const std::string*, std::chrono::milliseconds*> durations[] = {
      {&flags.request_timeout, &options.session.request_timeout},
      {&flags.idle_timeout, &options.session.idle_timeout},
      {&flags.reload_interval, &options.reload_interval},
      {&flags.drain_timeout, &options.drain_timeout},
      {&flags.fresh_read_timeout, &options.fresh_read_timeout},
      {&flags.discovery_interval, &options.cluster.discovery_interval},
  };
  for (const auto& [text, target] : durations) {
    auto parsed = ParseDuration(*text);
    if (!parsed) {
      std::cerr << "netadmit serve: " << parsed.error().message << "\n";
      return false;
    }
    *target = parsed.value();
  }
  if (flags.audit_interval == "0") {
    options.audit.interval = std::chrono::milliseconds(0);
    return true;
  }
  auto audit_interval = ParseDuration(flags.audit_interval);
  if (!audit_interval) {
    std::cerr << "netadmit serve: --audit-interval: " << audit_interval.error().message << "\n";
    return false;
  }
  options.audit.interval = *audit_interval;
  return true;
}

int Serve(ServerOptions options) {
  // A client gone mid-write must not kill the process; writes report EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  Logger logger;
  auto server = Server::Create(std::move(options), logger);
  if (!server) {
    logger.Error("startup_failed", {{"error", server.error().ToString()}});
    return 1;
  }
  (*server)->Start();
  (*server)->Wait();
  return 0;
}

int Check(const CheckFlags& flags) {
  const TimePoint now = std::chrono::system_clock::now();
  auto rules = LoadRulesFrom(flags.rules, LoadLimits{now, flags.max_exception_days});
  if (!rules) {
    std::cerr << "netadmit check: " << rules.error().ToString() << "\n";
    return kUsageError;
  }
  auto report = CheckFiles(**rules, CheckInputs{flags.inputs, flags.namespace_name,
                                                flags.cluster_state, !flags.no_exceptions, now});
  if (!report) {
    std::cerr << "netadmit check: " << report.error().ToString() << "\n";
    return kUsageError;
  }
  std::cout << (flags.output == "json" ? RenderCheckJson(*report) : RenderCheckText(*report));
  std::cout.flush();
  return ExitCode(*report);
}

std::string VersionJson(const BuildInfo& info) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const auto& [key, value] :
       {std::pair{"version", info.version}, std::pair{"gitCommit", info.commit},
        std::pair{"buildType", info.build_type}}) {
    writer.Key(key);
    WriteJsonString(writer, value);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

void PrintVersion(const std::string& output) {
  const BuildInfo& info = GetBuildInfo();
  if (output == "json") {
    std::cout << VersionJson(info);
  } else {
    std::cout << "netadmit " << info.version << "\ncommit: " << info.commit
              << "\nbuild type: " << info.build_type << "\n";
  }
}

// kubectl runs a plugin as kubectl-NAME with the arguments after NAME; help then names the
// command as the user typed it.
std::string ProgramName(const char* argv0) {
  const std::string base = std::filesystem::path(argv0 == nullptr ? "" : argv0).filename();
  return base.starts_with("kubectl-") ? "kubectl " + base.substr(8) : "netadmit";
}

int Run(int argc, char** argv) {
  CLI::App app{"Validating admission webhook for Kubernetes network security",
               ProgramName(argc > 0 ? argv[0] : nullptr)};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(GetBuildInfo().version));
  app.footer(
      "Installed as kubectl-netadmit on the PATH, it also runs as a kubectl plugin: "
      "kubectl netadmit COMMAND [OPTIONS].");

  ServerOptions serve_options;
  DurationFlags durations;
  std::string on_error = "deny";
  std::string api_unreachable = "deny";
  CLI::App* serve = app.add_subcommand("serve", "Serve AdmissionReviews over HTTPS");
  serve
      ->add_option("--listen", serve_options.listen, "Address to listen on, HOST:PORT or [::]:PORT")
      ->capture_default_str();
  serve
      ->add_option("--tls-cert", serve_options.tls_cert,
                   "PEM certificate chain, leaf first; reloaded when the file changes")
      ->type_name("FILE")
      ->required();
  serve
      ->add_option("--tls-key", serve_options.tls_key,
                   "PEM private key of the certificate; reloaded when the file changes")
      ->type_name("FILE")
      ->required();
  serve
      ->add_option("--client-ca", serve_options.client_ca,
                   "PEM bundle of CA certificates: every connection must then present a client "
                   "certificate one of them issued, or its handshake fails; reloaded when the "
                   "file changes (default: no client certificate asked for)")
      ->type_name("FILE");
  serve
      ->add_option("--rules", serve_options.rules,
                   "Rule-set file or directory of *.yaml files, reloaded when they change "
                   "(default: the embedded default rule set)")
      ->type_name("PATH");
  serve
      ->add_option("--on-error", on_error,
                   "What to answer when an object cannot be evaluated (it does not decode): "
                   "deny refuses it (fail closed, the default); allow admits it with a warning")
      ->check(CLI::IsMember({"deny", "allow"}))
      ->capture_default_str();
  serve->add_option("--threads", serve_options.threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  serve
      ->add_option("--max-connections", serve_options.max_connections,
                   "Open connections allowed; past it new connections are closed at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve
      ->add_option("--max-in-flight", serve_options.session.max_in_flight,
                   "Requests to /validate handled at once; past it they get 503")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve
      ->add_option("--request-timeout", durations.request_timeout,
                   "Time allowed for a TLS handshake, for a whole request, and for a response")
      ->type_name("DURATION")
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", durations.idle_timeout,
                   "Time a keep-alive connection may wait for its next request")
      ->type_name("DURATION")
      ->capture_default_str();
  serve
      ->add_option("--reload-interval", durations.reload_interval,
                   "How often certificate, key and rule files are checked for changes")
      ->type_name("DURATION")
      ->capture_default_str();
  serve
      ->add_option("--kubeconfig", serve_options.cluster.kubeconfig,
                   "Kubeconfig for the cluster connection of stateful rules (default: the "
                   "in-cluster service account when KUBERNETES_SERVICE_HOST is set; without "
                   "either, stateful rules are inactive)")
      ->type_name("FILE");
  serve->add_option("--kube-context", serve_options.cluster.context,
                    "Context of --kubeconfig (default: its current context)");
  serve
      ->add_option("--discovery-interval", durations.discovery_interval,
                   "With a cluster connection: how often to ask the API server whether the "
                   "AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy CRDs "
                   "are installed; a kind that appears is then watched, one that goes forgotten")
      ->type_name("DURATION")
      ->capture_default_str();
  serve->add_option("--namespace", serve_options.cluster.own_namespace,
                    "netadmit's own namespace, where rule-set ConfigMaps live (default: "
                    "POD_NAMESPACE, then the service account's or the context's namespace)");
  serve->add_flag("--rules-configmaps", serve_options.rules_configmaps,
                  "Also take rule sets from the ConfigMaps labeled netadmit.io/rule-set=true in "
                  "netadmit's own namespace (every data key ending in .yaml); changes apply "
                  "within seconds, and a broken one leaves the last good rules in force. Needs a "
                  "cluster connection. Without --rules, the ConfigMaps are the only rules");
  serve
      ->add_option("--api-unreachable", api_unreachable,
                   "Before denying for a NetworkPolicy the cache lacks, netadmit reads the "
                   "namespace's policies from the API server; when that read fails, deny keeps "
                   "the denial (the default) and allow admits with a warning")
      ->check(CLI::IsMember({"deny", "allow"}))
      ->capture_default_str();
  serve
      ->add_option("--fresh-read-timeout", durations.fresh_read_timeout,
                   "Time allowed for that read")
      ->type_name("DURATION")
      ->capture_default_str();
  serve
      ->add_option("--exception-warning-days", serve_options.exceptions.warning_days,
                   "A request that relies on an exception expiring within this many days gets a "
                   "warning naming it, its owner and the days left")
      ->check(CLI::Range(0, 3650))
      ->capture_default_str();
  AddMaxExceptionDays(*serve, serve_options.exceptions.max_days);
  serve_options.cluster.in_cluster = true;
  serve
      ->add_option("--audit-interval", durations.audit_interval,
                   "With a cluster connection: how often to audit everything that exists against "
                   "every rule (also at start and after a rule change); 0 turns the audit off")
      ->type_name("DURATION")
      ->capture_default_str();
  serve
      ->add_option("--leader-elect", serve_options.audit.leader_elect,
                   "Only the replica holding the Lease netadmit-audit in netadmit's namespace "
                   "audits and writes reports; false for a single instance")
      ->capture_default_str();
  std::string report_api = "wgpolicyk8s.io/v1alpha2";
  serve
      ->add_option("--report-api", report_api,
                   "Where the audit's results go: PolicyReports (wgpolicyk8s.io/v1alpha2), "
                   "Reports (openreports.io/v1alpha1), or none (metrics and log only)")
      ->check(CLI::IsMember({"wgpolicyk8s.io/v1alpha2", "openreports.io/v1alpha1", "none"}))
      ->capture_default_str();
  serve
      ->add_option("--audit-max-results", serve_options.audit.max_results,
                   "Results per report at most, worst first (the rest are counted)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      ->add_option("--drain-timeout", durations.drain_timeout,
                   "On SIGTERM, how long requests under way may take before the process exits")
      ->type_name("DURATION")
      ->capture_default_str();
  serve->footer(
      "Exit status: 0 after a graceful shutdown (SIGTERM or SIGINT), 1 when the server cannot "
      "start, 2 on a usage error.\n\nRule kinds (a rule names one in `kind:`; `netadmit rules "
      "--markdown` prints the full reference):\n" +
      KindsListing(BuiltinCatalog()));

  CheckFlags check_flags;
  CLI::App* check = app.add_subcommand(
      "check", "Check manifests offline with the webhook's rules; exit 1 on a deny finding");
  check
      ->add_option("-f,--filename", check_flags.inputs,
                   "Manifest file, directory, or - for standard input (repeatable)")
      ->type_name("PATH")
      ->required();
  check
      ->add_option("--rules", check_flags.rules,
                   "Rule-set file or directory (default: the embedded default rule set)")
      ->type_name("PATH");
  check->add_option("-o,--output", check_flags.output, "Report format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  check
      ->add_option("--namespace", check_flags.namespace_name, "Namespace of objects that name none")
      ->capture_default_str();
  check
      ->add_option("--cluster-state", check_flags.cluster_state,
                   "What the cluster already holds, for the stateful rules: the output of "
                   "`kubectl get namespaces,networkpolicies,pods -A -o yaml` (file, directory or "
                   "-; repeatable). The manifests count as applied on top of it")
      ->type_name("PATH");
  check->add_flag("--no-exceptions", check_flags.no_exceptions,
                  "Ignore the rule sets' exceptions: show what would fail without them");
  AddMaxExceptionDays(*check, check_flags.max_exception_days);
  check->footer(
      "Exit status: 0 no deny finding (warnings allowed), 1 a deny finding, 2 bad input, bad "
      "rules or a usage error.");

  AddReachCommand(app);
  AddRecommendCommand(app);
  AddAuditCommand(app);
  AddExceptionsCommand(app);

  std::string version_output = "text";
  CLI::App* version =
      app.add_subcommand("version", "Print the version, the git commit and the build type");
  version->add_option("-o,--output", version_output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  bool rules_markdown = false;
  CLI::App* rules = app.add_subcommand("rules", "List the built-in rule kinds");
  rules->add_flag("--markdown", rules_markdown,
                  "Print the kinds reference (params, types, defaults, what each refuses) in "
                  "Markdown, as docs/rules.md includes it");

  std::string shell;
  CLI::App* completion =
      app.add_subcommand("completion",
                         "Print the shell completion script for bash or zsh, e.g. "
                         "source <(netadmit completion bash)");
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  CLI::App* man = app.add_subcommand("man",
                                     "Print the man page (roff), e.g. "
                                     "netadmit man | man -l -");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // A command's own ending (audit's 1 for a fail result) keeps its code; a usage error is 2.
    if (dynamic_cast<const CLI::RuntimeError*>(&e) != nullptr) {
      return code;
    }
    return code == 0 ? 0 : kUsageError;
  }

  if (*version) {
    PrintVersion(version_output);
    return 0;
  }
  if (*rules) {
    std::cout << (rules_markdown ? KindsReferenceMarkdown(BuiltinCatalog())
                                 : KindsListing(BuiltinCatalog()));
    return 0;
  }
  if (*completion || *man) {
    // The generated files always name the program netadmit, however it was started.
    app.name("netadmit");
    const CommandDoc doc = DescribeCommand(app);
    std::cout << (*man             ? ManPage(doc, GetBuildInfo().version)
                  : shell == "zsh" ? ZshCompletion(doc)
                                   : BashCompletion(doc));
    return 0;
  }
  if (*check) {
    return Check(check_flags);
  }
  serve_options.on_error = on_error == "allow" ? ErrorPolicy::kAllow : ErrorPolicy::kDeny;
  serve_options.allow_unconfirmed = api_unreachable == "allow";
  if (report_api == "none") {
    serve_options.audit.report_api.reset();
  } else {
    serve_options.audit.report_api =
        report_api == "openreports.io/v1alpha1" ? ReportApi::kOpenReports : ReportApi::kWgPolicy;
  }
  if (!ApplyDurations(durations, serve_options)) {
    return kUsageError;
  }
  return Serve(std::move(serve_options));
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto fail = [&] {
    return Error{"", 0, 0, "",
                 "invalid duration \"" + std::string(text) +
                     "\": write a positive number with ms, s or m, e.g. 250ms or 10s"};
  };
  double scale = 1000.0;  // a bare number is seconds
  std::string_view number = text;
  if (text.ends_with("ms")) {
    scale = 1.0;
    number.remove_suffix(2);
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60'000.0;
    number.remove_suffix(1);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc() || end != number.data() + number.size()) {
    return fail();
  }
  const double millis = value * scale;
  if (!(millis >= 1.0) || millis > 86'400'000.0) {
    return fail();
  }
  return std::chrono::milliseconds(static_cast<int64_t>(millis));
}

int RunCli(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "netadmit: " << e.what() << "\n";
    return kUsageError;
  }
}

}  // namespace netadmit::cli
