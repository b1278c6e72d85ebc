// Unit tests for src/util/redact.{hpp,cpp}.
// The secret registry is process-global: every secret used here is a unique
// string that cannot occur in another test's text.

#include <catch2/catch.hpp>
#include <string>

#include "util/redact.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_redact_test {

using sm::util::redact_text;
using sm::util::register_secret;

TEST_CASE("redact: the password in a postgres URL is masked", "[redact]") {
    CHECK(redact_text("postgresql://app:hunter2@db.example:5432/app") ==
          "postgresql://app:***@db.example:5432/app");
    CHECK(redact_text("postgres://app:pw@db/app") == "postgres://app:***@db/app");
    CHECK(redact_text("connecting to POSTGRESQL://u:Secret@h/d failed") ==
          "connecting to POSTGRESQL://u:***@h/d failed");
    // Two URLs in one text.
    CHECK(redact_text("from postgresql://a:one@h1/d to postgresql://b:two@h2/d") ==
          "from postgresql://a:***@h1/d to postgresql://b:***@h2/d");
    // An empty user.
    CHECK(redact_text("postgresql://:pw@h/d") == "postgresql://:***@h/d");
}

TEST_CASE("redact: URLs without a password are left alone", "[redact]") {
    CHECK(redact_text("postgresql://app@db.example:5432/app") ==
          "postgresql://app@db.example:5432/app");
    CHECK(redact_text("postgresql://db.example:5432/app") == "postgresql://db.example:5432/app");
    CHECK(redact_text("https://user:pw@example.com/") == "https://user:pw@example.com/");
}

TEST_CASE("redact: key=value passwords are masked", "[redact]") {
    CHECK(redact_text("host=db user=app password=hunter2 dbname=app") ==
          "host=db user=app password=*** dbname=app");
    CHECK(redact_text("host=db password = 'with spaces' dbname=app") ==
          "host=db password = *** dbname=app");
    CHECK(redact_text("PASSWORD=Loud") == "PASSWORD=***");
    // URL query form.
    CHECK(redact_text("postgresql://app@db/app?sslmode=require&password=qpw&x=1") ==
          "postgresql://app@db/app?sslmode=require&password=***&x=1");
}

TEST_CASE("redact: registered secrets are replaced everywhere", "[redact]") {
    register_secret("Redact-Tok-31337");
    CHECK(redact_text("token Redact-Tok-31337 and again Redact-Tok-31337!") ==
          "token *** and again ***!");
    CHECK(redact_text("nothing secret here") == "nothing secret here");
    // Registering twice is harmless.
    register_secret("Redact-Tok-31337");
    CHECK(redact_text("Redact-Tok-31337") == "***");
}

TEST_CASE("redact: a secret containing another is replaced whole", "[redact]") {
    register_secret("Nest-Ab12");
    register_secret("Nest-Ab12-Cd34-Ef56");
    CHECK(redact_text("x Nest-Ab12-Cd34-Ef56 y Nest-Ab12 z") == "x *** y *** z");
}

TEST_CASE("redact: secrets shorter than four characters are ignored", "[redact]") {
    register_secret("q7z");
    register_secret("");
    CHECK(redact_text("q7z stays q7z") == "q7z stays q7z");
    CHECK(redact_text("plain") == "plain");
    // Exactly four characters is enough.
    register_secret("Zq4w");
    CHECK(redact_text("a Zq4w b") == "a *** b");
}

TEST_CASE("redact: a registered password is hidden wherever it appears", "[redact]") {
    register_secret("Pw-Only-In-Error-889");
    CHECK(redact_text("FATAL: password authentication failed (tried Pw-Only-In-Error-889)") ==
          "FATAL: password authentication failed (tried ***)");
}

}  // namespace util_redact_test
