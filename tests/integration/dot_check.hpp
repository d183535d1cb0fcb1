// A structural check of Graphviz DOT text, as the renderers write it: braces balance outside
// quoted strings, and every node an edge names is declared by a node statement. `dot -Tsvg` is
// the full check (graphviz is a test dependency); this one names what is wrong.
#pragma once

#include <set>
#include <string>

namespace ksim::itest {

// Empty when `dot` passes; else what is wrong, e.g. "edge names undeclared node \"x.y\"".
inline std::string dot_problems(const std::string& dot) {
    int depth = 0;
    bool in_quote = false;
    std::set<std::string> declared, referenced;
    std::string token;  // the node ids of the current statement, as written (quoted or bare)
    std::string statement;
    auto end_statement = [&] {
        // "A -> B [..]" references A and B; "A [..]" or "A" declares A.
        const auto cut = statement.find(" [");
        const std::string head = statement.substr(0, cut);
        if (const auto arrow = head.find(" -> "); arrow != std::string::npos) {
            referenced.insert(head.substr(0, arrow));
            referenced.insert(head.substr(arrow + 4));
        } else if (!head.empty() && head.find('=') == std::string::npos && head.rfind("subgraph", 0) != 0 &&
                   head != "node" && head != "edge" && head != "graph") {
            declared.insert(head);
        }
        statement.clear();
    };
    for (std::size_t i = 0; i < dot.size(); ++i) {
        const char c = dot[i];
        if (in_quote) {
            statement += c;
            if (c == '\\' && i + 1 < dot.size())
                statement += dot[++i];
            else if (c == '"')
                in_quote = false;
            continue;
        }
        if (c == '"') {
            in_quote = true;
            statement += c;
        } else if (c == '{') {
            ++depth;
            statement.clear();
        } else if (c == '}') {
            if (--depth < 0) return "a '}' closes nothing";
            statement.clear();
        } else if (c == ';' || c == '\n') {
            while (!statement.empty() && statement.front() == ' ') statement.erase(0, 1);
            end_statement();
        } else {
            statement += c;
        }
    }
    if (in_quote) return "a quoted string is not closed";
    if (depth != 0) return std::to_string(depth) + " '{' left open";
    for (const auto& r : referenced)
        if (!declared.contains(r)) return "edge names undeclared node " + r;
    return {};
}

// The text of the labels with DOT line breaks as spaces, for searching wrapped sentences.
inline std::string unwrapped(std::string dot) {
    for (auto at = dot.find("\\n"); at != std::string::npos; at = dot.find("\\n", at))
        dot.replace(at, 2, " ");
    return dot;
}

}  // namespace ksim::itest
