#include "planner/parse_tree.hpp"

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sm::planner {

const ParseTree& ParseTree::null_node() {
    static const ParseTree k_null;
    return k_null;
}

const ParseTree& ParseTree::empty_object() {
    static const ParseTree k_object = [] {
        ParseTree t;
        t.m_type = Type::object;
        return t;
    }();
    return k_object;
}

const ParseTree& ParseTree::empty_array() {
    static const ParseTree k_array = [] {
        ParseTree t;
        t.m_type = Type::array;
        return t;
    }();
    return k_array;
}

std::size_t ParseTree::size() const {
    switch (m_type) {
        case Type::null:
            return 0;
        case Type::array:
        case Type::object:
            return m_count;
        default:
            return 1;
    }
}

ParseTree::ConstIterator ParseTree::find(std::string_view key) const {
    if (m_type == Type::object) {
        for (const ParseTree* child = m_children; child != m_children + m_count; ++child) {
            if (child->m_key == key) {
                return ConstIterator(child);
            }
        }
    }
    return end();
}

const ParseTree& ParseTree::operator[](std::string_view key) const {
    auto it = find(key);
    return it == end() ? null_node() : *it;
}

const ParseTree& ParseTree::operator[](std::size_t index) const {
    return m_type == Type::array && index < m_count ? m_children[index] : null_node();
}

const ParseTree& ParseTree::at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) {
        throw std::out_of_range("parse tree: no member \"" + std::string(key) + "\"");
    }
    return *it;
}

std::string ParseTree::value(std::string_view key, const char* fallback) const {
    const ParseTree& v = (*this)[key];
    return v.is_string() ? std::string(v.m_string) : std::string(fallback);
}

std::string ParseTree::value(std::string_view key, const std::string& fallback) const {
    const ParseTree& v = (*this)[key];
    return v.is_string() ? std::string(v.m_string) : fallback;
}

bool ParseTree::value(std::string_view key, bool fallback) const {
    const ParseTree& v = (*this)[key];
    return v.is_boolean() ? v.m_boolean : fallback;
}

int ParseTree::value(std::string_view key, int fallback) const {
    const ParseTree& v = (*this)[key];
    return v.m_type == Type::integer ? static_cast<int>(v.m_integer) : fallback;
}

long ParseTree::value(std::string_view key, long fallback) const {
    const ParseTree& v = (*this)[key];
    return v.m_type == Type::integer ? static_cast<long>(v.m_integer) : fallback;
}

long long ParseTree::value(std::string_view key, long long fallback) const {
    const ParseTree& v = (*this)[key];
    return v.m_type == Type::integer ? static_cast<long long>(v.m_integer) : fallback;
}

double ParseTree::value(std::string_view key, double fallback) const {
    const ParseTree& v = (*this)[key];
    if (v.m_type == Type::integer) {
        return static_cast<double>(v.m_integer);
    }
    return v.m_type == Type::floating ? v.m_floating : fallback;
}

namespace {

[[noreturn]] void wrong_type(const char* wanted) {
    throw std::logic_error(std::string("parse tree: the value is not ") + wanted);
}

nlohmann::json to_json(const ParseTree& t) {
    switch (t.type()) {
        case ParseTree::Type::null:
            return nullptr;
        case ParseTree::Type::boolean:
            return t.get<bool>();
        case ParseTree::Type::integer:
            return t.get<long long>();
        case ParseTree::Type::floating:
            return t.get<double>();
        case ParseTree::Type::string:
            return t.get<std::string>();
        case ParseTree::Type::array: {
            nlohmann::json a = nlohmann::json::array();
            for (const auto& e : t) {
                a.push_back(to_json(e));
            }
            return a;
        }
        case ParseTree::Type::object: {
            nlohmann::json o = nlohmann::json::object();
            for (const auto& m : t) {
                o[std::string(m.key())] = to_json(m);
            }
            return o;
        }
    }
    return nullptr;
}

}  // namespace

template <>
std::string ParseTree::get<std::string>() const {
    if (!is_string()) {
        wrong_type("a string");
    }
    return std::string(m_string);
}

template <>
bool ParseTree::get<bool>() const {
    if (!is_boolean()) {
        wrong_type("a boolean");
    }
    return m_boolean;
}

template <>
long long ParseTree::get<long long>() const {
    if (m_type != Type::integer) {
        wrong_type("an integer");
    }
    return m_integer;
}

template <>
int ParseTree::get<int>() const {
    return static_cast<int>(get<long long>());
}

template <>
long ParseTree::get<long>() const {
    return static_cast<long>(get<long long>());
}

template <>
double ParseTree::get<double>() const {
    if (m_type == Type::integer) {
        return static_cast<double>(m_integer);
    }
    if (m_type != Type::floating) {
        wrong_type("a number");
    }
    return m_floating;
}

