#pragma once
/// The numbered parameters of a search statement, and where the values it compares with go.

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

namespace midilib {

/// Builds the parameters of one statement: each value a numbered parameter, never SQL text.
class search_params
{
public:
    /// "$n" for a new parameter @p value.
    std::string param(std::string value)
    {
        m_params.push_back(std::move(value));
        return fmt::format("${}", m_params.size()); // not "$" + to_string(): GCC 12 warns (-Wrestrict) at -O2
    }

    /// "ARRAY[$n, ...]::text[]" with one parameter per value.
    std::string text_array(std::vector<std::string> const &values)
    {
        std::string list;
        for (auto const &v : values) {
            list += (list.empty() ? "" : ", ") + param(v);
        }
        return "ARRAY[" + list + "]::text[]";
    }

    /**
     * A value the conditions compare with (a typed parameter, such as "$3::real"): written as is,
     * or, once values_in_q() is set, as a column of the one-row CTE q ("q.v1"), where the
     * planner does not see it (see values_in_q()).
     */
    std::string value(std::string expression)
    {
        if (!m_values_in_q) {
            return expression;
        }
        m_q_columns += fmt::format(", {} AS v{}", expression, ++m_q_values);
        return fmt::format("q.v{}", m_q_values);
    }

    /**
     * From now on value() puts the values in q. A statement prepared once gets PostgreSQL's
     * generic plan only when that plan costs no more than those it made for the first values:
     * where the planner cannot see the values, every plan is the generic one.
     */
    void values_in_q() { m_values_in_q = true; }

    /// value() of a new parameter cast to @p type: "$3::real", or "q.v1".
    std::string typed(std::string v, char const *type) { return value(param(std::move(v)) + "::" + type); }

    /// ", <expression> AS v1, ..." for q's select list.
    std::string const &q_columns() const { return m_q_columns; }

    /// The values of $1, $2, ... in order.
    std::vector<std::string> const &params() const { return m_params; }

private:
    std::vector<std::string> m_params;
    bool m_values_in_q = false;
    int m_q_values = 0;
    std::string m_q_columns;
};

} // namespace midilib
