// JUnit XML, the report format CI systems (GitLab, Jenkins, GitHub test reporters) read: a
// <testsuites> of <testsuite>s of <testcase>s, each passed, failed (<failure message=…>) or
// skipped. `eddy sim suite --junit FILE` writes one testsuite per scenario and one testcase per
// seed.
//
// Every string is escaped for XML 1.0: the five markup characters become entities, control
// characters XML cannot carry at all (even as references) and bytes that are not UTF-8 become
// U+FFFD, so any message or captured output yields a well-formed document.
#pragma once

#include "runtime/xml_escape.h"

#include <string>
#include <string_view>
#include <vector>

namespace eddy::junit {

enum class Outcome : unsigned char { passed, failed, skipped };

struct TestCase {
    std::string name;
    std::string classname;
    double seconds = 0;
    Outcome outcome = Outcome::passed;
    std::string message;     // failed/skipped: the short reason (failure's message attribute)
    std::string type;        // failed: the failure's type attribute (e.g. the checker)
    std::string details;     // failed/skipped: the element's text (what happened, how to replay)
    std::string system_out;  // optional: the test's captured output
};

struct TestSuite {
    std::string name;
    std::vector<TestCase> cases;
};

// The whole document, with an XML declaration, counts and times per suite and in total.
std::string to_xml(std::string_view name, const std::vector<TestSuite>& suites);

// Escaping (runtime/xml_escape.h), as the report uses it.
using xml::escape_attribute;
using xml::escape_text;

}  // namespace eddy::junit
