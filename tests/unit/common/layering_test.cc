// The pure layers (common, model, energy, engine) include no database, HTTP, thread or I/O-service
// header: the engine stays a library of pure logic (docs/architecture.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

TEST(LayeringTest, PureLayersIncludeNoIoOrThreadHeaders) {
  const std::vector<std::string> forbidden = {
      "<thread>", "<sqlite3.h>", "<libpq-fe.h>", "<boost/asio", "<boost/beast", "httplib.h",
      "<fstream>", "<iostream>", "<mutex>", "<chrono>", "<random>", "sim/", "cli/", "store/",
      "server/", "agent/", "common/clock.h", "common/progress.h", "common/csv_reader.h"};
  const std::string root = SW_SOURCE_DIR "/src/";
  int checked = 0;
  for (const char* layer : {"model", "energy", "engine", "market", "metering"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root + layer)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::string line;
      int lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        if (!line.starts_with("#include")) continue;
        for (const auto& f : forbidden) {
          EXPECT_EQ(line.find(f), std::string::npos)
              << entry.path() << ":" << lineno << " includes " << f;
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
