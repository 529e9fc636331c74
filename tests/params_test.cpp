#include "netadmit/rules/params.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

namespace netadmit {
namespace {

constexpr char kFile[] = "rules.yaml";
constexpr char kPath[] = "spec.rules[0].params";

ParamReader Reader(const std::string& yaml) { return ParamReader(YAML::Load(yaml), kFile, kPath); }

TEST(ParamReaderTest, AbsentOrNullParamsAreNoParams) {
  for (const YAML::Node& params :
       {YAML::Node(), YAML::Load("~"), YAML::Load(""), YAML::Load("{}")}) {
    ParamReader reader(params, kFile, kPath);
    EXPECT_TRUE(reader.StringList("keys").empty());
    EXPECT_TRUE(reader.Bool("flag", true));
    EXPECT_FALSE(reader.Bool("other", false));
    EXPECT_EQ(reader.Int("max", 7, 1, 10), 7);
    EXPECT_TRUE(reader.CidrList("allowedCIDRs").empty());
    EXPECT_TRUE(reader.PortList("allowedPorts").empty());
    EXPECT_TRUE(reader.NamespaceList("allowedNamespaces").empty());
    EXPECT_FALSE(reader.Finish().has_value());
  }
}

TEST(ParamReaderTest, MissingParamsLookedUpOnAConstNodeAreNoParams) {
  const YAML::Node rule = YAML::Load("{id: x, kind: NoOpenEgress}");
  ParamReader reader(rule["params"], kFile, kPath);
  EXPECT_TRUE(reader.CidrList("allowedCIDRs").empty());
  reader.Require("keys");
  const auto error = reader.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->ToString(),
            "rules.yaml: spec.rules[0].params.keys: missing required field \"keys\"");
}

TEST(ParamReaderTest, NullValueIsAbsent) {
  ParamReader reader = Reader("{allowedCIDRs: ~, allowHostPort: null, maxPortRange: }");
  EXPECT_TRUE(reader.CidrList("allowedCIDRs").empty());
  EXPECT_TRUE(reader.Bool("allowHostPort", true));
  EXPECT_EQ(reader.Int("maxPortRange", 5, 1, 10), 5);
  EXPECT_FALSE(reader.Finish().has_value());
}

TEST(ParamReaderTest, ReadsEveryType) {
  ParamReader reader = Reader(R"(
keys: [app, "team", 42]
enabled: true
disabled: False
count: 1000
negative: -3
plus: +4
allowedCIDRs: [10.0.0.1/8, "fd00::/8"]
allowedPorts:
  - {protocol: UDP, port: 53}
  - {port: 8000, endPort: 8100}
  - {protocol: SCTP, port: 9}
allowedNamespaces: [ingress-nginx, "dev-*"]
)");
  EXPECT_EQ(reader.StringList("keys"), (std::vector<std::string>{"app", "team", "42"}));
  EXPECT_TRUE(reader.Bool("enabled", false));
  EXPECT_FALSE(reader.Bool("disabled", true));
  EXPECT_EQ(reader.Int("count", 0, 1, 65535), 1000);
  EXPECT_EQ(reader.Int("negative", 0, -10, 10), -3);
  EXPECT_EQ(reader.Int("plus", 0, -10, 10), 4);

  const auto cidrs = reader.CidrList("allowedCIDRs");
  ASSERT_EQ(cidrs.size(), 2u);
  EXPECT_EQ(cidrs[0].ToString(), "10.0.0.0/8");
  EXPECT_EQ(cidrs[1].ToString(), "fd00::/8");

  const auto ports = reader.PortList("allowedPorts");
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0].protocol, Protocol::kUDP);
  EXPECT_EQ(ports[0].port, 53);
  EXPECT_EQ(ports[0].end_port, 53);
  EXPECT_EQ(ports[1].protocol, Protocol::kTCP);  // the default
  EXPECT_EQ(ports[1].port, 8000);
  EXPECT_EQ(ports[1].end_port, 8100);
  EXPECT_EQ(ports[2].protocol, Protocol::kSCTP);

  const auto namespaces = reader.NamespaceList("allowedNamespaces");
  ASSERT_EQ(namespaces.size(), 2u);
  EXPECT_TRUE(namespaces[0].Matches("ingress-nginx"));
  EXPECT_TRUE(namespaces[1].Matches("dev-bob"));

  EXPECT_FALSE(reader.Finish().has_value());
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::function<void(ParamReader&)> read;
  int line;
  int column;
  std::string path;
  std::string message;
};

