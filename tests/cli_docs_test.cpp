// The completions and man page generator (cli/cli_docs.h): what it reads from a CLI11 App,
// and that each rendering carries it. The installed files themselves are exercised in bash and
// man by tests/install/install_test.sh.

#include "cli/cli_docs.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace netadmit::cli {
namespace {

struct Flags {
  std::vector<std::string> files;
  std::string mode = "fast";
  bool dry_run = false;
  std::vector<std::string> pair;
  int count = 1;
  std::string shell;
};

// A small command line with one option of each shape.
void Define(CLI::App& app, Flags& flags) {
  CLI::App* run = app.add_subcommand("run", "Run it");
  run->add_option("-f,--file", flags.files, "Input file")->type_name("PATH");
  run->add_option("--mode", flags.mode, "How to run")
      ->check(CLI::IsMember({"fast", "slow"}))
      ->capture_default_str();
  run->add_flag("--dry-run", flags.dry_run, "Only say what would run");
  run->add_option("--pair", flags.pair, "Two things")->expected(2);
  run->add_option("--count", flags.count, "How many")->required();
  run->footer("Exit status: 0 when it ran.");
  app.add_subcommand("say", "Say it")
      ->add_option("shell", flags.shell, "Which shell")
      ->check(CLI::IsMember({"bash", "zsh"}));
  app.add_subcommand("secret", "Not listed")->group("");
}

const OptionDoc& Find(const CommandDoc& command, const std::string& name) {
  const auto found =
      std::find_if(command.options.begin(), command.options.end(), [&](const OptionDoc& option) {
        return std::find(option.names.begin(), option.names.end(), name) != option.names.end();
      });
  if (found == command.options.end()) {
    throw std::runtime_error("no option " + name);
  }
  return *found;
}

CommandDoc Described() {
  CLI::App app{"Test tool for things", "tool"};
  Flags flags;
  Define(app, flags);
  return DescribeCommand(app);
}

TEST(CliDocsTest, ReadsEveryShapeOfOptionAndSkipsHiddenSubcommands) {
  const CommandDoc tool = Described();
  EXPECT_EQ(tool.name, "tool");
  ASSERT_EQ(tool.subcommands.size(), 2u) << "the hidden `secret` is left out";
  const CommandDoc& run = tool.subcommands[0];
  EXPECT_EQ(run.name, "run");
  EXPECT_EQ(run.footer, "Exit status: 0 when it ran.");

  const OptionDoc& file = Find(run, "--file");
  EXPECT_EQ(file.names, (std::vector<std::string>{"-f", "--file"}));
  EXPECT_EQ(file.value_name, "PATH");
  EXPECT_TRUE(file.repeatable);
  EXPECT_EQ(file.values_per_use, 1);

  const OptionDoc& mode = Find(run, "--mode");
  EXPECT_EQ(mode.choices, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(mode.default_value, "fast");
  EXPECT_FALSE(mode.repeatable);

  EXPECT_EQ(Find(run, "--dry-run").values_per_use, 0);
  EXPECT_EQ(Find(run, "--pair").values_per_use, 2);
  EXPECT_FALSE(Find(run, "--pair").repeatable);
  EXPECT_TRUE(Find(run, "--count").required);
  EXPECT_EQ(Find(run, "--count").value_name, "INT");

  const OptionDoc& shell = tool.subcommands[1].options.back();
  EXPECT_TRUE(shell.positional);
  EXPECT_EQ(shell.names, (std::vector<std::string>{"shell"}));
  EXPECT_EQ(shell.choices, (std::vector<std::string>{"bash", "zsh"}));
}

TEST(CliDocsTest, BashCompletesChoicesPathsAndNothingForOtherValues) {
  const std::string script = BashCompletion(Described());
  EXPECT_NE(script.find("      run|say) command="), std::string::npos) << script;
  EXPECT_NE(script.find("--mode) _netadmit_reply \"fast slow\"; return ;;"), std::string::npos)
      << script;
  EXPECT_NE(script.find("-f|--file) _netadmit_files; return ;;"), std::string::npos) << script;
  EXPECT_NE(script.find("--pair|--count) COMPREPLY=(); return ;;"), std::string::npos) << script;
  EXPECT_NE(script.find("_netadmit_next \"bash zsh\" \"-h --help\""), std::string::npos) << script;
  EXPECT_EQ(script.find("secret"), std::string::npos);
  EXPECT_NE(script.find("complete -F _netadmit tool kubectl-tool\n"), std::string::npos);
}

TEST(CliDocsTest, ZshSpecsQuoteAndEscape) {
  CLI::App app{"Test tool", "tool"};
  std::string value;
  app.add_subcommand("run", "Run it's [thing]")
      ->add_option("--listen", value, "Address, e.g. [::]:8443")
      ->type_name("FILE");
  const std::string script = ZshCompletion(DescribeCommand(app));
  EXPECT_NE(script.find("'run:Run it'\\''s [thing]'"), std::string::npos) << script;
  EXPECT_NE(script.find("--listen'[Address, e.g. \\[::\\]:8443]:FILE:_files'"), std::string::npos)
      << script;
}

TEST(CliDocsTest, ManPageEscapesRoffAndListsEveryCommand) {
  CLI::App app{"Test tool", "tool"};
  std::string value;
  app.add_subcommand("run", "Run it")
      ->add_option("--dir", value, ".dot first, a \\ backslash")
      ->type_name("PATH");
  const std::string page = ManPage(DescribeCommand(app), "1.2.3");
  EXPECT_NE(page.find(".TH TOOL 1 \"\" \"tool 1.2.3\" \"User Commands\"\n"), std::string::npos);
  EXPECT_NE(page.find("tool \\- test tool\n"), std::string::npos) << page;
  EXPECT_NE(page.find(".SS \"tool run\"\nRun it.\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\\fB\\-\\-dir\\fR \\fIPATH\\fR\n\\&.dot first, a \\e backslash\n"),
            std::string::npos)
      << page;
}

}  // namespace
}  // namespace netadmit::cli
