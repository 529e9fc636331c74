#pragma once

// `netadmit exceptions`: the rule sets' exceptions as a security review reads them — owner,
// expiry, days left, state, what each waives and why, and (with -f) how many of the given
// objects each one covers now.

#include <string>

#include "netadmit/rules/check.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::cli {

// Adds the `exceptions` subcommand to `app`. When it runs, it prints the list and ends the parse
// with CLI::Success (exit 0), or prints the reason to standard error and ends it with
// CLI::RuntimeError(2) on bad rules or input.
void AddExceptionsCommand(CLI::App& app);

// Adds --max-exception-days, bound to `days`, to a command that loads rule sets.
void AddMaxExceptionDays(CLI::App& command, int& days);

// The list as text: one block per exception, then a count by state.
std::string RenderExceptionsText(const std::vector<ExceptionStatus>& exceptions);

// The list as JSON: {"exceptions": [{name, owner, expires, daysLeft, state, rules, match,
// reason, source[, coveredObjects]}], "summary": {active, expiring, expired}}.
std::string RenderExceptionsJson(const std::vector<ExceptionStatus>& exceptions);

}  // namespace netadmit::cli