void ReadCidrs(ParamReader& r) { r.CidrList("allowedCIDRs"); }
void ReadPorts(ParamReader& r) { r.PortList("allowedPorts"); }

TEST(ParamReaderTest, ReportsErrorsWithPosition) {
  const std::vector<ErrorCase> cases = {
      {"string instead of list", "allowedCIDRs: \"10.0.0.0/8\"", ReadCidrs, 1, 15,
       "spec.rules[0].params.allowedCIDRs", "must be a list of CIDRs, got string \"10.0.0.0/8\""},
      {"invalid CIDR", "allowedCIDRs:\n  - 10.0.0.0/8\n  - 10.0.0.0/33\n", ReadCidrs, 3, 5,
       "spec.rules[0].params.allowedCIDRs[1]",
       "invalid CIDR \"10.0.0.0/33\": prefix length must be a number from 0 to 32"},
      {"CIDR item is a map", "allowedCIDRs: [{cidr: 10.0.0.0/8}]", ReadCidrs, 1, 16,
       "spec.rules[0].params.allowedCIDRs[0]", "must be a CIDR such as \"10.0.0.0/8\", got a map"},
      {"ports not a list", "allowedPorts: {port: 53}", ReadPorts, 1, 15,
       "spec.rules[0].params.allowedPorts",
       "must be a list of ports such as {protocol: UDP, port: 53}, got a map"},
      {"port entry is a number", "allowedPorts: [53]", ReadPorts, 1, 16,
       "spec.rules[0].params.allowedPorts[0]",
       "must be a port such as {protocol: UDP, port: 53}, got \"53\""},
      {"lowercase protocol", "allowedPorts:\n  - {protocol: udp, port: 53}\n", ReadPorts, 2, 16,
       "spec.rules[0].params.allowedPorts[0].protocol", "must be TCP, UDP or SCTP, got \"udp\""},
      {"port zero", "allowedPorts: [{port: 0}]", ReadPorts, 1, 23,
       "spec.rules[0].params.allowedPorts[0].port", "must be an integer from 1 to 65535, got 0"},
      {"port too big", "allowedPorts: [{port: 70000}]", ReadPorts, 1, 23,
       "spec.rules[0].params.allowedPorts[0].port",
       "must be an integer from 1 to 65535, got 70000"},
      {"quoted port", "allowedPorts: [{port: \"53\"}]", ReadPorts, 1, 23,
       "spec.rules[0].params.allowedPorts[0].port",
       "must be an integer from 1 to 65535, got string \"53\""},
      {"named port", "allowedPorts: [{port: dns}]", ReadPorts, 1, 23,
       "spec.rules[0].params.allowedPorts[0].port",
       "must be an integer from 1 to 65535, got \"dns\""},
      {"missing port", "allowedPorts: [{protocol: UDP}]", ReadPorts, 1, 16,
       "spec.rules[0].params.allowedPorts[0].port", "missing required field \"port\""},
      {"endPort below port", "allowedPorts: [{port: 8000, endPort: 7999}]", ReadPorts, 1, 38,
       "spec.rules[0].params.allowedPorts[0].endPort",
       "must be an integer from 8000 to 65535, got 7999 (endPort may not be below port)"},
      {"unknown field in port entry", "allowedPorts: [{port: 80, endport: 90}]", ReadPorts, 1, 27,
       "spec.rules[0].params.allowedPorts[0].endport",
       "unknown field \"endport\"; did you mean \"endPort\"?"},
      {"int with fraction", "maxPortRange: 1.5",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange", "must be an integer from 1 to 65535, got \"1.5\""},
      {"int in exponent form", "maxPortRange: 1e3",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange", "must be an integer from 1 to 65535, got \"1e3\""},
      {"int in hex", "maxPortRange: 0x10",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange", "must be an integer from 1 to 65535, got \"0x10\""},
      {"int overflowing int64", "maxPortRange: 99999999999999999999",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange",
       "must be an integer from 1 to 65535, got 99999999999999999999"},
      {"int below range", "maxPortRange: -1",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange", "must be an integer from 1 to 65535, got -1"},
      {"int is a list", "maxPortRange: [1]",
       [](ParamReader& r) { r.Int("maxPortRange", 0, 1, 65535); }, 1, 15,
       "spec.rules[0].params.maxPortRange", "must be an integer from 1 to 65535, got a list"},
      {"bool as yes", "allowHostPort: yes", [](ParamReader& r) { r.Bool("allowHostPort", false); },
       1, 16, "spec.rules[0].params.allowHostPort", "must be true or false, got \"yes\""},
      {"bool quoted", "allowHostPort: \"true\"",
       [](ParamReader& r) { r.Bool("allowHostPort", false); }, 1, 16,
       "spec.rules[0].params.allowHostPort", "must be true or false, got string \"true\""},
      {"string list is a string", "keys: app", [](ParamReader& r) { r.StringList("keys"); }, 1, 7,
       "spec.rules[0].params.keys", "must be a list of strings, got \"app\""},
      {"string list item is a list", "keys:\n  - app\n  - [team]\n",
       [](ParamReader& r) { r.StringList("keys"); }, 3, 5, "spec.rules[0].params.keys[1]",
       "must be a string, got a list"},
      {"string list item is null", "keys: [app, ~]", [](ParamReader& r) { r.StringList("keys"); },
       1, 13, "spec.rules[0].params.keys[1]", "must be a string, got null"},
      {"invalid namespace pattern", "allowedNamespaces: [ok, Dev-*]",
       [](ParamReader& r) { r.NamespaceList("allowedNamespaces"); }, 1, 25,
       "spec.rules[0].params.allowedNamespaces[1]",
       "invalid namespace pattern \"Dev-*\": namespaces are lowercase; use \"dev-*\""},
      {"namespaces not a list", "allowedNamespaces: kube-system",
       [](ParamReader& r) { r.NamespaceList("allowedNamespaces"); }, 1, 20,
       "spec.rules[0].params.allowedNamespaces",
       "must be a list of namespace names or patterns, got \"kube-system\""},
      {"unknown field, differs by case", "allowedCIDRs: []\nallowedCidrs: [10.0.0.0/8]\n",
       ReadCidrs, 2, 1, "spec.rules[0].params.allowedCidrs",
       "unknown field \"allowedCidrs\"; did you mean \"allowedCIDRs\"?"},
      {"unknown field, a typo", "alowedPorts: []", ReadPorts, 1, 1,
       "spec.rules[0].params.alowedPorts", "unknown field \"alowedPorts\""},
      {"unknown field, nothing close", "colour: red", ReadPorts, 1, 1,
       "spec.rules[0].params.colour", "unknown field \"colour\""},
      {"duplicate field", "allowedCIDRs: [10.0.0.0/8]\nallowedCIDRs: [0.0.0.0/0]\n", ReadCidrs, 2,
       1, "spec.rules[0].params.allowedCIDRs", "duplicate field \"allowedCIDRs\""},
      {"params not a map", "[10.0.0.0/8]", ReadCidrs, 1, 1, "spec.rules[0].params",
       "must be a map of parameter names to values, got a list"},
      {"params a scalar", "yes", ReadCidrs, 1, 1, "spec.rules[0].params",
       "must be a map of parameter names to values, got \"yes\""},
      {"required and absent", "other: 1",
       [](ParamReader& r) {
         r.Require("keys");
         r.StringList("keys");
         r.Int("other", 0, 0, 5);
       },
       1, 1, "spec.rules[0].params.keys", "missing required field \"keys\""},
      {"required and null", "keys: ~",
       [](ParamReader& r) {
         r.Require("keys");
         r.StringList("keys");
       },
       1, 1, "spec.rules[0].params.keys", "missing required field \"keys\""},
      {"failure reported by the kind", "keys: []",
       [](ParamReader& r) {
         if (r.StringList("keys").empty()) {
           r.Fail("keys", "must list at least one label key");
         }
       },
       1, 7, "spec.rules[0].params.keys", "must list at least one label key"},
      {"only the first error is kept", "allowedCIDRs: [x]\nallowedPorts: [1]\ntypo: 1\n",
       [](ParamReader& r) {
         r.CidrList("allowedCIDRs");
         r.PortList("allowedPorts");
       },
       1, 16, "spec.rules[0].params.allowedCIDRs[0]", "invalid CIDR \"x\": missing /prefix-length"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ParamReader reader = Reader(c.yaml);
    c.read(reader);
    const std::optional<Error> error = reader.Finish();
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->file, "rules.yaml");
    EXPECT_EQ(error->line, c.line);
    EXPECT_EQ(error->column, c.column);
    EXPECT_EQ(error->path, c.path);
    EXPECT_EQ(error->message, c.message);
  }
}

TEST(ParamReaderTest, RequiredWithoutAnyParamsHasNoPosition) {
  ParamReader reader(YAML::Node(), kFile, kPath);
  reader.Require("keys");
  const auto error = reader.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->ToString(),
            "rules.yaml: spec.rules[0].params.keys: missing required field \"keys\"");
}

