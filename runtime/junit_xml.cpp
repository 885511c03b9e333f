// JUnit XML. See junit_xml.h.
#include "runtime/junit_xml.h"

#include <cstdint>
#include <cstdio>

namespace eddy::junit {

namespace {

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

}  // namespace


std::string to_xml(std::string_view name, const std::vector<TestSuite>& suites) {
    size_t tests = 0;
    size_t failures = 0;
    size_t skipped = 0;
    double total = 0;
    std::string body;
    for (const TestSuite& suite : suites) {
        size_t suite_failures = 0;
        size_t suite_skipped = 0;
        double suite_seconds = 0;
        std::string cases;
        for (const TestCase& c : suite.cases) {
            suite_seconds += c.seconds;
            cases += "    <testcase name=\"" + escape_attribute(c.name) + "\" classname=\"" +
                     escape_attribute(c.classname) + "\" time=\"" + seconds(c.seconds) + "\"";
            const bool has_output = !c.system_out.empty();
            if (c.outcome == Outcome::passed && !has_output) {
                cases += "/>\n";
                continue;
            }
            cases += ">\n";
            switch (c.outcome) {
                case Outcome::passed:
                    break;
                case Outcome::failed:
                    ++suite_failures;
                    cases += "      <failure message=\"" + escape_attribute(c.message) +
                             "\" type=\"" + escape_attribute(c.type) + "\">" +
                             escape_text(c.details) + "</failure>\n";
                    break;
                case Outcome::skipped:
                    ++suite_skipped;
                    cases += "      <skipped message=\"" + escape_attribute(c.message) + "\">" +
                             escape_text(c.details) + "</skipped>\n";
                    break;
            }
            if (has_output) {
                cases += "      <system-out>" + escape_text(c.system_out) + "</system-out>\n";
            }
            cases += "    </testcase>\n";
        }
        body += "  <testsuite name=\"" + escape_attribute(suite.name) + "\" tests=\"" +
                std::to_string(suite.cases.size()) + "\" failures=\"" +
                std::to_string(suite_failures) + "\" errors=\"0\" skipped=\"" +
                std::to_string(suite_skipped) + "\" time=\"" + seconds(suite_seconds) + "\">\n" +
                cases + "  </testsuite>\n";
        tests += suite.cases.size();
        failures += suite_failures;
        skipped += suite_skipped;
        total += suite_seconds;
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
           escape_attribute(name) + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
           std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) +
           "\" time=\"" + seconds(total) + "\">\n" + body + "</testsuites>\n";
}

}  // namespace eddy::junit
