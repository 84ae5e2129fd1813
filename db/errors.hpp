#pragma once
/// The one line a user sees when a command fails.

#include <exception>
#include <string>

namespace midilib {

/**
 * What is printed when a command fails. Errors from the database come in several lines (HINT,
 * CONTEXT, the data sent) of which the first and the hint ("Check free disk space.") are what
 * the user needs: one line. A connection that broke during a statement gets a sentence that
 * says what happened and what to do. midilib's own messages are returned as written (some end
 * with the tail of a log).
 */
std::string error_line(std::exception const &e);

} // namespace midilib
