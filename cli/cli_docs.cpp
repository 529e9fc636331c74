#include "cli/cli_docs.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <sstream>
#include <utility>

namespace netadmit::cli {

namespace {

// CLI11 describes an IsMember check as its set, "{a,b,c}" (detail::generate_set); no other
// validator of ours has a description in braces.
std::vector<std::string> Choices(CLI::Option& option) {
  std::vector<std::string> choices;
  for (int index = 0;; ++index) {
    CLI::Validator* validator = nullptr;
    try {
      validator = option.get_validator(index);
    } catch (const CLI::OptionNotFound&) {
      break;
    }
    const std::string set = validator->get_description();
    if (set.size() < 2 || set.front() != '{' || set.back() != '}') {
      continue;
    }
    std::istringstream items(set.substr(1, set.size() - 2));
    for (std::string item; std::getline(items, item, ',');) {
      choices.push_back(item);
    }
  }
  return choices;
}

OptionDoc DescribeOption(CLI::Option& option) {
  OptionDoc doc;
  doc.positional = option.get_lnames().empty() && option.get_snames().empty();
  if (doc.positional) {
    doc.names.push_back(option.get_name(true));
  }
  for (const std::string& name : option.get_snames()) {
    doc.names.push_back("-" + name);
  }
  for (const std::string& name : option.get_lnames()) {
    doc.names.push_back("--" + name);
  }
  if (option.get_expected_max() > 0) {
    const std::string type = option.get_type_name();  // "TEXT", or "TEXT:{a,b}" with a check
    doc.value_name = type.substr(0, type.find(':'));
    // An open-ended count (a vector) takes one value per use and may be repeated.
    doc.repeatable = option.get_expected_max() != option.get_expected_min();
    doc.values_per_use = doc.repeatable ? 1 : option.get_expected_min();
  }
  doc.required = option.get_required();
  doc.choices = Choices(option);
  doc.default_value = option.get_default_str();
  doc.description = option.get_description();
  return doc;
}

bool Hidden(const std::string& group) { return group.empty(); }

std::string Join(const std::vector<std::string>& words, std::string_view separator) {
  std::string joined;
  for (const std::string& word : words) {
    joined += (joined.empty() ? "" : std::string(separator)) + word;
  }
  return joined;
}

std::vector<const OptionDoc*> Named(const CommandDoc& command) {
  std::vector<const OptionDoc*> named;
  for (const OptionDoc& option : command.options) {
    if (!option.positional) {
      named.push_back(&option);
    }
  }
  return named;
}

// What may come next at `command`'s level: its subcommands and the choices of its positionals
// (words), and its option names.
std::pair<std::vector<std::string>, std::vector<std::string>> NextWords(const CommandDoc& command) {
  std::vector<std::string> words;
  std::vector<std::string> options;
  for (const CommandDoc& subcommand : command.subcommands) {
    words.push_back(subcommand.name);
  }
  for (const OptionDoc& option : command.options) {
    if (option.positional) {
      words.insert(words.end(), option.choices.begin(), option.choices.end());
    } else {
      options.insert(options.end(), option.names.begin(), option.names.end());
    }
  }
  return {words, options};
}

// Values named FILE or PATH (CLI11's type_name) complete as file names; other values have no
// candidates unless they are choices.
bool TakesPath(const OptionDoc& option) {
  return option.value_name == "FILE" || option.value_name == "PATH";
}

// Bash: one `case` branch per command completing the value of the option before the cursor,
// or else the command's next words.
void BashCommandBranch(std::ostream& out, const std::string& pattern, const CommandDoc& command) {
  out << "    " << pattern << ")\n";
  std::string value_cases;
  std::vector<std::string> path_options;
  std::vector<std::string> other_options;
  for (const OptionDoc* option : Named(command)) {
    if (option->values_per_use == 0) {
      continue;
    }
    if (!option->choices.empty()) {
      value_cases += "        " + Join(option->names, "|") + ") _netadmit_reply \"" +
                     Join(option->choices, " ") + "\"; return ;;\n";
    } else {
      auto& list = TakesPath(*option) ? path_options : other_options;
      list.insert(list.end(), option->names.begin(), option->names.end());
    }
  }
  if (!path_options.empty()) {
    value_cases += "        " + Join(path_options, "|") + ") _netadmit_files; return ;;\n";
  }
  if (!other_options.empty()) {
    value_cases += "        " + Join(other_options, "|") + ") COMPREPLY=(); return ;;\n";
  }
  if (!value_cases.empty()) {
    out << "      case \"$prev\" in\n" << value_cases << "      esac\n";
  }
  const auto [words, options] = NextWords(command);
  out << "      _netadmit_next \"" << Join(words, " ") << "\" \"" << Join(options, " ")
      << "\" ;;\n";
}

// zsh quoting: single quotes, and inside an _arguments spec brackets and colons are syntax.
std::string ZshQuoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string ZshEscaped(const std::string& text, std::string_view special) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\' || special.find(c) != std::string_view::npos) {
      escaped += '\\';
    }
    escaped += c;
  }
  return escaped;
}

