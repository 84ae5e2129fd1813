#include "db/search_text.hpp"

#include <algorithm>
#include <cctype>

namespace midilib {

namespace {

/// Words of the text the typo fallback looks at: a guess for a sentence is no typo fix.
constexpr std::size_t MAX_FUZZY_WORDS = 8;

} // namespace

bool has_text(std::string const &text) { return text.find_first_not_of(" \t") != std::string::npos; }

std::string tsquery_expression(std::string const &text, search_params &st)
{
    if (!has_text(text)) {
        return {};
    }
    auto const end = text.find_last_not_of(" \t");
    auto const start = text.find_last_of(" \t", end) == std::string::npos ? 0 : text.find_last_of(" \t", end) + 1;
    std::string const last = text.substr(start, end - start + 1);
    bool const in_quotes = std::count(text.begin(), text.end(), '"') % 2 == 1 || last.find('"') != std::string::npos;
    bool const typing = std::isalnum(static_cast<unsigned char>(text[end])) != 0 ||
                        static_cast<unsigned char>(text[end]) >= 0x80;
    bool const operator_word = last[0] == '-' || last == "or" || last == "OR";
    if (!typing || in_quotes || operator_word) {
        return "websearch_to_tsquery('midilib_names', " + st.param(text) + ")";
    }
    std::string head = text.substr(0, start);
    std::string const prefix = "to_tsquery('midilib_names', quote_literal(" + st.param(last) + ") || ':*')";
    // "a or b": the last word is an alternative, not one more word to match.
    char const *join = " && ";
    auto const head_end = head.find_last_not_of(" \t");
    if (head_end != std::string::npos && head_end >= 1) {
        auto const word_start = head.find_last_of(" \t", head_end);
        auto const word = head.substr(word_start == std::string::npos ? 0 : word_start + 1,
                                      head_end - (word_start == std::string::npos ? 0 : word_start + 1) + 1);
        if (word == "or" || word == "OR") {
            head.erase(word_start == std::string::npos ? 0 : word_start);
            join = " || ";
        }
    }
    if (head.find_first_not_of(" \t") == std::string::npos) {
        return prefix;
    }
    return "(websearch_to_tsquery('midilib_names', " + st.param(head) + ")" + join + prefix + ")";
}

fallback_text fallback_words(std::string const &text)
{
    fallback_text out;
    std::string w;
    bool excluded = false;
    auto const flush = [&] {
        auto &to = excluded ? out.excluded : out.words;
        if (!w.empty() && w != "or" && w.size() <= 64 && to.size() < MAX_FUZZY_WORDS) {
            to.push_back(w);
        }
        w.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (std::isalnum(c) != 0 || c >= 0x80) {
            if (w.empty()) {
                excluded = i > 0 && text[i - 1] == '-' && (i == 1 || text[i - 2] == ' ' || text[i - 2] == '\t');
            }
            w += static_cast<char>(std::tolower(c));
        } else {
            flush();
        }
    }
    flush();
    return out;
}

} // namespace midilib