std::string ParseTree::dump() const {
    return to_json(*this).dump();
}

// ---------------------------------------------------------------------------

struct ParseDocument::Impl {
    simdjson::dom::parser parser;
    std::vector<ParseTree> nodes;  // nodes[0] is the root; reserved, so never moved
};

namespace {

std::size_t count_nodes(simdjson::dom::element e) {
    std::size_t n = 1;
    // value_unsafe() returns into a temporary: copy the (small) handle first.
    if (e.is_array()) {
        simdjson::dom::array array = e.get_array().value_unsafe();
        for (simdjson::dom::element child : array) {
            n += count_nodes(child);
        }
    } else if (e.is_object()) {
        simdjson::dom::object object = e.get_object().value_unsafe();
        for (simdjson::dom::key_value_pair member : object) {
            n += count_nodes(member.value);
        }
    }
    return n;
}

// libpg_query nests two JSON levels per operator ("1+1+...+1"): allow far more
// than simdjson's default of 1024, as deep as the parser itself goes before
// PostgreSQL's stack limit stops it. The tree is built recursively: at this
// depth that takes a few megabytes of stack at most.
constexpr std::size_t k_max_depth = 16384;

// simdjson's size() stops counting at 0xFFFFFF; count such a container by hand.
template <typename Container>
std::size_t element_count(const Container& c) {
    std::size_t n = c.size();
    if (n == 0xFFFFFF) {
        n = 0;
        for ([[maybe_unused]] auto element : c) {
            ++n;
        }
    }
    return n;
}

}  // namespace

ParseDocument::ParseDocument() : m_impl(std::make_unique<Impl>()) {
    m_impl->nodes.emplace_back();
    if (m_impl->parser.allocate(size_t{64} * 1024, k_max_depth) != simdjson::SUCCESS) {
        throw std::bad_alloc();
    }
}

ParseDocument::~ParseDocument() = default;

const ParseTree& ParseDocument::root() const {
    return m_impl->nodes.front();
}

const ParseTree& ParseDocument::parse(std::string_view json) {
    simdjson::dom::element doc;
    auto error = m_impl->parser.parse(json.data(), json.size()).get(doc);
    if (error) {
        throw std::runtime_error(std::string("parse tree: invalid JSON: ") +
                                 simdjson::error_message(error));
    }
    auto& nodes = m_impl->nodes;
    nodes.clear();
    nodes.reserve(count_nodes(doc));
    nodes.emplace_back();
    // Fills node (already in place) from e; a container's children are placed
    // in one block at the end, then filled in turn.
    auto fill = [&nodes](auto& self, std::size_t index, simdjson::dom::element e) -> void {
        using T = ParseTree::Type;
        switch (e.type()) {
            case simdjson::dom::element_type::ARRAY: {
                simdjson::dom::array array = e.get_array().value_unsafe();
                std::size_t count = element_count(array);
                std::size_t first = nodes.size();
                nodes.resize(first + count);
                nodes[index].m_type = T::array;
                nodes[index].m_count = static_cast<std::uint32_t>(count);
                nodes[index].m_children = nodes.data() + first;
                std::size_t i = first;
                for (simdjson::dom::element child : array) {
                    self(self, i++, child);
                }
                break;
            }
            case simdjson::dom::element_type::OBJECT: {
                simdjson::dom::object object = e.get_object().value_unsafe();
                std::size_t count = element_count(object);
                std::size_t first = nodes.size();
                nodes.resize(first + count);
                nodes[index].m_type = T::object;
                nodes[index].m_count = static_cast<std::uint32_t>(count);
                nodes[index].m_children = nodes.data() + first;
                std::size_t i = first;
                for (simdjson::dom::key_value_pair member : object) {
                    nodes[i].m_key = member.key;
                    self(self, i++, member.value);
                }
                break;
            }
            case simdjson::dom::element_type::INT64:
                nodes[index].m_type = T::integer;
                nodes[index].m_integer = e.get_int64().value_unsafe();
                break;
            case simdjson::dom::element_type::UINT64:
                nodes[index].m_type = T::integer;
                nodes[index].m_integer = static_cast<std::int64_t>(e.get_uint64().value_unsafe());
                break;
            case simdjson::dom::element_type::DOUBLE:
                nodes[index].m_type = T::floating;
                nodes[index].m_floating = e.get_double().value_unsafe();
                break;
            case simdjson::dom::element_type::STRING:
                nodes[index].m_type = T::string;
                nodes[index].m_string = e.get_string().value_unsafe();
                break;
            case simdjson::dom::element_type::BOOL:
                nodes[index].m_type = T::boolean;
                nodes[index].m_boolean = e.get_bool().value_unsafe();
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                nodes[index].m_type = T::null;
                break;
        }
    };
    fill(fill, 0, doc);
    return nodes.front();
}

}  // namespace sm::planner
