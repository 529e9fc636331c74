#pragma once

// Shell completions and the man page of the `netadmit` command line, generated from its CLI11
// definition (the same App that parses the arguments), so that they cannot drift from it.

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace netadmit::cli {

// One option or positional argument as the generated files present it.
struct OptionDoc {
  std::vector<std::string> names;  // "-f", "--filename"; for a positional, its name
  std::string value_name;          // "TEXT", "INT", ...; empty for a flag
  int values_per_use = 0;          // 0 for a flag, 2 for `--explain SRC DST`
  bool repeatable = false;         // may be given more than once (`-f a -f b`)
  bool positional = false;
  bool required = false;
  std::vector<std::string> choices;  // the values an IsMember check allows; empty: any
  std::string default_value;         // as captured by CLI11; empty when none is shown
  std::string description;
};

// A command: the program itself or one of its subcommands.
struct CommandDoc {
  std::string name;
  std::string description;
  std::string footer;
  std::vector<OptionDoc> options;
  std::vector<CommandDoc> subcommands;
};

// Reads the options, positionals and subcommands of `app` (recursively) in definition order.
CommandDoc DescribeCommand(CLI::App& app);

// A bash completion script for `program` and `kubectl-<program>`. It needs bash only, not the
// bash-completion package: subcommands, their flags, the choices of an option that has them, and
// file names for values of type FILE or PATH (CLI11's type_name).
std::string BashCompletion(const CommandDoc& program);

// The same for zsh, as an autoloadable `_<program>` function file (`#compdef`).
std::string ZshCompletion(const CommandDoc& program);

// A man page, section 1, in roff (man(7) macros). `version` goes into the page's footer.
std::string ManPage(const CommandDoc& program, std::string_view version);

}  // namespace netadmit::cli
