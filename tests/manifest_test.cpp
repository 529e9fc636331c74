#include "netadmit/codec/manifest.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "files/inputs.h"

namespace netadmit {
namespace {

namespace fs = std::filesystem;

std::string Compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

std::string Field(const rapidjson::Value& object, const char* key) {
  auto found = object.FindMember(key);
  if (found == object.MemberEnd() || !found->value.IsString()) {
    return "<missing>";
  }
  return found->value.GetString();
}

// "line:document kind/name" for each object, to compare whole results at once.
std::vector<std::string> Summaries(const std::vector<ManifestObject>& objects) {
  std::vector<std::string> out;
  for (const auto& object : objects) {
    std::string name = "<unnamed>";
    auto metadata = object.object->FindMember("metadata");
    if (metadata != object.object->MemberEnd() && metadata->value.IsObject()) {
      name = Field(metadata->value, "name");
    }
    out.push_back(std::to_string(object.line) + ":" + std::to_string(object.document) + " " +
                  Field(*object.object, "kind") + "/" + name);
  }
  return out;
}

struct ScalarCase {
  std::string yaml;  // the value of `v:`
  std::string json;  // what it converts to
};

class ScalarTest : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(ScalarTest, ConvertsWithKubernetesTypes) {
  const ScalarCase& test = GetParam();
  auto parsed = ParseManifests("s.yaml", "apiVersion: v1\nkind: ConfigMap\nv: " + test.yaml + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  const rapidjson::Value& object = *(*parsed)[0].object;
  ASSERT_TRUE(object.HasMember("v"));
  EXPECT_EQ(Compact(object["v"]), test.json) << "v: " << test.yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, ScalarTest,
    ::testing::Values(
        // Numbers: a numeric port stays a number, a quoted one is a string (a named port).
        ScalarCase{"80", "80"}, ScalarCase{"\"80\"", "\"80\""}, ScalarCase{"'80'", "\"80\""},
        ScalarCase{"!!str 80", "\"80\""}, ScalarCase{"-3", "-3"}, ScalarCase{"+3", "3"},
        ScalarCase{"0", "0"}, ScalarCase{"-9223372036854775808", "-9223372036854775808"},
        ScalarCase{"18446744073709551615", "18446744073709551615"},
        ScalarCase{"99999999999999999999", "100000000000000000000.0"}, ScalarCase{"1.5", "1.5"},
        ScalarCase{"-0.25", "-0.25"}, ScalarCase{".5", "0.5"}, ScalarCase{"5.", "5.0"},
        ScalarCase{"1e3", "1000.0"}, ScalarCase{"2.5E-1", "0.25"},
        // Out of range for a double: kept as written.
        ScalarCase{"1e999", "\"1e999\""},
        // Not decimal numbers: strings.
        ScalarCase{"0x1F", "\"0x1F\""}, ScalarCase{"1_000", "\"1_000\""},
        ScalarCase{"1.2.3", "\"1.2.3\""}, ScalarCase{"10.0.0.0/8", "\"10.0.0.0/8\""},
        ScalarCase{"-x", "\"-x\""}, ScalarCase{"e5", "\"e5\""}, ScalarCase{".inf", "\".inf\""},
        // Null.
        ScalarCase{"", "null"}, ScalarCase{"~", "null"}, ScalarCase{"null", "null"},
        ScalarCase{"Null", "null"}, ScalarCase{"NULL", "null"}, ScalarCase{"\"null\"", "\"null\""},
        ScalarCase{"\"\"", "\"\""},
        // Booleans.
        ScalarCase{"true", "true"}, ScalarCase{"True", "true"}, ScalarCase{"TRUE", "true"},
        ScalarCase{"false", "false"}, ScalarCase{"False", "false"}, ScalarCase{"FALSE", "false"},
        ScalarCase{"\"true\"", "\"true\""}, ScalarCase{"yes", "\"yes\""},
        ScalarCase{"tRUE", "\"tRUE\""},
        // Strings and collections.
        ScalarCase{"web", "\"web\""},
        ScalarCase{"|\n  line one\n  line two", "\"line one\\nline two\\n\""},
        ScalarCase{"[1, \"1\", a, null, true]", "[1,\"1\",\"a\",null,true]"},
        ScalarCase{"{80: x, true: y, \"k\": 1.0}", "{\"80\":\"x\",\"true\":\"y\",\"k\":1.0}"},
        ScalarCase{"[]", "[]"}, ScalarCase{"{}", "{}"}));

struct DocumentCase {
  std::string name;
  std::string text;
  std::vector<std::string> objects;  // Summaries() of the result
};

class DocumentTest : public ::testing::TestWithParam<DocumentCase> {};

TEST_P(DocumentTest, FindsEveryObject) {
  const DocumentCase& test = GetParam();
  auto parsed = ParseManifests("in.yaml", test.text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(Summaries(*parsed), test.objects);
  for (const auto& object : *parsed) {
    EXPECT_EQ(object.file, "in.yaml");
    EXPECT_NE(object.json, nullptr);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, DocumentTest,
    ::testing::Values(
        DocumentCase{"Empty", "", {}},
        DocumentCase{"OnlyComments", "# nothing here\n---\n# nor here\n", {}},
        DocumentCase{
            "OneDocument", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", {"1:1 Pod/a"}},
        DocumentCase{"SeveralDocumentsSkippingEmptyOnes",
                     "---\n# comment\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n"
                     "---\n\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n...\n",
                     {"4:2 Pod/a", "10:4 Service/b"}},
        DocumentCase{
            "ListItemsWithTheirOwnLines",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n"
            "  metadata: {name: a}\n- {apiVersion: v1, kind: Service, metadata: {name: b}}\n",
            {"4:1 Pod/a", "7:1 Service/b"}},
        DocumentCase{"TypedListFromKubectlGet",
                     "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n"
                     "  metadata: {name: a}\n",
                     {"4:1 Pod/a"}},
        DocumentCase{"EmptyList", "apiVersion: v1\nkind: List\nitems: []\n", {}},
        DocumentCase{"ListWithoutItems", "apiVersion: v1\nkind: List\n", {}},
        // A kind ending in List without an items list is an ordinary object.
        DocumentCase{"KindNamedLikeAList",
                     "apiVersion: example.com/v1\nkind: AllowList\n",
                     {"1:1 AllowList/<unnamed>"}},
        DocumentCase{"JsonObject",
                     "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n"
                     "  \"metadata\": {\"name\": \"j\"}\n}\n",
                     {"1:1 Pod/j"}},
        DocumentCase{
            "JsonList",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
            "  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"x\"}},\n"
            "  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"y\"}}\n"
            "]}\n",
            {"2:1 Pod/x", "3:1 Pod/y"}},
        DocumentCase{
            "AnchorsAndAliases",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: &n shared\n  labels: {app: *n}\n",
            {"1:1 Pod/shared"}}),
    [](const ::testing::TestParamInfo<DocumentCase>& case_info) { return case_info.param.name; });

struct ErrorCase {
  std::string name;
  std::string text;
  int line;
  int column;
  std::string path;
  std::string message;
};

class ManifestErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ManifestErrorTest, FailsWithPosition) {
  const ErrorCase& test = GetParam();
  auto parsed = ParseManifests("bad.yaml", test.text);
  ASSERT_FALSE(parsed.ok());
  const Error& error = parsed.error();
  EXPECT_EQ(error.file, "bad.yaml");
  EXPECT_EQ(error.line, test.line);
  EXPECT_EQ(error.column, test.column);
  EXPECT_EQ(error.path, test.path);
  EXPECT_EQ(error.message, test.message);
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, ManifestErrorTest,
    ::testing::Values(
        ErrorCase{"UnclosedFlowSequence", "apiVersion: v1\nkind: Pod\nx: [1, 2\ny: 3\n", 4, 2, "",
                  "invalid YAML: end of sequence flow not found"},
        ErrorCase{"MapValueInPlainScalar", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a: b\n",
                  4, 10, "", "invalid YAML: illegal map value"},
        ErrorCase{"UnclosedFlowMap", "apiVersion: v1\nkind: Pod\nx: {a: 1\n", 4, 1, "",
                  "invalid YAML: end of map flow not found"},
        // yaml-cpp alone would loop forever on this.
        ErrorCase{"CommaAfterAJsonObject", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"},\n", 1, 36,
                  "", "invalid YAML: unexpected token after the end of a node"},
        ErrorCase{"BadIndentation", "apiVersion: v1\nkind: Pod\n  bad: indent\n", 3, 6, "",
                  "invalid YAML: illegal map value"},
        ErrorCase{"DuplicateKey",
                  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {}\n  name: b\n", 6,
                  3, "metadata.name", "duplicate key \"name\" (first set at line 4) in document 1"},
        ErrorCase{"DuplicateKeyInJson",
                  "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"kind\": \"Pod\"}", 1, 37, "kind",
                  "duplicate key \"kind\" (first set at line 1) in document 1"},
        ErrorCase{
            "DuplicateKeyInSecondDocument",
            "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
            "  - name: a\n    name: b\n",
            9, 5, "spec.containers[0].name",
            "duplicate key \"name\" (first set at line 8) in document 2"},
        ErrorCase{"DocumentIsAList", "- apiVersion: v1\n  kind: Pod\n", 1, 1, "",
                  "expected a Kubernetes object (a map with apiVersion and kind), found a list in "
                  "document 1"},
        ErrorCase{
            "DocumentIsAString", "apiVersion: v1\nkind: Pod\n---\njust text\n", 4, 1, "",
            "expected a Kubernetes object (a map with apiVersion and kind), found a string in "
            "document 2"},
        ErrorCase{
            "DocumentIsANumber", "---\n42\n", 2, 1, "",
            "expected a Kubernetes object (a map with apiVersion and kind), found a number in "
            "document 1"},
        ErrorCase{"KindMissing", "apiVersion: v1\nmetadata: {name: a}\n", 1, 1, "",
                  "kind is missing in document 1"},
        ErrorCase{"ApiVersionMissing", "kind: Pod\n", 1, 1, "",
                  "apiVersion is missing in document 1"},
        ErrorCase{"ApiVersionNotAString", "apiVersion: 1\nkind: Pod\n", 1, 13, "apiVersion",
                  "apiVersion must be a string, found a number in document 1"},
        ErrorCase{"KindNull", "apiVersion: v1\nkind:\n", 2, 1, "kind",
                  "kind must be a string, found null in document 1"},
        ErrorCase{"KindEmpty", "apiVersion: v1\nkind: \"\"\n", 2, 7, "kind",
                  "kind is empty in document 1"},
        ErrorCase{
            "ListItemNotAnObject",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- 3\n", 6, 3,
            "items[1]",
            "expected a Kubernetes object (a map with apiVersion and kind), found a number in "
            "document 1"},
        ErrorCase{"ListItemWithoutKind", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n",
                  4, 3, "items[0]", "kind is missing in document 1"},
        ErrorCase{"ListItemsNotAList", "apiVersion: v1\nkind: List\nitems: 3\n", 3, 8, "items",
                  "items must be a list, found a number in document 1"},
        ErrorCase{"KeyIsAList", "apiVersion: v1\nkind: Pod\n? [a]\n: b\n", 3, 3, "",
                  "map key must be a string, found a list in document 1"},
        ErrorCase{"MergeOfAScalar", "apiVersion: v1\nkind: Pod\nspec: {<<: 3}\n", 3, 12, "spec.<<",
                  "merge key << needs a map or a list of maps, found a scalar in document 1"}),
    [](const ::testing::TestParamInfo<ErrorCase>& case_info) { return case_info.param.name; });

TEST(ManifestTest, DeepNestingWithinTheLimitConverts) {
  const int depth = 200;
  std::string text = "apiVersion: v1\nkind: Pod\nx: " + std::string(depth, '[') + "1" +
                     std::string(depth, ']') + "\n";
  auto parsed = ParseManifests("deep.yaml", text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const rapidjson::Value* value = &(*(*parsed)[0].object)["x"];
  for (int i = 0; i < depth; ++i) {
    ASSERT_TRUE(value->IsArray());
    ASSERT_EQ(value->Size(), 1u);
    value = &(*value)[0];
  }
  EXPECT_EQ(value->GetInt64(), 1);
}

TEST(ManifestTest, TooDeepNestingIsAnError) {
  const int depth = 5000;
  std::string text =
      "apiVersion: v1\nkind: Pod\nx: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
  auto parsed = ParseManifests("deep.yaml", text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().file, "deep.yaml");
  EXPECT_EQ(parsed.error().message, "invalid YAML: nesting too deep");
  EXPECT_EQ(parsed.error().line, 3);
}

TEST(ManifestTest, AliasNestedInItselfIsAnError) {
  auto parsed = ParseManifests("self.yaml", "apiVersion: v1\nkind: Pod\nx: &a [*a]\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().line, 3);
  EXPECT_EQ(parsed.error().message, "nesting deeper than 512 levels in document 1");
  // The path of a very deep node keeps its ends only.
  EXPECT_EQ(parsed.error().path, "x[0][0][0][0][0][0][0]...[0][0][0][0][0][0][0][0]");
}

TEST(ManifestTest, AliasExpansionIsBounded) {
  // Each level refers to the one before ten times: 10^9 values from a few hundred bytes.
  std::string text = "apiVersion: v1\nkind: Pod\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string previous = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) {
      text += (j == 0 ? "" : ", ") + previous;
    }
    text += "]\n";
  }
  auto parsed = ParseManifests("bomb.yaml", text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "aliases expand to more than 200000 values in document 1");
}

TEST(ManifestTest, MergeKeysAddWhatTheMapDoesNotSet) {
  auto parsed = ParseManifests("merge.yaml",
                               "apiVersion: v1\nkind: Pod\n"
                               "base: &base {hostNetwork: true, dnsPolicy: Default}\n"
                               "extra: &extra {dnsPolicy: None, restartPolicy: Never}\n"
                               "spec:\n  <<: [*base, *extra]\n  restartPolicy: Always\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const rapidjson::Value& spec = (*(*parsed)[0].object)["spec"];
  ASSERT_TRUE(spec.IsObject());
  EXPECT_FALSE(spec.HasMember("<<"));
  EXPECT_TRUE(spec["hostNetwork"].IsTrue());
  EXPECT_STREQ(spec["dnsPolicy"].GetString(), "Default");     // the first map wins
  EXPECT_STREQ(spec["restartPolicy"].GetString(), "Always");  // the map's own key wins
}

TEST(ManifestTest, ListItemsShareTheDocument) {
  auto parsed = ParseManifests("l.yaml",
                               "apiVersion: v1\nkind: List\nitems:\n"
                               "- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n"
                               "- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].json, (*parsed)[1].json);
  EXPECT_EQ((*parsed)[1].object, &(*(*parsed)[1].json)["items"][1]);
}

class ReadManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) / (std::string("netadmit-manifests-") + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    const fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  static std::string Pod(const std::string& name) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\n";
  }

  fs::path root_;
};

TEST_F(ReadManifestsTest, DirectoryIsReadRecursivelyInPathOrder) {
  Write("b.yaml", Pod("b"));
  Write("a.yml", Pod("a"));
  Write("sub/c.json", R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}})");
  Write("sub/deeper/d.yaml", Pod("d") + "---\n" + Pod("d2"));
  Write("notes.txt", "not: [a manifest");
  Write("README.md", "# docs");
  Write("values.yaml.bak", Pod("backup"));
  auto read = ReadManifests(root_.string());
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  std::vector<std::string> seen;
  for (const auto& object : *read) {
    seen.push_back(fs::path(object.file).lexically_relative(root_).string() + ":" +
                   std::to_string(object.line) + ":" + std::to_string(object.document));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a.yml:1:1", "b.yaml:1:1", "sub/c.json:1:1",
                                            "sub/deeper/d.yaml:1:1", "sub/deeper/d.yaml:5:2"}));
}

TEST_F(ReadManifestsTest, ErrorNamesTheFileInADirectory) {
  Write("a.yaml", Pod("a"));
  Write("z/broken.yaml", "apiVersion: v1\nkind: [Pod\n");
  auto read = ReadManifests(root_.string());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().file, (root_ / "z/broken.yaml").string());
  EXPECT_EQ(read.error().line, 3);
}

