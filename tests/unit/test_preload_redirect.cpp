// The shim's reading of VQ_REDIRECT (shim/preload_redirect).
#include "preload_redirect.h"

#include <gtest/gtest.h>

namespace vq {
namespace {

TEST(PreloadRedirect, IndexAndTargetAreRead) {
  auto redirect = parse_preload_redirect("2:/usr/bin/node", 4);
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->first_vitest_arg, 2);
  EXPECT_EQ(redirect->target, "/usr/bin/node");
}

TEST(PreloadRedirect, TargetMayContainColons) {
  auto redirect = parse_preload_redirect("1:/a:b/node_modules/.bin/vitest", 1);
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->target, "/a:b/node_modules/.bin/vitest");
}

TEST(PreloadRedirect, MalformedValuesNameTheVariable) {
  for (const char* bad : {"", "/usr/bin/node", "x:/a", "0:/a", "5:/a", "1:", "-1:/a"}) {
    auto redirect = parse_preload_redirect(bad, 4);
    ASSERT_FALSE(redirect) << bad;
    EXPECT_NE(redirect.error().message.find("VQ_REDIRECT="), std::string::npos);
  }
}

}  // namespace
}  // namespace vq
