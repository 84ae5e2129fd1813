#pragma once
/// Turning arbitrary bytes (MIDI text events, file names) into valid UTF-8 for PostgreSQL.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace midilib {

/**
 * Decodes @p bytes as UTF-8 when they are valid UTF-8, else as Windows-1252
 * (Latin-1 with the 0x80-0x9F printable extensions; the five unassigned bytes
 * map to their Latin-1 control code points). NUL bytes are dropped. The result
 * is always valid UTF-8 without NUL. At most @p max_bytes bytes are produced
 * (cut on a character boundary).
 */
std::string to_utf8(std::span<std::uint8_t const> bytes, std::size_t max_bytes = SIZE_MAX);

/// Same, for a string_view of raw bytes (e.g. a file name).
std::string to_utf8(std::string_view bytes, std::size_t max_bytes = SIZE_MAX);

/// True when @p bytes are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::span<std::uint8_t const> bytes) noexcept;

/**
 * @p text made safe to print on a terminal: every control character (C0, DEL and the C1
 * range U+0080-U+009F, which terminals also obey) is written as a visible escape (`\e`, `\t`,
 * `\n`, `\x07`, `\u009b`), so that a name or text from a file can neither move the cursor,
 * recolour the screen nor set the window's title. A byte that is not part of valid UTF-8 (a
 * file name in another encoding) is written as `\xNN`: the result is always valid UTF-8.
 * A backslash is written as is.
 */
std::string terminal_safe(std::string_view text);

} // namespace midilib