TEST(ParamReaderTest, GettersReturnDefaultsAfterAnError) {
  ParamReader reader = Reader("a: [x]\nb: [10.0.0.0/8]\nc: true\nd: 3\n");
  EXPECT_TRUE(reader.CidrList("a").empty());
  EXPECT_TRUE(reader.CidrList("b").empty());
  EXPECT_FALSE(reader.Bool("c", false));
  EXPECT_EQ(reader.Int("d", 9, 0, 5), 9);
  ASSERT_TRUE(reader.Finish().has_value());
  EXPECT_EQ(reader.Finish()->path, "spec.rules[0].params.a[0]");
}

TEST(ParamReaderTest, UnreadFieldIsUnknownEvenWhenValid) {
  ParamReader reader = Reader("allowedCIDRs: [10.0.0.0/8]\nallowedPorts: []\n");
  reader.CidrList("allowedCIDRs");
  const auto error = reader.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->ToString(),
            "rules.yaml:2:1: spec.rules[0].params.allowedPorts: unknown field \"allowedPorts\"");
}

TEST(ParamReaderTest, ReadsASelector) {
  ParamReader reader = Reader(R"(
namespaceSelector:
  matchLabels: {team: a}
  matchExpressions:
    - {key: env, operator: In, values: [dev, "test"]}
    - {key: legacy, operator: DoesNotExist}
)");
  EXPECT_FALSE(reader.Selector("podSelector").has_value());
  const auto selector = reader.Selector("namespaceSelector");
  ASSERT_TRUE(selector.has_value());
  EXPECT_EQ(selector->match_labels, (Labels{{"team", "a"}}));
  ASSERT_EQ(selector->match_expressions.size(), 2u);
  EXPECT_EQ(selector->match_expressions[0].key, "env");
  EXPECT_EQ(selector->match_expressions[0].op, SelectorOperator::kIn);
  EXPECT_EQ(selector->match_expressions[0].values, (std::vector<std::string>{"dev", "test"}));
  EXPECT_EQ(selector->match_expressions[1].key, "legacy");
  EXPECT_EQ(selector->match_expressions[1].op, SelectorOperator::kDoesNotExist);
  EXPECT_TRUE(selector->match_expressions[1].values.empty());
  EXPECT_FALSE(reader.Finish().has_value());
}

