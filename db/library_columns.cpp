#include "db/library_columns.hpp"

namespace midilib {

std::string column_list(std::span<std::string_view const> columns, std::string_view prefix)
{
    std::string list;
    for (auto const column : columns) {
        if (!list.empty()) {
            list += ", ";
        }
        list += prefix;
        list += column;
    }
    return list;
}

} // namespace midilib
