#include "status_feed.h"

#include <gtest/gtest.h>

namespace vq::dashboard {
namespace {

using Json = nlohmann::ordered_json;
using namespace std::chrono_literals;

Json status_with(int pid, double runtime_s, std::int64_t rss_bytes, bool paused = false) {
  return Json{{"limit", 2},
              {"paused", paused},
              {"busy", 1},
              {"active", Json::array({Json{{"pid", pid},
                                           {"agent", "a"},
                                           {"runtime_s", runtime_s},
                                           {"rss_bytes", rss_bytes},
                                           {"processes", 3}}})},
              {"waiting", Json::array()}};
}

TEST(StatusFeed, FirstDocumentIsAnEventWithAnIdOfThisBoot) {
  StatusFeed feed(77, 2s);
  EXPECT_FALSE(feed.has_document());
  EXPECT_TRUE(feed.offer(status_with(10, 1.0, 100), StatusFeed::Clock::now()));
  EXPECT_EQ(feed.event_id(), "77-1");
  EXPECT_NE(feed.document_text().find("\"pid\":10"), std::string::npos);
}

TEST(StatusFeed, AQueueChangeIsAnEventAtOnce) {
  StatusFeed feed(1, 2s);
  auto now = StatusFeed::Clock::now();
  ASSERT_TRUE(feed.offer(status_with(10, 1.0, 100), now));
  EXPECT_TRUE(feed.offer(status_with(10, 1.0, 100, true), now + 1ms)) << "paused";
  EXPECT_TRUE(feed.offer(status_with(11, 1.0, 100, true), now + 2ms)) << "another holder";
  EXPECT_EQ(feed.event_id(), "1-3");
}

TEST(StatusFeed, LiveFiguresAloneAreAnEventAtMostOncePerInterval) {
  StatusFeed feed(1, 2s);
  auto now = StatusFeed::Clock::now();
  ASSERT_TRUE(feed.offer(status_with(10, 1.0, 100), now));
  EXPECT_FALSE(feed.offer(status_with(10, 1.25, 200), now + 250ms));
  EXPECT_FALSE(feed.offer(status_with(10, 1.5, 300), now + 500ms));
  EXPECT_TRUE(feed.offer(status_with(10, 3.0, 400), now + 2s));
  EXPECT_EQ(feed.event_id(), "1-2");
  EXPECT_FALSE(feed.offer(status_with(10, 3.0, 400), now + 10s)) << "nothing moved";
}

TEST(StatusFeed, AReconnectWithTheLatestIdIsCurrentAnyOtherIsNot) {
  StatusFeed feed(5, 2s);
  EXPECT_FALSE(feed.is_current("")) << "nothing to be current with yet";
  ASSERT_TRUE(feed.offer(status_with(10, 1.0, 100), StatusFeed::Clock::now()));
  EXPECT_TRUE(feed.is_current("5-1"));
  EXPECT_FALSE(feed.is_current(""));
  EXPECT_FALSE(feed.is_current("4-1")) << "an earlier server's id";
}

TEST(StatusFeed, TheShapeKeepsIdentityAndDropsFractionsAndByteCounts) {
  Json shape = queue_shape(status_with(10, 1.5, 100));
  const Json& run = shape["active"][0];
  EXPECT_EQ(run["pid"], 10);
  EXPECT_EQ(run["processes"], 3);
  EXPECT_FALSE(run.contains("runtime_s"));
  EXPECT_FALSE(run.contains("rss_bytes"));
  EXPECT_EQ(shape["limit"], 2);
}

}  // namespace
}  // namespace vq::dashboard
