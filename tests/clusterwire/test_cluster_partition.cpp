// Issue 19's partition of one host: host c runs inside a network namespace that reaches the
// server only through a veth pair, and is cut off mid-run by setting the root side down, while
// hosts a and b (the root namespace, loopback) keep talking to the server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster_hosts.h"

namespace vq::mp {
namespace {

std::string ip_path() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

bool run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

std::string output_of(const std::string& command) {
  std::string text;
  if (FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
    ::pclose(pipe);
  }
  return text;
}

// A namespace and a veth pair named after this process, so that parallel runs do not meet, on
// a /30 of 198.18.0.0/15 (reserved for tests) that no interface here has yet. Removed on every
// way out of the test, failure included: the fixture's destructor runs on a failed ASSERT.
class NetnsHost {
 public:
  NetnsHost() : m_ip(ip_path()) {
    const std::string tag = std::to_string(::getpid());
    m_netns = "vq-part-" + tag;
    m_root_side = "vqp" + tag + "r";  // IFNAMSIZ: at most 15 characters
    m_inner_side = "vqp" + tag + "n";
  }
  ~NetnsHost() {
    if (!m_added) return;
    // Deleting one end deletes the pair, even while a straggler keeps the namespace alive.
    run_quietly(m_ip + " link del " + m_root_side);
    run_quietly(m_ip + " netns del " + m_netns);
  }
  NetnsHost(const NetnsHost&) = delete;
  NetnsHost& operator=(const NetnsHost&) = delete;

  // Empty when set up, else why not.
  std::string set_up() {
    if (m_ip.empty()) return "no ip binary (iproute2)";
    if (!run_quietly(m_ip + " netns add " + m_netns)) return "ip netns add failed";
    m_added = true;
    const std::string ip = m_ip;
    for (int attempt = 0; attempt < 16; ++attempt) {
      const unsigned subnet = (static_cast<unsigned>(::getpid()) + attempt * 7919U) % 32768U;
      const unsigned base = subnet * 4;  // offset in 198.18.0.0/15
      const std::string prefix =
          "198." + std::to_string(18 + base / 65536) + "." + std::to_string(base / 256 % 256) + ".";
      const unsigned low = base % 256;
      if (!output_of(ip + " -o addr show to " + prefix + std::to_string(low) + "/30").empty()) {
        continue;
      }
      m_root_address = prefix + std::to_string(low + 1);
      m_inner_address = prefix + std::to_string(low + 2);
      break;
    }
    if (m_root_address.empty()) return "no free /30 in 198.18.0.0/15";
    const bool up = run_quietly(ip + " link add " + m_root_side + " type veth peer name " +
                                m_inner_side + " netns " + m_netns) &&
                    run_quietly(ip + " addr add " + m_root_address + "/30 dev " + m_root_side) &&
                    run_quietly(ip + " link set " + m_root_side + " up") &&
                    run_quietly(ip + " -n " + m_netns + " addr add " + m_inner_address +
                                "/30 dev " + m_inner_side) &&
                    run_quietly(ip + " -n " + m_netns + " link set " + m_inner_side + " up") &&
                    run_quietly(ip + " -n " + m_netns + " link set lo up");
    return up ? "" : "could not set up the veth pair";
  }

  bool cut_off() const { return run_quietly(m_ip + " link set " + m_root_side + " down"); }
  // Up again, and the neighbour entry that failed during the cut forgotten: otherwise the
  // namespace answers "no route to host" until the kernel retries it, seconds later.
  bool heal() const {
    return run_quietly(m_ip + " link set " + m_root_side + " up") &&
           run_quietly(m_ip + " -n " + m_netns + " neigh flush dev " + m_inner_side);
  }

  // `launch` run inside the namespace; `ip netns exec` execs it in place, so the pid (and the
  // process group the harness kills) is the launched program's.
  Launch inside(Launch launch) const {
    std::vector<std::string> argv{"ip", "netns", "exec", m_netns, launch.program};
    argv.insert(argv.end(), launch.argv.begin() + 1, launch.argv.end());
    launch.program = m_ip;
    launch.argv = std::move(argv);
    return launch;
  }

