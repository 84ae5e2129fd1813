#include "db/search_cursor.hpp"

#include <charconv>
#include <stdexcept>

namespace midilib {

namespace {

/// True when @p text is a decimal number within the range of a real, as PostgreSQL prints one
/// ("120.5", "0.1", "1e-05"): no blanks, hex, inf or nan, which the server would read
/// differently or refuse.
bool is_real(std::string const &text)
{
    if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
        return false;
    }
    float v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size();
}

} // namespace

cursor parse_cursor(std::string const &text)
{
    cursor c;
    auto const first = text.find(':');
    auto const last = text.rfind(':');
    try {
        if (first != 1 || last == first || (text[0] != 'r' && text[0] != 'v' && text[0] != 'i')) {
            throw std::invalid_argument{"format"};
        }
        c.kind = static_cast<cursor_kind>(text[0]);
        auto const id = text.substr(last + 1);
        std::size_t used = 0;
        c.id = std::stoll(id, &used);
        if (used != id.size()) {
            throw std::invalid_argument{"id"};
        }
        c.value = text.substr(first + 1, last - first - 1);
        if (c.kind == cursor_kind::id) { // "i::<id>": no value
            if (!c.value.empty()) {
                throw std::invalid_argument{"value"};
            }
        } else if (!is_real(c.value)) { // the server would refuse it, or read it otherwise
            throw std::invalid_argument{"value"};
        }
    } catch (std::exception const &) {
        throw std::invalid_argument{"--after: not a cursor printed by midilib search: " + text.substr(0, 64)};
    }
    return c;
}

std::string cursor_text(cursor const &c)
{
    return std::string{static_cast<char>(c.kind)} + ":" + c.value + ":" + std::to_string(c.id);
}

} // namespace midilib