TEST_F(ReadManifestsTest, EmptyDirectoryHasNoObjects) {
  auto read = ReadManifests(root_.string());
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_TRUE(read->empty());
}

TEST_F(ReadManifestsTest, MissingFileIsAnError) {
  const std::string missing = (root_ / "missing.yaml").string();
  auto read = ReadManifests(missing);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().file, missing);
  EXPECT_EQ(read.error().message, "No such file or directory");
}

TEST(ReadManifestsStdinTest, DashReadsStandardInput) {
  std::istringstream input(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: from-stdin}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
  std::streambuf* saved = std::cin.rdbuf(input.rdbuf());
  auto read = ReadManifests("-");
  std::cin.rdbuf(saved);
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(Summaries(*read), (std::vector<std::string>{"1:1 Pod/from-stdin", "5:2 Service/s"}));
  EXPECT_EQ((*read)[0].file, "-");
}

struct FixtureCase {
  std::string file;
  std::vector<std::string> objects;
};

class FixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(FixtureTest, ReadsTheSampleManifests) {
  const FixtureCase& test = GetParam();
  const std::string path = std::string(NETADMIT_FIXTURES_DIR) + "/manifests/" + test.file;
  auto read = ReadManifests(path);
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(Summaries(*read), test.objects);
  for (const auto& object : *read) {
    EXPECT_EQ(object.file, path);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, FixtureTest,
    ::testing::Values(FixtureCase{"good-networkpolicy.yaml", {"2:1 NetworkPolicy/web"}},
                      FixtureCase{"open-egress.yaml", {"2:1 NetworkPolicy/open-egress"}},
                      FixtureCase{"deployment-host-network.yaml", {"1:1 Deployment/node-agent"}},
                      FixtureCase{"multi-doc.yaml",
                                  {"3:1 ConfigMap/settings", "14:3 NetworkPolicy/default-deny",
                                   "24:5 Pod/debug"}},
                      FixtureCase{"list.yaml",
                                  {"7:1 NetworkPolicy/allow-all-egress", "17:1 Pod/worker"}},
                      FixtureCase{"list.json", {"5:1 NetworkPolicy/api", "15:1 Service/api"}}));

// A text that is one JSON object (`kubectl get -o json`) is read by RapidJSON rather than the
// YAML reader; it must give the same objects, and each item's line. A comment before the `{`
// makes the same text YAML only, read the other way.
TEST(ManifestTest, JsonListReadsAsItsYamlForm) {
  const std::string json = R"({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"env": "prod"}}},
    {
      "apiVersion": "networking.k8s.io/v1",
      "kind": "NetworkPolicy",
      "metadata": {"name": "api", "namespace": "shop"},
      "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 8080}, {"port": "http"}]}],
               "x": [1.5, true, null, -3, 18446744073709551615]}
    },
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop"}}
  ]
})";
  auto fast = ParseManifests("cluster.json", json);
  auto slow = ParseManifests("cluster.json", "# read as YAML\n" + json);
  ASSERT_TRUE(fast.ok()) << fast.error().ToString();
  ASSERT_TRUE(slow.ok()) << slow.error().ToString();
  ASSERT_EQ(fast->size(), 3U);
  ASSERT_EQ(slow->size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Compact(*(*fast)[i].object), Compact(*(*slow)[i].object)) << "item " << i;
  }
  EXPECT_EQ((*fast)[0].line, 5);
  EXPECT_EQ((*fast)[1].line, 6);
  EXPECT_EQ((*fast)[2].line, 13);
  // Anything the quick reader does not take whole goes the YAML way, which names the place.
  const auto broken = ParseManifests("cluster.json", R"({"apiVersion": "v1", "kind": "List",
  "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}, {"kind": "Pod"}]})");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().ToString(),
            "cluster.json:2:77: items[1]: apiVersion is missing in document 1");
}