  const std::string& root_address() const { return m_root_address; }

 private:
  std::string m_ip;
  bool m_added = false;  // only what this test added is removed
  std::string m_netns;
  std::string m_root_side;
  std::string m_inner_side;
  std::string m_root_address;
  std::string m_inner_address;
};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

nlohmann::json status_json(const Launch& launch) {
  Process admin(launch);
  EXPECT_TRUE(admin.wait(20s));
  return nlohmann::json::parse(read_file(launch.stdout_path), nullptr, false);
}

Launch status_launch(const ClusterHostsTest& test, const Env& env, const std::string& name) {
  Launch launch;
  launch.program = VQ_ADMIN_PATH;
  launch.argv = {"vq-admin", "status", "--json"};
  launch.env = env;
  launch.stdout_path = test.tmp_path() + "/" + name + ".json";
  return launch;
}

bool holds_for_host(const nlohmann::json& status, const std::string& host) {
  if (!status.is_object() || !status["cluster"].is_object()) return false;
  for (const auto& holder : status["cluster"]["holders"]) {
    if (holder["host"] == host) return true;
  }
  return false;
}

class ClusterPartitionTest : public ClusterHostsTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "a partition needs root (network namespaces)";
    std::string why = m_netns.set_up();
    if (!why.empty()) GTEST_SKIP() << "ip netns is unavailable: " << why;
    ClusterHostsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The fixture's server listens on loopback only: one that host c can reach too.
    test::RedisOptions options;
    options.also_bind = {m_netns.root_address()};
    auto server = test::RedisServer::start(options);
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
    m_url = m_server->url();
    m_c_url = m_server->url_at(m_netns.root_address());
  }

  Process on_c(const std::string& id, const Env& more = {}) {
    Env env = more;
    env["VQ_CLUSTER"] = m_c_url;
    return Process(m_netns.inside(host_launch("c", id, env)));
  }

  NetnsHost m_netns;
  std::string m_c_url;
};

bool on_live_side(const RecordEvent& event) {
  return event.id.starts_with("a-") || event.id.starts_with("b-");
}

