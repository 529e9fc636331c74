// `netadmit exceptions`: reads the rules (and manifests, with -f), asks the core where each
// exception stands (DescribeExceptions) and prints the list.

#include "cli/exceptions_command.h"

#include <CLI/CLI.hpp>
#include <array>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/check_command.h"
#include "cli/command_failure.h"
#include "cli/json_output.h"
#include "kube/config.h"
#include "kube/list_pages.h"
#include "kube/watcher.h"
#include "netadmit/cluster/cluster.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/connectivity/connectivity.h"
#include "netadmit/rules/audit.h"

namespace netadmit::cli {

namespace {

constexpr std::chrono::seconds kListTimeout{30};

struct ExceptionsFlags {
  std::string rules;
  std::vector<std::string> inputs;
  std::string namespace_name = "default";
  std::string output = "text";
  int warning_days = kDefaultExceptionWarningDays;
  int max_days = kDefaultMaxExceptionDays;
  std::string kubeconfig;
  std::string context;
};

constexpr CommandFailure kCommand("exceptions");

template <typename Patterns>
std::vector<std::string> Texts(const Patterns& patterns) {
  std::vector<std::string> texts;
  for (const auto& pattern : patterns) {
    texts.push_back(pattern.text());
  }
  return texts;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& item : items) {
    out += out.empty() ? "" : std::string(separator);
    out += item;
  }
  return out;
}

// "namespaces billing, pay-*; kinds NetworkPolicy; names legacy-*; labels app=ledger"
std::string DescribeMatch(const ExceptionMatch& match) {
  std::string out = "namespaces " + Join(Texts(match.namespaces));
  if (!match.kinds.empty()) {
    out += "; kinds " + Join(match.kinds);
  }
  if (!match.names.empty()) {
    out += "; names " + Join(Texts(match.names));
  }
  if (match.label_selector) {
    out += "; labels " + FormatSelector(*match.label_selector);
  }
  return out;
}

std::string Plural(int count, std::string_view word) {
  return std::to_string(count) + " " + std::string(word) + (count == 1 ? "" : "s");
}

std::array<int, 3> CountByState(const std::vector<ExceptionStatus>& exceptions) {
  std::array<int, 3> counts{};
  for (const ExceptionStatus& status : exceptions) {
    ++counts[static_cast<std::size_t>(status.state)];
  }
  return counts;
}

// Every object of the kinds the audit judges (AuditedKinds), across namespaces.
Result<std::vector<ManifestObject>> ListCluster(const std::string& kubeconfig,
                                                const std::string& context) {
  auto config = kube::LoadKubeconfig(kubeconfig, context);
  if (!config) {
    Error error = config.error();
    if (error.file.empty()) {
      error.file = kubeconfig;
    }
    return error;
  }
  ClusterCache unused;  // nothing is watched: the watcher only serves the GETs below
  kube::WatchOptions options;
  options.config = *std::move(config);
  kube::Watcher client(std::move(options), unused);
  if (auto started = client.Start(); !started) {
    return started.error();
  }
  std::vector<ManifestObject> objects;
  // The cluster-scoped policies only where discovery finds them served.
  const Status listed_all =
      kube::ForEachAuditedKind(client, [&](const AuditedKind& listed) -> Status {
        auto body = client.GetNow(std::string(listed.path), "GET " + std::string(listed.path),
                                  kListTimeout);
        if (!body) {
          return body.error();
        }
        auto items = ManifestsOfList("cluster:" + std::string(listed.path), *body,
                                     listed.api_version, listed.kind);
        if (!items) {
          return items.error();
        }
        objects.insert(objects.end(), std::make_move_iterator(items->begin()),
                       std::make_move_iterator(items->end()));
        return Ok{};
      });
  if (!listed_all) {
    return listed_all.error();
  }
  return objects;
}

void Run(const ExceptionsFlags& flags) {
  const TimePoint now = std::chrono::system_clock::now();
  auto rules = LoadRulesFrom(flags.rules, LoadLimits{now, flags.max_days});
  if (!rules) {
    kCommand.Fail(rules.error().ToString());
  }
  // The objects to count coverage over: the cluster's, or the manifests'; none without either.
  std::optional<Result<CheckReport>> checked;
  if (!flags.kubeconfig.empty()) {
    auto listed = ListCluster(flags.kubeconfig, flags.context);
    if (!listed) {
      kCommand.Fail(listed.error().ToString());
    }
    CheckOptions options;
    options.manifests = *std::move(listed);
    options.now = now;
    checked = RunCheck(**rules, options);
  } else if (!flags.inputs.empty()) {
    checked = CheckFiles(**rules, CheckInputs{flags.inputs, flags.namespace_name, {}, true, now});
  }
  if (checked && !*checked) {
    kCommand.Fail(checked->error().ToString());
  }
  const CheckReport* report = checked ? &checked->value() : nullptr;
  const auto statuses = DescribeExceptions(**rules, now, flags.warning_days, report);
  std::cout << (flags.output == "json" ? RenderExceptionsJson(statuses)
                                       : RenderExceptionsText(statuses));
}

}  // namespace