// A text cut off inside a UTF-8 character: the quick reader must stop at the text's end, not
// read the continuation bytes the lead byte promises (the fuzzer found that it did).
TEST(ManifestTest, JsonCutOffInsideACharacterIsAnErrorNotAnOverrun) {
  const std::string cut = "{\n  \"apiVersion# Lets the selected pods reach eve\xe5";
  const auto read = ParseManifests("cut.json", cut);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().file, "cut.json");
  EXPECT_FALSE(read.error().message.empty());
  const auto valid = ParseManifests(
      "accented.json",
      "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\", "
      "\"annotations\": {\"owner\": \"\xc3\xa9quipe\"}}}");
  ASSERT_TRUE(valid.ok()) << valid.error().ToString();
  EXPECT_STREQ((*(*valid)[0].object)["metadata"]["annotations"]["owner"].GetString(),
               "\xc3\xa9quipe");
}

TEST(ManifestTest, PortsKeepTheirTypesInFixture) {
  auto read =
      ReadManifests(std::string(NETADMIT_FIXTURES_DIR) + "/manifests/good-networkpolicy.yaml");
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  const rapidjson::Value& spec = (*(*read)[0].object)["spec"];
  EXPECT_TRUE(spec["ingress"][0]["ports"][0]["port"].IsString());
  EXPECT_TRUE(spec["egress"][0]["ports"][0]["port"].IsInt64());
  EXPECT_EQ(spec["egress"][1]["ports"][0]["port"].GetInt64(), 53);
}

}  // namespace
}  // namespace netadmit