std::string ZshValueAction(const OptionDoc& option) {
  const std::string message = option.positional ? option.names.front() : option.value_name;
  std::string action;
  for (int i = 0; i < option.values_per_use; ++i) {
    action += ":" + ZshEscaped(message, ":") + ":" +
              (!option.choices.empty() ? "(" + Join(option.choices, " ") + ")"
               : TakesPath(option)     ? "_files"
                                       : " ");
  }
  return action;
}

// One _arguments spec per option: '(-o --output)'{-o,--output}'[what]:TEXT:(a b)'.
std::string ZshSpec(const OptionDoc& option) {
  if (option.positional) {
    return ZshQuoted(ZshValueAction(option));
  }
  const std::string description = "[" + ZshEscaped(option.description, "[]") + "]";
  std::string prefix;
  if (option.repeatable) {
    prefix = "'*'";
  } else if (option.names.size() > 1) {
    prefix = ZshQuoted("(" + Join(option.names, " ") + ")");
  }
  const std::string names =
      option.names.size() > 1 ? "{" + Join(option.names, ",") + "}" : option.names.front();
  return prefix + names + ZshQuoted(description + ZshValueAction(option));
}

// roff: a backslash is \e, a line must not start with a control character, and a hyphen in an
// option name is \- so that it renders (and searches) as a minus.
std::string Roff(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    escaped += c == '\\' ? std::string("\\e") : std::string(1, c);
  }
  if (!escaped.empty() && (escaped.front() == '.' || escaped.front() == '\'')) {
    escaped.insert(0, "\\&");
  }
  return escaped;
}

std::string RoffName(const std::string& name) {
  std::string escaped;
  for (char c : name) {
    escaped += c == '-' ? std::string("\\-") : std::string(1, c);
  }
  return escaped;
}

void ManOptions(std::ostream& out, const std::vector<OptionDoc>& options) {
  for (const OptionDoc& option : options) {
    out << ".TP\n";
    std::vector<std::string> names;
    for (const std::string& name : option.names) {
      names.push_back("\\fB" + RoffName(name) + "\\fR");
    }
    out << Join(names, ", ");
    for (int i = 0; i < option.values_per_use && !option.positional; ++i) {
      out << " \\fI" << option.value_name << "\\fR";
    }
    out << "\n" << Roff(option.description);
    if (!option.choices.empty()) {
      out << " (one of: " << Roff(Join(option.choices, ", ")) << ")";
    }
    if (!option.default_value.empty()) {
      out << " (default: " << Roff(option.default_value) << ")";
    }
    if (option.required) {
      out << " (required)";
    }
    if (option.repeatable) {
      out << " (repeatable)";
    }
    out << "\n";
  }
}

// A description as a sentence of its own.
std::string Sentence(const std::string& text) {
  return Roff(text) + (text.empty() || text.back() == '.' ? "" : ".");
}

void ManParagraphs(std::ostream& out, const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    out << (line.empty() ? ".PP" : Roff(line)) << "\n";
  }
}

}  // namespace

CommandDoc DescribeCommand(CLI::App& app) {
  CommandDoc doc;
  doc.name = app.get_name();
  doc.description = app.get_description();
  doc.footer = app.get_footer();
  for (CLI::Option* option : app.get_options()) {
    if (!Hidden(option->get_group())) {
      doc.options.push_back(DescribeOption(*option));
    }
  }
  for (CLI::App* subcommand : app.get_subcommands([](CLI::App*) { return true; })) {
    if (!Hidden(subcommand->get_group())) {
      doc.subcommands.push_back(DescribeCommand(*subcommand));
    }
  }
  return doc;
}

