#include "ksim/proto/untrusted_json.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

namespace ksim::proto {
namespace {

using nlohmann::json;

// Builds the tree as nlohmann's own DOM parser does, refusing a container that would nest deeper
// than kMaxJsonDepth. The SAX interface is nlohmann's (json::sax_parse); returning false stops it.
class DepthLimitedBuilder {
public:
    explicit DepthLimitedBuilder(json& root) : root_(root) {}

    bool null() { return put(nullptr); }
    bool boolean(bool v) { return put(v); }
    bool number_integer(json::number_integer_t v) { return put(v); }
    bool number_unsigned(json::number_unsigned_t v) { return put(v); }
    bool number_float(json::number_float_t v, const json::string_t&) { return put(v); }
    bool string(json::string_t& v) { return put(std::move(v)); }
    bool binary(json::binary_t& v) { return put(std::move(v)); }

    bool start_object(std::size_t) { return open(json::value_t::object); }
    bool key(json::string_t& k) {
        keys_.back() = k;
        member_ = &(*open_.back())[std::move(k)];
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t) { return open(json::value_t::array); }
    bool end_array() { return close(); }

    bool parse_error(std::size_t position, const std::string&, const json::exception& e) {
        std::string what = e.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
        // The last-read text may itself contain ": ", so cut after the position prefix.
        if (auto colon = what.find(": ", what.find(", column ")); colon != std::string::npos)
            what = what.substr(colon + 2);
        // The position is 1-based and points just past the offending character.
        error_ = JsonParseError{JsonParseError::Kind::Syntax, position > 0 ? position - 1 : 0, "",
                                std::move(what)};
        return false;
    }

    JsonParseError take_error() {
        // sax_parse returns false only through a handler that set the error.
        return std::move(error_);
    }

private:
    template <typename V>
    bool put(V&& v) {
        place(std::forward<V>(v));
        return true;
    }

    // Stores a value where the document is at and returns where it went. Only the innermost open
    // container grows, so the pointers to the outer ones stay valid.
    template <typename V>
    json* place(V&& v) {
        if (open_.empty()) {
            root_ = json(std::forward<V>(v));
            return &root_;
        }
        json& parent = *open_.back();
        if (parent.is_array()) {
            parent.emplace_back(std::forward<V>(v));
            return &parent.back();
        }
        *member_ = json(std::forward<V>(v));
        return member_;
    }

    bool open(json::value_t type) {
        if (open_.size() >= kMaxJsonDepth) {
            error_ = JsonParseError{JsonParseError::Kind::TooDeep, 0, pointer_of_next(),
                                    fmt::format("nesting deeper than {} levels", kMaxJsonDepth)};
            return false;
        }
        open_.push_back(place(type));
        keys_.emplace_back();
        return true;
    }

    bool close() {
        open_.pop_back();
        keys_.pop_back();
        return true;
    }

    // The pointer of the value about to be added to the innermost open container.
    std::string pointer_of_next() const {
        std::string out;
        for (std::size_t level = 0; level < open_.size(); ++level) {
            const json& c = *open_[level];
            bool innermost = level + 1 == open_.size();
            if (c.is_object())
                out += "/" + escape_pointer_token(keys_[level]);
            else  // the child is the last element, or (innermost) the one about to be appended
                out += "/" + std::to_string(innermost ? c.size() : c.size() - 1);
        }
        return out;
    }

    json& root_;
    std::vector<json*> open_;
    std::vector<std::string> keys_;  // per open level: the current key (objects only)
    json* member_ = nullptr;         // the slot of the current key in the innermost object
    JsonParseError error_;
};

}  // namespace

std::expected<nlohmann::json, JsonParseError> parse_untrusted_json(std::string_view text) {
    json root;
    DepthLimitedBuilder builder(root);
    if (!json::sax_parse(text.begin(), text.end(), &builder)) return std::unexpected(builder.take_error());
    return root;
}

std::string escape_pointer_token(std::string_view token) {
    std::string out;
    for (char c : token) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string_view json_type_phrase(const nlohmann::json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array";
        case json::value_t::string:
            return "a string";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
            return v.get<json::number_integer_t>() < 0 ? "a negative integer" : "an integer";
        case json::value_t::number_unsigned:
            return "an integer";
        case json::value_t::number_float:
            return "a floating-point number";
        case json::value_t::binary:
            return "binary data";
        case json::value_t::discarded:
            return "a discarded value";
    }
    return "a value";
}

std::string json_preview(const nlohmann::json& v) {
    if (v.is_structured() || v.is_binary() || v.is_discarded()) return std::string(json_type_phrase(v));
    constexpr auto kReplace = json::error_handler_t::replace;
    if (!v.is_string()) return v.dump(-1, ' ', false, kReplace);
    const auto& s = v.get_ref<const json::string_t&>();
    if (s.size() <= kPreviewChars) return v.dump(-1, ' ', false, kReplace);
    std::size_t cut = kPreviewChars;
    // Cut at a character boundary: back over UTF-8 continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    std::string shown = json(s.substr(0, cut)).dump(-1, ' ', false, kReplace);
    shown.insert(shown.size() - 1, "...");
    return shown;
}

}  // namespace ksim::proto