std::string RenderExceptionsText(const std::vector<ExceptionStatus>& exceptions) {
  std::string out;
  for (const ExceptionStatus& status : exceptions) {
    const RuleException& exception = *status.exception;
    out += exception.name + ": " + ExceptionStateName(status.state) + ", expires " +
           exception.expires_text;
    out += status.state == ExceptionState::kExpired
               ? " (expired)\n"
               : " (" + Plural(status.days_left, "day") + " left)\n";
    out += "  owner:  " + exception.owner + '\n';
    out += "  rules:  " + Join(Texts(exception.rules)) + '\n';
    out += "  match:  " + DescribeMatch(exception.match) + '\n';
    out += "  reason: " + exception.reason + '\n';
    if (status.covered_objects) {
      out += "  covers: " + Plural(*status.covered_objects, "object") + " now\n";
    }
    out += "  source: " + exception.source + "\n\n";
  }
  const auto counts = CountByState(exceptions);
  out += Plural(static_cast<int>(exceptions.size()), "exception") + ": " +
         std::to_string(counts[0]) + " active, " + std::to_string(counts[1]) + " expiring, " +
         std::to_string(counts[2]) + " expired\n";
  return out;
}

std::string RenderExceptionsJson(const std::vector<ExceptionStatus>& exceptions) {
  JsonOutput output;
  JsonWriter& writer = output.writer;
  const auto strings = [&](std::string_view key, const std::vector<std::string>& items) {
    WriteJsonString(writer, key);
    writer.StartArray();
    for (const std::string& item : items) {
      WriteJsonString(writer, item);
    }
    writer.EndArray();
  };
  writer.StartObject();
  WriteJsonString(writer, "exceptions");
  writer.StartArray();
  for (const ExceptionStatus& status : exceptions) {
    const RuleException& exception = *status.exception;
    writer.StartObject();
    WriteMember(writer, "name", exception.name);
    WriteMember(writer, "owner", exception.owner);
    WriteMember(writer, "expires", exception.expires_text);
    WriteMember(writer, "daysLeft", status.days_left);
    WriteMember(writer, "state", ExceptionStateName(status.state));
    strings("rules", Texts(exception.rules));
    WriteJsonString(writer, "match");
    writer.StartObject();
    strings("namespaces", Texts(exception.match.namespaces));
    strings("kinds", exception.match.kinds);
    strings("names", Texts(exception.match.names));
    if (exception.match.label_selector) {
      WriteMember(writer, "labelSelector", FormatSelector(*exception.match.label_selector));
    }
    writer.EndObject();
    WriteMember(writer, "reason", exception.reason);
    WriteMember(writer, "source", exception.source);
    if (status.covered_objects) {
      WriteMember(writer, "coveredObjects", *status.covered_objects);
    }
    writer.EndObject();
  }
  writer.EndArray();
  const auto counts = CountByState(exceptions);
  WriteJsonString(writer, "summary");
  writer.StartObject();
  WriteMember(writer, "active", counts[0]);
  WriteMember(writer, "expiring", counts[1]);
  WriteMember(writer, "expired", counts[2]);
  writer.EndObject();
  writer.EndObject();
  return output.Text();
}

void AddMaxExceptionDays(CLI::App& command, int& days) {
  command
      .add_option("--max-exception-days", days,
                  "Refuse rule sets with an exception that expires more than this many days "
                  "ahead")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
}

void AddExceptionsCommand(CLI::App& app) {
  auto flags = std::make_shared<ExceptionsFlags>();
  CLI::App* exceptions = app.add_subcommand(
      "exceptions",
      "List the rule sets' exceptions: owner, expiry, days left, and with -f or --kubeconfig the "
      "objects each covers now");
  exceptions
      ->add_option("--rules", flags->rules,
                   "Rule-set file or directory (default: the embedded default rule set)")
      ->type_name("PATH");
  exceptions
      ->add_option("-f,--filename", flags->inputs,
                   "Manifest file, directory, or - for standard input (repeatable): count the "
                   "objects among them each exception covers now")
      ->type_name("PATH");
  exceptions
      ->add_option("--namespace", flags->namespace_name, "Namespace of objects that name none")
      ->capture_default_str();
  exceptions->add_option("-o,--output", flags->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  exceptions
      ->add_option("--exception-warning-days", flags->warning_days,
                   "Show exceptions expiring within this many days as expiring")
      ->check(CLI::Range(0, 3650))
      ->capture_default_str();
  AddMaxExceptionDays(*exceptions, flags->max_days);
  CLI::Option* kubeconfig =
      exceptions
          ->add_option("--kubeconfig", flags->kubeconfig,
                       "Count the objects each exception covers now in the cluster of this "
                       "kubeconfig: its NetworkPolicies, Pods and pod controllers, as its user may "
                       "list them")
          ->type_name("FILE");
  exceptions->add_option("--kube-context", flags->context,
                         "Context of --kubeconfig (default: its current context)");
  kubeconfig->excludes(exceptions->get_option("--filename"));
  exceptions->footer("Exit status: 0, or 2 on bad rules, bad input or a usage error.");
  exceptions->callback([flags] {
    Run(*flags);
    std::cout.flush();
    throw CLI::Success();
  });
}

}  // namespace netadmit::cli
