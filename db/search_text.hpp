#pragma once
/// The text of a search as SQL: a tsquery in websearch syntax, and the words the typo fallback guesses.

#include "db/search_params.hpp"

#include <string>
#include <vector>

namespace midilib {

/// True when a (normalized) search text holds more than blanks: a text search, not a facet list.
bool has_text(std::string const &text);

/// The text query as SQL, its values added to @p st: websearch syntax, the last word as a prefix
/// while it is being typed. "" when @p text has no text.
std::string tsquery_expression(std::string const &text, search_params &st);

/// Words of a text for the typo fallback: those to guess, and those excluded ("-drums").
struct fallback_text
{
    std::vector<std::string> words;    ///< each matched against the vocabulary of file names
    std::vector<std::string> excluded; ///< kept out of the results as written, not guessed
};

/**
 * The words the typo fallback looks for, as search_words holds them: runs of ASCII letters and
 * digits (and any non-ASCII bytes), lower case, at most 64 bytes, the first few of each kind.
 * The operator "or" is no word to guess.
 */
fallback_text fallback_words(std::string const &text);

} // namespace midilib
