#include "db/search_request.hpp"

#include "smf/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace midilib {

namespace {

/// Longest query text taken, in bytes: a hundred words or more. Longer text is refused with a
/// sentence rather than handed to PostgreSQL as a tsquery of hundreds of terms. Measured on a
/// library of 54,517 files (docs/hostile-input.md): at 1,000 bytes the slowest text (words
/// joined by "or") takes 0.15 s; at 4,096 bytes 5.4 s; 16 KiB of it took 18 s on 4,517 files;
/// 1 MiB fails in the server ("stack depth limit exceeded") after seconds.
constexpr std::size_t MAX_QUERY_BYTES = 1000;

/// Longest facet text (folder, instrument words, time signature, cursor): a path's length
/// (PATH_MAX). Each instrument word is a parameter: a megabyte of them would pass libpq's limit.
constexpr std::size_t MAX_FACET_BYTES = 4096;

} // namespace

search_request normalized(search_request r)
{
    // Text from the command line is bytes: libpq would cut a parameter at a NUL byte, and the
    // server rejects invalid UTF-8. Decoded first, so that the caps count what is sent and a
    // normalized request stays valid.
    r.text = to_utf8(r.text);
    r.after = to_utf8(r.after);
    for (auto *o : {&r.time_signature, &r.instrument, &r.folder}) {
        if (*o) {
            **o = to_utf8(**o);
        }
    }
    if (r.text.size() > MAX_QUERY_BYTES) {
        throw std::invalid_argument{
            fmt::format("the query is {} bytes long; midilib search takes up to {}", r.text.size(), MAX_QUERY_BYTES)};
    }
    for (auto const &[value, name] : {std::pair{std::optional{r.after}, "--after"}, std::pair{r.time_signature, "--ts"},
                                      std::pair{r.instrument, "--instrument"}, std::pair{r.folder, "--folder"}}) {
        if (value && value->size() > MAX_FACET_BYTES) {
            throw std::invalid_argument{fmt::format("{} is {} bytes long; midilib search takes up to {}", name,
                                                    value->size(), MAX_FACET_BYTES)};
        }
    }
    for (auto const &[range, name] : {std::pair{&r.bpm, "--bpm"}, std::pair{&r.duration, "--duration"}}) {
        if (*range && (std::isnan((*range)->first) || std::isnan((*range)->second))) {
            throw std::invalid_argument{fmt::format("{}: a range of two numbers, such as 120-130", name)};
        }
    }
    return r;
}

std::optional<std::pair<int, bool>> parse_key(std::string const &text)
{
    static constexpr std::array<std::pair<char, int>, 7> LETTERS{
        {{'c', 0}, {'d', 2}, {'e', 4}, {'f', 5}, {'g', 7}, {'a', 9}, {'b', 11}}};
    std::string t;
    for (char const c : text) {
        if (c != ' ') {
            t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (t.empty()) {
        return std::nullopt;
    }
    auto const letter = std::find_if(LETTERS.begin(), LETTERS.end(), [&](auto const &l) { return l.first == t[0]; });
    if (letter == LETTERS.end()) {
        return std::nullopt;
    }
    int tonic = letter->second;
    std::size_t i = 1;
    if (i < t.size() && (t[i] == '#' || t[i] == 'b')) { // no mode word starts with b: "bb" is B flat
        tonic = (tonic + (t[i] == '#' ? 1 : 11)) % 12;
        ++i;
    }
    auto const rest = t.substr(i);
    if (rest.empty() || rest == "major" || rest == "maj") {
        return std::pair{tonic, false};
    }
    if (rest == "minor" || rest == "min" || rest == "m") {
        return std::pair{tonic, true};
    }
    return std::nullopt;
}

} // namespace midilib
