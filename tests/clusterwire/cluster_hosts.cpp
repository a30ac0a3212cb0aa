#include "cluster_hosts.h"

#include <dirent.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vq::mp {
namespace {

// argv of /proc/PID/cmdline, empty when gone.
std::vector<std::string> command_line_of(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(file, arg, '\0')) args.push_back(arg);
  return args;
}

}  // namespace

void ClusterHostsTest::SetUp() {
  if (!test::RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  auto server = test::RedisServer::start();
  ASSERT_TRUE(server) << server.error().message;
  m_server = std::move(*server);
  m_url = m_server->url();
}

Env ClusterHostsTest::host_env(const std::string& host, const Env& more) const {
  Env env{{"VQ_CLUSTER", m_url},
          {"VQ_CLUSTER_HOST", host},
          {"VQ_CLUSTER_TTL", m_ttl},
          {"VQ_CLUSTER_LIMIT", m_limit},
          {"VQ_QUEUE_DIR", queue_dir() + "-" + host},
          {"VQ_MAX_PROCESSES", "3"},
          {"VQ_HISTORY", history_path()},
          {"FAKE_ECHO_ENV", "VQ_CLUSTER_FENCE"}};
  for (const auto& [name, value] : more) env[name] = value;
  return env;
}

Launch ClusterHostsTest::host_launch(const std::string& host, const std::string& id,
                                     const Env& more) const {
  return shim_launch(id, host_env(host, more));
}

bool ClusterHostsTest::ran_with_permit(const std::string& id) const {
  return read_file(tmp() + "/" + id + ".out").find("env VQ_CLUSTER_FENCE=") != std::string::npos;
}

std::vector<RecordEvent> ClusterHostsTest::permit_records() const {
  std::vector<RecordEvent> live;
  for (const RecordEvent& event : records()) {
    if (ran_with_permit(event.id)) live.push_back(event);
  }
  return live;
}

pid_t ClusterHostsTest::watcher_of(pid_t run_pid) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  const std::string wanted = "pid=" + std::to_string(run_pid);
  while (dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    auto args = command_line_of(entry->d_name);
    if (args.size() < 2 || !args[0].ends_with("vq-watch") || args[1] != "watch") continue;
    for (const std::string& arg : args) {
      if (arg == wanted) found = std::atoi(entry->d_name);
    }
  }
  ::closedir(proc);
  return found;
}

std::string ClusterHostsTest::permit_in_history(pid_t pid) const {
  std::string permit = "<none>";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(history_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    // Another run's watcher may be writing its row just now.
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* row = nullptr;
    const char* sql = "SELECT cluster_permit FROM runs WHERE pid = ?";
    if (sqlite3_prepare_v2(db, sql, -1, &row, nullptr) == SQLITE_OK) {
      sqlite3_bind_int64(row, 1, pid);
      if (sqlite3_step(row) == SQLITE_ROW) {
        permit = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
      }
    }
    sqlite3_finalize(row);
  }
  sqlite3_close(db);
  return permit;
}

std::string ClusterHostsTest::recorded_permit(pid_t pid) const {
  std::string permit = "<none>";
  eventually(
      [&] {
        permit = permit_in_history(pid);
        return permit != "<none>";
      },
      std::chrono::seconds(10));
  return permit;
}

}  // namespace vq::mp