std::string BashCompletion(const CommandDoc& program) {
  std::vector<std::string> subcommands;
  for (const CommandDoc& subcommand : program.subcommands) {
    subcommands.push_back(subcommand.name);
  }
  std::ostringstream out;
  out << "# bash completion for " << program.name << " and kubectl-" << program.name
      << ", generated by `" << program.name << " completion bash`.\n"
      << "\n"
      << "_netadmit_reply() {\n"
      << "  mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\")\n"
      << "}\n"
      << "\n"
      << "# Words (subcommands, values) unless the word begun is an option or there are none.\n"
      << "_netadmit_next() {\n"
      << "  if [[ -z \"$1\" || \"$cur\" == -* ]]; then _netadmit_reply \"$2\"; else "
         "_netadmit_reply \"$1\"; fi\n"
      << "}\n"
      << "\n"
      << "_netadmit_files() {\n"
      << "  compopt -o filenames 2>/dev/null\n"
      << "  mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
      << "}\n"
      << "\n"
      << "_netadmit() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" command=\"\" i\n"
      << "  if ((COMP_CWORD > 1)); then prev=\"${COMP_WORDS[COMP_CWORD - 1]}\"; fi\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    case \"${COMP_WORDS[i]}\" in\n"
      << "      " << Join(subcommands, "|") << ") command=\"${COMP_WORDS[i]}\"; break ;;\n"
      << "    esac\n"
      << "  done\n"
      << "  case \"$command\" in\n";
  BashCommandBranch(out, "\"\"", program);
  for (const CommandDoc& subcommand : program.subcommands) {
    BashCommandBranch(out, subcommand.name, subcommand);
  }
  out << "  esac\n"
      << "}\n"
      << "\n"
      << "complete -F _netadmit " << program.name << " kubectl-" << program.name << "\n";
  return out.str();
}

std::string ZshCompletion(const CommandDoc& program) {
  std::ostringstream out;
  out << "#compdef " << program.name << " kubectl-" << program.name << "\n"
      << "# zsh completion for " << program.name << " and kubectl-" << program.name
      << ", generated by `" << program.name << " completion zsh`.\n"
      << "\n"
      << "_" << program.name << "() {\n"
      << "  local curcontext=\"$curcontext\" state line\n"
      << "  local -a commands\n"
      << "  commands=(\n";
  for (const CommandDoc& subcommand : program.subcommands) {
    out << "    " << ZshQuoted(ZshEscaped(subcommand.name, ":") + ":" + subcommand.description)
        << "\n";
  }
  out << "  )\n"
      << "  _arguments -C \\\n";
  for (const OptionDoc* option : Named(program)) {
    out << "    " << ZshSpec(*option) << " \\\n";
  }
  out << "    '1: :->command' \\\n"
      << "    '*:: :->argument' && return\n"
      << "  case $state in\n"
      << "    command) _describe -t commands " << ZshQuoted(program.name + " command")
      << " commands ;;\n"
      << "    argument)\n"
      << "      case $line[1] in\n";
  for (const CommandDoc& subcommand : program.subcommands) {
    out << "        " << subcommand.name << ")\n"
        << "          _arguments";
    for (const OptionDoc& option : subcommand.options) {
      out << " \\\n            " << ZshSpec(option);
    }
    out << " ;;\n";
  }
  out << "      esac ;;\n"
      << "  esac\n"
      << "}\n"
      << "\n"
      << "_" << program.name << " \"$@\"\n";
  return out.str();
}

std::string ManPage(const CommandDoc& program, std::string_view version) {
  std::string summary = program.description;
  if (summary.size() > 1 && std::isupper(static_cast<unsigned char>(summary[0])) &&
      std::islower(static_cast<unsigned char>(summary[1]))) {
    summary[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(summary[0])));
  }
  std::string upper = program.name;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::ostringstream out;
  out << ".\\\" Generated by `" << program.name << " man` from the command line's definition.\n"
      << ".TH " << upper << " 1 \"\" \"" << program.name << " " << version
      << "\" \"User Commands\"\n"
      << ".nh\n"
      << ".SH NAME\n"
      << program.name << " \\- " << Roff(summary) << "\n"
      << ".SH SYNOPSIS\n";
  for (const CommandDoc& subcommand : program.subcommands) {
    out << ".B " << program.name << " " << subcommand.name << "\n"
        << "[\\fIOPTIONS\\fR]\n"
        << ".br\n";
  }
  out << ".B kubectl " << program.name << "\n"
      << "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
      << ".SH DESCRIPTION\n"
      << Sentence(program.description) << "\n";
  ManParagraphs(out, program.footer);
  out << ".SH OPTIONS\n";
  ManOptions(out, program.options);
  out << ".SH COMMANDS\n";
  for (const CommandDoc& subcommand : program.subcommands) {
    out << ".SS \"" << program.name << " " << subcommand.name << "\"\n"
        << Sentence(subcommand.description) << "\n";
    ManOptions(out, subcommand.options);
    if (!subcommand.footer.empty()) {
      out << ".PP\n";
      ManParagraphs(out, subcommand.footer);
    }
  }
  return out.str();
}

}  // namespace netadmit::cli
