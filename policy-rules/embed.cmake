# Turns INPUT into a C++ source defining netadmit::DefaultRuleSource(), as a byte array so that
# no character of the YAML can end a string literal.
file(READ ${INPUT} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUTPUT} "// Generated from policy-rules/default-rules.yaml. Do not edit.\n"
  "#include \"netadmit/rules/rule_set.h\"\n"
  "namespace netadmit {\n"
  "namespace {\n"
  "const char kDefaultRules[] = {${bytes} 0};\n"
  "}  // namespace\n"
  "RuleSource DefaultRuleSource() {\n"
  "  return RuleSource{\"<default rule set>\", std::string(kDefaultRules, sizeof(kDefaultRules) - 1)};\n"
  "}\n"
  "}  // namespace netadmit\n")
