// Text for XML 1.0 documents (the JUnit report, the election picture's SVG and HTML): the five
// markup characters become entities, control characters XML cannot carry and malformed UTF-8
// become U+FFFD, so whatever a trace or a test message holds, the document stays well formed.
#pragma once

#include <string>
#include <string_view>

namespace eddy::xml {

// `text` escaped for element text.
std::string escape_text(std::string_view text);
// The same for an attribute value in double quotes: also tabs and line ends become character
// references, since a parser would turn them into spaces.
std::string escape_attribute(std::string_view text);

}  // namespace eddy::xml