TEST_F(ClusterPartitionTest, ACutOffHostLosesItsPermitsAfterATtlAndGoesOnLocalOnly) {
  m_limit = "2";
  Process c_held = on_c("c-held", {{"FAKE_SLEEP_MS", "4000"}});
  ASSERT_TRUE(eventually([&] { return has_started("c-held"); })) << c_held.stderr_text();
  ASSERT_TRUE(ran_with_permit("c-held")) << "c never reached the server: " << c_held.stderr_text();
  Process a_held(host_launch("a", "a-held", {{"FAKE_SLEEP_MS", "5000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("a-held"); })) << a_held.stderr_text();
  std::vector<Process> waiters;
  for (const char* id : {"b-wait", "a-wait"}) {
    waiters.emplace_back(host_launch(std::string(1, id[0]), id, {{"FAKE_SLEEP_MS", "300"}}));
    Process& waiter = waiters.back();
    ASSERT_TRUE(eventually([&] {
      return waiter.stderr_text().find("waiting for the cluster queue") != std::string::npos;
    })) << waiter.stderr_text();
  }

  const auto cut_at = monotonic_ns();
  ASSERT_TRUE(m_netns.cut_off());
  // The server's view from the live side, as the independent count of c's permits: a status
  // that still shows a holder of c was taken before any waiter could use that permit.
  std::int64_t c_last_counted = 0;
  int asked = 0;
  while (!has_started("b-wait") && monotonic_ns() - cut_at < 6'000'000'000) {
    const auto asked_at = monotonic_ns();
    if (holds_for_host(status_json(status_launch(*this, host_env("a"), "live")), "c")) {
      c_last_counted = asked_at;
    }
    ++asked;
  }
  ASSERT_TRUE(eventually([&] { return has_started("b-wait"); }, 5s))
      << "c's permit was never freed: " << waiters[0].stderr_text();
  const auto first_admitted = find_event(records(), RecordEvent::Kind::start, "b-wait")->ns;
  const auto freed_ms = (first_admitted - cut_at) / 1'000'000;
  EXPECT_GT(c_last_counted, 0) << "no status after the cut showed c's permit (" << asked << ")";
  EXPECT_GT(first_admitted, c_last_counted) << "admitted while the server still counted c";
  EXPECT_LT(freed_ms, 2500) << "TTL 1000 ms";

  // c's new launch: cut off at launch, so local-only with one warning.
  Process c_new = on_c("c-new", {{"FAKE_SLEEP_MS", "100"}});
  ASSERT_TRUE(c_new.wait(30s));
  EXPECT_EQ(describe_status(*c_new.status()), exited(0)) << c_new.stderr_text();
  EXPECT_TRUE(has_started("c-new"));
  EXPECT_FALSE(ran_with_permit("c-new")) << "a permit through a cut link";
  EXPECT_EQ(count_of(c_new.stderr_text(), "vq: warning:"), 1u) << c_new.stderr_text();
  Launch c_status =
      m_netns.inside(status_launch(*this, host_env("c", {{"VQ_CLUSTER", m_c_url}}), "c-status"));
  const nlohmann::json degraded = status_json(c_status);
  ASSERT_TRUE(degraded.is_object()) << read_file(c_status.stdout_path);
  EXPECT_EQ(degraded["cluster"]["degraded"], true) << degraded.dump(2);
  EXPECT_EQ(degraded["cluster"]["reachable"], false) << degraded.dump(2);

  // c's running run goes on to its end through the partition.
  ASSERT_TRUE(c_held.wait(30s));
  EXPECT_EQ(describe_status(*c_held.status()), exited(0)) << c_held.stderr_text();
  EXPECT_TRUE(find_event(records(), RecordEvent::Kind::end, "c-held").has_value());
  const bool held_into_partition =
      find_event(records(), RecordEvent::Kind::end, "c-held")->ns > first_admitted;
  EXPECT_TRUE(held_into_partition) << "c-held ended before its permit was lost: nothing tested";

  ASSERT_TRUE(m_netns.heal());
  // Healed once c's own status reaches the server again.
  nlohmann::json healed;
  ASSERT_TRUE(eventually(
      [&] {
        healed = status_json(c_status);
        return healed.is_object() && healed["cluster"]["reachable"] == true;
      },
      10s))
      << healed.dump(2);
  Process c_after = on_c("c-after", {{"FAKE_SLEEP_MS", "100"}});
  ASSERT_TRUE(c_after.wait(30s));
  EXPECT_EQ(describe_status(*c_after.status()), exited(0)) << c_after.stderr_text();
  EXPECT_TRUE(ran_with_permit("c-after")) << "c did not rejoin: " << c_after.stderr_text();

  ASSERT_TRUE(a_held.wait(30s));
  for (auto& waiter : waiters) {
    ASSERT_TRUE(waiter.wait(30s));
    EXPECT_EQ(describe_status(*waiter.status()), exited(0)) << waiter.stderr_text();
  }
  EXPECT_TRUE(ran_with_permit("b-wait") && ran_with_permit("a-wait"));
  std::vector<RecordEvent> live;
  for (const RecordEvent& event : permit_records()) {
    if (on_live_side(event)) live.push_back(event);
  }
  const int live_overlap = max_overlap(live);
  std::printf(
      "[   INFO   ] partition: c's permit freed %lld ms after the cut (TTL 1000 ms, %d status "
      "asks), live-side max overlap %d at limit 2; c-held's permit in history: %s\n",
      static_cast<long long>(freed_ms), asked, live_overlap,
      permit_in_history(c_held.pid()).c_str());
  EXPECT_LE(live_overlap, 2);
}

}  // namespace
}  // namespace vq::mp
