#pragma once
// libpg_query's JSON parse tree, read only, as the rules see it.
//
// A ParseDocument parses the JSON text of one statement (with simdjson) into a
// flat block of ParseTree nodes: no allocation per node, and nothing to free
// node by node, which matters because every statement of every file is parsed
// (lint reads tens of thousands per second). The nodes and the strings they
// point at live as long as the document, until its next parse().
//
// ParseTree reads like the subset of nlohmann::json the rules use (value(),
// contains(), operator[], iteration), with one difference: looking up a key an
// object does not have gives a null node instead of undefined behaviour.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sm::planner {

class ParseTree {
  public:
    enum class Type : std::uint8_t { null, boolean, integer, floating, string, array, object };

    // Iterates the elements of an array or the members of an object (each
    // member node knows its key()).
    class ConstIterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = ParseTree;
        using difference_type = std::ptrdiff_t;
        using pointer = const ParseTree*;
        using reference = const ParseTree&;

        explicit ConstIterator(const ParseTree* node = nullptr) : m_node(node) {}
        const ParseTree& operator*() const { return *m_node; }
        const ParseTree* operator->() const { return m_node; }
        ConstIterator& operator++() {
            ++m_node;
            return *this;
        }
        ConstIterator operator++(int) {
            ConstIterator before = *this;
            ++m_node;
            return before;
        }
        bool operator==(const ConstIterator& other) const { return m_node == other.m_node; }
        bool operator!=(const ConstIterator& other) const { return m_node != other.m_node; }
        std::string_view key() const { return m_node->key(); }
        const ParseTree& value() const { return *m_node; }

      private:
        const ParseTree* m_node;
    };

    ParseTree() = default;  // null

    // Shared empty values, for "missing" answers that must be a reference.
    static const ParseTree& null_node();
    static const ParseTree& empty_object();
    static const ParseTree& empty_array();

    Type type() const { return m_type; }
    bool is_null() const { return m_type == Type::null; }
    bool is_boolean() const { return m_type == Type::boolean; }
    bool is_number() const { return m_type == Type::integer || m_type == Type::floating; }
    bool is_string() const { return m_type == Type::string; }
    bool is_array() const { return m_type == Type::array; }
    bool is_object() const { return m_type == Type::object; }

    // Elements or members; 0 for null, 1 for a scalar (as nlohmann::json).
    std::size_t size() const;
    bool empty() const { return size() == 0; }

    ConstIterator begin() const { return ConstIterator(m_children); }
    ConstIterator end() const { return ConstIterator(m_children + m_count); }
    // The first and last element of an array (null_node() when it is empty).
    const ParseTree& front() const { return m_count > 0 ? m_children[0] : null_node(); }
    const ParseTree& back() const { return m_count > 0 ? m_children[m_count - 1] : null_node(); }
    // The members of an object, each with key() and value().
    const ParseTree& items() const { return *this; }

    // The member's name when this node is a member of an object, else "".
    std::string_view key() const { return m_key; }
    // This node itself (so a member reached through items() reads as a pair).
    const ParseTree& value() const { return *this; }

    // Object members by key. A missing key (or a node that is not an object)
    // gives end() / null_node() / false.
    ConstIterator find(std::string_view key) const;
    bool contains(std::string_view key) const { return find(key) != end(); }
    std::size_t count(std::string_view key) const { return contains(key) ? 1 : 0; }
    const ParseTree& operator[](std::string_view key) const;
    const ParseTree& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
    // Array elements; out of range gives null_node().
    const ParseTree& operator[](std::size_t index) const;
    const ParseTree& operator[](int index) const {
        return (*this)[static_cast<std::size_t>(index)];
    }
    // Like operator[], but throws std::out_of_range naming the key when it is missing.
    const ParseTree& at(std::string_view key) const;

    // The member key as the default's type, or the default when it is missing
    // or of another type.
    std::string value(std::string_view key, const char* fallback) const;
    std::string value(std::string_view key, const std::string& fallback) const;
    bool value(std::string_view key, bool fallback) const;
    int value(std::string_view key, int fallback) const;
    long value(std::string_view key, long fallback) const;
    long long value(std::string_view key, long long fallback) const;
    double value(std::string_view key, double fallback) const;

    // This node's scalar. Throws std::logic_error when the type does not fit.
    template <typename T>
    T get() const;

    // Compact JSON text of this node (for messages and tests; not fast).
    std::string dump() const;

  private:
    friend class ParseDocument;

    Type m_type = Type::null;
    bool m_boolean = false;
    std::uint32_t m_count = 0;  // children
    std::int64_t m_integer = 0;
    double m_floating = 0;
    std::string_view m_key;
    std::string_view m_string;
    const ParseTree* m_children = nullptr;
};

template <>
std::string ParseTree::get<std::string>() const;
template <>
bool ParseTree::get<bool>() const;
template <>
int ParseTree::get<int>() const;
template <>
long ParseTree::get<long>() const;
template <>
long long ParseTree::get<long long>() const;
template <>
double ParseTree::get<double>() const;

// Owns one parsed statement's tree (see the top of this file). Not copyable;
// one per thread (a file's linter keeps one and reuses it).
class ParseDocument {
  public:
    ParseDocument();
    ~ParseDocument();
    ParseDocument(const ParseDocument&) = delete;
    ParseDocument& operator=(const ParseDocument&) = delete;

    // Parses JSON text (libpg_query's output), replacing the previous tree.
    // Throws std::runtime_error on text that is not JSON.
    const ParseTree& parse(std::string_view json);
    const ParseTree& root() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace sm::planner
