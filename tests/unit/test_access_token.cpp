#include "access_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "temp_dir.h"

namespace vq::dashboard {
namespace {

TEST(AccessToken, MadeTokensAre128BitHexAndDiffer) {
  auto first = AccessToken::make();
  auto second = AccessToken::make();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->secret().size(), 32u);
  EXPECT_EQ(first->id().size(), 8u);
  EXPECT_NE(first->secret(), second->secret());
  EXPECT_EQ(first->secret().find(first->id()), std::string::npos) << "the id gives nothing away";
}

TEST(AccessToken, MatchesOnlyTheWholeSecret) {
  AccessToken token("0123456789abcdef0123456789abcdef", "00000000");
  EXPECT_TRUE(token.matches("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(token.matches("0123456789abcdef0123456789abcdee"));
  EXPECT_FALSE(token.matches("0123456789abcdef"));
  EXPECT_FALSE(token.matches(""));
}

TEST(AccessToken, AKeptTokenIsMadeOnceWithMode0600AndReadBack) {
  test::TempDir dir;
  std::string path = dir.path() + "/token";
  auto made = AccessToken::kept_in(path);
  ASSERT_TRUE(made) << made.error().message;
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = AccessToken::kept_in(path);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->secret(), made->secret());
  EXPECT_EQ(again->id(), made->id());
}

TEST(AccessToken, AKeptTokenOthersCanReadOrThatHoldsNoTokenIsRefused) {
  test::TempDir dir;
  std::string path = dir.path() + "/token";
  ASSERT_TRUE(AccessToken::kept_in(path));
  ::chmod(path.c_str(), 0644);
  auto readable = AccessToken::kept_in(path);
  ASSERT_FALSE(readable);
  EXPECT_NE(readable.error().message.find("chmod 600"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  std::ofstream(path) << "not a token\n";
  auto garbage = AccessToken::kept_in(path);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("holds no token"), std::string::npos);
}

}  // namespace
}  // namespace vq::dashboard