TEST(ParamReaderTest, KeepsTheSelectorsError) {
  ParamReader reader =
      Reader("namespaceSelector: {matchExpressions: [{key: a, operator: Has}]}\nkeys: [a]\n");
  EXPECT_FALSE(reader.Selector("namespaceSelector").has_value());
  EXPECT_TRUE(reader.StringList("keys").empty());
  const auto error = reader.Finish();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->ToString(),
            "rules.yaml:1:59: "
            "spec.rules[0].params.namespaceSelector.matchExpressions[0].operator: "
            "must be In, NotIn, Exists or DoesNotExist, got \"Has\"");
}

struct SelectorErrorCase {
  std::string yaml;
  int line;
  int column;
  std::string path;  // after "sel"
  std::string message;
};

TEST(ParseLabelSelectorTest, ReportsErrorsWithPosition) {
  const std::vector<SelectorErrorCase> cases = {
      {"[a]", 1, 1, "", "must be a label selector such as {matchLabels: {team: a}}, got a list"},
      {"{matchLabel: {a: b}}", 1, 2, ".matchLabel", "unknown field \"matchLabel\""},
      {"{matchlabels: {a: b}}", 1, 2, ".matchlabels",
       "unknown field \"matchlabels\"; did you mean \"matchLabels\"?"},
      {"{matchLabels: [a]}", 1, 15, ".matchLabels",
       "must be a map of label keys to values, got a list"},
      {"{matchLabels: {a: [b]}}", 1, 16, ".matchLabels", "must be a map of label keys to values"},
      {"{matchExpressions: {key: a}}", 1, 20, ".matchExpressions",
       "must be a list of requirements, got a map"},
      {"{matchExpressions: [{key: a, operator: Exists}, x]}", 1, 49, ".matchExpressions[1]",
       "must be a requirement such as {key: team, operator: In, values: [a]}, got \"x\""},
      {"{matchExpressions: [{key: a, op: In}]}", 1, 30, ".matchExpressions[0].op",
       "unknown field \"op\""},
      {"{matchExpressions: [{operator: Exists}]}", 1, 21, ".matchExpressions[0].key",
       "must be a label key"},
      {"{matchExpressions: [{key: a, operator: Has}]}", 1, 40, ".matchExpressions[0].operator",
       "must be In, NotIn, Exists or DoesNotExist, got \"Has\""},
      {"{matchExpressions: [{key: a}]}", 1, 21, ".matchExpressions[0].operator",
       "must be In, NotIn, Exists or DoesNotExist, got nothing"},
      {"{matchExpressions: [{key: a, operator: In, values: b}]}", 1, 52,
       ".matchExpressions[0].values", "must be a list of strings"},
      {"{matchExpressions: [{key: a, operator: In, values: [[b]]}]}", 1, 53,
       ".matchExpressions[0].values", "must be a list of strings"},
      {"{matchExpressions: [{key: a, operator: In}]}", 1, 21, ".matchExpressions[0].values",
       "must not be empty for operator In"},
      {"{matchExpressions: [{key: a, operator: Exists, values: [b]}]}", 1, 21,
       ".matchExpressions[0].values", "must be empty for operator Exists"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    const auto selector = ParseLabelSelector(YAML::Load(c.yaml), kFile, "sel");
    ASSERT_FALSE(selector.ok());
    EXPECT_EQ(selector.error().file, "rules.yaml");
    EXPECT_EQ(selector.error().line, c.line);
    EXPECT_EQ(selector.error().column, c.column);
    EXPECT_EQ(selector.error().path, "sel" + c.path);
    EXPECT_EQ(selector.error().message, c.message);
  }
}

TEST(ParamReaderTest, ErrorAtUsesOneBasedPositions) {
  const YAML::Node root = YAML::Load("a:\n  b: [1, 2]\n");
  const Error error = ErrorAt(root["a"]["b"][1], "f.yaml", "a.b[1]", "bad");
  EXPECT_EQ(error.ToString(), "f.yaml:2:10: a.b[1]: bad");
  EXPECT_EQ(ErrorAt(YAML::Node(), "f.yaml", "x", "bad").ToString(), "f.yaml: x: bad");
}

}  // namespace
}  // namespace netadmit
