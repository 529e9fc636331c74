#pragma once

// `netadmit audit`: what already breaks the rules, in a cluster (listed from the API server page
// by page) or in manifests, as text, JSON or PolicyReport objects.

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::cli {

// Adds the `audit` subcommand to `app`. When it runs, it prints the report and ends the parse
// with CLI::Success (exit 0) or CLI::RuntimeError(1) when a result is `fail`; on bad input or
// flags, or when the API server cannot be read, it prints the reason and ends it with
// CLI::RuntimeError(2).
void AddAuditCommand(CLI::App& app);

}  // namespace netadmit::cli
