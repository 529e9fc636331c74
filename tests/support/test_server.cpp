#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

namespace netadmit::testing {

std::vector<std::string> FixtureBodies() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(NETADMIT_FIXTURES_DIR "/apiserver-v1.28")) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".body.json")) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Fixture(const std::string& name) {
  return ReadFile(NETADMIT_FIXTURES_DIR "/apiserver-v1.28/" + name);
}

TestServer::TestServer() : TestServer(Config{}) {}

TestServer::TestServer(Config config)
    : logger_([this](server::LogStream stream, std::string_view line) {
        const std::lock_guard lock(mutex_);
        lines_.emplace_back(stream, std::string(line));
      }) {
  dir_.Write("ca.crt", ca_.cert_pem());
  Reissue(100);
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert = dir_.File("tls.crt");
  options.tls_key = dir_.File("tls.key");
  if (!config.rules_yaml.empty()) {
    dir_.Write("rules.yaml", config.rules_yaml);
    options.rules = dir_.File("rules.yaml");
  }
  options.threads = 2;
  options.reload_interval = std::chrono::milliseconds(50);
  options.handle_signals = false;
  if (config.adjust) {
    config.adjust(options);
  }
  auto created = server::Server::Create(std::move(options), logger_);
  if (!created) {
    throw std::runtime_error("test server: " + created.error().ToString());
  }
  server_ = std::move(created.value());
  server_->Start();
}

TestServer::~TestServer() {
  server_->Shutdown();
  server_->Wait();
}

std::string TestServer::Reissue(int64_t serial) {
  // As the kubelet updates a mounted Secret: the pair goes into a directory of its own, and one
  // rename of the `..data` link (which tls.crt and tls.key point through) puts both in force at
  // once, so a reload never sees the new certificate with the old key.
  IssuedCertificate issued = ca_.Issue(serial);
  UpdateMountedVolume(dir_.path(), "..v" + std::to_string(++generation_),
                      {{"tls.key", issued.key_pem}, {"tls.crt", issued.cert_pem}});
  serial_ = issued.serial_hex;
  return serial_;
}

ClientOptions TestServer::Client() const {
  ClientOptions options;
  options.ca_file = dir_.File("ca.crt");
  return options;
}

std::unique_ptr<HttpsClient> TestServer::Connect() const {
  auto client = std::make_unique<HttpsClient>(port(), Client());
  const auto ec = client->Connect();
  EXPECT_FALSE(ec) << "connect: " << ec.message();
  return client;
}

std::vector<std::string> TestServer::Lines(server::LogStream stream) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> lines;
  for (const auto& [line_stream, line] : lines_) {
    if (line_stream == stream) {
      lines.push_back(line);
    }
  }
  return lines;
}

bool TestServer::WaitForLine(server::LogStream stream, std::string_view needle,
                             std::chrono::milliseconds timeout) const {
  return Eventually(
      [&] {
        const auto lines = Lines(stream);
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
          return line.find(needle) != std::string::npos;
        });
      },
      timeout);
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

double MetricValue(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || !line.starts_with(series)) {
      continue;
    }
    if (line.size() <= series.size() || line[series.size()] != ' ') {
      continue;  // a longer name, or other labels
    }
    const std::size_t space = line.rfind(' ');
    return std::stod(line.substr(space + 1));
  }
  return -1;
}

}  // namespace netadmit::testing
