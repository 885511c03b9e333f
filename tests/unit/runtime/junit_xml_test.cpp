// JUnit XML (runtime/junit_xml.h): escaping of markup, control characters and bytes that are not
// UTF-8, and the counts a CI system reads. Well-formedness of a whole report is also checked by
// a real XML parser in the sim_suite_report ctest.
#include "runtime/junit_xml.h"

#include <doctest/doctest.h>

namespace eddy::junit {
namespace {

TEST_CASE("junit: markup characters become entities") {
    CHECK(escape_text("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
    CHECK(escape_attribute("x=\"1\" & <y/>") == "x=&quot;1&quot; &amp; &lt;y/&gt;");
    CHECK(escape_text("&amp;") == "&amp;amp;");  // escaped again: text, not markup
}

TEST_CASE("junit: line ends survive in attributes, bare CR everywhere") {
    CHECK(escape_text("a\nb\tc") == "a\nb\tc");
    CHECK(escape_attribute("a\nb\tc") == "a&#10;b&#9;c");
    CHECK(escape_text("a\r\nb") == "a&#13;\nb");
}

TEST_CASE("junit: what XML cannot carry becomes U+FFFD") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(escape_text(std::string("a\x01"
                                  "b",
                                  3)) == "a" + fffd + "b");
    CHECK(escape_text(std::string("\0", 1)) == fffd);
    CHECK(escape_text("\x1b[K") == fffd + "[K");
    CHECK(escape_text("\xff\xfe") == fffd + fffd);             // not UTF-8
    CHECK(escape_text("\xc3") == fffd);                        // truncated sequence
    CHECK(escape_text("\xc0\xaf") == fffd + fffd);             // overlong '/'
    CHECK(escape_text("\xed\xa0\x80") == fffd + fffd + fffd);  // a surrogate
    CHECK(escape_text("\xef\xbf\xbe") == fffd);                // U+FFFE is not an XML Char
    CHECK(escape_text("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x9b") ==
          "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x9b");  // real UTF-8 is kept
}

TEST_CASE("junit: a report counts tests, failures and skips") {
    TestSuite s;
    s.name = "frame-echo";
    TestCase pass;
    pass.name = "seed=1";
    pass.classname = "eddy.sim.frame-echo";
    pass.seconds = 0.25;
    TestCase fail = pass;
    fail.name = "seed=2";
    fail.outcome = Outcome::failed;
    fail.message = fail.type = "response-matches-request";
    fail.details = "got <re:x> & more\nreplay: eddy sim run --scenario frame-echo --seed 2";
    TestCase skip = pass;
    skip.name = "seed=3";
    skip.outcome = Outcome::skipped;
    skip.message = "not caught";
    s.cases = {pass, fail, skip};
    const std::string xml = to_xml("eddy sim suite", {s});
    CHECK(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"eddy sim "
                        "suite\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" "
                        "time=\"0.750\">"));
    CHECK(xml.find("<testsuite name=\"frame-echo\" tests=\"3\" failures=\"1\"") !=
          std::string::npos);
    CHECK(xml.find("<testcase name=\"seed=1\" classname=\"eddy.sim.frame-echo\" "
                   "time=\"0.250\"/>") != std::string::npos);
    CHECK(xml.find("<failure message=\"response-matches-request\" "
                   "type=\"response-matches-request\">got &lt;re:x&gt; &amp; more\nreplay: ") !=
          std::string::npos);
    CHECK(xml.find("<skipped message=\"not caught\">") != std::string::npos);
    CHECK(xml.ends_with("</testsuites>\n"));
}

}  // namespace
}  // namespace eddy::junit
