#pragma once
/// The cursor of a search hit, "kind:value:id": where the next page starts in the hits' order.

#include <cstdint>
#include <string>

namespace midilib {

/// What orders a page of hits, and so what its cursors hold besides the file id.
enum class cursor_kind : char {
    rank = 'r',  ///< a text search: by rank, then file id
    value = 'v', ///< facets whose leading range orders the hits: by its value, then file id
    id = 'i',    ///< anything else: by file id ("i::<id>", no value)
};

/// A hit's place in its order.
struct cursor
{
    cursor_kind kind = cursor_kind::id;
    std::string value; ///< the rank or the ordering value, as PostgreSQL prints a real; "" for cursor_kind::id
    std::int64_t id = 0;
};

/**
 * Reads a cursor that cursor_text() wrote. Its value must be a decimal number a real can hold,
 * as the server prints one, so that the server neither refuses it nor reads it otherwise.
 * \throws std::invalid_argument for anything else.
 */
cursor parse_cursor(std::string const &text);

/// "r:0.5:42", "v:120:42", "i::42".
std::string cursor_text(cursor const &c);

} // namespace midilib