namespace netadmit {
namespace {

TEST(ManifestsOfListTest, ItemsOfAnApiListGetTheirKindAndApiVersion) {
  auto listed = ManifestsOfList(
      "cluster:/apis/apps/v1/deployments",
      R"({"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{"resourceVersion":"7"},)"
      R"("items":[{"metadata":{"name":"a","namespace":"x"}},)"
      R"({"apiVersion":"apps/v1beta2","kind":"Deployment","metadata":{"name":"b"}}]})",
      "apps/v1", "Deployment");
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 2u);
  const rapidjson::Value& first = *(*listed)[0].object;
  EXPECT_STREQ(first["apiVersion"].GetString(), "apps/v1");
  EXPECT_STREQ(first["kind"].GetString(), "Deployment");
  EXPECT_STREQ(first["metadata"]["name"].GetString(), "a");
  EXPECT_EQ((*listed)[1].document, 2);
  // What an item says of itself stands.
  EXPECT_STREQ((*(*listed)[1].object)["apiVersion"].GetString(), "apps/v1beta2");
  EXPECT_TRUE(ManifestsOfList("s", R"({"items":null})", "v1", "Pod")->empty());
}

TEST(ManifestsOfListTest, ABodyThatIsNotAListIsAnError) {
  EXPECT_EQ(ManifestsOfList("s", "<html>", "v1", "Pod").error().ToString(),
            "s: the list is not a JSON object");
  EXPECT_EQ(ManifestsOfList("s", R"({"items":{}})", "v1", "Pod").error().ToString(),
            "s: items: expected a list");
  EXPECT_EQ(ManifestsOfList("s", R"({"items":[1]})", "v1", "Pod").error().ToString(),
            "s: items[0]: expected an object");
  EXPECT_FALSE(ManifestsOfList("s", std::string(100000, '['), "v1", "Pod").ok());
}

}  // namespace
}  // namespace netadmit
