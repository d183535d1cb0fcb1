#include "json_positions.hpp"

#include <cctype>

namespace ksim::proto::detail {

TextPosition position_of_offset(std::string_view text, std::size_t offset) {
    TextPosition p{1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

namespace {

// A minimal recursive scanner: records positions, builds no values.
class Scanner {
public:
    Scanner(std::string_view text, std::unordered_map<std::string, TextPosition>& values,
            std::unordered_map<std::string, TextPosition>& keys)
        : text_(text), values_(values), keys_(keys) {}

    void run() {
        skip_ws();
        value("", 0);
    }

private:
    static constexpr int kMaxDepth = 256;

    TextPosition here() const { return {line_, column_}; }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    void advance() {
        if (text_[pos_] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        ++pos_;
    }
    void skip_ws() {
        while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) advance();
    }

    bool value(const std::string& pointer, int depth) {
        if (at_end() || depth > kMaxDepth) return false;
        values_.emplace(pointer, here());
        char c = peek();
        if (c == '{') return object(pointer, depth);
        if (c == '[') return array(pointer, depth);
        if (c == '"') return string(nullptr);
        // number or literal: consume the token
        while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '-' ||
                             peek() == '+' || peek() == '.'))
            advance();
        return true;
    }

    bool string(std::string* out) {
        advance();  // opening quote
        while (!at_end() && peek() != '"') {
            char c = peek();
            if (c == '\\') {
                advance();
                if (at_end()) return false;
                char e = peek();
                if (out) {
                    switch (e) {
                        case 'n':
                            *out += '\n';
                            break;
                        case 't':
                            *out += '\t';
                            break;
                        case 'r':
                            *out += '\r';
                            break;
                        case 'b':
                            *out += '\b';
                            break;
                        case 'f':
                            *out += '\f';
                            break;
                        case 'u':
                            *out += "\\u";
                            break;  // rare in keys; kept verbatim
                        default:
                            *out += e;
                            break;
                    }
                }
            } else if (out) {
                *out += c;
            }
            advance();
        }
        if (at_end()) return false;
        advance();  // closing quote
        return true;
    }

    bool object(const std::string& pointer, int depth) {
        advance();
        skip_ws();
        if (peek() == '}') {
            advance();
            return true;
        }
        while (!at_end()) {
            skip_ws();
            if (peek() != '"') return false;
            TextPosition key_pos = here();
            std::string key;
            if (!string(&key)) return false;
            std::string child = pointer + "/" + escape_pointer_token(key);
            keys_.emplace(child, key_pos);
            skip_ws();
            if (peek() != ':') return false;
            advance();
            skip_ws();
            if (!value(child, depth + 1)) return false;
            skip_ws();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == '}') {
                advance();
                return true;
            }
            return false;
        }
        return false;
    }

    bool array(const std::string& pointer, int depth) {
        advance();
        skip_ws();
        if (peek() == ']') {
            advance();
            return true;
        }
        for (std::size_t index = 0; !at_end(); ++index) {
            skip_ws();
            if (!value(pointer + "/" + std::to_string(index), depth + 1)) return false;
            skip_ws();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == ']') {
                advance();
                return true;
            }
            return false;
        }
        return false;
    }

    std::string_view text_;
    std::unordered_map<std::string, TextPosition>& values_;
    std::unordered_map<std::string, TextPosition>& keys_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
};

}  // namespace

PositionIndex::PositionIndex(std::string_view text) {
    Scanner(text, values_, keys_).run();
}

TextPosition PositionIndex::value(std::string_view pointer) const {
    std::string p(pointer);
    while (true) {
        if (auto it = values_.find(p); it != values_.end()) return it->second;
        if (p.empty()) return {};
        p.erase(p.rfind('/'));
    }
}

TextPosition PositionIndex::key(std::string_view pointer) const {
    if (auto it = keys_.find(std::string(pointer)); it != keys_.end()) return it->second;
    return value(pointer);
}

}  // namespace ksim::proto::detail
