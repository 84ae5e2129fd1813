#include "db/errors.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <string_view>

namespace midilib {

std::string error_line(std::exception const &e)
{
    std::string_view const what = e.what();
    if (dynamic_cast<pqxx::failure const *>(&e) == nullptr) {
        return std::string{what};
    }
    // libpqxx 6.4 reports a connection that broke during a statement (server stopped or crashed,
    // session terminated) as this broken_connection, with no SQLSTATE; a connection that could not
    // be opened is a broken_connection too, whose own message (libpq's) is the one to print.
    if (dynamic_cast<pqxx::broken_connection const *>(&e) != nullptr &&
        what.starts_with("Could not obtain client encoding")) {
        return "the connection to the database server was lost (the server stopped or crashed, or closed this "
               "connection); work committed before is kept: run the same command again to resume";
    }
    // A connection lost during COMMIT (a server that panics on a full disk): the batch's outcome is
    // unknown to the client, and a re-run redoes only what is not in the library.
    if (dynamic_cast<pqxx::in_doubt_error const *>(&e) != nullptr) {
        return "the connection to the database server was lost while a batch was committing (the server stopped "
               "or crashed); work committed before is kept: run the same command again to resume";
    }
    std::string line{what.substr(0, what.find('\n'))};
    if (auto const hint = what.find("\nHINT:"); hint != std::string_view::npos) {
        auto const text = what.substr(hint + 6);
        auto const start = std::min(text.find_first_not_of(' '), text.size());
        line += fmt::format(" ({})", text.substr(start, text.find('\n') - start));
    }
    return line;
}

} // namespace midilib
